// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store_audit.c - all SQL of the audit table (store.h).  Every kill and
 * change writes its rows 'pending' (committed) before the helper acts and
 * completes them after, so a crash mid-call still leaves a record.
 */
#include <stdio.h>

#include "actions.h"
#include "db.h"
#include "store.h"
#include "util.h"

static void bind_row(sqlite3_stmt *st, const struct audit_who *who, const char *method,
		     const struct ctd_record *r, const char *detail, double now)
{
	char tup[200], idbuf[16];

	tuple_text(r, tup, sizeof(tup));
	snprintf(idbuf, sizeof(idbuf), "%u", r->id);
	sqlite3_bind_double(st, 1, now);
	sqlite3_bind_text(st, 2, who->user, -1, SQLITE_STATIC);
	if (who->remote_addr)
		sqlite3_bind_text(st, 3, who->remote_addr, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_text(st, 4, method, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, idbuf, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, tup, -1, SQLITE_TRANSIENT);
	if (detail)
		sqlite3_bind_text(st, 7, detail, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 7);
}

int store_audit_pending(sqlite3 *db, const struct audit_who *who, const char *method,
			const struct ctd_record *recs, size_t n, const char *detail, int64_t *first)
{
	sqlite3_stmt *st;
	double now = now_s();
	size_t i;
	int rc = sqlite3_prepare_v2(
	    db,
	    "INSERT INTO audit(time, user, remote_addr, method, conn_id, tuple, detail, result) "
	    "VALUES (?1,?2,?3,?4,?5,?6,?7,'pending')",
	    -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		bind_row(st, who, method, &recs[i], detail, now);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
		if (i == 0)
			*first = sqlite3_last_insert_rowid(db);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

int store_audit_done(sqlite3 *db, int64_t first, size_t n, const char *(*result)(size_t i, void *arg),
		     void *arg, int tries)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	/* The helper has acted: one busy timeout is not a reason to leave the
	 * rows 'pending' when other calls hold the database longer */
	while (((rc = db_exec(db, "BEGIN IMMEDIATE")) & 0xff) == SQLITE_BUSY && --tries > 0)
		;
	if (rc != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_prepare_v2(db, "UPDATE audit SET result=?1 WHERE id=?2", -1, &st, NULL)) !=
	    SQLITE_OK) {
		db_rollback(db);
		return rc;
	}
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(st, 1, result(i, arg), -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, first + (int64_t)i);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if ((rc = db_exec(db, "COMMIT")) != SQLITE_OK)
		db_rollback(db);
	return rc;
}
