// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * snapshot.c - dumps of the conntrack table (snapshot.h).
 *
 * A dump streams from the helper straight into one array of fixed-layout
 * records (no per-row allocation), is sorted by id, gets its rates by a
 * merge-join against the newest stored dump (global: every session gets
 * rates from whoever dumped last), and is stored (store_dump.c).
 *
 * The dump is never filtered in the kernel: it feeds the session's
 * snapshot, which must hold the whole table so that later views with other
 * filters page from it without dumping again.
 *
 * Dumps are shared: a view that needs a fresh table first looks for a dump
 * that began after its session asked for one (login, refresh), or, with
 * autorefresh N, one younger than N s, whoever made it.  Only one CGI dumps
 * at a time (an flock on "<database>-dumplock"); the others wait for it and
 * take its result.  So many clients watching one table cost one dump per
 * period, not one each, and memory holds at most one table being dumped.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "ctd_errtext.h"
#include "ctx.h"
#include "db.h"
#include "fault.h"
#include "helper_client.h"
#include "history.h"
#include "session.h"
#include "snapshot.h"
#include "store.h"
#include "util.h"

struct snap_pending {
	struct snap_info info;	   /* dump_id 0 until stored */
	int64_t sid;		   /* the session that made it */
	int lock;		   /* the dump lock, held until stored (-1: none) */
	struct snap_order_job job; /* makes pos once t is sorted (run NULL: none) */
	struct snap_table t;	   /* empty until the view hands it over */
	char key[65];
	uint32_t *pos, total; /* the view's order, cached with the session */
};

/* ---- taking and storing dumps -------------------------------------------------------- */
static int store_fresh(xmlrpc_env *env, struct ctd_ctx *ctx, const struct snap_table *t,
		       struct snap_info *info)
{
	int rc;

	if (db_begin(env, ctx->db) < 0)
		return -1;
	rc = store_dump_insert(ctx->db, info, t);
	if (rc == SQLITE_OK)
		rc = store_session_use_dump(ctx->db, ctx->sid, info->dump_id);
	if (rc == SQLITE_OK)
		rc = store_dump_cap(ctx->db, ctx->cfg.max_dumps);
	/* a dump's history sample goes with it (a failure there is only logged) */
	if (rc == SQLITE_OK)
		history_record_dump(ctx->db, info, t, ctx->cfg.history_days);
	/* no purge here: freeing the previous dump's pages is the next dump's
	 * background work (housekeeping below), off the response path */
	if (rc == SQLITE_OK)
		return db_commit(env, ctx->db);
	db_fault(env, ctx->db, rc, "storing a snapshot");
	db_rollback(ctx->db);
	return -1;
}

/*
 * Work that would otherwise add a second to a 1M-entry view runs on its own
 * connection in a thread while the helper streams the table (the CGI mostly
 * waits on the socket then): read the previous dump into the index the
 * rates need (prev, ready set once it is), free unreferenced dumps and
 * checkpoint the WAL.  It is joined before the new dump is stored.
 * Failures only mean no rates against the previous dump, or the work left
 * for next time.
 */
struct housekeeping {
	const char *path;
	unsigned idle, lifetime;
	pthread_t thread;
	bool started;
	struct snap_prev prev;
	int ready; /* prev may be read (atomic) */
};

struct prev_read {
	struct snap_prev *p;
	bool failed;
};

static void prev_chunk(const struct ctd_record *recs, size_t n, void *arg)
{
	struct prev_read *pr = arg;

	if (!pr->failed && snap_prev_add(pr->p, recs, n) < 0)
		pr->failed = true;
}

static void read_prev(sqlite3 *db, struct snap_prev *p)
{
	struct snap_info info;
	struct prev_read pr = {p, false};

	if (store_dump_newest(db, &info) != SQLITE_ROW)
		return;
	p->time = info.time;
	/* a damaged previous dump only costs rates */
	if (store_dump_each_chunk(db, info.dump_id, prev_chunk, &pr) != SQLITE_OK || pr.failed ||
	    snap_prev_index(p) < 0)
		snap_prev_free(p);
}

