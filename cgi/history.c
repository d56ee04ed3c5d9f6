// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * history.c - the `history` method (README, API): the stored samples of
 * [since, until] averaged into at most `points` equal buckets, so a day
 * of per-minute samples is one chart's worth of points.  The bucketing
 * (hist_*) is pure; the samples come from store_history.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "db.h"
#include "fault.h"
#include "history.h"
#include "store.h"
#include "util.h"
#include "value.h"

/* ---- bucketing ------------------------------------------------------------------ */
void hist_init(struct hist_acc *a, struct hist_point *b, uint32_t points, double since, double until)
{
	memset(a, 0, sizeof(*a));
	memset(b, 0, (size_t)points * sizeof(*b));
	a->since = since;
	a->until = until;
	a->points = points;
	a->width = (until - since) / points;
	a->b = b;
}

/* The bucket of time t, or -1 outside [since, until]. */
static int64_t bucket_of(const struct hist_acc *a, double t)
{
	int64_t i;

	if (!(t >= a->since && t <= a->until) || a->width <= 0)
		return -1;
	i = (int64_t)((t - a->since) / a->width);
	/* until itself, and rounding at the last edge, belong to the last bucket */
	return i >= (int64_t)a->points ? (int64_t)a->points - 1 : i;
}

static uint64_t delta(uint64_t now, uint64_t before)
{
	/* gone down: the counters were reset (reboot, a new namespace) */
	return now >= before ? now - before : now;
}

void hist_add(struct hist_acc *a, const struct hist_sample *s)
{
	int64_t i = bucket_of(a, s->time);
	struct hist_point *p = i >= 0 ? &a->b[i] : NULL;

	if (p) {
		p->n++;
		p->time += s->time;
		p->count += s->count;
		p->max += s->max;
		if (s->dump) {
			p->dumps++;
			p->rate += s->rate;
			p->tcp += s->tcp;
			p->udp += s->udp;
			p->icmp += s->icmp;
			p->other += s->other;
		}
	}
	if (!s->counters)
		return;
	if (p && a->have_prev) {
		p->deltas++;
		p->insert_failed += (double)delta(s->insert_failed, a->prev[0]);
		p->drop += (double)delta(s->drop, a->prev[1]);
		p->early_drop += (double)delta(s->early_drop, a->prev[2]);
	}
	a->have_prev = true;
	a->prev[0] = s->insert_failed;
	a->prev[1] = s->drop;
	a->prev[2] = s->early_drop;
}

bool hist_point(const struct hist_acc *a, uint32_t i, struct hist_point *out)
{
	const struct hist_point *p;

	if (i >= a->points || !(p = &a->b[i])->n)
		return false;
	*out = *p;
	out->time = p->time / p->n;
	out->count = p->count / p->n;
	out->max = p->max / p->n;
	if (p->dumps) {
		out->rate = p->rate / p->dumps;
		out->tcp = p->tcp / p->dumps;
		out->udp = p->udp / p->dumps;
		out->icmp = p->icmp / p->dumps;
		out->other = p->other / p->dumps;
	}
	return true;
}

/* ---- the method -------------------------------------------------------------------- */
struct hist_req {
	double since, until;
	bool has_since, has_until;
	int64_t points;
};

static int parse_option(xmlrpc_env *env, const char *key, xmlrpc_value *v, struct hist_req *q)
{
	if (strcmp(key, "since") == 0 || strcmp(key, "until") == 0) {
		bool since = key[0] == 's';
		if (val_time(env, v, since ? &q->since : &q->until) < 0) {
			ctd_fault(env, CTD_F_PARAM, "bad option '%s': give unix seconds (an int or a double)",
				  key);
			return -1;
		}
		*(since ? &q->has_since : &q->has_until) = true;
		return 0;
	}
	if (strcmp(key, "points") == 0) {
		if (val_int(env, v, &q->points) < 0 || q->points < 1 || q->points > CTD_HISTORY_POINTS_MAX) {
			ctd_fault(env, CTD_F_PARAM, "bad option 'points': give an integer 1..%u",
				  CTD_HISTORY_POINTS_MAX);
			return -1;
		}
		return 0;
	}
	ctd_fault(env, CTD_F_PARAM, "bad option '%.64s': history takes since, until and points", key);
	return -1;
}

