// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * audit.c - the `audit` method (audit.h): who did what, read from the
 * audit table (store_audit.c) newest first, filtered and paged as `view`
 * pages.  Operators only (rpc.c's table): the log names users, addresses
 * and connections.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "audit.h"
#include "bounds.h"
#include "ctx.h"
#include "db.h"
#include "fault.h"
#include "row.h"
#include "store.h"
#include "value.h"
#include "view.h"

struct audit_req {
	struct audit_filter f;
	char user[CTD_USER_MAX], action[32], result[16], addr[INET6_ADDRSTRLEN];
	int64_t start;
	uint32_t length;
};

static const char *const results[] = {"done", "gone", "failed", "pending"};

static void text_filter(xmlrpc_env *env, xmlrpc_value *v, const char *key, char *buf, size_t len,
			const char **out)
{
	if (val_string(env, v, buf, len) < 0)
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'filters.%s': give a string of at most %zu bytes",
			  key, len - 1);
	else
		*out = buf;
}

static void filter_member(xmlrpc_env *env, xmlrpc_value *k, xmlrpc_value *v, void *arg)
{
	struct audit_req *q = arg;
	uint8_t a[16];
	char key[32];
	unsigned i;

	if (val_string(env, k, key, sizeof(key)) < 0)
		key[0] = '\0';
	if (strcmp(key, "user") == 0) {
		text_filter(env, v, key, q->user, sizeof(q->user), &q->f.user);
	} else if (strcmp(key, "action") == 0) {
		text_filter(env, v, key, q->action, sizeof(q->action), &q->f.action);
	} else if (strcmp(key, "result") == 0) {
		if (val_string(env, v, q->result, sizeof(q->result)) == 0)
			for (i = 0; i < sizeof(results) / sizeof(results[0]); i++)
				if (strcmp(q->result, results[i]) == 0)
					q->f.result = results[i];
		if (!q->f.result)
			ctd_fault(
			    env, CTD_F_PARAM,
			    "bad parameter 'filters.result': give 'done', 'gone', 'failed' or 'pending'");
	} else if (strcmp(key, "since") == 0 || strcmp(key, "until") == 0) {
		bool since = key[0] == 's';
		if (val_time(env, v, since ? &q->f.since : &q->f.until) < 0)
			ctd_fault(env, CTD_F_PARAM,
				  "bad parameter 'filters.%s': give unix seconds (an int or a double)", key);
		*(since ? &q->f.has_since : &q->f.has_until) = true;
	} else if (strcmp(key, "addr") == 0) {
		/* the tuple text spells addresses as inet_ntop does: so must the filter */
		char s[INET6_ADDRSTRLEN + 8];
		int fam = 0;
		if (val_string(env, v, s, sizeof(s)) == 0)
			fam = inet_pton(AF_INET, s, a) == 1    ? AF_INET
			      : inet_pton(AF_INET6, s, a) == 1 ? AF_INET6
							       : 0;
		if (!fam || !inet_ntop(fam, a, q->addr, sizeof(q->addr)))
			ctd_fault(
			    env, CTD_F_PARAM,
			    "bad parameter 'filters.addr': give an IPv4 or IPv6 address, e.g. '192.0.2.1'");
		else
			q->f.addr = q->addr;
	} else {
		ctd_fault(
		    env, CTD_F_PARAM,
		    "bad parameter 'filters': unknown filter '%.40s' (user, action, since, until, result, "
		    "addr)",
		    key);
	}
}

static int parse_audit(xmlrpc_env *env, const struct ctd_config *cfg, xmlrpc_value *params,
		       struct audit_req *q)
{
	xmlrpc_value *v;
	int64_t x;

	memset(q, 0, sizeof(*q));
	q->length = cfg->max_page;
	if ((v = rpc_param(env, params, 1))) {
		/* PHP encodes an empty array() as <array> */
		if (xmlrpc_value_type(v) == XMLRPC_TYPE_STRUCT)
			val_struct_each(env, v, filter_member, q);
		else if (xmlrpc_value_type(v) != XMLRPC_TYPE_ARRAY || xmlrpc_array_size(env, v) != 0)
			ctd_fault(env, CTD_F_PARAM,
				  "bad parameter 'filters': a struct of filters is expected");
		xmlrpc_DECREF(v);
	}
	if (!env->fault_occurred && (v = rpc_param(env, params, 2))) {
		if (val_int(env, v, &q->start) < 0 || q->start < 0)
			ctd_fault(env, CTD_F_PARAM, "bad parameter 'start': give an integer >= 0");
		xmlrpc_DECREF(v);
	}
	if (!env->fault_occurred && (v = rpc_param(env, params, 3))) {
		/* as view: <= 0 or above max_page is the maximum page */
		if (val_int(env, v, &x) < 0)
			ctd_fault(env, CTD_F_PARAM, "bad parameter 'length': give an integer");
		else if (x > 0 && x <= cfg->max_page)
			q->length = (uint32_t)x;
		xmlrpc_DECREF(v);
	}
	return env->fault_occurred ? -1 : 0;
}

