// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * snapshot.c - dumps of the conntrack table, kept in SQLite.
 *
 * A dump streams from the helper straight into one array of fixed-layout
 * records (no per-row allocation), is sorted by id, gets its rates by a
 * merge-join against the newest stored dump (global: every session gets
 * rates from whoever dumped last), and is stored as blobs of
 * CTD_CHUNK_RECS records.  A session points at the dump its views read; an
 * id is found with a binary search over the chunks, reading only a few
 * bytes of each blob, so kill/change never need the whole table.
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

#include "ctd_cgi.h"
#include "helper_client.h"
#include "radix.h"

static void hc_fault(xmlrpc_env *env, const struct hc_error *e)
{
	if (e->kind == HC_KERNEL)
		ctd_fault(env, CTD_F_KERNEL, "kernel error: %s", strerror(e->err));
	else
		ctd_fault(env, CTD_F_HELPER, "helper unavailable: %s", e->msg[0] ? e->msg : "no answer");
}

void snap_free(struct snap_table *t)
{
	free(t->recs);
	t->recs = NULL;
	t->n = t->cap = 0;
}

static int grow(struct snap_table *t, uint32_t want)
{
	struct ctd_record *p;
	uint64_t cap;

	if (want <= t->cap)
		return 0;
	if (want > CTD_TABLE_MAX)
		return -1;
	cap = (uint64_t)t->cap + t->cap / 2 + 4096;
	if (cap < want)
		cap = want;
	if (cap > CTD_TABLE_MAX)
		cap = CTD_TABLE_MAX;
	/* large blocks are mmap'd by glibc, so realloc moves pages, not bytes */
	p = realloc(t->recs, (size_t)cap * sizeof(*p));
	if (!p)
		return -1;
	t->recs = p;
	t->cap = (uint32_t)cap;
	return 0;
}

static int on_record(const struct ctd_record *rec, void *arg)
{
	struct snap_table *t = arg;

	/* the helper is trusted less than the kernel: keep only sane rows */
	if (rec->l3proto != AF_INET && rec->l3proto != AF_INET6)
		return 0;
	if (t->n == t->cap && grow(t, t->n + 1) < 0)
		return 1;
	t->recs[t->n++] = *rec;
	return 0;
}

static int cmp_rec_id(const void *a, const void *b)
{
	uint32_t x = ((const struct ctd_record *)a)->id, y = ((const struct ctd_record *)b)->id;

	return x < y ? -1 : x > y;
}

void snap_sort_by_id(struct snap_table *t)
{
	struct radix_u32 *ix;
	struct ctd_record tmp;
	uint32_t i, j, k;
	bool sorted = true;

	for (i = 1; i < t->n && sorted; i++)
		sorted = t->recs[i - 1].id <= t->recs[i].id;
	if (sorted)
		return;
	/* sort 8-byte keys, then permute in place along cycles: no second
	 * copy of the table (peak memory is what limits a 1M-entry dump) */
	ix = malloc((size_t)t->n * sizeof(*ix));
	if (!ix)
		goto slow;
	for (i = 0; i < t->n; i++)
		ix[i] = (struct radix_u32){t->recs[i].id, i};
	if (radix_sort_u32(ix, t->n) < 0) {
		free(ix);
		goto slow;
	}
	/* slot i must receive the record now at ix[i].pos */
	for (i = 0; i < t->n; i++) {
		if (ix[i].pos == i)
			continue;
		tmp = t->recs[i];
		j = i;
		for (;;) {
			k = ix[j].pos;
			ix[j].pos = j; /* done */
			if (k == i) {
				t->recs[j] = tmp;
				break;
			}
			t->recs[j] = t->recs[k];
			j = k;
		}
	}
	free(ix);
	return;
slow:
	/* out of memory for the index: sort the rows themselves (id first) */
	qsort(t->recs, t->n, sizeof(*t->recs), cmp_rec_id);
}