static void *housekeeping_run(void *arg)
{
	struct housekeeping *hk = arg;
	sqlite3 *db = NULL;

	if (db_connect(hk->path, SQLITE_OPEN_READWRITE, &db) == SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000);
		read_prev(db, &hk->prev);
		__atomic_store_n(&hk->ready, 1, __ATOMIC_RELEASE);
		if (db_exec(db, "BEGIN IMMEDIATE") == SQLITE_OK) {
			db_purge(db, hk->idle, hk->lifetime);
			if (db_exec(db, "COMMIT") != SQLITE_OK)
				db_rollback(db);
			/* the pages of the dumps just freed go back to the file system */
			db_exec(db, "PRAGMA incremental_vacuum");
		}
		sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	}
	__atomic_store_n(&hk->ready, 1, __ATOMIC_RELEASE);
	sqlite3_close(db);
	return NULL;
}

static void housekeeping_start(struct housekeeping *hk, const struct ctd_ctx *ctx)
{
	hk->path = ctx->cfg.database;
	hk->idle = ctx->cfg.session_idle_timeout;
	hk->lifetime = ctx->cfg.session_lifetime;
	hk->started = pthread_create(&hk->thread, NULL, housekeeping_run, hk) == 0;
}

static void housekeeping_join(struct housekeeping *hk)
{
	if (hk->started)
		pthread_join(hk->thread, NULL);
	hk->started = false;
}

/* A dump as it streams in: the table, and each record rated on arrival. */
struct intake {
	struct snap_table *t;
	struct housekeeping *hk;
	const struct snap_prev *prev; /* once hk says it is ready */
	uint32_t live;		      /* records before this one were rated without prev */
	uint32_t caught;	      /* those before this one are rated again with it */
	bool timestamps;
	double now; /* refreshed every 256 records */
};

static int on_record(const struct ctd_record *rec, void *arg)
{
	struct intake *in = arg;
	uint32_t k = in->t->n;

	/* the helper is trusted less than the kernel: keep only sane rows */
	if (rec->l3proto != AF_INET && rec->l3proto != AF_INET6)
		return 0;
	if (snap_append(in->t, rec) < 0)
		return 1;
	if ((k & 255) == 0) {
		in->now = now_s();
		if (!in->prev && __atomic_load_n(&in->hk->ready, __ATOMIC_ACQUIRE)) {
			in->prev = &in->hk->prev;
			in->live = k;
		}
	}
	snap_rate_one(in->t, k, rec, in->prev, in->now, in->timestamps);
	/* the records that came before prev, a few with each one that comes
	 * now: the CGI mostly waits for the helper meanwhile */
	if (in->prev && in->caught < in->live) {
		uint32_t to = in->live - in->caught > 4 ? in->caught + 4 : in->live;
		snap_rates_catch_up(in->t, in->caught, to, in->prev, in->now, in->timestamps);
		in->caught = to;
	}
	return 0;
}

static uint32_t initial_room(uint32_t count)
{
	return count < CTD_TABLE_MAX - count / 8 - 1024 ? count + count / 8 + 1024 : CTD_TABLE_MAX;
}

/* The table from the helper, rated against the previous dump (dt: the
 * interval, 0 if none). */
