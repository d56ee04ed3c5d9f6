// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store_history.c - all SQL of the history table (store.h; schema in
 * sql/004-history.sql).  A sample is one row; kind 1 came from a dump
 * (rate and protocols), kind 2 from ctd.cgi --sample (the kernel's
 * counters).  Old rows go a bounded batch at each insert, so neither a
 * long-idle database nor a shortened history_days costs one call much.
 */
#include "history.h"
#include "store.h"

#define KIND_DUMP   1
#define KIND_SAMPLE 2
/* rows pruned at most per insert: samples come a few a minute */
#define PRUNE_BATCH 1000

int store_history_add(sqlite3 *db, const struct hist_sample *s, double prune_before)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(
	    db,
	    "INSERT INTO history(time, kind, count, max, rate, tcp, udp, icmp, other, insert_failed, "
	    "drops, early_drop) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
	    -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_double(st, 1, s->time);
	sqlite3_bind_int(st, 2, s->dump ? KIND_DUMP : KIND_SAMPLE);
	sqlite3_bind_int64(st, 3, s->count);
	sqlite3_bind_int64(st, 4, s->max);
	if (s->dump) {
		sqlite3_bind_double(st, 5, s->rate);
		sqlite3_bind_int64(st, 6, s->tcp);
		sqlite3_bind_int64(st, 7, s->udp);
		sqlite3_bind_int64(st, 8, s->icmp);
		sqlite3_bind_int64(st, 9, s->other);
	}
	if (s->counters) {
		/* summed per-CPU u32s: far below 2^63 */
		sqlite3_bind_int64(st, 10, (sqlite3_int64)s->insert_failed);
		sqlite3_bind_int64(st, 11, (sqlite3_int64)s->drop);
		sqlite3_bind_int64(st, 12, (sqlite3_int64)s->early_drop);
	}
	rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return rc;
	if ((rc =
		 sqlite3_prepare_v2(db,
				    "DELETE FROM history WHERE id IN (SELECT id FROM history WHERE time < ?1 "
				    "ORDER BY time LIMIT ?2)",
				    -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_double(st, 1, prune_before);
	sqlite3_bind_int(st, 2, PRUNE_BATCH);
	rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
	sqlite3_finalize(st);
	return rc;
}

static void read_row(sqlite3_stmt *st, struct hist_sample *s)
{
	s->time = sqlite3_column_double(st, 0);
	s->count = (uint32_t)sqlite3_column_int64(st, 2);
	s->max = (uint32_t)sqlite3_column_int64(st, 3);
	/* what a sample carries is what is not NULL, whatever its kind says */
	s->dump = sqlite3_column_type(st, 4) != SQLITE_NULL;
	s->rate = sqlite3_column_double(st, 4);
	s->tcp = (uint32_t)sqlite3_column_int64(st, 5);
	s->udp = (uint32_t)sqlite3_column_int64(st, 6);
	s->icmp = (uint32_t)sqlite3_column_int64(st, 7);
	s->other = (uint32_t)sqlite3_column_int64(st, 8);
	s->counters = sqlite3_column_type(st, 9) != SQLITE_NULL;
	s->insert_failed = (uint64_t)sqlite3_column_int64(st, 9);
	s->drop = (uint64_t)sqlite3_column_int64(st, 10);
	s->early_drop = (uint64_t)sqlite3_column_int64(st, 11);
}

int store_history_each(sqlite3 *db, double since, double until,
		       void (*fn)(const struct hist_sample *s, void *arg), void *arg)
{
	/* the newest sample with counters before `since` (the base of the
	 * first delta), then every sample of [since, until], oldest first */
	static const char *const sql[2] = {
	    "SELECT time, kind, count, max, rate, tcp, udp, icmp, other, insert_failed, drops, early_drop "
	    "FROM history WHERE time < ?1 AND insert_failed IS NOT NULL ORDER BY time DESC LIMIT 1",
	    "SELECT time, kind, count, max, rate, tcp, udp, icmp, other, insert_failed, drops, early_drop "
	    "FROM history WHERE time >= ?1 AND time <= ?2 ORDER BY time, id",
	};
	struct hist_sample s;
	sqlite3_stmt *st;
	int rc = SQLITE_OK, q;

	for (q = 0; q < 2 && rc == SQLITE_OK; q++) {
		if ((rc = sqlite3_prepare_v2(db, sql[q], -1, &st, NULL)) != SQLITE_OK)
			return rc;
		sqlite3_bind_double(st, 1, since);
		sqlite3_bind_double(st, 2, until);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			read_row(st, &s);
			fn(&s, arg);
		}
		rc = rc == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
		sqlite3_finalize(st);
	}
	return rc;
}