static int parse_history(xmlrpc_env *env, xmlrpc_value *params, struct hist_req *q)
{
	xmlrpc_value *opts = rpc_param(env, params, 1), *k, *v;
	const char *key;
	int i, n, rc = 0;

	memset(q, 0, sizeof(*q));
	q->points = CTD_HISTORY_POINTS_DEFAULT;
	if (opts && xmlrpc_value_type(opts) == XMLRPC_TYPE_STRUCT) {
		n = xmlrpc_struct_size(env, opts);
		for (i = 0; i < n && rc == 0 && !env->fault_occurred; i++) {
			xmlrpc_struct_read_member(env, opts, (unsigned)i, &k, &v);
			if (env->fault_occurred)
				break;
			xmlrpc_read_string(env, k, &key);
			if (!env->fault_occurred) {
				rc = parse_option(env, key, v, q);
				free((void *)key);
			}
			xmlrpc_DECREF(k);
			xmlrpc_DECREF(v);
		}
	} else if (opts &&
		   !(xmlrpc_value_type(opts) == XMLRPC_TYPE_ARRAY && xmlrpc_array_size(env, opts) == 0)) {
		/* an empty array is PHP's array(): no options */
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'options': give a struct {since, until, points}");
		rc = -1;
	}
	if (opts)
		xmlrpc_DECREF(opts);
	if (rc < 0 || env->fault_occurred)
		return -1;
	/* by default the last hour; `since` alone: until now; `until` alone: the hour before */
	if (!q->has_until)
		q->until = now_s();
	if (!q->has_since)
		q->since = q->until - CTD_HISTORY_SPAN_DEFAULT;
	if (!(q->since < q->until)) {
		ctd_fault(env, CTD_F_PARAM, "bad option 'since': it must be before until (%.3f >= %.3f)",
			  q->since, q->until);
		return -1;
	}
	return 0;
}

static void feed(const struct hist_sample *s, void *arg)
{
	hist_add(arg, s);
}

static void set_double(xmlrpc_env *env, xmlrpc_value *st, const char *key, double x)
{
	xmlrpc_value *v = xmlrpc_double_new(env, x);

	if (v) {
		xmlrpc_struct_set_value(env, st, key, v);
		xmlrpc_DECREF(v);
	}
}

/* A figure no sample of the bucket carries is absent, as a row's field
 * that does not apply (a chart draws a gap, not a zero). */
static xmlrpc_value *point_value(xmlrpc_env *env, const struct hist_point *p)
{
	xmlrpc_value *st =
	    xmlrpc_build_value(env, "{s:d,s:d,s:d,s:i,s:i}", "time", p->time, "count", p->count, "max",
			       p->max, "dumps", (int)p->dumps, "counter_samples", (int)p->deltas);

	if (st && p->dumps) {
		set_double(env, st, "rate", p->rate);
		set_double(env, st, "tcp", p->tcp);
		set_double(env, st, "udp", p->udp);
		set_double(env, st, "icmp", p->icmp);
		set_double(env, st, "other", p->other);
	}
	if (st && p->deltas) {
		set_double(env, st, "insert_failed", p->insert_failed);
		set_double(env, st, "drop", p->drop);
		set_double(env, st, "early_drop", p->early_drop);
	}
	return st;
}

xmlrpc_value *rpc_history_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params)
{
	struct hist_req q;
	struct hist_acc acc;
	struct hist_point *b, pt;
	xmlrpc_value *samples, *item, *res = NULL;
	uint32_t i;
	int rc;

	if (parse_history(env, params, &q) < 0)
		return NULL;
	if (!(b = calloc((size_t)q.points, sizeof(*b)))) {
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
		return NULL;
	}
	hist_init(&acc, b, (uint32_t)q.points, q.since, q.until);
	if ((rc = store_history_each(ctx->db, q.since, q.until, feed, &acc)) != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "reading the history");
		free(b);
		return NULL;
	}
	samples = xmlrpc_array_new(env);
	for (i = 0; i < acc.points && !env->fault_occurred; i++) {
		if (!hist_point(&acc, i, &pt))
			continue;
		if ((item = point_value(env, &pt))) {
			xmlrpc_array_append_item(env, samples, item);
			xmlrpc_DECREF(item);
		}
	}
	free(b);
	if (!env->fault_occurred)
		res = xmlrpc_build_value(env, "{s:A,s:d,s:d}", "samples", samples, "since", q.since, "until",
					 q.until);
	if (samples)
		xmlrpc_DECREF(samples);
	return res;
}