static int fetch(xmlrpc_env *env, struct ctd_ctx *ctx, struct snap_table *t, struct ctd_count *cnt,
		 double *dt)
{
	struct hc_target ht = {ctx->cfg.helper, ctx->cfg.helper_timeout};
	struct ctd_dump_req req;
	struct hc_error e;
	struct housekeeping hk = {0};
	struct intake in = {t, &hk, NULL, 0, 0, false, now_s()};
	double now;
	int rc;

	memset(&e, 0, sizeof(e));
	memset(cnt, 0, sizeof(*cnt));
	if (hc_count(&ht, cnt, &e) < 0)
		return ctd_helper_fault(env, &e, CT_OP_COUNT), -1;
	memset(t, 0, sizeof(*t));
	if (snap_grow(t, initial_room(cnt->count)) < 0 || snap_rates_begin(t) < 0) {
		snap_free(t);
		ctd_fault(env, CTD_F_HELPER, "server out of memory for the table");
		return -1;
	}
	t->unsorted = true;
	in.timestamps = cnt->timestamp != 0;
	memset(&req, 0, sizeof(req));
	memset(&e, 0, sizeof(e));
	housekeeping_start(&hk, ctx);
	rc = hc_dump(&ht, &req, on_record, &in, &e);
	housekeeping_join(&hk);
	now = now_s();
	if (rc == 0) {
		/* the first records came before the previous dump was read:
		 * those not yet rated again while the rest streamed in */
		snap_rates_catch_up(t, in.caught, in.prev ? in.live : t->n, &hk.prev, now, in.timestamps);
		*dt = hk.prev.slot && now > hk.prev.time ? now - hk.prev.time : 0;
		snap_rates_end(t, *dt);
	}
	snap_prev_free(&hk.prev);
	if (rc < 0) {
		if (e.kind == HC_ABORTED)
			ctd_fault(env, CTD_F_HELPER, "table larger than %u entries or out of memory",
				  CTD_TABLE_MAX);
		else
			ctd_helper_fault(env, &e, CT_OP_DUMP);
		snap_free(t);
		return -1;
	}
	return 0;
}

static int do_dump(xmlrpc_env *env, struct ctd_ctx *ctx, struct snap_info *info, struct snap_table *t,
		   bool any_order)
{
	struct ctd_count cnt;
	bool defer;

	info->started = now_s();
	if (fetch(env, ctx, t, &cnt, &info->interval) < 0)
		return -1;
	info->time = now_s();
	info->accounting = cnt.accounting != 0;
	info->count = t->n;
	info->max = cnt.max;
	info->dump_id = 0;
	/* a big table is stored after the answer (snap_finish), and sorted
	 * there too when the caller can answer from it unsorted */
	defer = !ctx->multicall && t->n >= CTD_DEFER_MIN && t->n <= CTD_DEFER_MAX;
	if ((!defer || !any_order) && snap_sort_by_id(t) < 0) {
		ctd_fault(env, CTD_F_HELPER, "server out of memory for the table");
		snap_free(t);
		return -1;
	}
	if (defer) {
		if (!(ctx->pending = calloc(1, sizeof(*ctx->pending)))) {
			ctd_fault(env, CTD_F_CONFIG, "server out of memory");
			snap_free(t);
			return -1;
		}
		ctx->pending->info = *info;
		ctx->pending->sid = ctx->sid;
		ctx->pending->lock = -1;
		return 0;
	}
	if (store_fresh(env, ctx, t, info) < 0) {
		snap_free(t);
		return -1;
	}
	return 0;
}

bool snap_deferred(const struct ctd_ctx *ctx)
{
	return ctx->pending != NULL;
}

void snap_defer(struct ctd_ctx *ctx, struct snap_table *t, const char *key, uint32_t **pos, uint32_t total,
		struct snap_order_job *job)
{
	struct snap_pending *p = ctx->pending;

	p->t = *t;
	memset(t, 0, sizeof(*t));
	snprintf(p->key, sizeof(p->key), "%s", key);
	if (pos && *pos) {
		p->pos = *pos;
		p->total = total;
		*pos = NULL;
	}
	if (job && job->run) {
		p->job = *job;
		memset(job, 0, sizeof(*job));
	}
}

/* The table in id order, and the view's order if it is still to make: 0,
 * or -1 (out of memory: nothing can be stored). */
