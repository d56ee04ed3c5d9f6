// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store_expect.c - all SQL of the session_expect table (store.h): the
 * expectations a session's last `expectations` call listed, each as the
 * struct ctd_expect it showed, so that kill_expectation acts on exactly
 * those (by their expected tuple, zone and id) and on nothing else.
 */
#include <string.h>

#include "db.h"
#include "store.h"

int store_expect_replace(sqlite3 *db, int64_t sid, const struct ctd_expect *x, size_t n)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, "DELETE FROM session_expect WHERE session_id=?1", -1, &st, NULL)) !=
	    SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, sid);
	rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK || n == 0)
		return rc;
	/* OR REPLACE: the kernel may list one id twice (a hash); the last wins,
	 * and kill_expectation's tuple + id check keeps it safe */
	if ((rc = sqlite3_prepare_v2(
		 db, "INSERT OR REPLACE INTO session_expect(session_id, id, rec) VALUES (?1,?2,?3)", -1, &st,
		 NULL)) != SQLITE_OK)
		return rc;
	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		sqlite3_bind_int64(st, 1, sid);
		sqlite3_bind_int64(st, 2, x[i].id);
		sqlite3_bind_blob(st, 3, &x[i], sizeof(x[i]), SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

int store_expect_lookup(sqlite3 *db, int64_t sid, const uint32_t *ids, size_t n, struct ctd_expect *out,
			bool *found)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, "SELECT rec FROM session_expect WHERE session_id=?1 AND id=?2", -1,
				     &st, NULL)) != SQLITE_OK)
		return rc;
	for (i = 0; i < n; i++) {
		found[i] = false;
		sqlite3_bind_int64(st, 1, sid);
		sqlite3_bind_int64(st, 2, ids[i]);
		rc = sqlite3_step(st);
		/* a blob of another size is not ours to read */
		if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == (int)sizeof(out[i])) {
			memcpy(&out[i], sqlite3_column_blob(st, 0), sizeof(out[i]));
			found[i] = true;
		} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			sqlite3_finalize(st);
			return sqlite3_errcode(db);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return SQLITE_OK;
}

int store_expect_purge(sqlite3 *db)
{
	return db_exec(db, "DELETE FROM session_expect WHERE session_id NOT IN (SELECT id FROM sessions)");
}
