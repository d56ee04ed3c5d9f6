// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * killmatch.c - `kill_preview` and `kill_matching` (killmatch.h): kill
 * everything a filter matches, safely.
 *
 * The preview reads the session's snapshot exactly as view reads it
 * (snap_for_view, filter.c's filter_match with the hidden networks), and
 * stores the records it will kill, as the snapshot has them (id, tuple,
 * zone), under a new single-use token bound to the session
 * (store_killtoken.c).  kill_matching destroys exactly those records by
 * tuple + CTA_ID + zone (actions.c): an entry that began to match after
 * the preview was never stored, and a newer connection on a previewed
 * tuple has another id, which the kernel refuses to delete.  An entry
 * whose id another visible entry of the snapshot carries too is left
 * alone and counted as ambiguous, as kill refuses such an id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "ctd_errtext.h"
#include "ctx.h"
#include "db.h"
#include "fault.h"
#include "field.h"
#include "filter.h"
#include "group.h"
#include "hide.h"
#include "killmatch.h"
#include "reccodec.h"
#include "row.h"
#include "session.h"
#include "snapshot.h"
#include "store.h"
#include "uname.h"
#include "util.h"
#include "value.h"
#include "view.h"

#define KM_SAMPLE    20u  /* rows a preview shows */
#define KM_TOP	     10u  /* top sources, top destinations */
#define KM_TOKENS    4u	  /* live tokens one session may hold */
#define KM_VALUE_MAX 256u /* bytes of one filter value in the audit text */

/* ---- the filters as text (the audit summary row) ------------------------------------ */
struct ftext {
	char *buf;
	size_t len, cap;
};

static void ftext_member(xmlrpc_env *env, xmlrpc_value *k, xmlrpc_value *v, void *arg)
{
	struct ftext *ft = arg;
	char key[64], val[KM_VALUE_MAX];
	int64_t x;
	double d;

	if (val_string(env, k, key, sizeof(key)) < 0)
		snprintf(key, sizeof(key), "?");
	if (xmlrpc_value_type(v) == XMLRPC_TYPE_STRING) {
		if (val_string(env, v, val, sizeof(val)) < 0)
			snprintf(val, sizeof(val), "?");
	} else if (xmlrpc_value_type(v) == XMLRPC_TYPE_DOUBLE) {
		xmlrpc_env e;
		xmlrpc_env_init(&e);
		xmlrpc_read_double(&e, v, &d);
		snprintf(val, sizeof(val), "%.17g", e.fault_occurred ? 0.0 : d);
		xmlrpc_env_clean(&e);
	} else if (val_int(env, v, &x) == 0) {
		snprintf(val, sizeof(val), "%lld", (long long)x);
	} else {
		snprintf(val, sizeof(val), "?");
	}
	if (ft->len < ft->cap)
		ft->len += (size_t)snprintf(ft->buf + ft->len, ft->cap - ft->len, "%s%s=%s",
					    ft->len ? " " : "", key, val);
	if (ft->len >= ft->cap)
		ft->len = ft->cap - 1;
}

static void filter_text(xmlrpc_env *env, xmlrpc_value *v, char *out, size_t cap)
{
	struct ftext ft = {out, 0, cap};

	out[0] = '\0';
	if (xmlrpc_value_type(v) == XMLRPC_TYPE_STRUCT)
		val_struct_each(env, v, ftext_member, &ft);
}

/* ---- the preview -------------------------------------------------------------------- */
struct preview {
	const struct ctd_config *cfg;
	const struct field_ctx *fc;
	const struct view_filter *f;
	uint32_t matched, ambiguous, n;
	uint8_t *recs; /* n records: a length byte and reccodec_encode_one each */
	size_t len, cap;
	struct ctd_record sample[KM_SAMPLE];
	uint32_t nsample;
	struct group_map src, dst;
};

/* Whether another visible record of t (sorted by id) carries record i's id. */
static bool id_shared(const struct snap_table *t, uint32_t i, const struct ctd_config *cfg)
{
	uint32_t id = snap_id(t, i), j;
	struct ctd_record o;

	for (j = i; j > 0 && snap_id(t, j - 1) == id; j--)
		if ((snap_get(t, j - 1, &o), !hide_row(cfg, &o)))
			return true;
	for (j = i + 1; j < t->n && snap_id(t, j) == id; j++)
		if ((snap_get(t, j, &o), !hide_row(cfg, &o)))
			return true;
	return false;
}

static int keep(struct preview *p, const struct ctd_record *r)
{
	size_t want = p->len + 1 + RECCODEC_REC_MAX;
	void *q;

	if (want > p->cap) {
		size_t c = p->cap ? 2 * p->cap : 64 * 1024;
		while (c < want)
			c *= 2;
		if (!(q = realloc(p->recs, c)))
			return -1;
		p->recs = q;
		p->cap = c;
	}
	p->recs[p->len] = (uint8_t)reccodec_encode_one(r, p->recs + p->len + 1);
	p->len += 1 + (size_t)p->recs[p->len];
	p->n++;
	if (p->nsample < KM_SAMPLE)
		p->sample[p->nsample++] = *r;
	return 0;
}

/* One pass over the snapshot: 0, or -1 when out of memory. */
static int scan(struct preview *p, const struct snap_table *t)
{
	struct ctd_record r;
	struct group *g;
	uint32_t i;

	for (i = 0; i < t->n; i++) {
		snap_get(t, i, &r);
		if (!filter_match(p->fc, p->f, &r))
			continue;
		/* past the cap the preview is refused: count on, keep nothing */
		if (++p->matched > p->cfg->max_kill)
			continue;
		if (!(g = group_of(&p->src, &r)))
			return -1;
		g->conns++;
		if (!(g = group_of(&p->dst, &r)))
			return -1;
		g->conns++;
		if (id_shared(t, i, p->cfg))
			p->ambiguous++;
		else if (keep(p, &r) < 0)
			return -1;
	}
	return 0;
}

static double by_connections(const struct group *g, void *arg)
{
	(void)arg;
	return g->conns;
}

static xmlrpc_value *top_groups(xmlrpc_env *env, const struct group_map *m)
{
	struct group_pick top[KM_TOP];
	xmlrpc_value *a = xmlrpc_array_new(env), *v;
	uint32_t n = 0, i;

	group_top(m, by_connections, NULL, KM_TOP, top, &n);
	for (i = 0; a && i < n && !env->fault_occurred; i++) {
		v = xmlrpc_build_value(env, "{s:s,s:i}", "key", top[i].key, "connections",
				       (int)m->map.g[top[i].g].conns);
		if (v) {
			xmlrpc_array_append_item(env, a, v);
			xmlrpc_DECREF(v);
		}
	}
	return a;
}

static xmlrpc_value *preview_result(xmlrpc_env *env, const struct preview *p, const char *token,
				    unsigned lifetime)
{
	xmlrpc_value *r = xmlrpc_struct_new(env), *sample = xmlrpc_array_new(env), *row;
	uint32_t i;

	for (i = 0; sample && i < p->nsample && !env->fault_occurred; i++)
		if ((row = row_build(env, p->fc, &p->sample[i]))) {
			xmlrpc_array_append_item(env, sample, row);
			xmlrpc_DECREF(row);
		}
	if (r && sample && !env->fault_occurred) {
		row_put(env, r, "matched", xmlrpc_int_new(env, (int)p->matched));
		row_put(env, r, "token", xmlrpc_string_new(env, token));
		row_put(env, r, "expires", xmlrpc_int_new(env, (int)lifetime));
		row_put(env, r, "ambiguous", xmlrpc_int_new(env, (int)p->ambiguous));
		row_put(env, r, "sample", sample);
		sample = NULL;
		row_put(env, r, "top_sources", top_groups(env, &p->src));
		row_put(env, r, "top_destinations", top_groups(env, &p->dst));
	}
	if (sample)
		xmlrpc_DECREF(sample);
	if (env->fault_occurred && r) {
		xmlrpc_DECREF(r);
		r = NULL;
	}
	return r;
}

/* Stores the preview's records under a new token (one transaction). */
static int store_token(xmlrpc_env *env, struct ctd_ctx *ctx, const struct preview *p, const char *ftext,
		       char token[65])
{
	struct killtoken k;
	int rc;

	memset(&k, 0, sizeof(k));
	if (token_new(env, token, k.hash) < 0)
		return -1;
	k.session_id = ctx->sid;
	k.created = now_s();
	k.expires = k.created + ctx->cfg.kill_token_lifetime;
	snprintf(k.filter, sizeof(k.filter), "%s", ftext);
	k.matched = p->matched;
	k.ambiguous = p->ambiguous;
	k.n = p->n;
	k.records = p->recs;
	k.len = p->len;
	if (db_begin(env, ctx->db) < 0)
		return -1;
	if ((rc = store_killtoken_put(ctx->db, &k, KM_TOKENS)) != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "storing a kill token");
		db_rollback(ctx->db);
		return -1;
	}
	return db_commit(env, ctx->db);
}