static int finish_sorting(struct snap_pending *p)
{
	int rc = 0;

	if (p->t.unsorted && snap_sort_by_id(&p->t) < 0)
		rc = -1;
	else if (p->job.run && !p->pos && p->job.run(p->job.arg, &p->t, &p->pos, &p->total) < 0)
		p->pos = NULL; /* only the next page's shortcut is lost */
	if (p->job.free)
		p->job.free(p->job.arg);
	memset(&p->job, 0, sizeof(p->job));
	return rc;
}

/* The dump, the session's pointer to it and the view's order, in one
 * transaction (the session's next page is a cache hit).  The answer is
 * out: a failure can only be logged, and the session dumps again. */
static int store_pending(struct ctd_ctx *ctx, struct snap_pending *p)
{
	int rc;

	/* before the transaction: no other writer waits for the sorts */
	if (finish_sorting(p) < 0) {
		fprintf(stderr, "ctd.cgi: out of memory sorting a snapshot after the answer: not stored\n");
		return SQLITE_NOMEM;
	}
	rc = db_exec(ctx->db, "BEGIN IMMEDIATE");
	if (rc == SQLITE_OK)
		rc = store_dump_insert(ctx->db, &p->info, &p->t);
	if (rc == SQLITE_OK)
		rc = store_session_use_dump(ctx->db, p->sid, p->info.dump_id);
	if (rc == SQLITE_OK && p->pos)
		rc = store_session_order_put(ctx->db, p->sid, p->key, p->pos, p->total);
	if (rc == SQLITE_OK)
		rc = store_dump_cap(ctx->db, ctx->cfg.max_dumps);
	if (rc == SQLITE_OK)
		history_record_dump(ctx->db, &p->info, &p->t, ctx->cfg.history_days);
	if (rc == SQLITE_OK)
		rc = db_exec(ctx->db, "COMMIT");
	if (rc != SQLITE_OK) {
		fprintf(stderr, "ctd.cgi: database: storing a snapshot after the answer: %s\n",
			sqlite3_errmsg(ctx->db));
		db_rollback(ctx->db);
	}
	return rc;
}

void snap_finish(struct ctd_ctx *ctx)
{
	struct snap_pending *p = ctx->pending;

	if (!p)
		return;
	ctx->pending = NULL;
	if (p->t.start && ctx->db)
		store_pending(ctx, p);
	if (p->lock >= 0)
		close(p->lock);
	if (p->job.free)
		p->job.free(p->job.arg);
	snap_free(&p->t);
	free(p->pos);
	free(p);
}

int snap_info_of_session(xmlrpc_env *env, struct ctd_ctx *ctx, struct snap_info *info)
{
	int64_t dump_id = 0;
	int rc;

	memset(info, 0, sizeof(*info));
	rc = store_session_dump(ctx->db, ctx->sid, &dump_id);
	if (rc == SQLITE_ROW)
		rc = store_dump_info(ctx->db, dump_id, info);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	db_fault(env, ctx->db, rc, "reading a snapshot");
	return -1;
}

/*
 * Point the session at the newest dump that is fresh enough for it: begun
 * after `after` (want) or complete after `after` (autorefresh).  Chosen and
 * taken in one transaction, so a purge cannot free it in between.  When
 * this request already made or took a fresh dump, that one is taken (one
 * request, one dump at most: a multicall of [refresh, view] x N must not
 * dump N times).  1 taken, 0 none, -1 fault.
 */
static int take_shared(xmlrpc_env *env, struct ctd_ctx *ctx, bool by_start, double after,
		       struct snap_info *info)
{
	int rc;

