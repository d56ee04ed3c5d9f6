// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store_dump.c - all SQL of the dumps and dump_chunks tables (store.h).
 * A dump's records are stored sorted by id, CTD_CHUNK_RECS to a blob in
 * the compact form of reccodec.h (an offset table, then variable-length
 * records); an id is found by a binary search over the chunks that reads
 * only a few bytes of each blob, and a page by reading just its records,
 * so paging, kill and change never read the whole table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "db.h"
#include "reccodec.h"
#include "snapshot.h"
#include "store.h"

_Static_assert(CTD_CHUNK_RECS <= RECCODEC_MAX_RECS, "a chunk fits the codec");

/* A codec error on stored data is a damaged database. */
static int codec_rc(int r)
{
	return r == 0 ? SQLITE_OK : r == -ENOSPC || r == -ENOMEM ? SQLITE_NOMEM : SQLITE_CORRUPT;
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

/* One dumps row chosen by sql (?1 bound to x), into info: ROW / DONE. */
static int info_query(sqlite3 *db, const char *sql, double x, struct snap_info *info)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_double(st, 1, x);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		info_from_row(st, info);
	sqlite3_finalize(st);
	return rc;
}

int store_dump_info(sqlite3 *db, int64_t dump_id, struct snap_info *info)
{
	return info_query(db, "SELECT " DUMP_COLUMNS " FROM dumps d WHERE id=?1", (double)dump_id, info);
}

int store_dump_newest_after(sqlite3 *db, bool by_start, double after, struct snap_info *info)
{
	return info_query(
	    db,
	    by_start ? "SELECT " DUMP_COLUMNS " FROM dumps d WHERE started > ?1 ORDER BY id DESC LIMIT 1"
		     : "SELECT " DUMP_COLUMNS " FROM dumps d WHERE time > ?1 ORDER BY id DESC LIMIT 1",
	    after, info);
}

int store_dump_newest(sqlite3 *db, struct snap_info *info)
{
	return info_query(db, "SELECT " DUMP_COLUMNS " FROM dumps d WHERE ?1 = 0 ORDER BY id DESC LIMIT 1", 0,
			  info);
}