static xmlrpc_value *preview(xmlrpc_env *env, struct ctd_ctx *ctx, const struct view_filter *f,
			     const struct field_ctx *fc, const char *ftext)
{
	struct preview p;
	struct snap_table t = {0};
	struct snap_info info;
	xmlrpc_value *r = NULL;
	char token[65];
	int rc;

	memset(&p, 0, sizeof(p));
	p.cfg = &ctx->cfg;
	p.fc = fc;
	p.f = f;
	group_init(&p.src, field_by_name("orig_src"), 32, 128, fc);
	group_init(&p.dst, field_by_name("orig_dst"), 32, 128, fc);
	/* the request's row budget is spent: no dump, no pass for nothing */
	if (ctx->rows >= ctx->cfg.max_page && view_spend_rows(env, ctx, 1, "filters") < 0)
		goto out;
	if (snap_for_view(env, ctx, &info, &t, false) < 0)
		goto out;
	if (!t.start && (rc = store_dump_load(ctx->db, info.dump_id, &t)) != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "reading a snapshot");
		goto out;
	}
	if (scan(&p, &t) < 0)
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
	/* a fresh dump is stored after the answer, as view's is (no order) */
	if (snap_deferred(ctx) && t.start)
		snap_defer(ctx, &t, "", NULL, 0, NULL);
	if (env->fault_occurred)
		goto out;
	if (p.matched > ctx->cfg.max_kill) {
		ctd_fault(env, CTD_F_PARAM,
			  "bad parameter 'filters': %u connections match, more than max_kill (%u); narrow "
			  "the filters (nothing can be killed by these)",
			  p.matched, ctx->cfg.max_kill);
		goto out;
	}
	if (view_spend_rows(env, ctx, p.nsample + 2 * KM_TOP, "filters") < 0 ||
	    store_token(env, ctx, &p, ftext, token) < 0)
		goto out;
	r = preview_result(env, &p, token, ctx->cfg.kill_token_lifetime);
