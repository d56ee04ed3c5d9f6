/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * history.h - how the table got where it is: samples of its size, total
 * rate, protocols and the kernel's counters over time (README, API:
 * history).  sample.c makes them (at every dump, and `ctd.cgi --sample`),
 * store_history.c keeps them, history.c reads them back in buckets.
 */
#ifndef CTD_HISTORY_H
#define CTD_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>
#include <xmlrpc-c/base.h>

#include "snapshot.h"

struct ctd_ctx;

#define CTD_HISTORY_POINTS_DEFAULT 300u
#define CTD_HISTORY_POINTS_MAX	   2000u
#define CTD_HISTORY_SPAN_DEFAULT   3600.0 /* seconds: the last hour */

/* One sample, a row of the history table. */
struct hist_sample {
	double time; /* unix s */
	uint32_t count, max;
	bool dump;   /* from a dump: rate and the per-protocol counts are known */
	double rate; /* bytes/s, every row's rate added up */
	uint32_t tcp, udp, icmp, other;
	bool counters;				  /* from ctd.cgi --sample: the kernel's counters are known */
	uint64_t insert_failed, drop, early_drop; /* cumulative, summed over CPUs */
};

/* One point `history` returns: the samples of a bucket averaged, the
 * counters as the deltas their --sample samples carry, added up. */
struct hist_point {
	double time, count, max;
	double rate, tcp, udp, icmp, other; /* mean over the dumps (none: unknown, 0) */
	double insert_failed, drop, early_drop;
	uint32_t n;	 /* samples in the bucket */
	uint32_t dumps;	 /* of them from dumps */
	uint32_t deltas; /* counter deltas added up (none: unknown, 0) */
};

/*
 * Down-sampling, pure (no allocation, no I/O): [since, until] cut into
 * `points` equal buckets (b[], zeroed by hist_init), samples fed in time
 * order.  A --sample sample's delta is its counters minus those of the
 * --sample sample before it (a counter that went down was reset: the
 * delta is its new value), put in the bucket of the later one; feed the
 * last one before `since` too (it only sets the base).  Samples outside
 * [since, until] land in no bucket.
 */
struct hist_acc {
	double since, until, width;
	uint32_t points;
	struct hist_point *b; /* sums until hist_point() */
	bool have_prev;
	uint64_t prev[3];
};
void hist_init(struct hist_acc *a, struct hist_point *b, uint32_t points, double since, double until);
void hist_add(struct hist_acc *a, const struct hist_sample *s);
/* Bucket i as a point: false when no sample fell in it. */
bool hist_point(const struct hist_acc *a, uint32_t i, struct hist_point *out);

/* The `history` method. */
xmlrpc_value *rpc_history_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params);

/* ---- sample.c ------------------------------------------------------------------ */
/* The sample of a fresh dump (info->time, info->count, info->max, the
 * rates and protocols of t), in the caller's transaction.  A failure is
 * logged and returned; the dump is stored regardless. */
int history_record_dump(sqlite3 *db, const struct snap_info *info, const struct snap_table *t,
			unsigned history_days);
/* `ctd.cgi --sample` (argv as main got it): the exit status, 0 or 1. */
int history_sample_main(int argc, char **argv);

#endif /* CTD_HISTORY_H */