static void rates_init(struct snap_table *cur, double now, bool timestamps)
{
	uint32_t i;

	for (i = 0; i < cur->n; i++) {
		struct ctd_record *r = &cur->recs[i];
		float o = 0, p = 0;

		/* first seen: its average since start, when the kernel says when */
		if (timestamps && (r->flags & CTD_REC_HAS_TIMESTAMP) && r->start_ns) {
			double age = now - (double)r->start_ns / 1e9;
			if (age > 0.5) {
				o = (float)((double)r->orig_bytes / age);
				p = (float)((double)r->repl_bytes / age);
			}
		}
		snap_rates(r)[0] = o;
		snap_rates(r)[1] = p;
	}
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

/* Merge one id-sorted run of previous records into cur (id-sorted). */
static void rates_merge(struct snap_table *cur, uint32_t *cursor, const struct ctd_record *prev, size_t nprev,
			double dt)
{
	uint32_t i = *cursor;
	size_t j = 0;

	while (i < cur->n && j < nprev) {
		struct ctd_record *r = &cur->recs[i];
		if (r->id < prev[j].id) {
			i++;
		} else if (r->id > prev[j].id) {
			j++;
		} else {
			/* two entries can share an id: look through the run */
			size_t k;

			for (k = j; k < nprev && prev[k].id == r->id; k++)
				if (same_conn(r, &prev[k])) {
					snap_rates(r)[0] = (float)delta_rate(r->orig_bytes, prev[k].orig_bytes, dt);
					snap_rates(r)[1] = (float)delta_rate(r->repl_bytes, prev[k].repl_bytes, dt);
					break;
				}
			i++;
		}
	}
	/* every cur[0..i) has an id below the rest of the previous dump, except
	 * a run of the last id here, which may go on in the next part */
	while (nprev && i > *cursor && cur->recs[i - 1].id == prev[nprev - 1].id)
		i--;
	*cursor = i;
}

void snap_rates_compute(struct snap_table *cur, const struct ctd_record *prev, size_t nprev, double dt,
			double now, bool timestamps)
{
	uint32_t cursor = 0;

	rates_init(cur, now, timestamps);
	if (prev && dt > 0)
		rates_merge(cur, &cursor, prev, nprev, dt);
}

/* Rates against the newest stored dump, read chunk by chunk. */
static void rates_from_db(struct ctd_ctx *ctx, struct snap_table *cur, double now, double *interval)
{
	sqlite3_stmt *st;
	int64_t prev_id = 0;
	double prev_time = 0, dt;
	uint32_t cursor = 0;

	*interval = 0;
	if (sqlite3_prepare_v2(ctx->db, "SELECT id, time FROM dumps ORDER BY id DESC LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW) {
		prev_id = sqlite3_column_int64(st, 0);
		prev_time = sqlite3_column_double(st, 1);
	}
	sqlite3_finalize(st);
	dt = now - prev_time;
	if (!prev_id || dt <= 0)
		return;
	if (sqlite3_prepare_v2(ctx->db, "SELECT n, data FROM dump_chunks WHERE dump_id=?1 ORDER BY seq", -1,
			       &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, prev_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int n = sqlite3_column_int(st, 0);
		const void *data = sqlite3_column_blob(st, 1);
		int bytes = sqlite3_column_bytes(st, 1);

		if (n <= 0 || (size_t)bytes != (size_t)n * sizeof(struct ctd_record))
			continue;
		{
			/* blob memory is not aligned for the struct: copy out */
			struct ctd_record *buf = malloc((size_t)bytes);
			if (!buf)
				break;
			memcpy(buf, data, (size_t)bytes);
			rates_merge(cur, &cursor, buf, (size_t)n, dt);
			free(buf);
		}
	}
	sqlite3_finalize(st);
	*interval = dt;
}

/* Point the session at a dump: its views read that one from now on, and
 * the order cached for the previous dump is dropped.  SQLite result code. */
static int session_use_dump(struct ctd_ctx *ctx, int64_t dump_id)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(ctx->db,
				    "UPDATE sessions SET dump_id=?1, want_refresh=0, sort_key=NULL, "
				    "sort_idx=NULL, sort_total=NULL WHERE id=?2",
				    -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, dump_id);
	sqlite3_bind_int64(st, 2, ctx->sid);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int store_dump(xmlrpc_env *env, struct ctd_ctx *ctx, const struct snap_table *t,
		      struct snap_info *info)
{
	sqlite3_stmt *st = NULL;
	uint32_t i;
	int rc;

	if (db_begin(env, ctx->db) < 0)
		return -1;
	rc = sqlite3_prepare_v2(
	    ctx->db, "INSERT INTO dumps(time, interval, accounting, count, started) VALUES (?1,?2,?3,?4,?5)",
	    -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_bind_double(st, 1, info->time);
	sqlite3_bind_double(st, 2, info->interval);
	sqlite3_bind_int(st, 3, info->accounting);
	sqlite3_bind_int64(st, 4, t->n);
	sqlite3_bind_double(st, 5, info->started);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	info->dump_id = sqlite3_last_insert_rowid(ctx->db);
	rc = sqlite3_prepare_v2(
	    ctx->db, "INSERT INTO dump_chunks(dump_id, seq, first_id, n, data) VALUES (?1,?2,?3,?4,?5)", -1,
	    &st, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	for (i = 0; i < t->n; i += CTD_CHUNK_RECS) {
		uint32_t k = t->n - i < CTD_CHUNK_RECS ? t->n - i : CTD_CHUNK_RECS;
		sqlite3_bind_int64(st, 1, info->dump_id);
		sqlite3_bind_int64(st, 2, i / CTD_CHUNK_RECS);
		sqlite3_bind_int64(st, 3, t->recs[i].id);
		sqlite3_bind_int64(st, 4, k);
		sqlite3_bind_blob(st, 5, &t->recs[i], (int)(k * sizeof(struct ctd_record)), SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = session_use_dump(ctx, info->dump_id)) != SQLITE_OK)
		goto fail;
	/* no purge here: freeing the previous dump's pages is the next dump's
	 * background work (housekeeping below), off the response path */
	return db_commit(env, ctx->db);
fail:
	sqlite3_finalize(st);
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

static int do_dump(xmlrpc_env *env, struct ctd_ctx *ctx, struct snap_info *info, struct snap_table *t)
{
	struct hc_target ht = {ctx->cfg.helper, ctx->cfg.helper_timeout};
	struct ctd_dump_req req;
	struct ctd_count cnt;
	struct hc_error e;
	struct housekeeping hk = {0};
	double now;
	int rc;

	memset(&e, 0, sizeof(e));
	memset(&cnt, 0, sizeof(cnt));
	info->started = now_s();
	if (hc_count(&ht, &cnt, &e) < 0) {
		hc_fault(env, &e);
		return -1;
	}
	memset(t, 0, sizeof(*t));
	/* room for the table plus growth during the dump; grow() does the rest */
	if (grow(t, cnt.count < CTD_TABLE_MAX - cnt.count / 8 - 1024 ? cnt.count + cnt.count / 8 + 1024
								     : CTD_TABLE_MAX) < 0) {
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
			hc_fault(env, &e);
		snap_free(t);
		return -1;
	}
	now = now_s();
	snap_sort_by_id(t);
	rates_init(t, now, cnt.timestamp != 0);
	rates_from_db(ctx, t, now, &info->interval);
	info->time = now;
	info->accounting = cnt.accounting != 0;
	info->count = t->n;
	if (store_dump(env, ctx, t, info) < 0) {
		snap_free(t);
		return -1;
	}
	return 0;
}

/* A dumps row (d.) as the columns below, into a snap_info. */
#define DUMP_COLUMNS "d.id, d.time, d.interval, d.accounting, d.count, d.started"
static void info_from_row(sqlite3_stmt *st, struct snap_info *info)
{
	info->dump_id = sqlite3_column_int64(st, 0);
	info->time = sqlite3_column_double(st, 1);
	info->interval = sqlite3_column_double(st, 2);
	info->accounting = sqlite3_column_int(st, 3) != 0;
	info->count = (uint32_t)sqlite3_column_int64(st, 4);
	info->started = sqlite3_column_double(st, 5);
}

int snap_info_of_session(xmlrpc_env *env, struct ctd_ctx *ctx, struct snap_info *info)
{
	sqlite3_stmt *st;
	int rc;

	memset(info, 0, sizeof(*info));
	rc = sqlite3_prepare_v2(ctx->db,
				"SELECT " DUMP_COLUMNS " FROM sessions s JOIN dumps d ON d.id = s.dump_id "
				"WHERE s.id=?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "reading a snapshot");
		return -1;
	}
	sqlite3_bind_int64(st, 1, ctx->sid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		info_from_row(st, info);
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_fault(env, ctx->db, rc, "reading a snapshot");
		return -1;
	}
	return 1;
}

/*
 * Point the session at the newest dump that is fresh enough for it: begun
 * after `after` (want) or complete after `after` (autorefresh).  Chosen and
 * taken in one transaction, so a purge cannot free it in between.
 * 1 taken, 0 none, -1 fault.
 */
static int take_shared(xmlrpc_env *env, struct ctd_ctx *ctx, bool by_start, double after,
		       struct snap_info *info)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_begin(env, ctx->db) < 0)
		return -1;
	rc = sqlite3_prepare_v2(ctx->db,
				by_start ? "SELECT " DUMP_COLUMNS " FROM dumps d WHERE started > ?1 "
					   "ORDER BY id DESC LIMIT 1"
					 : "SELECT " DUMP_COLUMNS " FROM dumps d WHERE time > ?1 "
					   "ORDER BY id DESC LIMIT 1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_bind_double(st, 1, after);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		db_rollback(ctx->db);
		return 0;
	}
	if (rc != SQLITE_ROW)
		goto fail;
	info_from_row(st, info);
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = session_use_dump(ctx, info->dump_id)) != SQLITE_OK)
		goto fail;
	return db_commit(env, ctx->db) < 0 ? -1 : 1;
fail:
	sqlite3_finalize(st);
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
	struct timespec pause = {0, 10 * 1000 * 1000};
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
	}
	return fd;
}

int snap_for_view(xmlrpc_env *env, struct ctd_ctx *ctx, struct snap_info *info, struct snap_table *fresh)
{
	sqlite3_stmt *st;
	int want = 1, autorefresh = 0, rc, lock;
	double refresh_after = 0, after;

	memset(fresh, 0, sizeof(*fresh));
	rc = sqlite3_prepare_v2(ctx->db,
				"SELECT want_refresh, autorefresh, refresh_after FROM sessions WHERE id=?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "reading a session");
		return -1;
	}
	sqlite3_bind_int64(st, 1, ctx->sid);
	if (sqlite3_step(st) == SQLITE_ROW) {
		want = sqlite3_column_int(st, 0);
		autorefresh = sqlite3_column_int(st, 1);
		refresh_after = sqlite3_column_double(st, 2);
	}
	sqlite3_finalize(st);
	rc = snap_info_of_session(env, ctx, info);
	if (rc < 0)
		return -1;
	if (rc == 0 && !want && !(autorefresh > 0 && now_s() - info->time >= autorefresh))
		return 0;
	/* what "fresh" means for this session: begun after its last login or
	 * refresh, or else complete within the last autorefresh seconds */
	after = want ? refresh_after : now_s() - autorefresh;
	if ((rc = take_shared(env, ctx, want, after, info)) != 0)
		return rc < 0 ? -1 : 0;
	lock = dump_lock(ctx);
	/* someone may have dumped while we waited */
	rc = lock >= 0 ? take_shared(env, ctx, want, after, info) : 0;
	if (rc == 0)
		rc = do_dump(env, ctx, info, fresh);
	if (lock >= 0)
		close(lock);
	return rc < 0 ? -1 : 0;
}

int snap_load(xmlrpc_env *env, struct ctd_ctx *ctx, int64_t dump_id, struct snap_table *t)
{
	sqlite3_stmt *st;
	int rc;

	memset(t, 0, sizeof(*t));
	rc = sqlite3_prepare_v2(ctx->db, "SELECT n, data FROM dump_chunks WHERE dump_id=?1 ORDER BY seq", -1,
				&st, NULL);
	if (rc != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "reading a snapshot");
		return -1;
	}
	sqlite3_bind_int64(st, 1, dump_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int n = sqlite3_column_int(st, 0);
		const void *data = sqlite3_column_blob(st, 1);
		int bytes = sqlite3_column_bytes(st, 1);

		if (n <= 0 || (size_t)bytes != (size_t)n * sizeof(struct ctd_record) ||
		    grow(t, t->n + (uint32_t)n) < 0) {
			rc = SQLITE_CORRUPT;
			break;
		}
		memcpy(&t->recs[t->n], data, (size_t)bytes);
		t->n += (uint32_t)n;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snap_free(t);
		db_fault(env, ctx->db, rc, "reading a snapshot");
		return -1;
	}
	return 0;
}