static int insert_row(sqlite3 *db, struct snap_info *info, uint32_t n)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(
	    db, "INSERT INTO dumps(time, interval, accounting, count, started) VALUES (?1,?2,?3,?4,?5)", -1,
	    &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_double(st, 1, info->time);
	sqlite3_bind_double(st, 2, info->interval);
	sqlite3_bind_int(st, 3, info->accounting);
	sqlite3_bind_int64(st, 4, n);
	sqlite3_bind_double(st, 5, info->started);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	info->dump_id = sqlite3_last_insert_rowid(db);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Chunk of records [i, i + k) of t, encoded into buf (cap bytes). */
static int encode_chunk(const struct snap_table *t, uint32_t i, uint32_t k, struct ctd_record *recs,
			void *buf, size_t cap, size_t *len)
{
	uint32_t j;

	for (j = 0; j < k; j++)
		snap_get(t, i + j, &recs[j]);
	return codec_rc(reccodec_encode(recs, k, buf, cap, len));
}

int store_dump_insert(sqlite3 *db, struct snap_info *info, const struct snap_table *t)
{
	size_t cap = reccodec_bound(CTD_CHUNK_RECS), len = 0;
	struct ctd_record *recs = malloc(CTD_CHUNK_RECS * sizeof(*recs));
	sqlite3_stmt *st = NULL;
	void *buf = malloc(cap);
	uint32_t i;
	int rc = insert_row(db, info, t->n);

	if (rc == SQLITE_OK && (!recs || !buf))
		rc = SQLITE_NOMEM;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(
		    db, "INSERT INTO dump_chunks(dump_id, seq, first_id, n, data) VALUES (?1,?2,?3,?4,?5)",
		    -1, &st, NULL);
	for (i = 0; i < t->n && rc == SQLITE_OK; i += CTD_CHUNK_RECS) {
		uint32_t k = t->n - i < CTD_CHUNK_RECS ? t->n - i : CTD_CHUNK_RECS;
		if ((rc = encode_chunk(t, i, k, recs, buf, cap, &len)) != SQLITE_OK)
			break;
		sqlite3_bind_int64(st, 1, info->dump_id);
		sqlite3_bind_int64(st, 2, i / CTD_CHUNK_RECS);
		sqlite3_bind_int64(st, 3, recs[0].id);
		sqlite3_bind_int64(st, 4, k);
		sqlite3_bind_blob(st, 5, buf, (int)len, SQLITE_STATIC);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	free(recs);
	free(buf);
	return rc;
}

int store_dump_each_chunk(sqlite3 *db, int64_t dump_id,
			  void (*fn)(const struct ctd_record *recs, size_t n, void *arg), void *arg)
{
	struct ctd_record *buf = malloc(CTD_CHUNK_RECS * sizeof(*buf));
	sqlite3_stmt *st = NULL;
	uint32_t got;
	int rc = buf ? sqlite3_prepare_v2(db, "SELECT n, data FROM dump_chunks WHERE dump_id=?1 ORDER BY seq",
					  -1, &st, NULL)
		     : SQLITE_NOMEM;

	sqlite3_bind_int64(st, 1, dump_id);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int n = sqlite3_column_int(st, 0);
		const void *data = sqlite3_column_blob(st, 1);
		int bytes = sqlite3_column_bytes(st, 1);

		rc = codec_rc(reccodec_decode_all(data, (size_t)bytes, buf, CTD_CHUNK_RECS, &got));
		if (rc == SQLITE_OK && got != (uint32_t)n)
			rc = SQLITE_CORRUPT;
		if (rc == SQLITE_OK)
			fn(buf, got, arg);
	}
	free(buf);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

struct load {
	struct snap_table *t;
	int rc;
};

static void load_chunk(const struct ctd_record *recs, size_t n, void *arg)
{
	struct load *l = arg;

	size_t i;

	if (l->rc != SQLITE_OK || snap_grow(l->t, l->t->n + (uint32_t)n) < 0) {
		l->rc = SQLITE_NOMEM;
		return;
	}
	/* checked whole by the chunk's decode; kept compact, in id order */
	for (i = 0; i < n && l->rc == SQLITE_OK; i++)
		if (snap_append(l->t, &recs[i]) < 0)
			l->rc = SQLITE_NOMEM;
}

int store_dump_load(sqlite3 *db, int64_t dump_id, struct snap_table *t)
{
	struct load l = {t, SQLITE_OK};
	int rc = store_dump_each_chunk(db, dump_id, load_chunk, &l);

	return rc != SQLITE_OK ? rc : l.rc;
}

int store_dump_purge(sqlite3 *db)
{
	int rc =
	    db_exec(db, "DELETE FROM dump_chunks WHERE dump_id NOT IN (SELECT dump_id FROM sessions WHERE "
			"dump_id IS NOT NULL) AND dump_id <> (SELECT max(id) FROM dumps)");

	if (rc == SQLITE_OK)
		rc = db_exec(
		    db, "DELETE FROM dumps WHERE id NOT IN (SELECT dump_id FROM sessions WHERE dump_id IS "
			"NOT NULL) AND id <> (SELECT max(id) FROM dumps)");
	return rc;
}

int store_dump_cap(sqlite3 *db, unsigned max)
{
	static const char *const sql[] = {
	    "CREATE TEMP TABLE IF NOT EXISTS dropped(id INTEGER PRIMARY KEY)",
	    "DELETE FROM temp.dropped",
	    "INSERT INTO temp.dropped SELECT id FROM dumps ORDER BY id DESC LIMIT -1 OFFSET ?1",
	    ("UPDATE sessions SET dump_id=(SELECT max(id) FROM dumps), sort_key=NULL, sort_idx=NULL, "
	     "sort_total=NULL WHERE dump_id IN (SELECT id FROM temp.dropped)"),
	    "DELETE FROM dump_chunks WHERE dump_id IN (SELECT id FROM temp.dropped)",
	    "DELETE FROM dumps WHERE id IN (SELECT id FROM temp.dropped)",
	};
	sqlite3_stmt *st;
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; i < sizeof(sql) / sizeof(sql[0]) && rc == SQLITE_OK; i++) {
		if ((rc = sqlite3_prepare_v2(db, sql[i], -1, &st, NULL)) != SQLITE_OK)
			break;
		if (sqlite3_bind_parameter_count(st) == 1)
			sqlite3_bind_int64(st, 1, max);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_finalize(st);
	}
	return rc;
}

/* ---- random access ------------------------------------------------------------ */
/* A dump's chunk directory in memory, one blob handle moved from chunk to
 * chunk. */
struct chunk_dir {
	int64_t rowid;
	uint32_t first_id;
	uint32_t n;
};

struct chunk_reader {
	sqlite3 *db;
	struct chunk_dir *dir;
	size_t ndir;
	sqlite3_blob *blob;
	int64_t open_row;
};

static int chunks_open(sqlite3 *db, int64_t dump_id, struct chunk_reader *cr)
{
	size_t cap = 0;
	sqlite3_stmt *st;
	int rc;

	memset(cr, 0, sizeof(*cr));
	cr->db = db;
	cr->open_row = -1;
	rc = sqlite3_prepare_v2(
	    db, "SELECT rowid, first_id, n FROM dump_chunks WHERE dump_id=?1 ORDER BY seq", -1, &st, NULL);
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

/* The bytes [start, end) of record k of chunk c (k in range). */
static int chunks_span(struct chunk_reader *cr, size_t c, uint32_t k, uint32_t *start, uint32_t *end)
{
	uint8_t two[8];
	int rc;

	if (cr->open_row != cr->dir[c].rowid) {
		rc = cr->blob ? sqlite3_blob_reopen(cr->blob, cr->dir[c].rowid)
			      : sqlite3_blob_open(cr->db, "main", "dump_chunks", "data", cr->dir[c].rowid, 0,
						  &cr->blob);
		if (rc != SQLITE_OK)
			return rc;
		cr->open_row = cr->dir[c].rowid;
	}
	if ((rc = sqlite3_blob_read(cr->blob, two, sizeof(two), (int)reccodec_span_pos(k))) != SQLITE_OK)
		return rc;
	return codec_rc(
	    reccodec_span(two, cr->dir[c].n, (size_t)sqlite3_blob_bytes(cr->blob), k, start, end));
}

/* The id of record k of chunk c: its first four bytes. */
static int chunks_id(struct chunk_reader *cr, size_t c, uint32_t k, uint32_t *id)
{
	uint32_t start, end;
	uint8_t b[4];
	int rc = chunks_span(cr, c, k, &start, &end);

	if (rc == SQLITE_OK && end - start < sizeof(b))
		rc = SQLITE_CORRUPT;
	if (rc == SQLITE_OK && (rc = sqlite3_blob_read(cr->blob, b, sizeof(b), (int)start)) == SQLITE_OK)
		*id = reccodec_rec_id(b);
	return rc;
}

/* Record k of chunk c, decoded. */
static int chunks_rec(struct chunk_reader *cr, size_t c, uint32_t k, struct ctd_record *out)
{
	uint8_t buf[RECCODEC_REC_MAX];
	uint32_t start, end;
	int rc = chunks_span(cr, c, k, &start, &end);

	if (rc == SQLITE_OK && end - start > sizeof(buf))
		rc = SQLITE_CORRUPT;
	if (rc == SQLITE_OK)
		rc = sqlite3_blob_read(cr->blob, buf, (int)(end - start), (int)start);
	return rc == SQLITE_OK ? codec_rc(reccodec_decode_one(buf, end - start, out)) : rc;
}

static int chunks_close(struct chunk_reader *cr, int rc)
{
	if (cr->blob)
		sqlite3_blob_close(cr->blob);
	free(cr->dir);
	return rc;
}

/* Where the run of `id` starts: chunk *c, record *k (*c == ndir: none). */
static int find_run(struct chunk_reader *cr, uint32_t id, size_t *c, uint32_t *k)
{
	size_t lo = 0, hi = cr->ndir;
	uint32_t rlo, rhi, x;
	int rc = SQLITE_OK;

	/* the run starts in the last chunk whose first id is below it (a run
	 * may cross into the next chunk), or in chunk 0 */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cr->dir[mid].first_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*c = lo ? lo - 1 : 0;
	rlo = 0;
	rhi = *c < cr->ndir ? cr->dir[*c].n : 0;
	while (rlo < rhi && rc == SQLITE_OK) {
		uint32_t mid = rlo + (rhi - rlo) / 2;
		if ((rc = chunks_id(cr, *c, mid, &x)) != SQLITE_OK)
			break;
		if (x < id)
			rlo = mid + 1;
		else
			rhi = mid;
	}
	if (*c >= cr->ndir)
		*c = cr->ndir;
	*k = rlo;
	return rc;
}

static int append(struct ctd_record **out, size_t *nout, size_t *cap, size_t grow)
{
	if (*nout == *cap) {
		struct ctd_record *p = realloc(*out, (*cap = *cap * 2 + grow) * sizeof(**out));
		if (!p)
			return SQLITE_NOMEM;
		*out = p;
	}
	return SQLITE_OK;
}

int store_dump_lookup(sqlite3 *db, int64_t dump_id, const uint32_t *ids, size_t n, struct ctd_record **out,
		      size_t *nout, uint32_t *counts)
{
	struct chunk_reader cr;
	size_t i, cap = 0, c;
	uint32_t k, id;
	int rc;

	*out = NULL;
	*nout = 0;
	memset(counts, 0, n * sizeof(*counts));
	rc = chunks_open(db, dump_id, &cr);
	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		if ((rc = find_run(&cr, ids[i], &c, &k)) != SQLITE_OK || c == cr.ndir)
			continue;
		/* the whole run, across chunk ends */
		while (rc == SQLITE_OK) {
			if (k == cr.dir[c].n) {
				if (++c == cr.ndir)
					break;
				k = 0;
			}
			if ((rc = chunks_id(&cr, c, k, &id)) != SQLITE_OK || id != ids[i])
				break;
			if ((rc = append(out, nout, &cap, n)) != SQLITE_OK)
				break;
			rc = chunks_rec(&cr, c, k, &(*out)[*nout]);
			(*nout)++;
			counts[i]++;
			k++;
		}
	}
	rc = chunks_close(&cr, rc);
	if (rc != SQLITE_OK) {
		free(*out);
		*out = NULL;
		*nout = 0;
	}
	return rc;
}

int store_dump_read_at(sqlite3 *db, int64_t dump_id, const uint32_t *pos, size_t n, struct ctd_record *out,
		       bool *found)
{
	struct chunk_reader cr;
	size_t i;
	int rc;

	memset(found, 0, n * sizeof(*found));
	rc = chunks_open(db, dump_id, &cr);
	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		size_t c = pos[i] / CTD_CHUNK_RECS;
		uint32_t k = pos[i] % CTD_CHUNK_RECS;

		/* every chunk but the last is full; anything else is stale */
		if (c >= cr.ndir || k >= cr.dir[c].n)
			continue;
		rc = chunks_rec(&cr, c, k, &out[i]);
		found[i] = rc == SQLITE_OK;
	}
	return chunks_close(&cr, rc);
}
