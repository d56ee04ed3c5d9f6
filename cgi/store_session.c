// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store_session.c - all SQL of the sessions table (store.h).  A row holds
 * the hash of the token (never the token), who it belongs to, its times,
 * which dump its views read and the order its last view computed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* Run a statement taking (?1 double or int64 value, ?2 session id). */
static int exec_sid(sqlite3 *db, const char *sql, int64_t sid, double value)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_double(st, 1, value); /* an INTEGER column keeps an integral value as one */
	sqlite3_bind_int64(st, 2, sid);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_session_insert(sqlite3 *db, const uint8_t hash[32], const char *user, bool bound, double now)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(
	    db,
	    "INSERT INTO sessions(token_hash, user, bound, created, last_used, refresh_after) "
	    "VALUES (?1,?2,?3,?4,?4,?4)",
	    -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, user, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, bound);
	sqlite3_bind_double(st, 4, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_session_find(sqlite3 *db, const uint8_t hash[32], struct session_row *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(
	    db, "SELECT id, user, bound, created, last_used FROM sessions WHERE token_hash=?1", -1, &st,
	    NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		snprintf(out->user, sizeof(out->user), "%s", (const char *)sqlite3_column_text(st, 1));
		out->bound = sqlite3_column_int(st, 2) != 0;
		out->created = sqlite3_column_double(st, 3);
		out->last_used = sqlite3_column_double(st, 4);
	}
	sqlite3_finalize(st);
	return rc;
}

int store_session_touch(sqlite3 *db, int64_t sid, double now)
{
	return exec_sid(db, "UPDATE sessions SET last_used=?1 WHERE id=?2", sid, now);
}

int store_session_delete(sqlite3 *db, int64_t sid)
{
	return exec_sid(db, "DELETE FROM sessions WHERE id=?2", sid, 0);
}

int store_session_evict(sqlite3 *db, const char *user, unsigned keep)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db,
				    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE user=?1 "
				    "ORDER BY created DESC, id DESC LIMIT -1 OFFSET ?2)",
				    -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, keep);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_session_purge(sqlite3 *db, double idle_before, double created_before)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "DELETE FROM sessions WHERE last_used < ?1 OR created < ?2", -1, &st,
				    NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_double(st, 1, idle_before);
	sqlite3_bind_double(st, 2, created_before);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_session_want_refresh(sqlite3 *db, int64_t sid, double after)
{
	return exec_sid(db, "UPDATE sessions SET want_refresh=1, refresh_after=?1 WHERE id=?2", sid, after);
}

int store_session_set_autorefresh(sqlite3 *db, int64_t sid, int seconds)
{
	return exec_sid(db, "UPDATE sessions SET autorefresh=?1 WHERE id=?2", sid, seconds);
}

int store_session_view(sqlite3 *db, int64_t sid, struct session_view *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(
	    db, "SELECT want_refresh, autorefresh, refresh_after FROM sessions WHERE id=?1", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, sid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->want_refresh = sqlite3_column_int(st, 0) != 0;
		out->autorefresh = sqlite3_column_int(st, 1);
		out->refresh_after = sqlite3_column_double(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_session_dump(sqlite3 *db, int64_t sid, int64_t *dump_id)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "SELECT dump_id FROM sessions WHERE id=?1 AND dump_id IS NOT NULL",
				    -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, sid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*dump_id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

int store_session_use_dump(sqlite3 *db, int64_t sid, int64_t dump_id)
{
	return exec_sid(db,
			"UPDATE sessions SET dump_id=?1, want_refresh=0, sort_key=NULL, sort_idx=NULL, "
			"sort_total=NULL WHERE id=?2",
			sid, (double)dump_id);
}

/* The positions [start, start+n) of the cached order (blob of u32). */
static int order_read(sqlite3 *db, int64_t sid, uint32_t start, uint32_t n, uint32_t *out)
{
	sqlite3_blob *blob = NULL;
	int rc = sqlite3_blob_open(db, "main", "sessions", "sort_idx", sid, 0, &blob);

	if (rc == SQLITE_OK)
		rc = sqlite3_blob_read(blob, out, (int)(n * sizeof(uint32_t)),
				       (int)(start * sizeof(uint32_t)));
	if (blob)
		sqlite3_blob_close(blob);
	return rc;
}

int store_session_order_get(sqlite3 *db, int64_t sid, const char *key, uint32_t start, uint32_t len,
			    uint32_t *total, uint32_t **pos, uint32_t *npos)
{
	sqlite3_stmt *st;
	uint32_t n;
	int rc = sqlite3_prepare_v2(db, "SELECT sort_total FROM sessions WHERE id=?1 AND sort_key=?2", -1,
				    &st, NULL);

	*pos = NULL;
	*npos = 0;
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, sid);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*total = (uint32_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW || start >= *total)
		return rc;
	n = *total - start < len ? *total - start : len;
	if (!(*pos = malloc((size_t)n * sizeof(uint32_t))))
		return SQLITE_NOMEM;
	if ((rc = order_read(db, sid, start, n, *pos)) != SQLITE_OK) {
		free(*pos);
		*pos = NULL;
		return rc;
	}
	*npos = n;
	return SQLITE_ROW;
}

int store_session_order_put(sqlite3 *db, int64_t sid, const char *key, const uint32_t *pos, uint32_t n)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(
	    db, "UPDATE sessions SET sort_key=?1, sort_total=?2, sort_idx=?3 WHERE id=?4", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, n);
	sqlite3_bind_blob(st, 3, n ? (const void *)pos : "", (int)(n * sizeof(uint32_t)), SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, sid);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}
