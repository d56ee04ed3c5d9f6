// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rates.c - bytes per second of each connection (README, API: rates):
 * the counter delta against the previous dump, matched by id and tuple,
 * or the average since start for a connection first seen.
 *
 * The rates are made while the helper streams the table, so that a 1M-entry
 * view spends nothing on them after the dump: the previous dump is read in
 * a thread meanwhile (snapshot.c) into a snap_prev, an index by id of what
 * the rates need; each record is rated as it arrives (snap_rate_one), the
 * few that arrived before the index was ready afterwards
 * (snap_rates_catch_up), and the deltas become rates once the dump's end
 * time, hence the interval, is known (snap_rates_end).  Pure.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "snapshot.h"

/* ---- the previous dump, by id ------------------------------------------------------- */

/* What identifies a connection besides its id (family, protocol, zones,
 * original tuple), as 32 bits: two live entries with one id (CTA_ID is a
 * hash) are told apart by it. */
static uint32_t conn_key(const struct ctd_record *r)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const uint8_t *p = (const uint8_t *)&r->orig;
	size_t i;

	h = (h ^ r->l3proto) * 0x100000001b3ull;
	h = (h ^ r->l4proto) * 0x100000001b3ull;
	h = (h ^ r->zone) * 0x100000001b3ull;
	h = (h ^ r->orig_zone) * 0x100000001b3ull;
	h = (h ^ r->reply_zone) * 0x100000001b3ull;
	for (i = 0; i < sizeof(r->orig); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return (uint32_t)(h ^ (h >> 32));
}

static uint32_t id_slot(uint32_t id, uint32_t mask)
{
	return (uint32_t)(((uint64_t)id * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}

int snap_prev_add(struct snap_prev *p, const struct ctd_record *recs, size_t n)
{
	size_t i;

	if (n > CTD_TABLE_MAX - p->n)
		return -1;
	if (p->n + n > p->cap) {
		uint32_t cap = p->cap + p->cap / 2 + (uint32_t)n + 1024;
		void *e = realloc(p->e, (size_t)cap * sizeof(*p->e));

		if (!e)
			return -1;
		p->e = e;
		p->cap = cap;
	}
	for (i = 0; i < n; i++) {
		struct snap_prev_ent *x = &p->e[p->n++];

		x->id = recs[i].id;
		x->key = conn_key(&recs[i]);
		x->ob = recs[i].orig_bytes;
		x->rb = recs[i].repl_bytes;
	}
	return 0;
}

int snap_prev_index(struct snap_prev *p)
{
	uint32_t size = 1024, i, s;

	while (size < 2 * (uint64_t)p->n)
		size *= 2;
	free(p->slot);
	if (!(p->slot = calloc(size, sizeof(*p->slot))))
		return -1;
	p->mask = size - 1;
	for (i = 0; i < p->n; i++) {
		for (s = id_slot(p->e[i].id, p->mask); p->slot[s]; s = (s + 1) & p->mask)
			;
		p->slot[s] = i + 1;
	}
	return 0;
}

void snap_prev_free(struct snap_prev *p)
{
	free(p->e);
	free(p->slot);
	memset(p, 0, sizeof(*p));
}

/* The previous dump's entry of this connection, or NULL. */
static const struct snap_prev_ent *prev_find(const struct snap_prev *p, const struct ctd_record *r)
{
	uint32_t s, key = 0;
	bool keyed = false;

	for (s = id_slot(r->id, p->mask); p->slot[s]; s = (s + 1) & p->mask) {
		const struct snap_prev_ent *x = &p->e[p->slot[s] - 1];

		if (x->id != r->id)
			continue;
		if (!keyed)
			key = conn_key(r), keyed = true;
		if (x->key == key)
			return x;
	}
	return NULL;
}

/* ---- rating a new dump -------------------------------------------------------------- */

int snap_rates_begin(struct snap_table *t)
{
	free(t->rates);
	t->rates = calloc(2 * ((size_t)t->cap + 1), sizeof(float));
	t->rcap = t->cap;
	return t->rates ? 0 : -1;
}

/* Until snap_rates_end a matched record holds -1 - its byte delta (rates are
 * never negative), a first-seen one its rate already. */
void snap_rate_one(struct snap_table *t, uint32_t k, const struct ctd_record *r, const struct snap_prev *prev,
		   double now, bool timestamps)
{
	const struct snap_prev_ent *x = prev && prev->slot ? prev_find(prev, r) : NULL;
	float *out = &t->rates[2 * (size_t)k];

	if (x) {
		out[0] = (float)(-1.0 - (double)(r->orig_bytes >= x->ob ? r->orig_bytes - x->ob : 0));
		out[1] = (float)(-1.0 - (double)(r->repl_bytes >= x->rb ? r->repl_bytes - x->rb : 0));
		return;
	}
	out[0] = out[1] = 0;
	/* first seen: its average since start, when the kernel says when */
	if (timestamps && (r->flags & CTD_REC_HAS_TIMESTAMP) && r->start_ns) {
		double age = now - (double)r->start_ns / 1e9;
		if (age > 0.5) {
			out[0] = (float)((double)r->orig_bytes / age);
			out[1] = (float)((double)r->repl_bytes / age);
		}
	}
}

void snap_rates_catch_up(struct snap_table *t, uint32_t from, uint32_t to, const struct snap_prev *prev,
			 double now, bool timestamps)
{
	struct ctd_record r;
	uint32_t k;

	for (k = from; k < to && k < t->n; k++) {
		snap_get_raw(t, k, &r);
		snap_rate_one(t, k, &r, prev, now, timestamps);
	}
}

void snap_rates_end(struct snap_table *t, double dt)
{
	size_t j;

	for (j = 0; j < 2 * (size_t)t->n; j++)
		if (t->rates[j] < 0)
			t->rates[j] = dt > 0 ? (float)((-1.0 - (double)t->rates[j]) / dt) : 0;
}
