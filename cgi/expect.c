// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expect.c - `expectations` and `kill_expectation` (README API): the
 * kernel's expectation table (`conntrack -L expect`: the connections FTP,
 * SIP, H.323 helpers announced), read afresh by the helper with each
 * master's id, and destroyed by id as `kill` destroys connections.  What
 * a session's last `expectations` call listed is stored with it
 * (store_expect.c): kill_expectation acts only on those ids, by the
 * expected tuple, zone and id that call showed (the kernel checks the id).
 * Filters are view's, applied to the expected tuple (the master tuple too
 * for `addr`); hidden networks hide an expectation whose expected or
 * master tuple touches them.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "actions.h"
#include "ctd_errtext.h"
#include "ctx.h"
#include "db.h"
#include "expect.h"
#include "fault.h"
#include "field.h"
#include "filter.h"
#include "helper_client.h"
#include "hide.h"
#include "row.h"
#include "store.h"
#include "uname.h"
#include "value.h"

/* An expectation as a record the filters, the hidden networks and the
 * audit log read: its id, zone and protocols, the expected tuple as the
 * original one, the master tuple as the reply one. */
static void as_record(const struct ctd_expect *x, struct ctd_record *r)
{
	memset(r, 0, sizeof(*r));
	r->id = x->id;
	r->zone = x->zone;
	r->l3proto = x->l3proto;
	r->l4proto = x->l4proto;
	r->orig = x->tuple;
	r->repl = x->master;
	r->timeout = x->timeout;
	if (proto_has_ports(x->l4proto))
		r->flags |= CTD_REC_HAS_PORTS;
}

static bool hidden(const struct ctd_config *cfg, const struct ctd_expect *x)
{
	struct ctd_record r;

	as_record(x, &r);
	if (hide_row(cfg, &r))
		return true;
	r.orig = x->master;
	return hide_row(cfg, &r);
}

static void put_u32str(xmlrpc_env *env, xmlrpc_value *s, const char *k, uint32_t v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	row_put(env, s, k, xmlrpc_string_new(env, buf));
}

static void put_int(xmlrpc_env *env, xmlrpc_value *s, const char *k, uint32_t v)
{
	row_put(env, s, k, xmlrpc_int_new(env, v > INT32_MAX ? INT32_MAX : (int)v));
}

/* prefix_ipv4_src/dst (or ipv6) and, for port protocols, prefix_port_src/dst. */
static void put_tuple(xmlrpc_env *env, xmlrpc_value *s, const char *prefix, uint8_t l3, uint8_t l4,
		      const struct ctd_tuple *t)
{
	char k[32], a[INET6_ADDRSTRLEN];
	const char *fam = l3 == AF_INET ? "ipv4" : "ipv6";

	snprintf(k, sizeof(k), "%s_%s_src", prefix, fam);
	if (inet_ntop(l3, t->src, a, sizeof(a)))
		row_put(env, s, k, xmlrpc_string_new(env, a));
	snprintf(k, sizeof(k), "%s_%s_dst", prefix, fam);
	if (inet_ntop(l3, t->dst, a, sizeof(a)))
		row_put(env, s, k, xmlrpc_string_new(env, a));
	if (proto_has_ports(l4)) {
		snprintf(k, sizeof(k), "%s_port_src", prefix);
		put_int(env, s, k, t->sport);
		snprintf(k, sizeof(k), "%s_port_dst", prefix);
		put_int(env, s, k, t->dport);
	}
}

static xmlrpc_value *expect_row(xmlrpc_env *env, const struct ctd_expect *x)
{
	xmlrpc_value *s = xmlrpc_struct_new(env);

	if (!s)
		return NULL;
	put_u32str(env, s, "id", x->id);
	put_u32str(env, s, "master", x->master_id);
	row_put(env, s, "helper", xmlrpc_string_new(env, x->helper));
	put_int(env, s, "class", x->class_);
	put_int(env, s, "flags", x->flags);
	put_int(env, s, "zone", x->zone);
	put_int(env, s, "timeout", x->timeout);
	put_int(env, s, "orig_l3proto", x->l3proto);
	put_int(env, s, "orig_l4proto", x->l4proto);
	put_tuple(env, s, "orig", x->l3proto, x->l4proto, &x->tuple);
	put_tuple(env, s, "mask", x->l3proto, x->l4proto, &x->mask);
	put_int(env, s, "master_l4proto", x->master_l4proto);
	put_tuple(env, s, "master", x->l3proto, x->master_l4proto, &x->master);
	if (env->fault_occurred) {
		xmlrpc_DECREF(s);
		return NULL;
	}
	return s;
}

