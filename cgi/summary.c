// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * summary.c - the `summary` method (summary.h): top talkers.
 *
 * The session's snapshot is read exactly as view reads it (snap_for_view:
 * the same freshness rules, a fresh dump answered from memory and stored
 * after the response), and every record that passes the filters (hidden
 * networks included: filter_match) is read once and counted in its group
 * (group.c); the top `limit` groups are the answer.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bounds.h"
#include "config.h"
#include "ctx.h"
#include "db.h"
#include "fault.h"
#include "field.h"
#include "filter.h"
#include "group.h"
#include "row.h"
#include "snapshot.h"
#include "store.h"
#include "summary.h"
#include "uname.h"
#include "value.h"
#include "view.h"

enum sum_order { SO_CONNECTIONS, SO_BYTES, SO_RATE };
static const char *const sum_orders[] = {"connections", "bytes", "rate"};

struct sum_req {
	struct view_filter f;
	const struct field *by;
	unsigned v4_prefix, v6_prefix;
	int order; /* enum sum_order */
	uint32_t limit;
};

/* ---- options ------------------------------------------------------------------ */
static void bad_group_by(xmlrpc_env *env)
{
	char names[512];
	size_t len = 0;
	unsigned i;

	names[0] = '\0';
	for (i = 0; i < ctd_nfields && len < sizeof(names); i++)
		if (ctd_fields[i].flags & FL_GROUP)
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "",
						ctd_fields[i].name);
	ctd_fault(env, CTD_F_PARAM, "bad parameter 'options.group_by': give one of %s", names);
}

/* An integer option within lo..hi, or fault 3 naming it. */
static void int_option(xmlrpc_env *env, xmlrpc_value *v, const char *name, int64_t lo, int64_t hi,
		       int64_t *out)
{
	if (val_int(env, v, out) < 0 || *out < lo || *out > hi)
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'options.%s': give an integer %lld..%lld", name,
			  (long long)lo, (long long)hi);
}

static void parse_option(xmlrpc_env *env, const char *key, xmlrpc_value *v, struct sum_req *q)
{
	char s[64];
	int64_t x = 0;
	unsigned i;

	if (strcmp(key, "group_by") == 0) {
		if (val_string(env, v, s, sizeof(s)) < 0 || !(q->by = field_by_name(s)) ||
		    !(q->by->flags & FL_GROUP))
			bad_group_by(env);
	} else if (strcmp(key, "v4_prefix") == 0) {
		int_option(env, v, key, 0, 32, &x);
		q->v4_prefix = (unsigned)x;
	} else if (strcmp(key, "v6_prefix") == 0) {
		int_option(env, v, key, 0, 128, &x);
		q->v6_prefix = (unsigned)x;
	} else if (strcmp(key, "limit") == 0) {
		int_option(env, v, key, 1, CTD_SUMMARY_LIMIT_MAX, &x);
		q->limit = (uint32_t)x;
	} else if (strcmp(key, "order_by") == 0) {
		q->order = -1;
		if (val_string(env, v, s, sizeof(s)) == 0)
			for (i = 0; i < sizeof(sum_orders) / sizeof(sum_orders[0]); i++)
				if (strcmp(s, sum_orders[i]) == 0)
					q->order = (int)i;
		if (q->order < 0)
			ctd_fault(env, CTD_F_PARAM,
				  "bad parameter 'options.order_by': give 'connections', 'bytes' or 'rate'");
	} else {
		ctd_fault(env, CTD_F_PARAM,
			  "bad parameter 'options': unknown option '%.40s' (group_by, v4_prefix, v6_prefix, "
			  "order_by, limit)",
			  key);
	}
}

static void option_member(xmlrpc_env *env, xmlrpc_value *k, xmlrpc_value *val, void *arg)
{
	char key[64];

	if (val_string(env, k, key, sizeof(key)) < 0)
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'options': unknown option");
	else
		parse_option(env, key, val, arg);
}

static int parse_options(xmlrpc_env *env, xmlrpc_value *v, struct sum_req *q)
{
	if (!v || (xmlrpc_value_type(v) == XMLRPC_TYPE_ARRAY && xmlrpc_array_size(env, v) == 0))
		return 0; /* PHP encodes an empty array() as <array> */
	if (xmlrpc_value_type(v) != XMLRPC_TYPE_STRUCT) {
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'options': a struct of options is expected");
		return -1;
	}
	val_struct_each(env, v, option_member, q);
	return env->fault_occurred ? -1 : 0;
}

static int parse_summary(xmlrpc_env *env, xmlrpc_value *params, struct sum_req *q)
{
	xmlrpc_value *v;

	memset(q, 0, sizeof(*q));
	q->by = field_by_name("orig_src");
	q->v4_prefix = 32;
	q->v6_prefix = 128;
	q->order = SO_CONNECTIONS;
	q->limit = CTD_SUMMARY_LIMIT_DEFAULT;
	if ((v = rpc_param(env, params, 1))) {
		filter_parse(env, v, &q->f);
		xmlrpc_DECREF(v);
	}
	if (!env->fault_occurred && (v = rpc_param(env, params, 2))) {
		parse_options(env, v, q);
		xmlrpc_DECREF(v);
	}
	return env->fault_occurred ? -1 : 0;
}

/* ---- the groups (group.c) ----------------------------------------------------------- */
struct sum {
	const struct sum_req *q;
	struct group_map gm;
	uint32_t total;
};