/* The stored tuple "l3=2 l4=6 src=... dport=80 zone=0" as conntrack -L
 * begins a line: "tcp 6 src=... dport=80 zone=0". */
static void tuple_ct(const char *t, char *out, size_t len)
{
	static const struct {
		unsigned num;
		const char *name;
	} l4[] = {{1, "icmp"}, {6, "tcp"},     {17, "udp"},   {33, "dccp"},
		  {47, "gre"}, {58, "icmpv6"}, {132, "sctp"}, {136, "udplite"}};
	const char *name = "unknown";
	unsigned l3, p, i;
	int n = 0;

	if (sscanf(t, "l3=%u l4=%u %n", &l3, &p, &n) != 2 || !n) {
		snprintf(out, len, "%s", t);
		return;
	}
	for (i = 0; i < sizeof(l4) / sizeof(l4[0]); i++)
		if (l4[i].num == p)
			name = l4[i].name;
	snprintf(out, len, "%s %u %s", name, p, t + n);
}

struct page {
	xmlrpc_env *env;
	xmlrpc_value *entries;
};

static void put_text(xmlrpc_env *env, xmlrpc_value *s, const char *k, const char *v)
{
	row_put(env, s, k, xmlrpc_string_new(env, v));
}

static void add_entry(const struct audit_entry *e, void *arg)
{
	struct page *pg = arg;
	xmlrpc_env *env = pg->env;
	const char *eq = strchr(e->detail, '=');
	char tuple[320], field[64];
	xmlrpc_value *s;

	if (env->fault_occurred || !(s = xmlrpc_struct_new(env)))
		return;
	snprintf(field, sizeof(field), "%.*s", eq ? (int)(eq - e->detail) : 0, e->detail);
	tuple_ct(e->tuple, tuple, sizeof(tuple));
	row_put(env, s, "time", xmlrpc_double_new(env, e->time));
	put_text(env, s, "user", e->user);
	put_text(env, s, "role", e->role);
	put_text(env, s, "remote_addr", e->remote_addr);
	put_text(env, s, "action", e->action);
	put_text(env, s, "id", e->id);
	put_text(env, s, "tuple", tuple);
	put_text(env, s, "field", field);
	put_text(env, s, "value", eq ? eq + 1 : "");
	put_text(env, s, "result", e->result);
	put_text(env, s, "message", e->message);
	xmlrpc_array_append_item(env, pg->entries, s);
	xmlrpc_DECREF(s);
}

xmlrpc_value *rpc_audit_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params)
{
	struct audit_req q;
	struct page pg = {env, NULL};
	xmlrpc_value *r = NULL;
	uint32_t total = 0, start, n;
	int rc;

	if (parse_audit(env, &ctx->cfg, params, &q) < 0)
		return NULL;
	start = (uint32_t)(q.start > UINT32_MAX ? UINT32_MAX : q.start);
	if (!(pg.entries = xmlrpc_array_new(env)))
		return NULL;
	if ((rc = store_audit_page(ctx->db, &q.f, start, q.length, &total, add_entry, &pg)) != SQLITE_OK)
		db_fault(env, ctx->db, rc, "reading the audit log");
	/* the rows count against the request's budget, as view's do (multicall) */
	n = !env->fault_occurred ? (uint32_t)xmlrpc_array_size(env, pg.entries) : 0;
	if (!env->fault_occurred && view_spend_rows(env, ctx, n, "length") == 0 &&
	    (r = xmlrpc_struct_new(env))) {
		row_put(env, r, "total", xmlrpc_int_new(env, total > INT32_MAX ? INT32_MAX : (int)total));
		row_put(env, r, "start", xmlrpc_int_new(env, q.start > INT32_MAX ? INT32_MAX : (int)q.start));
		row_put(env, r, "entries", pg.entries);
		pg.entries = NULL;
	}
	if (pg.entries)
		xmlrpc_DECREF(pg.entries);
	if (env->fault_occurred && r) {
		xmlrpc_DECREF(r);
		r = NULL;
	}
	return r;
}
