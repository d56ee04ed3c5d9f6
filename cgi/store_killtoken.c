// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store_killtoken.c - all SQL of the kill_tokens table (store.h;
 * sql/006-kill-tokens.sql): what a kill_preview promised, taken once by
 * kill_matching.  Transactions are the caller's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "store.h"

int store_killtoken_put(sqlite3 *db, const struct killtoken *k, unsigned keep_per_session)
{
	sqlite3_stmt *st;
	int rc;

	/* expired tokens go at every preview, and a session keeps only its
	 * newest few: a preview loop cannot fill the disk */
	if ((rc = sqlite3_prepare_v2(
		 db,
		 "DELETE FROM kill_tokens WHERE expires < ?1 OR (session_id = ?2 AND id NOT IN "
		 "(SELECT id FROM kill_tokens WHERE session_id = ?2 ORDER BY id DESC LIMIT ?3))",
		 -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_double(st, 1, k->created);
	sqlite3_bind_int64(st, 2, k->session_id);
	sqlite3_bind_int64(st, 3, keep_per_session ? keep_per_session - 1 : 0);
	rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_prepare_v2(
		 db,
		 "INSERT INTO kill_tokens(token_hash, session_id, created, expires, filter, "
		 "matched, ambiguous, n, records) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
		 -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_blob(st, 1, k->hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, k->session_id);
	sqlite3_bind_double(st, 3, k->created);
	sqlite3_bind_double(st, 4, k->expires);
	sqlite3_bind_text(st, 5, k->filter, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, k->matched);
	sqlite3_bind_int64(st, 7, k->ambiguous);
	sqlite3_bind_int64(st, 8, k->n);
	sqlite3_bind_blob64(st, 9, k->records ? (const void *)k->records : "", k->len, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
	sqlite3_finalize(st);
	return rc;
}

int store_killtoken_purge(sqlite3 *db, double now)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db,
				    "DELETE FROM kill_tokens WHERE expires < ?1 OR session_id NOT IN "
				    "(SELECT id FROM sessions)",
				    -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_double(st, 1, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
	sqlite3_finalize(st);
	return rc;
}

static int delete_token(sqlite3 *db, int64_t id)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "DELETE FROM kill_tokens WHERE id = ?1", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
	sqlite3_finalize(st);
	return rc;
}

int store_killtoken_take(sqlite3 *db, const uint8_t hash[32], int64_t session_id, double now,
			 struct killtoken *out, enum killtoken_state *state)
{
	sqlite3_stmt *st;
	const void *blob;
	int64_t id;
	int rc;

	memset(out, 0, sizeof(*out));
	*state = KT_UNKNOWN;
	if ((rc =
		 sqlite3_prepare_v2(db,
				    "SELECT id, session_id, created, expires, filter, matched, ambiguous, n, "
				    "records FROM kill_tokens WHERE token_hash = ?1",
				    -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	id = sqlite3_column_int64(st, 0);
	out->session_id = sqlite3_column_int64(st, 1);
	out->created = sqlite3_column_double(st, 2);
	out->expires = sqlite3_column_double(st, 3);
	if (out->session_id != session_id) {
		/* another session's token is refused and left alone: whoever
		 * presents it does not get to spend it either */
		*state = KT_FOREIGN;
		sqlite3_finalize(st);
		return SQLITE_OK;
	}
	if (out->expires < now) {
		*state = KT_EXPIRED;
		sqlite3_finalize(st);
		return delete_token(db, id);
	}
	snprintf(out->filter, sizeof(out->filter), "%s", (const char *)sqlite3_column_text(st, 4));
	out->matched = (uint32_t)sqlite3_column_int64(st, 5);
	out->ambiguous = (uint32_t)sqlite3_column_int64(st, 6);
	out->n = (uint32_t)sqlite3_column_int64(st, 7);
	out->len = (size_t)sqlite3_column_bytes(st, 8);
	blob = sqlite3_column_blob(st, 8);
	if (!(out->records = malloc(out->len ? out->len : 1))) {
		sqlite3_finalize(st);
		return SQLITE_NOMEM;
	}
	if (out->len)
		memcpy(out->records, blob, out->len);
	sqlite3_finalize(st);
	/* single use: taken is spent, whatever happens next */
	if ((rc = delete_token(db, id)) != SQLITE_OK) {
		free(out->records);
		out->records = NULL;
		return rc;
	}
	*state = KT_TAKEN;
	return SQLITE_OK;
}
