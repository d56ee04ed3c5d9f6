// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: history's down-sampling (cgi/history.c hist_*: equal
 * buckets, averages, counter deltas) and the history table's SQL
 * (cgi/store_history.c: insert, bounded pruning, reading back), against
 * values computed by hand in this file. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "db.h"
#include "history.h"
#include "store.h"

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-9 * (fabs(a) + fabs(b) + 1);
}

static struct hist_sample dump_at(double t, uint32_t count, double rate)
{
	struct hist_sample s = {.time = t, .count = count, .max = 1000, .dump = true, .rate = rate};

	s.tcp = count / 2;
	s.udp = count - s.tcp;
	return s;
}

static struct hist_sample counters_at(double t, uint32_t count, uint64_t ins, uint64_t drop, uint64_t early)
{
	struct hist_sample s = {.time = t, .count = count, .max = 1000, .counters = true};

	s.insert_failed = ins;
	s.drop = drop;
	s.early_drop = early;
	return s;
}

static void test_buckets(void)
{
	struct hist_point b[10], p;
	struct hist_acc a;
	struct hist_sample s;
	uint32_t i, filled = 0;
	bool all = true;

	/* 100 one-second dumps into 10 buckets of 10 s: bucket i holds t = 10i..10i+9 */
	hist_init(&a, b, 10, 0, 100);
	for (i = 0; i < 100; i++) {
		s = dump_at(i, i, 2.0 * i);
		hist_add(&a, &s);
	}
	for (i = 0; i < 10; i++) {
		all = all && hist_point(&a, i, &p) && near(p.time, 10 * i + 4.5) &&
		      near(p.count, 10 * i + 4.5) && near(p.rate, 2 * (10 * i + 4.5)) && near(p.max, 1000) &&
		      p.n == 10 && p.dumps == 10 && p.deltas == 0 && p.insert_failed == 0;
	}
	CHECK(all, "10 buckets of 10 samples: time, count, rate and max are their means");
	CHECK(!hist_point(&a, 10, &p), "no bucket past the last");

	/* until itself is in the last bucket; outside [since, until] in none */
	hist_init(&a, b, 10, 0, 100);
	s = dump_at(100, 7, 0);
	hist_add(&a, &s);
	s = dump_at(-0.5, 9, 0);
	hist_add(&a, &s);
	s = dump_at(100.5, 9, 0);
	hist_add(&a, &s);
	for (i = 0; i < 10; i++)
		filled += hist_point(&a, i, &p);
	CHECK(filled == 1 && hist_point(&a, 9, &p) && p.n == 1 && near(p.count, 7) && near(p.time, 100),
	      "a sample at until lands in the last bucket, samples outside none (%u filled)", filled);

	/* empty buckets give no point; one sample keeps its own values */
	hist_init(&a, b, 4, 1000, 1400);
	s = dump_at(1250, 42, 123.5);
	s.icmp = 3;
	s.other = 1;
	hist_add(&a, &s);
	CHECK(!hist_point(&a, 0, &p) && !hist_point(&a, 1, &p) && !hist_point(&a, 3, &p),
	      "buckets without samples give no point");
	CHECK(hist_point(&a, 2, &p) && near(p.time, 1250) && near(p.count, 42) && near(p.rate, 123.5) &&
		  near(p.tcp, 21) && near(p.udp, 21) && near(p.icmp, 3) && near(p.other, 1),
	      "one sample in a bucket: exactly its values");

	/* rate and protocols are the mean of the dumps only; count of all samples */
	hist_init(&a, b, 1, 0, 60);
	s = dump_at(10, 10, 100);
	hist_add(&a, &s);
	s = counters_at(20, 40, 0, 0, 0);
	hist_add(&a, &s);
	s = dump_at(30, 30, 300);
	hist_add(&a, &s);
	CHECK(hist_point(&a, 0, &p) && p.n == 3 && p.dumps == 2 && near(p.count, 80.0 / 3) &&
		  near(p.rate, 200) && near(p.tcp, 10) && near(p.time, 20),
	      "count over all samples, rate and protocols over the dumps (count %g rate %g)", p.count,
	      p.rate);
	hist_init(&a, b, 1, 0, 60);
	s = counters_at(20, 40, 0, 0, 0);
	hist_add(&a, &s);
	CHECK(hist_point(&a, 0, &p) && p.dumps == 0 && p.rate == 0 && p.tcp == 0,
	      "a bucket without a dump: rate and protocols 0, dumps 0 says they are unknown");
}