/* Random access to a stored dump: its chunk directory in memory, one
 * blob handle moved from chunk to chunk. */
struct chunk_dir {
	int64_t rowid;
	uint32_t first_id;
	uint32_t n;
};

struct chunk_reader {
	struct chunk_dir *dir;
	size_t ndir;
	sqlite3_blob *blob;
	int64_t open_row;
};

/* SQLite result code */
static int chunks_open(struct ctd_ctx *ctx, int64_t dump_id, struct chunk_reader *cr)
{
	size_t cap = 0;
	sqlite3_stmt *st;
	int rc;

	memset(cr, 0, sizeof(*cr));
	cr->open_row = -1;
	rc = sqlite3_prepare_v2(ctx->db,
				"SELECT rowid, first_id, n FROM dump_chunks WHERE dump_id=?1 ORDER BY seq",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, dump_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cr->ndir == cap) {
			struct chunk_dir *p = realloc(cr->dir, (cap = cap * 2 + 64) * sizeof(*cr->dir));
			if (!p) {
				rc = SQLITE_NOMEM;
				break;
			}
			cr->dir = p;
		}
		cr->dir[cr->ndir].rowid = sqlite3_column_int64(st, 0);
		cr->dir[cr->ndir].first_id = (uint32_t)sqlite3_column_int64(st, 1);
		cr->dir[cr->ndir].n = (uint32_t)sqlite3_column_int(st, 2);
		cr->ndir++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* len bytes of record k of chunk c (both in range); SQLite result code */
static int chunks_read(struct ctd_ctx *ctx, struct chunk_reader *cr, size_t c, uint32_t k, void *out, int len)
{
	int rc;

	if (cr->open_row != cr->dir[c].rowid) {
		rc = cr->blob ? sqlite3_blob_reopen(cr->blob, cr->dir[c].rowid)
			      : sqlite3_blob_open(ctx->db, "main", "dump_chunks", "data", cr->dir[c].rowid, 0,
						  &cr->blob);
		if (rc != SQLITE_OK)
			return rc;
		cr->open_row = cr->dir[c].rowid;
	}
	return sqlite3_blob_read(cr->blob, out, len, (int)(k * sizeof(struct ctd_record)));
}

/* Closes the reader; with rc != SQLITE_OK, the fault for it.  0 or -1. */
static int chunks_close(xmlrpc_env *env, struct ctd_ctx *ctx, struct chunk_reader *cr, int rc)
{
	if (rc != SQLITE_OK)
		db_fault(env, ctx->db, rc, "reading a snapshot");
	if (cr->blob)
		sqlite3_blob_close(cr->blob);
	free(cr->dir);
	return rc == SQLITE_OK ? 0 : -1;
}

int snap_lookup(xmlrpc_env *env, struct ctd_ctx *ctx, int64_t dump_id, const uint32_t *ids, size_t n,
		struct ctd_record **out, size_t *nout, uint32_t *counts)
{
	struct chunk_reader cr;
	size_t i, cap = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	memset(counts, 0, n * sizeof(*counts));
	rc = chunks_open(ctx, dump_id, &cr);
	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		size_t lo = 0, hi = cr.ndir, c;
		uint32_t rlo, rhi, id;

		/* the run of ids[i] starts in the last chunk whose first id is
		 * below it (a run may cross into the next chunk), or in chunk 0 */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (cr.dir[mid].first_id < ids[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		c = lo ? lo - 1 : 0;
		if (c >= cr.ndir)
			continue;
		/* first record of chunk c whose id is >= ids[i] */
		rlo = 0;
		rhi = cr.dir[c].n;
		while (rlo < rhi && rc == SQLITE_OK) {
			uint32_t mid = rlo + (rhi - rlo) / 2;
			if ((rc = chunks_read(ctx, &cr, c, mid, &id, sizeof(id))) != SQLITE_OK)
				break;
			if (id < ids[i])
				rlo = mid + 1;
			else
				rhi = mid;
		}
		/* the whole run, across chunk ends */
		while (rc == SQLITE_OK) {
			if (rlo == cr.dir[c].n) {
				if (++c == cr.ndir)
					break;
				rlo = 0;
			}
			if ((rc = chunks_read(ctx, &cr, c, rlo, &id, sizeof(id))) != SQLITE_OK || id != ids[i])
				break;
			if (*nout == cap) {
				struct ctd_record *p = realloc(*out, (cap = cap * 2 + n) * sizeof(**out));
				if (!p) {
					rc = SQLITE_NOMEM;
					break;
				}
				*out = p;
			}
			rc = chunks_read(ctx, &cr, c, rlo, &(*out)[*nout], sizeof(**out));
			(*nout)++;
			counts[i]++;
			rlo++;
		}
	}
	if (chunks_close(env, ctx, &cr, rc) < 0) {
		free(*out);
		*out = NULL;
		*nout = 0;
		return -1;
	}
	return 0;
}

int snap_read_at(xmlrpc_env *env, struct ctd_ctx *ctx, int64_t dump_id, const uint32_t *pos, size_t n,
		 struct ctd_record *out, bool *found)
{
	struct chunk_reader cr;
	size_t i;
	int rc;

	memset(found, 0, n * sizeof(*found));
	rc = chunks_open(ctx, dump_id, &cr);
	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		size_t c = pos[i] / CTD_CHUNK_RECS;
		uint32_t k = pos[i] % CTD_CHUNK_RECS;

		/* every chunk but the last is full; anything else is stale */
		if (c >= cr.ndir || k >= cr.dir[c].n)
			continue;
		rc = chunks_read(ctx, &cr, c, k, &out[i], sizeof(out[i]));
		found[i] = rc == SQLITE_OK;
	}
	return chunks_close(env, ctx, &cr, rc);
}
