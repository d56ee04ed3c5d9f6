/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store.h - the storage layer: one file per table, each holding all of
 * that table's SQL (sql/ has the schema).  Functions return an SQLite
 * result code (SQLITE_OK, or SQLITE_ROW/SQLITE_DONE for "found"/"none")
 * and never set faults: the caller knows what it was doing and turns a
 * code into a sentence with db_fault().  Transactions are the caller's.
 */
#ifndef CTD_STORE_H
#define CTD_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "ctd_proto.h"
#include "snapshot.h"

/* ---- store_session.c: sessions ------------------------------------------------ */
struct session_row {
	int64_t id;
	char user[128];
	bool bound; /* created under Apache auth: REMOTE_USER must match */
	double created, last_used;
};

struct session_view {
	bool want_refresh;
	int autorefresh;
	double refresh_after;
};

int store_session_insert(sqlite3 *db, const uint8_t hash[32], const char *user, bool bound, double now);
int store_session_find(sqlite3 *db, const uint8_t hash[32], struct session_row *out); /* ROW / DONE */
int store_session_touch(sqlite3 *db, int64_t sid, double now);
int store_session_delete(sqlite3 *db, int64_t sid);
/* The user's sessions beyond the `keep` created last go. */
int store_session_evict(sqlite3 *db, const char *user, unsigned keep);
/* Sessions idle since before idle_before or created before created_before. */
int store_session_purge(sqlite3 *db, double idle_before, double created_before);
int store_session_want_refresh(sqlite3 *db, int64_t sid, double after);
int store_session_set_autorefresh(sqlite3 *db, int64_t sid, int seconds);
int store_session_view(sqlite3 *db, int64_t sid, struct session_view *out);
int store_session_dump(sqlite3 *db, int64_t sid, int64_t *dump_id); /* ROW / DONE (no dump) */
/* Point the session at a dump (its cached order goes with the old one). */
int store_session_use_dump(sqlite3 *db, int64_t sid, int64_t dump_id);
/* The session's cached order, if its key is `key`: *total, and the
 * positions [start, start+len) (malloc'd, *npos of them).  ROW hit, DONE miss. */
int store_session_order_get(sqlite3 *db, int64_t sid, const char *key, uint32_t start, uint32_t len,
			    uint32_t *total, uint32_t **pos, uint32_t *npos);
int store_session_order_put(sqlite3 *db, int64_t sid, const char *key, const uint32_t *pos, uint32_t n);

/* ---- store_dump.c: dumps and dump_chunks ------------------------------------------- */
/* Insert a dump (info->dump_id set) and its records (t sorted by id). */
int store_dump_insert(sqlite3 *db, struct snap_info *info, const struct snap_table *t);
int store_dump_info(sqlite3 *db, int64_t dump_id, struct snap_info *info); /* ROW / DONE */
/* Newest dump begun (by_start) or complete after `after`.  ROW / DONE. */
int store_dump_newest_after(sqlite3 *db, bool by_start, double after, struct snap_info *info);
/* The newest dump of all (the rates base): ROW / DONE. */
int store_dump_newest(sqlite3 *db, struct snap_info *info);
/* Every record of a dump, into t (grown as needed). */
int store_dump_load(sqlite3 *db, int64_t dump_id, struct snap_table *t);
/* Calls fn with each chunk of a dump in id order (rates merge). */
int store_dump_each_chunk(sqlite3 *db, int64_t dump_id,
			  void (*fn)(const struct ctd_record *recs, size_t n, void *arg), void *arg);
/* Every record whose id is one of ids[] (ascending, no repeats), in id
 * order, into *out (malloc'd, *nout); counts[i] = how many carry ids[i]. */
int store_dump_lookup(sqlite3 *db, int64_t dump_id, const uint32_t *ids, size_t n, struct ctd_record **out,
		      size_t *nout, uint32_t *counts);
/* The records at positions pos[] (0-based, id order); found[i] false for
 * a position past the end. */
int store_dump_read_at(sqlite3 *db, int64_t dump_id, const uint32_t *pos, size_t n, struct ctd_record *out,
		       bool *found);
/* Dumps no session reads any more, except the newest (the rates base). */
int store_dump_purge(sqlite3 *db);
/* At most max dumps: older ones go, and the sessions that read them move
 * to the newest (their next view shows its snapshot_time). */