static void test_deltas(void)
{
	struct hist_point b[3], p0, p1, p2;
	struct hist_acc a;
	struct hist_sample s;

	/* [0, 30) in 3 buckets; the base comes from before since */
	hist_init(&a, b, 3, 0, 30);
	s = counters_at(-60, 1, 100, 10, 5);
	hist_add(&a, &s);
	s = counters_at(5, 1, 103, 10, 5); /* +3 +0 +0 */
	hist_add(&a, &s);
	s = dump_at(6, 1, 0); /* no counters: no delta */
	hist_add(&a, &s);
	s = counters_at(8, 1, 110, 12, 5); /* +7 +2 +0 */
	hist_add(&a, &s);
	s = counters_at(25, 1, 110, 20, 9); /* +0 +8 +4 */
	hist_add(&a, &s);
	CHECK(hist_point(&a, 0, &p0) && near(p0.insert_failed, 10) && near(p0.drop, 2) &&
		  near(p0.early_drop, 0) && p0.deltas == 2 && p0.n == 3,
	      "deltas of consecutive --sample samples added up in the later one's bucket (%g %g %g)",
	      p0.insert_failed, p0.drop, p0.early_drop);
	CHECK(!hist_point(&a, 1, &p1), "the middle bucket is empty");
	CHECK(hist_point(&a, 2, &p2) && near(p2.insert_failed, 0) && near(p2.drop, 8) &&
		  near(p2.early_drop, 4) && p2.deltas == 1,
	      "a delta across an empty bucket belongs to the later sample");

	/* no sample before: the first one only sets the base */
	hist_init(&a, b, 1, 0, 30);
	s = counters_at(1, 1, 50, 50, 50);
	hist_add(&a, &s);
	s = counters_at(2, 1, 51, 50, 50);
	hist_add(&a, &s);
	CHECK(hist_point(&a, 0, &p0) && p0.deltas == 1 && near(p0.insert_failed, 1) && near(p0.drop, 0),
	      "the first sample ever carries no delta");

	/* a counter that went down was reset: its new value is the delta */
	hist_init(&a, b, 1, 0, 30);
	s = counters_at(1, 1, 1000, 7, 7);
	hist_add(&a, &s);
	s = counters_at(2, 1, 4, 9, 7);
	hist_add(&a, &s);
	CHECK(hist_point(&a, 0, &p0) && near(p0.insert_failed, 4) && near(p0.drop, 2) &&
		  near(p0.early_drop, 0),
	      "a reset counter counts from zero (%g)", p0.insert_failed);
}

struct collect {
	struct hist_sample s[16];
	int n;
};

static void collect(const struct hist_sample *s, void *arg)
{
	struct collect *c = arg;

	if (c->n < 16)
		c->s[c->n] = *s;
	c->n++;
}

static void test_store(void)
{
	sqlite3 *db = NULL;
	struct hist_sample s;
	struct collect c = {0};
	int rc, i;

	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK &&
		  sqlite3_exec(db, ctd_sql_004, NULL, NULL, NULL) == SQLITE_OK,
	      "sql/004-history.sql makes the table");
	for (i = 0; i < 5; i++) {
		s = i % 2 ? counters_at(100 + i, 10 + i, 1000 + i, 2000 + i, 3000 + i)
			  : dump_at(100 + i, 10 + i, 0.5 + i);
		rc = store_history_add(db, &s, 0);
	}
	CHECK(rc == SQLITE_OK, "5 samples stored");
	rc = store_history_each(db, 102, 104, collect, &c);
	CHECK(rc == SQLITE_OK && c.n == 4,
	      "the last --sample sample before since, then the 3 in the window (%d)", c.n);
	CHECK(c.n == 4 && c.s[0].time == 101 && c.s[0].counters && !c.s[0].dump &&
		  c.s[0].insert_failed == 1001 && c.s[0].drop == 2001 && c.s[0].early_drop == 3001 &&
		  c.s[0].count == 11 && c.s[0].max == 1000,
	      "a --sample sample reads back with its counters and no dump fields");
	CHECK(c.n == 4 && c.s[1].time == 102 && c.s[1].dump && !c.s[1].counters && c.s[1].rate == 2.5 &&
		  c.s[1].tcp == 6 && c.s[1].udp == 6 && c.s[3].time == 104,
	      "a dump sample reads back with its rate and protocols, in time order");
	/* prune: everything before 103 goes with the next insert */
	s = dump_at(200, 1, 0);
	rc = store_history_add(db, &s, 103);
	c.n = 0;
	store_history_each(db, 0, 1000, collect, &c);
	CHECK(rc == SQLITE_OK && c.n == 3 && c.s[0].time == 103 && c.s[2].time == 200,
	      "an insert prunes the samples older than its cut (%d left)", c.n);
	/* bounded: at most a batch per insert */
	sqlite3_exec(db,
		     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500) "
		     "INSERT INTO history(time, kind, count, max) SELECT i, 2, 0, 0 FROM n",
		     NULL, NULL, NULL);
	s = dump_at(5000, 1, 0);
	store_history_add(db, &s, 4000);
	c.n = 0;
	store_history_each(db, 0, 10000, collect, &c);
	CHECK(c.n == 3 + 2500 + 1 - 1000, "one insert prunes at most 1000 old rows (%d left)", c.n);
	sqlite3_close(db);
}

int main(void)
{
	test_buckets();
	test_deltas();
	test_store();
	return CHECK_DONE();
}