/* One pass over the snapshot: 0, or -1 when out of memory. */
static int aggregate(struct sum *s, const struct snap_table *t)
{
	struct ctd_record r;
	struct group *g;
	const float *rt;
	uint32_t i;

	for (i = 0; i < t->n; i++) {
		snap_get(t, i, &r);
		if (!filter_match(s->gm.fc, &s->q->f, &r))
			continue;
		if (!(g = group_of(&s->gm, &r)))
			return -1;
		rt = snap_rates_c(&r);
		g->conns++;
		g->obytes += r.orig_bytes;
		g->rbytes += r.repl_bytes;
		g->orate += rt[0];
		g->rrate += rt[1];
		s->total++;
	}
	return 0;
}

static double metric(const struct group *g, void *arg)
{
	int order = *(const int *)arg;

	if (order == SO_BYTES)
		return (double)g->obytes + (double)g->rbytes;
	if (order == SO_RATE)
		return g->orate + g->rrate;
	return g->conns;
}

/* ---- the answer ------------------------------------------------------------------ */
static xmlrpc_value *group_value(xmlrpc_env *env, const struct sum *s, const struct group_pick *p)
{
	const struct group *g = &s->gm.map.g[p->g];
	xmlrpc_value *v = xmlrpc_struct_new(env);

	if (!v)
		return NULL;
	row_put(env, v, "key", xmlrpc_string_new(env, p->key));
	row_put(env, v, "connections", xmlrpc_int_new(env, (int)g->conns));
	row_put(env, v, "orig_bytes", xmlrpc_double_new(env, (double)g->obytes));
	row_put(env, v, "repl_bytes", xmlrpc_double_new(env, (double)g->rbytes));
	row_put(env, v, "bytes", xmlrpc_double_new(env, (double)g->obytes + (double)g->rbytes));
	row_put(env, v, "orig_rate", xmlrpc_double_new(env, g->orate));
	row_put(env, v, "repl_rate", xmlrpc_double_new(env, g->rrate));
	row_put(env, v, "rate", xmlrpc_double_new(env, g->orate + g->rrate));
	row_put(env, v, "share", xmlrpc_double_new(env, s->total ? (double)g->conns / s->total : 0.0));
	if (env->fault_occurred) {
		xmlrpc_DECREF(v);
		return NULL;
	}
	return v;
}

static xmlrpc_value *result(xmlrpc_env *env, const struct sum *s, const struct snap_info *info,
			    const struct group_pick *top, uint32_t ntop)
{
	xmlrpc_value *groups = xmlrpc_array_new(env), *r = NULL, *g;
	uint32_t i;

	for (i = 0; groups && i < ntop && !env->fault_occurred; i++)
		if ((g = group_value(env, s, &top[i]))) {
			xmlrpc_array_append_item(env, groups, g);
			xmlrpc_DECREF(g);
		}
	if (!env->fault_occurred)
		r = xmlrpc_struct_new(env);
	if (r) {
		row_put(env, r, "total", xmlrpc_int_new(env, (int)s->total));
		row_put(env, r, "groups_total", xmlrpc_int_new(env, (int)s->gm.map.n));
		row_put(env, r, "groups", groups);
		groups = NULL;
		row_put(env, r, "snapshot_time", xmlrpc_double_new(env, info->time));
		row_put(env, r, "interval", xmlrpc_double_new(env, info->interval));
		row_put(env, r, "accounting", xmlrpc_bool_new(env, info->accounting));
	}
	if (groups)
		xmlrpc_DECREF(groups);
	if (env->fault_occurred && r) {
		xmlrpc_DECREF(r);
		r = NULL;
	}
	return r;
}

/* The session's snapshot as view reads it (view.c view_page), grouped. */
static xmlrpc_value *summarize(xmlrpc_env *env, struct ctd_ctx *ctx, const struct sum_req *q,
			       const struct field_ctx *fc)
{
	struct snap_table t = {0};
	struct snap_info info;
	struct sum s = {q, {0}, 0};
	struct group_pick *top = NULL;
	xmlrpc_value *r = NULL;
	uint32_t ntop = 0;
	int rc;

	/* the request's row budget is spent: no dump, no pass for nothing */
	if (ctx->rows >= ctx->cfg.max_page && view_spend_rows(env, ctx, 1, "options.limit") < 0)
		return NULL;
	if (snap_for_view(env, ctx, &info, &t, false) < 0)
		return NULL;
	if (!t.start && (rc = store_dump_load(ctx->db, info.dump_id, &t)) != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "reading a snapshot");
		snap_free(&t);
		return NULL;
	}
	group_init(&s.gm, q->by, q->v4_prefix, q->v6_prefix, fc);
	if (!(top = malloc(q->limit * sizeof(*top))) || aggregate(&s, &t) < 0)
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
	else
		group_top(&s.gm, metric, (void *)&q->order, q->limit, top, &ntop);
	/* a fresh dump is stored after the answer, as view's is (no order) */
	if (snap_deferred(ctx) && t.start)
		snap_defer(ctx, &t, "", NULL, 0, NULL);
	snap_free(&t);
	if (!env->fault_occurred && view_spend_rows(env, ctx, ntop, "options.limit") == 0)
		r = result(env, &s, &info, top, ntop);
	free(top);
	group_free(&s.gm);
	return r;
}

xmlrpc_value *rpc_summary_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params)
{
	struct sum_req q;
	struct field_ctx fc = {&ctx->cfg, NULL};
	xmlrpc_value *r = NULL;

	if (parse_summary(env, params, &q) < 0)
		return NULL;
	if (!(fc.uc = uname_new()))
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
	else
		r = summarize(env, ctx, &q, &fc);
	uname_free(fc.uc);
	return r;
}
