/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snapshot.h - dumps of the conntrack table as the CGI holds them: fetched
 * from the helper, sorted by id, with rates against the previous dump.
 * Stored by store_dump.c; read by view, kill and change.
 */
#ifndef CTD_SNAPSHOT_H
#define CTD_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include <xmlrpc-c/base.h>

#include "ctd_proto.h"

struct ctd_ctx;

struct snap_info {
	int64_t dump_id;
	double started; /* before the helper ran */
	double time;	/* when the dump was complete: the snapshot time */
	double interval;
	bool accounting;
	uint32_t count;
	uint32_t max; /* nf_conntrack_max at a fresh dump (history), 0 if unknown */
};

/*
 * A whole table in memory, compact: each record encoded alone
 * (reccodec_encode_one, ~45 bytes for IPv4 instead of 144), in the order
 * it arrived, with its start offset; `order` lists them by id; `rates`
 * holds each record's two rates (id order) once computed.  A 1M-entry
 * table takes ~65 MB instead of ~140.  snap_get() gives record i of the id
 * order, rates in its start_ns slot as everywhere else.
 */
struct snap_table {
	uint8_t *arena;
	size_t len, acap;
	uint32_t *start; /* start[k]: offset of record k (arrival order); start[n] = len */
	uint32_t *order; /* id order -> arrival index; NULL: they are the same */
	float *rates;	 /* [2 * i]: orig, [2 * i + 1]: reply; NULL: in the records */
	uint32_t n, cap;
	uint32_t rcap; /* rates[] has room for 2 * (rcap + 1) */
	bool unsorted; /* a fresh dump before snap_sort_by_id: record i is the i-th to arrive */
};

/* Once rates are known the record's start_ns slot (not a row field) holds
 * two floats: the original and reply rates. */
static inline float *snap_rates(struct ctd_record *r)
{
	return (float *)(void *)&r->start_ns;
}
static inline const float *snap_rates_c(const struct ctd_record *r)
{
	return (const float *)(const void *)&r->start_ns;
}

/* Which dump the view of this session reads, dumping a fresh one when the
 * session asks for it.  If a fresh dump happened, *fresh holds its records
 * (caller frees with snap_free), sorted by id unless any_order and its
 * store is deferred (then fresh->unsorted: the caller sorts it, or answers
 * from it as it is and lets snap_finish sort it). */
int snap_for_view(xmlrpc_env *env, struct ctd_ctx *ctx, struct snap_info *info, struct snap_table *fresh,
		  bool any_order);
/*
 * A fresh dump answers its view from memory; storing it (tens of MB at 1M
 * entries) waits until the answer is out: snap_defer() hands the table and
 * the view's order to the context, snap_finish() (main, after the
 * response) stores both in one transaction, then lets the next dumper in.
 * Other views wanting a fresh table wait for the dump lock meanwhile and
 * then take this dump; a kill or change whose id the session's snapshot
 * lacks waits for it too (snap_wait_stored) and looks again, since a
 * client may send it the moment this answer arrives.  Only a request of one call defers (a multicall's
 * later calls read the stored dump), and only a table of CTD_DEFER_MIN
 * entries or more: a small one is stored in milliseconds, which the
 * client's next call would otherwise spend waiting for the lock.
 */
bool snap_deferred(const struct ctd_ctx *ctx);
/* The view's order made by the deferred store itself, for a view that
 * answered from the unsorted table: run() on the table sorted by id gives
 * the positions (malloc'd) and their count, 0 or -1; free() ends arg. */
struct snap_order_job {
	int (*run)(void *arg, const struct snap_table *t, uint32_t **pos, uint32_t *total);
	void (*free)(void *arg);
	void *arg;
};
/* Takes t, and pos or job (caller's copies are cleared; both may be NULL:
 * stored without an order); key names the order. */
void snap_defer(struct ctd_ctx *ctx, struct snap_table *t, const char *key, uint32_t **pos, uint32_t total,
		struct snap_order_job *job);
/* Returns once no dump is being taken or stored (bounded, as the wait
 * for the dump lock is). */
void snap_wait_stored(const struct ctd_ctx *ctx);
void snap_finish(struct ctd_ctx *ctx);

/* The dump the session reads: 0, 1 = none, -1 fault. */
int snap_info_of_session(xmlrpc_env *env, struct ctd_ctx *ctx, struct snap_info *info);
void snap_free(struct snap_table *t);
/* Room for want records (at most CTD_TABLE_MAX): 0 or -1. */
int snap_grow(struct snap_table *t, uint32_t want);
/* Add a record at the end (arrival order): 0 or -1 (full, no memory). */
int snap_append(struct snap_table *t, const struct ctd_record *r);
/* Record i of the id order (i < t->n). */
void snap_get(const struct snap_table *t, uint32_t i, struct ctd_record *out);
/* The same with start_ns as the kernel gave it (before rates exist). */
void snap_get_raw(const struct snap_table *t, uint32_t i, struct ctd_record *out);
uint32_t snap_id(const struct snap_table *t, uint32_t i);
/* Order the records by id (ties keep arrival order), clearing unsorted: 0
 * or -1 (no memory). */
int snap_sort_by_id(struct snap_table *t);

/*
 * Rates (rates.c), made while the dump streams in: the previous dump as an
 * index by id (read in a thread meanwhile: snap_prev_add per part, then
 * snap_prev_index); snap_rates_begin before the first record, then
 * snap_rate_one for record k (arrival order) as it arrives, with prev NULL
 * until the index is ready; snap_rates_catch_up rates the records [from,
 * to) again from the table once it is; snap_rates_end turns the deltas into
 * rates over dt (0: none).  snap_grow keeps rates[] as large as the table.
 */
struct snap_prev_ent {
	uint64_t ob, rb;  /* byte counters, original and reply */
	uint32_t id, key; /* CTA_ID; a digest of family, protocol, zone, tuple */
};
struct snap_prev {
	struct snap_prev_ent *e;
	uint32_t *slot; /* open addressing by id: index + 1, 0 empty */
	uint32_t n, cap, mask;
	double time; /* that dump's snapshot time */
};
int snap_prev_add(struct snap_prev *p, const struct ctd_record *recs, size_t n); /* 0, -1 */
int snap_prev_index(struct snap_prev *p);					 /* 0, -1 */
void snap_prev_free(struct snap_prev *p);
int snap_rates_begin(struct snap_table *t); /* 0, -1 no memory */
void snap_rate_one(struct snap_table *t, uint32_t k, const struct ctd_record *r, const struct snap_prev *prev,
		   double now, bool timestamps);
void snap_rates_catch_up(struct snap_table *t, uint32_t from, uint32_t to, const struct snap_prev *prev,
			 double now, bool timestamps);
void snap_rates_end(struct snap_table *t, double dt);

#endif /* CTD_SNAPSHOT_H */