xmlrpc_value *rpc_expectations(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	struct ctd_ctx *ctx = srv;
	xmlrpc_value *vf = rpc_param(env, params, 1), *table = NULL, *ret = NULL;
	struct hc_target ht = {ctx->cfg.helper, ctx->cfg.helper_timeout};
	struct field_ctx fc = {&ctx->cfg, NULL};
	struct ctd_expect *x = NULL;
	struct view_filter f;
	struct hc_error e;
	uint32_t n = 0, i, k = 0;
	int rc;

	(void)call;
	if (filter_parse(env, vf, &f) < 0)
		goto out;
	if (!(fc.uc = uname_new()) || !(table = xmlrpc_array_new(env))) {
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
		goto out;
	}
	if (hc_expect_dump(&ht, &x, &n, &e) < 0) {
		ctd_helper_fault(env, &e, CT_OP_DUMP);
		goto out;
	}
	/* keep the shown ones, in place */
	for (i = 0; i < n; i++) {
		struct ctd_record r;
		as_record(&x[i], &r);
		if (!hidden(&ctx->cfg, &x[i]) && filter_match(&fc, &f, &r))
			x[k++] = x[i];
	}
	/* what this call listed is what kill_expectation may act on */
	if (db_begin(env, ctx->db) < 0)
		goto out;
	if ((rc = store_expect_replace(ctx->db, ctx->sid, x, k)) != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "storing the listed expectations");
		db_rollback(ctx->db);
		goto out;
	}
	if (db_commit(env, ctx->db) < 0)
		goto out;
	for (i = 0; i < k && !env->fault_occurred; i++) {
		xmlrpc_value *row = expect_row(env, &x[i]);
		if (row) {
			xmlrpc_array_append_item(env, table, row);
			xmlrpc_DECREF(row);
		}
	}
	if (!env->fault_occurred)
		ret = xmlrpc_build_value(env, "{s:i,s:V}", "total", (int)k, "table", table);
out:
	free(x);
	uname_free(fc.uc);
	if (table)
		xmlrpc_DECREF(table);
	if (vf)
		xmlrpc_DECREF(vf);
	return env->fault_occurred ? (ret ? (xmlrpc_DECREF(ret), NULL) : NULL) : ret;
}

/* The ids as this session's last `expectations` call listed them, as
 * records whose original tuple is the expected one (all or nothing). */
static int listed(xmlrpc_env *env, struct ctd_ctx *ctx, const uint32_t *ids, size_t n,
		  struct ctd_record **recs)
{
	struct ctd_expect *x = calloc(n, sizeof(*x));
	bool *found = calloc(n, sizeof(*found));
	size_t i;
	int rc = -1, src;

	*recs = calloc(n, sizeof(**recs));
	if (!x || !found || !*recs) {
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
		goto out;
	}
	if ((src = store_expect_lookup(ctx->db, ctx->sid, ids, n, x, found)) != SQLITE_OK) {
		db_fault(env, ctx->db, src, "reading the listed expectations");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!found[i]) {
			ctd_fault(
			    env, CTD_F_NOTFOUND,
			    "expectation %u not found: this session's last expectations call did not list it "
			    "(call expectations, then use ids it returned); nothing killed",
			    ids[i]);
			goto out;
		}
		as_record(&x[i], &(*recs)[i]);
	}
	rc = 0;
out:
	free(x);
	free(found);
	if (rc < 0) {
		free(*recs);
		*recs = NULL;
	}
	return rc;
}

xmlrpc_value *rpc_kill_expectation(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	(void)call;
	return actions_kill(env, srv, params, CTD_REQ_EXPECT_DESTROY, listed);
}
