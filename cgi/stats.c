// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stats.c - the `stats` method (stats.h).  The figures come from the
 * helper, not from /proc read here: the helper is what sees the network
 * namespace whose table ctd shows (in socket mode the web server may run
 * in another one), and it reads the counters the way `conntrack -S` does
 * (ctnetlink per-CPU statistics, which need CAP_NET_ADMIN).
 */
#include <stdint.h>
#include <string.h>

#include "ctd_errtext.h"
#include "fault.h"
#include "helper_client.h"
#include "row.h"
#include "stats.h"
#include "util.h"

int stats_fetch(xmlrpc_env *env, const struct ctd_ctx *ctx, struct ctd_stats *st)
{
	struct hc_target ht = {ctx->cfg.helper, ctx->cfg.helper_timeout};
	struct hc_error e;

	memset(st, 0, sizeof(*st));
	if (hc_stats(&ht, st, &e) < 0) {
		ctd_helper_fault(env, &e, CT_OP_COUNT);
		return -1;
	}
	return 0;
}

static xmlrpc_value *i4(xmlrpc_env *env, uint32_t v)
{
	return xmlrpc_int_new(env, v > INT32_MAX ? INT32_MAX : (int)v);
}

xmlrpc_value *rpc_stats_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params)
{
	struct ctd_stats st;
	xmlrpc_value *s;
	double now;

	(void)params;
	if (stats_fetch(env, ctx, &st) < 0)
		return NULL;
	now = now_s();
	if (!(s = xmlrpc_struct_new(env)))
		return NULL;
	row_put(env, s, "count", i4(env, st.table.count));
	row_put(env, s, "max", i4(env, st.table.max));
	row_put(env, s, "fill",
		xmlrpc_double_new(env, st.table.max ? (double)st.table.count / st.table.max : 0.0));
	row_put(env, s, "accounting", xmlrpc_bool_new(env, st.table.accounting != 0));
	row_put(env, s, "timestamps", xmlrpc_bool_new(env, st.table.timestamp != 0));
	/* 64-bit sums as doubles (README API: exact to 2^53) */
	row_put(env, s, "found", xmlrpc_double_new(env, (double)st.found));
	row_put(env, s, "invalid", xmlrpc_double_new(env, (double)st.invalid));
	row_put(env, s, "insert", xmlrpc_double_new(env, (double)st.insert));
	row_put(env, s, "insert_failed", xmlrpc_double_new(env, (double)st.insert_failed));
	row_put(env, s, "drop", xmlrpc_double_new(env, (double)st.drop));
	row_put(env, s, "early_drop", xmlrpc_double_new(env, (double)st.early_drop));
	row_put(env, s, "error", xmlrpc_double_new(env, (double)st.error));
	row_put(env, s, "search_restart", xmlrpc_double_new(env, (double)st.search_restart));
	row_put(env, s, "clash_resolve", xmlrpc_double_new(env, (double)st.clash_resolve));
	row_put(env, s, "chaintoolong", xmlrpc_double_new(env, (double)st.chaintoolong));
	row_put(env, s, "expect_count", i4(env, st.expect_count));
	row_put(env, s, "events_sysctl", i4(env, st.events));
	row_put(env, s, "time", xmlrpc_double_new(env, now));
	if (env->fault_occurred) {
		xmlrpc_DECREF(s);
		return NULL;
	}
	return s;
}
