// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store_audit.c - all SQL of the audit table (store.h).  Every kill and
 * change writes its rows 'pending' (committed) before the helper acts and
 * completes them after, so a crash mid-call still leaves a record.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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
	if (who->role)
		sqlite3_bind_text(st, 8, who->role, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
}

int store_audit_pending(sqlite3 *db, const struct audit_who *who, const char *method,
			const struct ctd_record *recs, size_t n, const char *detail, int64_t *first)
{
	sqlite3_stmt *st;
	double now = now_s();
	size_t i;
	int rc = sqlite3_prepare_v2(
	    db,
	    "INSERT INTO audit(time, user, remote_addr, method, conn_id, tuple, detail, role, result) "
	    "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,'pending')",
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

int store_audit_note(sqlite3 *db, const struct audit_who *who, const char *method, const char *detail,
		     const char *result, const char *message)
{
	sqlite3_stmt *st;
	int rc =
	    sqlite3_prepare_v2(db,
			       "INSERT INTO audit(time, user, remote_addr, method, conn_id, tuple, detail, "
			       "role, result, message) VALUES (?1,?2,?3,?4,'','',?5,?6,?7,?8)",
			       -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_double(st, 1, now_s());
	sqlite3_bind_text(st, 2, who->user, -1, SQLITE_STATIC);
	if (who->remote_addr)
		sqlite3_bind_text(st, 3, who->remote_addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, method, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
	if (who->role)
		sqlite3_bind_text(st, 6, who->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, result, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, message, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
	sqlite3_finalize(st);
	return rc;
}

/*
 * Reading the log.  Rows keep the results kill and change have always
 * written ("done", "not found", "error: <sentence>", "failed: <sentence>",
 * "pending"); a reader gets the vocabulary of the API (done, gone, failed,
 * pending) with the sentence as the message.  The tuple's addresses are
 * the words "src=A" and "dst=A" of the tuple text (actions.c tuple_text).
 */
#define AUDIT_RESULT                                                                                         \
	"CASE WHEN result IN ('done','pending','gone','failed') THEN result "                                \
	"WHEN result = 'not found' THEN 'gone' ELSE 'failed' END"
#define AUDIT_MESSAGE                                                                                        \
	"coalesce(message, CASE WHEN result LIKE 'error: %' THEN substr(result, 8) "                         \
	"WHEN result LIKE 'failed: %' THEN substr(result, 9) ELSE '' END)"
/* The WHERE clause of the filters given, and only those: a test such as
 * "?1 IS NULL OR user = ?1" would keep SQLite from the (user, time) and
 * (method, time) indexes.  Values stay bound parameters, ?1..?6. */
static void audit_where(const struct audit_filter *f, char *sql, size_t len)
{
	static const char *const part[6] = {
	    "user = ?1",
	    "method = ?2",
	    "time >= ?3",
	    "time <= ?4",
	    "(" AUDIT_RESULT ") = ?5",
	    ("(instr(' ' || tuple || ' ', ' src=' || ?6 || ' ') > 0 OR "
	     "instr(' ' || tuple || ' ', ' dst=' || ?6 || ' ') > 0)"),
	};
	const bool given[6] = {f->user, f->action, f->has_since, f->has_until, f->result, f->addr};
	size_t i, n = 0;

	sql[0] = 0;
	for (i = 0; i < 6; i++)
		if (given[i])
			n += (size_t)snprintf(sql + n, n < len ? len - n : 0, "%s%s", n ? " AND " : " WHERE ",
					      part[i]);
}

static void bind_filter(sqlite3_stmt *st, const struct audit_filter *f)
{
	if (f->user)
		sqlite3_bind_text(st, 1, f->user, -1, SQLITE_STATIC);
	if (f->action)
		sqlite3_bind_text(st, 2, f->action, -1, SQLITE_STATIC);
	if (f->has_since)
		sqlite3_bind_double(st, 3, f->since);
	if (f->has_until)
		sqlite3_bind_double(st, 4, f->until);
	if (f->result)
		sqlite3_bind_text(st, 5, f->result, -1, SQLITE_STATIC);
	if (f->addr)
		sqlite3_bind_text(st, 6, f->addr, -1, SQLITE_STATIC);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *p = sqlite3_column_text(st, i);

	return p ? (const char *)p : "";
}

int store_audit_page(sqlite3 *db, const struct audit_filter *f, uint32_t start, uint32_t len, uint32_t *total,
		     void (*fn)(const struct audit_entry *e, void *arg), void *arg)
{
	sqlite3_stmt *st;
	struct audit_entry e;
	char where[512], sql[1536];
	int rc;

	audit_where(f, where, sizeof(where));
	/* the count and the page from one read of the table */
	if ((rc = db_exec(db, "BEGIN")) != SQLITE_OK)
		return rc;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit%s", where);
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		goto out;
	bind_filter(st, f);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*total = (uint32_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? SQLITE_ERROR : rc;
		goto out;
	}
	snprintf(sql, sizeof(sql), "%s%s ORDER BY time DESC, id DESC LIMIT ?7 OFFSET ?8",
		 "SELECT time, user, coalesce(role, ''), coalesce(remote_addr, ''), method, "
		 "conn_id, tuple, coalesce(detail, ''), " AUDIT_RESULT ", " AUDIT_MESSAGE " FROM audit",
		 where);
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		goto out;
	bind_filter(st, f);
	sqlite3_bind_int64(st, 7, len);
	sqlite3_bind_int64(st, 8, start);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		e.time = sqlite3_column_double(st, 0);
		e.user = col_text(st, 1);
		e.role = col_text(st, 2);
		e.remote_addr = col_text(st, 3);
		e.action = col_text(st, 4);
		e.id = col_text(st, 5);
		e.tuple = col_text(st, 6);
		e.detail = col_text(st, 7);
		e.result = col_text(st, 8);
		e.message = col_text(st, 9);
		fn(&e, arg);
	}
	sqlite3_finalize(st);
	rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
out:
	db_exec(db, "COMMIT");
	return rc;
}