out:
	snap_free(&t);
	group_free(&p.src);
	group_free(&p.dst);
	free(p.recs);
	return r;
}

xmlrpc_value *rpc_kill_preview_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params)
{
	xmlrpc_value *v = rpc_param(env, params, 1), *r = NULL;
	struct field_ctx fc = {&ctx->cfg, NULL};
	struct view_filter *f = calloc(1, sizeof(*f));
	char ftext[KILLTOKEN_FILTER_MAX];

	if (!f) {
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
		goto out;
	}
	if (v && filter_parse(env, v, f) < 0)
		goto out;
	/* there is no "kill everything" */
	if (!v || f->n == 0) {
		ctd_fault(env, CTD_F_PARAM,
			  "bad parameter 'filters': give at least one filter (kill_preview never matches the "
			  "whole table)");
		goto out;
	}
	filter_text(env, v, ftext, sizeof(ftext));
	if (!(fc.uc = uname_new()))
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
	else
		r = preview(env, ctx, f, &fc, ftext);
out:
	if (v)
		xmlrpc_DECREF(v);
	uname_free(fc.uc);
	free(f);
	return r;
}

/* ---- kill_matching ----------------------------------------------------------------- */
/* The token's records, decoded: 0, or -1 (damaged: not as stored). */
static int decode_records(const struct killtoken *k, struct ctd_record *out)
{
	size_t off = 0;
	uint32_t i;

	for (i = 0; i < k->n; i++) {
		if (off >= k->len || k->len - off - 1 < k->records[off] ||
		    reccodec_decode_one(k->records + off + 1, k->records[off], &out[i]) < 0)
			return -1;
		off += 1 + (size_t)k->records[off];
	}
	return off == k->len ? 0 : -1;
}

