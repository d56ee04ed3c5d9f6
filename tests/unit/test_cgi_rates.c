// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the compact in-memory table (append, sort by id), and the
 * rate computation, with the functions snapshot.c itself calls. */
#include <stdlib.h>
#include <sys/socket.h>

#include "check.h"
#include "ctd_cgi.h"

static struct ctd_record rec(uint32_t id, uint8_t a, uint64_t ob, uint64_t rb)
{
	struct ctd_record r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.l3proto = AF_INET;
	r.l4proto = 6;
	r.orig.src[0] = 10;
	r.orig.src[3] = a;
	r.orig_bytes = ob;
	r.repl_bytes = rb;
	r.flags = CTD_REC_HAS_COUNTERS | CTD_REC_HAS_PORTS;
	return r;
}

/* Rates as snapshot.c computes them: the previous dump read into its index
 * in parts of at most two records (as it is read chunk by chunk from the
 * database), every record rated from the table as the catch-up after a
 * dump does (snap_rate_one on each), the deltas turned into rates over dt. */
static void rates(struct snap_table *cur, const struct ctd_record *prev, size_t nprev, double dt, double now,
		  bool timestamps)
{
	struct snap_prev p = {0};
	size_t i;

	for (i = 0; prev && i < nprev; i += 2)
		snap_prev_add(&p, prev + i, nprev - i < 2 ? nprev - i : 2);
	if (prev)
		snap_prev_index(&p);
	snap_rates_begin(cur);
	snap_rates_catch_up(cur, 0, cur->n, prev ? &p : NULL, now, timestamps);
	snap_rates_end(cur, dt);
	snap_prev_free(&p);
}

/* Record i (id order) of t, and one of its rates. */
static struct ctd_record at(const struct snap_table *t, uint32_t i)
{
	struct ctd_record r;

	snap_get(t, i, &r);
	return r;
}

static float rate_of(const struct snap_table *t, uint32_t i, int dir)
{
	struct ctd_record r = at(t, i);
	float f[2];

	memcpy(f, &r.start_ns, sizeof(f)); /* the two rates, as snap_rates() reads them */
	return f[dir];
}

static void fill(struct snap_table *t, const struct ctd_record *recs, uint32_t n)
{
	uint32_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < n; i++)
		snap_append(t, &recs[i]);
}

static bool near(double a, double b)
{
	return a > b - 1e-3 * (b + 1) && a < b + 1e-3 * (b + 1);
}

int main(void)
{
	struct snap_table cur = {0};
	struct ctd_record prev[3];
	uint32_t i;
	bool sorted = true;

	{
		struct ctd_record in[5] = {rec(50, 5, 5000, 0), rec(10, 1, 3000, 1000), rec(30, 3, 100, 100),
					   rec(20, 2, 900, 900), rec(40, 4, 7777, 0)};
		in[4].flags |= CTD_REC_HAS_TIMESTAMP;
		in[4].start_ns = (uint64_t)((1000.0 - 7.777) * 1e9);
		fill(&cur, in, 5);
	}
	CHECK(snap_sort_by_id(&cur) == 0, "sort by id");
	for (i = 1; i < cur.n; i++)
		sorted = sorted && snap_id(&cur, i - 1) < snap_id(&cur, i);
	CHECK(sorted && at(&cur, 0).id == 10 && at(&cur, 0).orig_bytes == 3000 && at(&cur, 4).id == 50,
	      "sorted by id, rows kept whole");

	prev[0] = rec(10, 1, 1000, 500); /* same connection: 2000 B and 500 B over 2 s */
	prev[1] = rec(20, 9, 100, 100);	 /* same id, other tuple: id reused, no rate */
	prev[2] = rec(30, 3, 500, 500);	 /* counters went down: 0, never negative */
	rates(&cur, prev, 3, 2.0, 1000.0, true);
	CHECK(near(rate_of(&cur, 0, 0), 1000.0) && near(rate_of(&cur, 0, 1), 250.0),
	      "rate = delta bytes / delta t per direction (%f, %f)", rate_of(&cur, 0, 0),
	      rate_of(&cur, 0, 1));
	CHECK(rate_of(&cur, 1, 0) == 0 && rate_of(&cur, 1, 1) == 0, "reused id with other tuple: 0");
	CHECK(rate_of(&cur, 2, 0) == 0, "counter decrease gives 0");
	CHECK(near(rate_of(&cur, 3, 0), 1000.0), "first seen with timestamp: average since start (%f)",
	      rate_of(&cur, 3, 0));
	CHECK(rate_of(&cur, 4, 0) == 0, "first seen without timestamp: 0");

	rates(&cur, NULL, 0, 0, 1000.0, false);
	CHECK(rate_of(&cur, 3, 0) == 0, "timestamps off: first seen is 0");
	rates(&cur, prev, 3, 0, 1000.0, false);
	CHECK(rate_of(&cur, 0, 0) == 0, "zero interval: no rate");
	snap_free(&cur);
	CHECK(cur.arena == NULL && cur.start == NULL && cur.rates == NULL && cur.n == 0, "freed");
	{
		/* two live entries with one id (CTA_ID is a 32-bit hash), listed
		 * in the other order by the previous dump */
		struct ctd_record p2[3] = {rec(60, 7, 100, 0), rec(60, 6, 1000, 0), rec(61, 1, 0, 0)};
		struct snap_table two = {0};
		float r6 = -1, r7 = -1;

		struct ctd_record in[2] = {rec(60, 6, 3000, 0), rec(60, 7, 500, 0)};

		fill(&two, in, 2);
		rates(&two, p2, 3, 2.0, 1000.0, false);
		for (i = 0; i < two.n; i++)
			*(at(&two, i).orig.src[3] == 6 ? &r6 : &r7) = rate_of(&two, i, 0);
		CHECK(near(r6, 1000.0) && near(r7, 200.0),
		      "a shared id: each entry's rate from its own tuple (%f, %f)", r6, r7);
		snap_free(&two);
	}
	{
		/* a bigger shuffled table: in-place permutation keeps every row */
		struct snap_table big = {0};
		uint64_t sum = 0, sum2 = 0;
		bool ok = true;

		srand(7);
		for (i = 0; i < 20000; i++) {
			struct ctd_record r = rec((uint32_t)rand(), 1, i, 0);
			snap_append(&big, &r);
			sum += r.id ^ r.orig_bytes;
		}
		ok = snap_sort_by_id(&big) == 0 && big.n == 20000;
		for (i = 0; i < big.n; i++) {
			sum2 += at(&big, i).id ^ at(&big, i).orig_bytes;
			if (i && snap_id(&big, i - 1) > snap_id(&big, i))
				ok = false;
		}
		CHECK(ok && sum == sum2, "20000 shuffled rows sorted by id, rows intact");
		snap_free(&big);
	}
	return CHECK_DONE();
}