	if (db_begin(env, ctx->db) < 0)
		return -1;
	if (ctx->fresh_dump)
		rc = store_dump_info(ctx->db, ctx->fresh_dump, info);
	else
		rc = store_dump_newest_after(ctx->db, by_start, after, info);
	if (rc == SQLITE_DONE) {
		db_rollback(ctx->db);
		return 0;
	}
	if (rc == SQLITE_ROW)
		rc = store_session_use_dump(ctx->db, ctx->sid, info->dump_id);
	if (rc == SQLITE_OK)
		return db_commit(env, ctx->db) < 0 ? -1 : 1;
	db_fault(env, ctx->db, rc, "taking a shared snapshot");
	db_rollback(ctx->db);
	return -1;
}

/* The one-dump-at-a-time lock, flock on "<database>-dumplock": an fd
 * holding it (how: LOCK_EX to dump, LOCK_SH to wait for a dump and its
 * store to end), or -1 when it cannot be had; `without` says what the
 * caller does then (sharing is an optimisation, never a reason to fail).
 * A crashed or killed holder releases it with its last fd. */
static int dump_lock(const struct ctd_ctx *ctx, int how, const char *without)
{
	char path[PATH_MAX + 16];
	struct timespec pause = {0, 500 * 1000};
	double deadline = now_s() + ctx->cfg.helper_timeout + 30;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s-dumplock", ctx->cfg.database) >= sizeof(path))
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "ctd.cgi: %s: %s (%s)\n", path, strerror(errno), without);
		return -1;
	}
	/* polled, not blocking: a holder stuck past the helper's own timeout
	 * must not hold every view hostage */
	while (flock(fd, how | LOCK_NB) < 0) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || now_s() > deadline) {
			fprintf(stderr, "ctd.cgi: %s: %s (%s)\n", path,
				errno == EWOULDBLOCK ? "held too long" : strerror(errno), without);
			close(fd);
			return -1;
		}
		nanosleep(&pause, NULL);
		/* 0.5 ms first (a store ending soon), up to 20 ms between tries */
		if (pause.tv_nsec < 20 * 1000 * 1000)
			pause.tv_nsec *= 2;
	}
	return fd;
}

void snap_wait_stored(const struct ctd_ctx *ctx)
{
	int fd = dump_lock(ctx, LOCK_SH, "reading the session's snapshot as it is");

	if (fd >= 0)
		close(fd);
}

int snap_for_view(xmlrpc_env *env, struct ctd_ctx *ctx, struct snap_info *info, struct snap_table *fresh,
		  bool any_order)
{
	struct session_view sv = {true, 0, 0};
	int rc, lock;
	double after;

	memset(fresh, 0, sizeof(*fresh));
	if ((rc = store_session_view(ctx->db, ctx->sid, &sv)) != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "reading a session");
		return -1;
	}
	rc = snap_info_of_session(env, ctx, info);
	if (rc < 0)
		return -1;
	if (rc == 0 && !sv.want_refresh && !(sv.autorefresh > 0 && now_s() - info->time >= sv.autorefresh))
		return 0;
	/* what "fresh" means for this session: begun after its last login or
	 * refresh, or else complete within the last autorefresh seconds */
	after = sv.want_refresh ? sv.refresh_after : now_s() - sv.autorefresh;
	if ((rc = take_shared(env, ctx, sv.want_refresh, after, info)) != 0) {
		if (rc > 0)
			ctx->fresh_dump = info->dump_id;
		return rc < 0 ? -1 : 0;
	}
	lock = dump_lock(ctx, LOCK_EX, "dumping without it");
	/* someone may have dumped while we waited */
	rc = lock >= 0 ? take_shared(env, ctx, sv.want_refresh, after, info) : 0;
	if (rc == 0)
		rc = do_dump(env, ctx, info, fresh, any_order);
	/* a deferred store keeps the lock: the next dumper waits for it */
	if (rc == 0 && ctx->pending)
		ctx->pending->lock = lock;
	else if (lock >= 0)
		close(lock);
	if (rc < 0)
		return -1;
	ctx->fresh_dump = info->dump_id;
	return 0;
}
