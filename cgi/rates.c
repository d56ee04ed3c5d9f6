// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rates.c - bytes per second of each connection (README, API: rates):
 * the counter delta against the previous dump, matched by id and tuple,
 * or the average since start for a connection first seen.  Pure: the
 * previous dump comes in id-sorted parts (snapshot.c reads it).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

int snap_rates_init(struct snap_table *cur, double now, bool timestamps)
{
	struct ctd_record r;
	uint32_t i;

	free(cur->rates);
	if (!(cur->rates = calloc(cur->n ? 2 * (size_t)cur->n : 1, sizeof(float))))
		return -1;
	for (i = 0; timestamps && i < cur->n; i++) {
		/* first seen: its average since start, when the kernel says when */
		snap_get_raw(cur, i, &r);
		if ((r.flags & CTD_REC_HAS_TIMESTAMP) && r.start_ns) {
			double age = now - (double)r.start_ns / 1e9;
			if (age > 0.5) {
				cur->rates[2 * (size_t)i] = (float)((double)r.orig_bytes / age);
				cur->rates[2 * (size_t)i + 1] = (float)((double)r.repl_bytes / age);
			}
		}
	}
	return 0;
}

static bool same_conn(const struct ctd_record *a, const struct ctd_record *b)
{
	return a->id == b->id && a->l3proto == b->l3proto && a->l4proto == b->l4proto && a->zone == b->zone &&
	       memcmp(&a->orig, &b->orig, sizeof(a->orig)) == 0;
}

static double delta_rate(uint64_t now, uint64_t before, double dt)
{
	return now >= before ? (double)(now - before) / dt : 0.0;
}

/* Rates of record i of cur from the run of its id in prev[j..] (two
 * entries can share an id). */
static void rate_from_run(struct snap_table *cur, uint32_t i, const struct ctd_record *prev, size_t j,
			  size_t nprev, double dt)
{
	struct ctd_record r;
	size_t k;

	snap_get(cur, i, &r);
	for (k = j; k < nprev && prev[k].id == r.id; k++)
		if (same_conn(&r, &prev[k])) {
			cur->rates[2 * (size_t)i] = (float)delta_rate(r.orig_bytes, prev[k].orig_bytes, dt);
			cur->rates[2 * (size_t)i + 1] =
			    (float)delta_rate(r.repl_bytes, prev[k].repl_bytes, dt);
			return;
		}
}

void snap_rates_merge(struct snap_table *cur, uint32_t *cursor, const struct ctd_record *prev, size_t nprev,
		      double dt)
{
	uint32_t i = *cursor, id;
	size_t j = 0;

	if (dt <= 0 || !cur->rates)
		return;
	while (i < cur->n && j < nprev) {
		id = snap_id(cur, i);
		if (id < prev[j].id)
			i++;
		else if (id > prev[j].id)
			j++;
		else
			rate_from_run(cur, i++, prev, j, nprev, dt);
	}
	/* every cur[0..i) has an id below the rest of the previous dump, except
	 * a run of the last id here, which may go on in the next part */
	while (nprev && i > *cursor && snap_id(cur, i - 1) == prev[nprev - 1].id)
		i--;
	*cursor = i;
}