int store_dump_cap(sqlite3 *db, unsigned max);

/* ---- store_audit.c: audit --------------------------------------------------------- */
struct audit_who {
	const char *user;
	const char *remote_addr; /* may be NULL */
	const char *role;	 /* may be NULL */
};

/* n 'pending' rows (one per record), committed; *first = the first row id. */
int store_audit_pending(sqlite3 *db, const struct audit_who *who, const char *method,
			const struct ctd_record *recs, size_t n, const char *detail, int64_t *first);
/* Rows first..first+n-1 get their results: result(i, arg) for row i.
 * Waits up to `tries` busy timeouts for the write lock. */
int store_audit_done(sqlite3 *db, int64_t first, size_t n, const char *(*result)(size_t i, void *arg),
		     void *arg, int tries);

/* One row about a whole call (no connection): a kill_matching's summary.
 * detail is "field=value". */
int store_audit_note(sqlite3 *db, const struct audit_who *who, const char *method, const char *detail,
		     const char *result, const char *message);

/* What the audit method selects; NULL / false: any. */
struct audit_filter {
	const char *user, *action, *result, *addr;
	bool has_since, has_until;
	double since, until;
};

/* One row as read (texts valid during the callback only); result in the
 * API's vocabulary (done, gone, failed, pending); detail "field=value". */
struct audit_entry {
	double time;
	const char *user, *role, *remote_addr, *action, *id, *tuple, *detail, *result, *message;
};

/* The rows f selects, newest first: *total of them, and fn for each of
 * [start, start+len). */
int store_audit_page(sqlite3 *db, const struct audit_filter *f, uint32_t start, uint32_t len, uint32_t *total,
		     void (*fn)(const struct audit_entry *e, void *arg), void *arg);

/* ---- store_killtoken.c: kill_tokens ------------------------------------------------ */
#define KILLTOKEN_FILTER_MAX 1024u /* the filters as text, NUL included */

struct killtoken {
	uint8_t hash[32]; /* SHA-256 of the token */
	int64_t session_id;
	double created, expires;
	char filter[KILLTOKEN_FILTER_MAX];
	uint32_t matched, ambiguous, n;
	uint8_t *records; /* n records, each a length byte + reccodec_encode_one */
	size_t len;
};

enum killtoken_state { KT_UNKNOWN, KT_FOREIGN, KT_EXPIRED, KT_TAKEN };

/* Stores k; first purges expired tokens and the session's older ones
 * beyond keep_per_session - 1. */
int store_killtoken_put(sqlite3 *db, const struct killtoken *k, unsigned keep_per_session);
/* Tokens expired before now, or of a session that is gone. */
int store_killtoken_purge(sqlite3 *db, double now);
/* The token of that hash for this session, deleted as it is read (KT_TAKEN:
 * out->records malloc'd, the caller frees); an expired one is deleted
 * (KT_EXPIRED); another session's is left alone (KT_FOREIGN). */
int store_killtoken_take(sqlite3 *db, const uint8_t hash[32], int64_t session_id, double now,
			 struct killtoken *out, enum killtoken_state *state);

/* ---- store_expect.c: session_expect ------------------------------------------------ */
/* The session's listed expectations become x[0..n) (the last
 * `expectations` call's). */
int store_expect_replace(sqlite3 *db, int64_t sid, const struct ctd_expect *x, size_t n);
/* Lists of sessions that are gone (a connection without foreign keys
 * once purged them): their ids are reused by later sessions. */
int store_expect_purge(sqlite3 *db);
/* The listed expectations with ids[] (ascending, distinct) into out[];
 * found[i] false for an id the session's last call did not list. */
int store_expect_lookup(sqlite3 *db, int64_t sid, const uint32_t *ids, size_t n, struct ctd_expect *out,
			bool *found);

/* ---- store_history.c: history ------------------------------------------------------ */
struct hist_sample;
/* One sample; then at most a batch of samples older than prune_before go. */
int store_history_add(sqlite3 *db, const struct hist_sample *s, double prune_before);
/* fn(sample) for the newest sample with counters before `since`, then for
 * every sample of [since, until], in time order. */
int store_history_each(sqlite3 *db, double since, double until,
		       void (*fn)(const struct hist_sample *s, void *arg), void *arg);

#endif /* CTD_STORE_H */
