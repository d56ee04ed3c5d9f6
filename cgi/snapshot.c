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
#include "radix.h"
#include "reccodec.h"
#include "session.h"
#include "snapshot.h"
#include "store.h"
#include "util.h"

void snap_free(struct snap_table *t)
{
	free(t->arena);
	free(t->start);
	free(t->order);
	free(t->rates);
	memset(t, 0, sizeof(*t));
}

/* Grow p (elements of size sz, *cap of them) to hold at least want. */
static int grow_array(void **p, uint64_t *cap, uint64_t want, size_t sz, uint64_t limit)
{
	uint64_t c = *cap + *cap / 2 + 4096;
	void *q;

	if (want <= *cap)
		return 0;
	if (want > limit)
		return -1;
	if (c < want)
		c = want;
	if (c > limit)
		c = limit;
	/* large blocks are mmap'd by glibc, so realloc moves pages, not bytes */
	if (!(q = realloc(*p, (size_t)(c * sz))))
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

int snap_grow(struct snap_table *t, uint32_t want)
{
	uint64_t cap = t->cap, acap = t->acap;
	void *start = t->start, *arena = t->arena;
	int rc;

	/* room for want starts (+1 for the end), and bytes for typical records */
	rc = grow_array(&start, &cap, (uint64_t)want + 1, sizeof(uint32_t), (uint64_t)CTD_TABLE_MAX + 1);
	t->start = start;
	t->cap = (uint32_t)(cap ? cap - 1 : 0);
	if (rc < 0)
		return -1;
	rc = grow_array(&arena, &acap, (uint64_t)want * 48, 1, UINT32_MAX);
	t->arena = arena;
	t->acap = acap;
	return rc;
}

int snap_append(struct snap_table *t, const struct ctd_record *r)
{
	uint64_t acap = t->acap;
	void *arena = t->arena;

	if (t->n == t->cap && snap_grow(t, t->n + 1) < 0)
		return -1;
	/* room for the largest record; offsets are 32-bit (~90M records) */
	if (t->len + RECCODEC_REC_MAX > t->acap) {
		if (grow_array(&arena, &acap, t->len + RECCODEC_REC_MAX, 1, UINT32_MAX) < 0)
			return -1;
		t->arena = arena;
		t->acap = acap;
	}
	t->start[t->n] = (uint32_t)t->len;
	t->len += reccodec_encode_one(r, t->arena + t->len);
	t->start[++t->n] = (uint32_t)t->len;
	return 0;
}

static uint32_t arrival(const struct snap_table *t, uint32_t i)
{
	return t->order ? t->order[i] : i;
}

/* Record i as stored: start_ns as the kernel gave it (before rates). */
static void raw_get(const struct snap_table *t, uint32_t i, struct ctd_record *out)
{
	uint32_t k = arrival(t, i);

	/* our own encoding (or a chunk checked when loaded): it decodes */
	if (reccodec_decode_one(t->arena + t->start[k], t->start[k + 1] - t->start[k], out) != 0)
		memset(out, 0, sizeof(*out));
}

void snap_get(const struct snap_table *t, uint32_t i, struct ctd_record *out)
{
	raw_get(t, i, out);
	if (t->rates)
		memcpy(&out->start_ns, &t->rates[2 * (size_t)i], sizeof(out->start_ns));
}

uint32_t snap_id(const struct snap_table *t, uint32_t i)
{
	return reccodec_rec_id(t->arena + t->start[arrival(t, i)]);
}

/* Copy the records into id order, so that every later pass (rates, the
 * view's keys, the store) reads memory in sequence instead of jumping
 * across the arena; without the memory for a copy, the order stays. */
static void relayout(struct snap_table *t)
{
	uint8_t *arena = malloc(t->len ? t->len : 1);
	uint32_t *start = malloc(((size_t)t->n + 1) * sizeof(*start));
	uint32_t i, off = 0;

	if (!arena || !start) {
		free(arena);
		free(start);
		return;
	}
	for (i = 0; i < t->n; i++) {
		uint32_t k = t->order[i], len = t->start[k + 1] - t->start[k];
		memcpy(arena + off, t->arena + t->start[k], len);
		start[i] = off;
		off += len;
	}
	start[t->n] = off;
	free(t->arena);
	free(t->start);
	free(t->order);
	t->arena = arena;
	t->start = start;
	t->order = NULL;
	t->acap = t->len;
	t->cap = t->n;
}

int snap_sort_by_id(struct snap_table *t)
{
	struct radix_u64 *ix;
	uint32_t i;
	bool sorted = true;

	for (i = 1; i < t->n && sorted; i++)
		sorted = snap_id(t, i - 1) <= snap_id(t, i);
	if (sorted)
		return 0;
	/* 12-byte keys and a 4-byte index: the records themselves never move */
	if (!(ix = malloc((size_t)t->n * sizeof(*ix))) ||
	    !(t->order = malloc((size_t)t->n * sizeof(uint32_t)))) {
		free(ix);
		return -1;
	}
	for (i = 0; i < t->n; i++) {
		ix[i].key = reccodec_rec_id(t->arena + t->start[i]);
		ix[i].pos = i;
	}
	if (radix_sort_u64(ix, t->n) < 0) {
		free(ix);
		free(t->order);
		t->order = NULL;
		return -1;
	}
	for (i = 0; i < t->n; i++)
		t->order[i] = ix[i].pos;
	free(ix);
	relayout(t);
	return 0;
}

/* ---- rates ------------------------------------------------------------------------ */
int snap_rates_init(struct snap_table *cur, double now, bool timestamps)
{
	struct ctd_record r;
	uint32_t i;

	free(cur->rates);
	if (!(cur->rates = calloc(cur->n ? 2 * (size_t)cur->n : 1, sizeof(float))))
		return -1;
	for (i = 0; timestamps && i < cur->n; i++) {
		/* first seen: its average since start, when the kernel says when */
		raw_get(cur, i, &r);
		if ((r.flags & CTD_REC_HAS_TIMESTAMP) && r.start_ns) {
			double age = now - (double)r.start_ns / 1e9;
			if (age > 0.5) {
				cur->rates[2 * (size_t)i] = (float)((double)r.orig_bytes / age);
				cur->rates[2 * (size_t)i + 1] = (float)((double)r.repl_bytes / age);
			}
		}
	}
	return 0;
}

static bool same_conn(const struct ctd_record *a, const struct ctd_record *b)
{
	return a->id == b->id && a->l3proto == b->l3proto && a->l4proto == b->l4proto && a->zone == b->zone &&
	       memcmp(&a->orig, &b->orig, sizeof(a->orig)) == 0;
}

static double delta_rate(uint64_t now, uint64_t before, double dt)
{
	return now >= before ? (double)(now - before) / dt : 0.0;
}

/* Rates of record i of cur from the run of its id in prev[j..] (two
 * entries can share an id). */
static void rate_from_run(struct snap_table *cur, uint32_t i, const struct ctd_record *prev, size_t j,
			  size_t nprev, double dt)
{
	struct ctd_record r;
	size_t k;

	snap_get(cur, i, &r);
	for (k = j; k < nprev && prev[k].id == r.id; k++)
		if (same_conn(&r, &prev[k])) {
			cur->rates[2 * (size_t)i] = (float)delta_rate(r.orig_bytes, prev[k].orig_bytes, dt);
			cur->rates[2 * (size_t)i + 1] =
			    (float)delta_rate(r.repl_bytes, prev[k].repl_bytes, dt);
			return;
		}
}

void snap_rates_merge(struct snap_table *cur, uint32_t *cursor, const struct ctd_record *prev, size_t nprev,
		      double dt)
{
	uint32_t i = *cursor, id;
	size_t j = 0;

	if (dt <= 0 || !cur->rates)
		return;
	while (i < cur->n && j < nprev) {
		id = snap_id(cur, i);
		if (id < prev[j].id)
			i++;
		else if (id > prev[j].id)
			j++;
		else
			rate_from_run(cur, i++, prev, j, nprev, dt);
	}
	/* every cur[0..i) has an id below the rest of the previous dump, except
	 * a run of the last id here, which may go on in the next part */
	while (nprev && i > *cursor && snap_id(cur, i - 1) == prev[nprev - 1].id)
		i--;
	*cursor = i;
}

struct merge {
	struct snap_table *cur;
	uint32_t cursor;
	double dt;
};

static void merge_chunk(const struct ctd_record *prev, size_t n, void *arg)
{
	struct merge *m = arg;

	snap_rates_merge(m->cur, &m->cursor, prev, n, m->dt);
}

/* Rates against the newest stored dump, read chunk by chunk. */
static void rates_from_db(struct ctd_ctx *ctx, struct snap_table *cur, double now, double *interval)
{
	struct snap_info prev;
	struct merge m = {cur, 0, 0};

	*interval = 0;
	if (store_dump_newest(ctx->db, &prev) != SQLITE_ROW || (m.dt = now - prev.time) <= 0)
		return;
	/* a damaged previous dump only costs rates */
	store_dump_each_chunk(ctx->db, prev.dump_id, merge_chunk, &m);
	*interval = m.dt;
}

struct snap_pending {
	struct snap_info info; /* dump_id 0 until stored */
	int64_t sid;	       /* the session that made it */
	int lock;	       /* the dump lock, held until stored (-1: none) */
	struct snap_table t;   /* empty until the view hands it over */
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
 * Housekeeping that would otherwise add a second to a 1M-entry view: free
 * unreferenced dumps and checkpoint the WAL.  It runs on its own connection
 * in a thread while the helper streams the table (the CGI mostly waits on
 * the socket then), and is joined before the new dump is stored.  Failures
 * only mean the work is left for next time.
 */
struct housekeeping {
	const char *path;
	unsigned idle, lifetime;
	pthread_t thread;
	bool started;
};

static void *housekeeping_run(void *arg)
{
	struct housekeeping *hk = arg;
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(hk->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000);
		if (db_exec(db, "BEGIN IMMEDIATE") == SQLITE_OK) {
			db_purge(db, hk->idle, hk->lifetime);
			if (db_exec(db, "COMMIT") != SQLITE_OK)
				db_rollback(db);
			/* the pages of the dumps just freed go back to the file system */
			db_exec(db, "PRAGMA incremental_vacuum");
		}
		sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	}
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

static int on_record(const struct ctd_record *rec, void *arg)
{
	/* the helper is trusted less than the kernel: keep only sane rows */
	if (rec->l3proto != AF_INET && rec->l3proto != AF_INET6)
		return 0;
	return snap_append(arg, rec) < 0;
}

/* Room for the table plus growth during the dump; snap_grow does the rest. */
static uint32_t initial_room(uint32_t count)
{
	return count < CTD_TABLE_MAX - count / 8 - 1024 ? count + count / 8 + 1024 : CTD_TABLE_MAX;
}

static int fetch(xmlrpc_env *env, struct ctd_ctx *ctx, struct snap_table *t, struct ctd_count *cnt)
{
	struct hc_target ht = {ctx->cfg.helper, ctx->cfg.helper_timeout};
	struct ctd_dump_req req;
	struct hc_error e;
	struct housekeeping hk = {0};
	int rc;

	memset(&e, 0, sizeof(e));
	memset(cnt, 0, sizeof(*cnt));
	if (hc_count(&ht, cnt, &e) < 0)
		return ctd_helper_fault(env, &e, CT_OP_COUNT), -1;
	memset(t, 0, sizeof(*t));
	if (snap_grow(t, initial_room(cnt->count)) < 0) {
		ctd_fault(env, CTD_F_HELPER, "server out of memory for the table");
		return -1;
	}
	memset(&req, 0, sizeof(req));
	memset(&e, 0, sizeof(e));
	housekeeping_start(&hk, ctx);
	rc = hc_dump(&ht, &req, on_record, t, &e);
	housekeeping_join(&hk);
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

static int do_dump(xmlrpc_env *env, struct ctd_ctx *ctx, struct snap_info *info, struct snap_table *t)
{
	struct ctd_count cnt;
	double now;

	info->started = now_s();
	if (fetch(env, ctx, t, &cnt) < 0)
		return -1;
	now = now_s();
	if (snap_sort_by_id(t) < 0 || snap_rates_init(t, now, cnt.timestamp != 0) < 0) {
		ctd_fault(env, CTD_F_HELPER, "server out of memory for the table");
		snap_free(t);
		return -1;
	}
	rates_from_db(ctx, t, now, &info->interval);
	info->time = now;
	info->accounting = cnt.accounting != 0;
	info->count = t->n;
	info->max = cnt.max;
	info->dump_id = 0;
	if (!ctx->multicall && t->n >= CTD_DEFER_MIN) {
		/* stored after the answer: snap_finish() */
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

void snap_defer(struct ctd_ctx *ctx, struct snap_table *t, const char *key, uint32_t **pos, uint32_t total)
{
	struct snap_pending *p = ctx->pending;

	p->t = *t;
	memset(t, 0, sizeof(*t));
	if (pos && *pos) {
		snprintf(p->key, sizeof(p->key), "%s", key);
		p->pos = *pos;
		p->total = total;
		*pos = NULL;
	}
}

/* The dump, the session's pointer to it and the view's order, in one
 * transaction (the session's next page is a cache hit).  The answer is
 * out: a failure can only be logged, and the session dumps again. */
static int store_pending(struct ctd_ctx *ctx, struct snap_pending *p)
{
	int rc = db_exec(ctx->db, "BEGIN IMMEDIATE");

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

/* The one-dump-at-a-time lock: an fd holding flock(LOCK_EX) on
 * "<database>-dumplock", or -1 when it cannot be had (then we dump
 * without it: sharing is an optimisation, never a reason to fail).  A
 * crashed or killed holder releases it with its last fd. */
static int dump_lock(const struct ctd_ctx *ctx)
{
	char path[PATH_MAX + 16];
	struct timespec pause = {0, 500 * 1000};
	double deadline = now_s() + ctx->cfg.helper_timeout + 30;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s-dumplock", ctx->cfg.database) >= sizeof(path))
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "ctd.cgi: %s: %s (dumping without the shared-dump lock)\n", path,
			strerror(errno));
		return -1;
	}
	/* polled, not blocking: a holder stuck past the helper's own timeout
	 * must not hold every view hostage */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || now_s() > deadline) {
			fprintf(stderr, "ctd.cgi: %s: %s (dumping without it)\n", path,
				errno == EWOULDBLOCK ? "held too long" : strerror(errno));
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

int snap_for_view(xmlrpc_env *env, struct ctd_ctx *ctx, struct snap_info *info, struct snap_table *fresh)
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
	lock = dump_lock(ctx);
	/* someone may have dumped while we waited */
	rc = lock >= 0 ? take_shared(env, ctx, sv.want_refresh, after, info) : 0;
	if (rc == 0)
		rc = do_dump(env, ctx, info, fresh);
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