/* Takes the token (spent from now on) or sets fault 3 saying why not. */
static int take_token(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *v, struct killtoken *k)
{
	enum killtoken_state state;
	uint8_t hash[32];
	char token[80];
	int rc;

	if (!v || val_string(env, v, token, sizeof(token)) < 0 || token_hash(token, hash) < 0) {
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'token': give the token kill_preview returned");
		return -1;
	}
	if (db_begin(env, ctx->db) < 0)
		return -1;
	if ((rc = store_killtoken_take(ctx->db, hash, ctx->sid, now_s(), k, &state)) != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "reading a kill token");
		db_rollback(ctx->db);
		return -1;
	}
	if (db_commit(env, ctx->db) < 0) {
		free(k->records);
		k->records = NULL;
		return -1;
	}
	if (state == KT_TAKEN)
		return 0;
	ctd_fault(env, CTD_F_PARAM, "bad parameter 'token': %s; nothing killed",
		  state == KT_FOREIGN	? "it belongs to another session"
		  : state == KT_EXPIRED ? "it has expired (kill_token_lifetime): call kill_preview again"
					: "unknown or already used: call kill_preview again");
	return -1;
}

/* The summary row: the filters, who (the row's user), the counts, when. */
static void audit_summary(struct ctd_ctx *ctx, const struct killtoken *k, const char *result, uint32_t done,
			  uint32_t gone, uint32_t failed, const char *why)
{
	struct audit_who who = {ctx->user, ctx->remote_addr, cfg_role_name(ctx->role)};
	char detail[KILLTOKEN_FILTER_MAX + 8], msg[400];
	int rc;

	snprintf(detail, sizeof(detail), "filter=%s", k->filter);
	snprintf(msg, sizeof(msg), "matched %u: destroyed %u, gone %u, ambiguous %u, failed %u%s%s",
		 k->matched, done, gone, k->ambiguous, failed, why ? "; " : "", why ? why : "");
	if ((rc = store_audit_note(ctx->db, &who, "kill_matching", detail, result, msg)) != SQLITE_OK)
		fprintf(stderr, "ctd.cgi: kill_matching summary not audited: %s\n", sqlite3_errmsg(ctx->db));
}

xmlrpc_value *rpc_kill_matching_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params)
{
	xmlrpc_value *v = rpc_param(env, params, 1), *r = NULL;
	struct ctd_record *recs = NULL;
	struct ctd_result *res = NULL;
	struct killtoken k;
	uint32_t done = 0, gone = 0, failed = 0, i;
	size_t acted = 0;
	int firsterr = 0;
	char msg[320];

	memset(&k, 0, sizeof(k));
	if (take_token(env, ctx, v, &k) < 0)
		goto out;
	if (!(recs = calloc(k.n ? k.n : 1, sizeof(*recs))) || !(res = calloc(k.n ? k.n : 1, sizeof(*res)))) {
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
		goto out;
	}
	if (decode_records(&k, recs) < 0) {
		ctd_fault(env, CTD_F_CONFIG,
			  "server misconfigured: a stored kill token is damaged; nothing killed");
		goto out;
	}
	actions_destroy(env, ctx, "kill_matching", recs, k.n, res, &acted);
	for (i = 0; i < acted; i++) {
		if (res[i].status == CTD_RES_DONE)
			done++;
		else if (res[i].status == CTD_RES_NOT_FOUND)
			gone++;
		else {
			failed++;
			if (!firsterr)
				firsterr = res[i].err ? res[i].err : EIO;
		}
	}
	if (env->fault_occurred) {
		audit_summary(ctx, &k, "failed", done, gone, failed + (uint32_t)(k.n - acted),
			      env->fault_string);
		if (acted) /* a later batch failed: say what the earlier ones did */
			fault_append(env, " (%u of %u destroyed, %u gone before that)", done, k.n, gone);
		goto out;
	}
	if (firsterr) {
		ct_errmsg(CT_OP_DESTROY, firsterr, msg, sizeof(msg));
		audit_summary(ctx, &k, "failed", done, gone, failed, msg);
		ctd_fault(env, CTD_F_KERNEL, "kernel error: %s (%u of %u destroyed, %u gone)", msg, done, k.n,
			  gone);
		goto out;
	}
	audit_summary(ctx, &k, "done", done, gone, 0, NULL);
	r = xmlrpc_build_value(env, "{s:i,s:i,s:i}", "destroyed", (int)done, "gone", (int)gone, "ambiguous",
			       (int)k.ambiguous);
out:
	if (v)
		xmlrpc_DECREF(v);
	free(k.records);
	free(recs);
	free(res);
	return r;
}
