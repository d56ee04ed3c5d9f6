// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * actions.c - `kill` and `change`: by id from the session's snapshot (the
 * tuple comes from there, never from a new dump), audited in SQLite.  The
 * audit rows are committed as 'pending' before the helper acts and
 * completed after, so a crash mid-call still leaves a record.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "actions.h"
#include "ctd_errtext.h"
#include "ctx.h"
#include "db.h"
#include "fault.h"
#include "helper_client.h"
#include "hide.h"
#include "snapshot.h"
#include "store.h"
#include "util.h"
#include "value.h"

/* busy timeouts (30 s each, cgi/db.c) to wait for the database before an
 * audit result is lost: together still inside Apache's 75 s CGI timeout */
#define AUDIT_DONE_TRIES 2

void tuple_text(const struct ctd_record *r, char *out, size_t outlen)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], l4[48], dz[40] = "";

	if (!inet_ntop(r->l3proto, r->orig.src, s, sizeof(s)))
		snprintf(s, sizeof(s), "?");
	if (!inet_ntop(r->l3proto, r->orig.dst, d, sizeof(d)))
		snprintf(d, sizeof(d), "?");
	if (r->flags & CTD_REC_HAS_PORTS)
		snprintf(l4, sizeof(l4), " sport=%u dport=%u", r->orig.sport, r->orig.dport);
	else if (r->flags & CTD_REC_HAS_ICMP)
		snprintf(l4, sizeof(l4), " type=%u code=%u id=%u", r->icmp_type, r->icmp_code, r->icmp_id);
	else
		l4[0] = '\0';
	/* directional zones as conntrack -L names them */
	if (r->flags & CTD_REC_HAS_ORIG_ZONE)
		snprintf(dz, sizeof(dz), " zone-orig=%u", r->orig_zone);
	if (r->flags & CTD_REC_HAS_REPLY_ZONE)
		snprintf(dz + strlen(dz), sizeof(dz) - strlen(dz), " zone-reply=%u", r->reply_zone);
	snprintf(out, outlen, "l3=%u l4=%u src=%s dst=%s%s zone=%u%s", r->l3proto, r->l4proto, s, d, l4,
		 r->zone, dz);
}

void record_target(const struct ctd_record *r, struct ctd_target *t)
{
	memset(t, 0, sizeof(*t));
	t->id = r->id;
	t->zone = r->zone;
	t->l3proto = r->l3proto;
	t->l4proto = r->l4proto;
	t->orig = r->orig;
	t->icmp_type = r->icmp_type;
	t->icmp_code = r->icmp_code;
	t->icmp_id = r->icmp_id;
	if (r->flags & CTD_REC_HAS_ORIG_ZONE) {
		t->zflags |= CTD_TGT_ORIG_ZONE;
		t->orig_zone = r->orig_zone;
	}
	if (r->flags & CTD_REC_HAS_REPLY_ZONE) {
		t->zflags |= CTD_TGT_REPLY_ZONE;
		t->reply_zone = r->reply_zone;
	}
}

/* Writes n pending audit rows (committed) and returns the first row id. */
static int audit_pending(xmlrpc_env *env, struct ctd_ctx *ctx, const char *method,
			 const struct ctd_record *recs, size_t n, const char *detail, int64_t *first)
{
	struct audit_who who = {ctx->user, ctx->remote_addr, cfg_role_name(ctx->role)};
	int rc;

	if (db_begin(env, ctx->db) < 0)
		return -1;
	if ((rc = store_audit_pending(ctx->db, &who, method, recs, n, detail, first)) == SQLITE_OK)
		return db_commit(env, ctx->db);
	db_fault(env, ctx->db, rc, "writing the audit log");
	db_rollback(ctx->db);
	return -1;
}

struct outcome {
	int op;
	const struct ctd_result *res; /* NULL: every row failed with `all` */
	const char *all;
	char buf[200];
};

/* An audit row's result: "done", "not found", "error: <errno sentence>". */
static const char *outcome_text(size_t i, void *arg)
{
	struct outcome *o = arg;

	if (!o->res)
		snprintf(o->buf, sizeof(o->buf), "failed: %s", o->all);
	else if (o->res[i].status == CTD_RES_DONE)
		return "done";
	else if (o->res[i].status == CTD_RES_NOT_FOUND)
		return "not found";
	else {
		memcpy(o->buf, "error: ", 7);
		ct_errmsg(o->op, o->res[i].err, o->buf + 7, sizeof(o->buf) - 7);
	}
	return o->buf;
}

/* Completes audit rows first..first+n-1 with a result each (or one text). */
static void audit_done(struct ctd_ctx *ctx, int64_t first, size_t n, struct outcome *o)
{
	if (store_audit_done(ctx->db, first, n, outcome_text, o, AUDIT_DONE_TRIES) != SQLITE_OK)
		fprintf(stderr, "ctd.cgi: audit rows %lld.. left pending: %s\n", (long long)first,
			sqlite3_errmsg(ctx->db));
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Most ambiguous ids one fault lists. */
#define AMBIGUOUS_LISTED 20

/* snapshot_records, one look: -2 (no fault) when an id names no entry
 * and this is not the last look. */
static int find_records(xmlrpc_env *env, struct ctd_ctx *ctx, const char *param, const uint32_t *ids,
			size_t n, const char *what, struct ctd_record **recs, bool last)
{
	struct snap_info info;
	struct ctd_record *all = NULL;
	uint32_t *counts = NULL;
	char list[AMBIGUOUS_LISTED * 11 + 1] = "";
	size_t nall = 0, i, j = 0, ambiguous = 0, len = 0;
	int rc;

	*recs = NULL;
	rc = snap_info_of_session(env, ctx, &info);
	if (rc < 0)
		return -1;
	if (rc == 1 && !last)
		return -2;
	if (rc == 1) {
		ctd_fault(env, CTD_F_NOTFOUND,
			  "connection %u not found: call view first, then use ids it returned", ids[0]);
		return -1;
	}
	if (!(counts = calloc(n, sizeof(*counts))) || !(*recs = calloc(n, sizeof(**recs)))) {
		free(counts);
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
		return -1;
	}
	if ((rc = store_dump_lookup(ctx->db, info.dump_id, ids, n, &all, &nall, counts)) != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "reading a snapshot");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		uint32_t c, shown = 0;

		for (c = 0; c < counts[i]; c++, j++)
			if (!hide_row(&ctx->cfg, &all[j])) {
				(*recs)[i] = all[j];
				shown++;
			}
		if (!shown && !last) {
			rc = -2;
			goto out;
		}
		if (!shown) {
			/* the session may have been moved to a newer snapshot
			 * (max_dumps): say so, the client's ids are from the old one */
			ctd_fault(
			    env, CTD_F_NOTFOUND,
			    "connection %u not found in this session's snapshot (taken %.0f s ago; a view "
			    "shows its ids)%s",
			    ids[i], now_s() - info.time, what);
			goto fail;
		}
		if (shown > 1 && ++ambiguous <= AMBIGUOUS_LISTED)
			len +=
			    (size_t)snprintf(list + len, sizeof(list) - len, "%s%u", len ? " " : "", ids[i]);
	}
	if (ambiguous) {
		ctd_fault(
		    env, CTD_F_PARAM,
		    "bad parameter '%s': %s %s%s %s two or more connections in this snapshot (a kernel "
		    "connection id is a 32-bit hash, and in a big table a few live connections share one), "
		    "so %s not say which one you mean%s",
		    param, ambiguous > 1 ? "ids" : "id", list, ambiguous > AMBIGUOUS_LISTED ? " ..." : "",
		    ambiguous > 1 ? "each name" : "names", ambiguous > 1 ? "they do" : "it does", what);
		goto fail;
	}
	free(all);
	free(counts);
	return 0;
fail:
	rc = -1;
out:
	free(all);
	free(counts);
	free(*recs);
	*recs = NULL;
	return rc;
}

/* The records of the session's snapshot that ids[] (ascending, no repeats)
 * name, one per id, hidden ones left out, into *recs (n of them; the
 * caller frees it).  All or nothing: an id that names none is fault 5; an
 * id that names two visible entries (CTA_ID is a 32-bit hash: ~100 pairs
 * of live entries share one in a 1M table) cannot say which the client
 * meant, so it is fault 3, listing such ids, rather than acting on a
 * connection nobody chose.  `what` ends those faults' sentences.  The
 * session's last view may have answered before its dump was stored
 * (snap_defer), and a client may act on it at once: an id not found is
 * looked for again once no dump is being taken or stored.  0 or -1. */
static int snapshot_records(xmlrpc_env *env, struct ctd_ctx *ctx, const char *param, const uint32_t *ids,
			    size_t n, const char *what, struct ctd_record **recs)
{
	int rc = find_records(env, ctx, param, ids, n, what, recs, false);

	if (rc == -2) {
		snap_wait_stored(ctx);
		rc = find_records(env, ctx, param, ids, n, what, recs, true);
	}
	return rc;
}

/* Destroys or updates (type) the entries of recs[] (1..CTD_MAX_TARGETS)
 * through the helper, each with an audit row (of `action`, or kill/change
 * when NULL) written before and completed after; res[] (n) gets one result
 * per entry.  0, or -1 with a fault when the helper failed (its rows then
 * say so). */
static int act_on(xmlrpc_env *env, struct ctd_ctx *ctx, uint16_t type, const char *action,
		  const struct ctd_record *recs, size_t n, uint32_t value, uint32_t mask, const char *detail,
		  struct ctd_result *res)
{
	struct hc_target ht = {ctx->cfg.helper, ctx->cfg.helper_timeout};
	struct ctd_target *targets = calloc(n, sizeof(*targets));
	struct hc_error e;
	int op = type == CTD_REQ_DESTROY || type == CTD_REQ_EXPECT_DESTROY ? CT_OP_DESTROY
		 : type == CTD_REQ_UPDATE_MARK				   ? CT_OP_MARK
									   : CT_OP_TIMEOUT;
	struct outcome o = {op, res, NULL, ""};
	int64_t first = 0;
	size_t k;
	int rc = -1;

	if (!targets) {
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
		return -1;
	}
	for (k = 0; k < n; k++) {
		record_target(&recs[k], &targets[k]);
		targets[k].value = value;
		targets[k].mask = mask;
	}
	if (!action)
		action = type == CTD_REQ_DESTROY	  ? "kill"
			 : type == CTD_REQ_EXPECT_DESTROY ? "kill_expectation"
							  : "change";
	if (audit_pending(env, ctx, action, recs, n, detail, &first) < 0)
		goto out;
	memset(&e, 0, sizeof(e));
	if (hc_targets(&ht, type, targets, (uint32_t)n, res, &e) < 0) {
		o.res = NULL;
		o.all = e.msg[0] ? e.msg : "helper failed";
		audit_done(ctx, first, n, &o);
		ctd_helper_fault(env, &e, op);
		goto out;
	}
	audit_done(ctx, first, n, &o);
	rc = 0;
out:
	free(targets);
	return rc;
}

int actions_destroy(xmlrpc_env *env, struct ctd_ctx *ctx, const char *action, const struct ctd_record *recs,
		    size_t n, struct ctd_result *res, size_t *acted)
{
	size_t k, m;

	for (*acted = 0, k = 0; k < n; k += m) {
		m = n - k < CTD_MAX_TARGETS ? n - k : CTD_MAX_TARGETS;
		if (act_on(env, ctx, CTD_REQ_DESTROY, action, recs + k, m, 0, 0, NULL, res + k) < 0)
			return -1;
		*acted = k + m;
	}
	return 0;
}

static int kill_lookup(xmlrpc_env *env, struct ctd_ctx *ctx, const uint32_t *ids, size_t n,
		       struct ctd_record **recs)
{
	return snapshot_records(env, ctx, "ids", ids, n, "; nothing killed", recs);
}

xmlrpc_value *rpc_kill_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params)
{
	return actions_kill(env, ctx, params, CTD_REQ_DESTROY, kill_lookup);
}

xmlrpc_value *actions_kill(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params, uint16_t type,
			   actions_lookup lookup)
{
	xmlrpc_value *arr = rpc_param(env, params, 1), *ret = NULL;
	struct ctd_record *recs = NULL;
	struct ctd_result *res = NULL;
	uint32_t *ids = NULL;
	int n = 0, i, m = 0, done = 0, firsterr = 0, rc;

	if (!arr || xmlrpc_value_type(arr) != XMLRPC_TYPE_ARRAY) {
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'ids': an array of connection ids is expected");
		goto out;
	}
	n = xmlrpc_array_size(env, arr);
	/* bounds first: at most CTD_MAX_TARGETS ids per call */
	if (n < 0 || (unsigned)n > CTD_MAX_TARGETS) {
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'ids': at most %u ids per call", CTD_MAX_TARGETS);
		goto out;
	}
	if (n == 0) {
		ret = xmlrpc_int_new(env, 0);
		goto out;
	}
	if (!(ids = calloc((size_t)n, sizeof(*ids)))) {
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		xmlrpc_value *v = NULL;
		xmlrpc_array_read_item(env, arr, (unsigned)i, &v);
		if (env->fault_occurred)
			goto out;
		rc = (xmlrpc_value_type(v) == XMLRPC_TYPE_INT || xmlrpc_value_type(v) == XMLRPC_TYPE_STRING ||
		      xmlrpc_value_type(v) == XMLRPC_TYPE_I8 || xmlrpc_value_type(v) == XMLRPC_TYPE_DOUBLE)
			 ? val_u32(env, v, &ids[i])
			 : -1;
		xmlrpc_DECREF(v);
		if (rc < 0) {
			ctd_fault(env, CTD_F_PARAM,
				  "bad parameter 'ids[%d]': a connection id (int or string) is expected", i);
			goto out;
		}
	}
	qsort(ids, (size_t)n, sizeof(*ids), cmp_u32);
	for (i = 0; i < n; i++)
		if (i == 0 || ids[i] != ids[m - 1])
			ids[m++] = ids[i];
	/* all or nothing: one unknown id and nothing is destroyed */
	if (lookup(env, ctx, ids, (size_t)m, &recs) < 0)
		goto out;
	if (!(res = calloc((size_t)m, sizeof(*res)))) {
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
		goto out;
	}
	if (act_on(env, ctx, type, NULL, recs, (size_t)m, 0, 0, NULL, res) < 0)
		goto out;
	for (i = 0; i < m; i++) {
		if (res[i].status == CTD_RES_DONE)
			done++;
		else if (res[i].status == CTD_RES_ERROR && !firsterr)
			firsterr = res[i].err ? res[i].err : EIO;
	}
	if (firsterr) {
		char msg[320];
		ct_errmsg(CT_OP_DESTROY, firsterr, msg, sizeof(msg));
		ctd_fault(env, CTD_F_KERNEL, "kernel error: %s (%d of %d destroyed)", msg, done, m);
	} else
		ret = xmlrpc_int_new(env, done);
out:
	if (arr)
		xmlrpc_DECREF(arr);
	free(ids);
	free(recs);
	free(res);
	return env->fault_occurred ? (ret ? (xmlrpc_DECREF(ret), NULL) : NULL) : ret;
}

xmlrpc_value *rpc_change_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params)
{
	xmlrpc_value *vf = rpc_param(env, params, 1), *vid = rpc_param(env, params, 2),
		     *vv = rpc_param(env, params, 3);
	struct ctd_record *rec = NULL;
	struct ctd_result res;
	char field[16], detail[64];
	uint32_t id, value;
	bool is_mark;

	/* validate everything before anything reaches the helper */
	if (!vf || val_string(env, vf, field, sizeof(field)) < 0 ||
	    (strcmp(field, "mark") && strcmp(field, "timeout"))) {
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'field': give 'mark' or 'timeout'");
		goto out;
	}
	is_mark = strcmp(field, "mark") == 0;
	if (!vid ||
	    (xmlrpc_value_type(vid) != XMLRPC_TYPE_INT && xmlrpc_value_type(vid) != XMLRPC_TYPE_STRING &&
	     xmlrpc_value_type(vid) != XMLRPC_TYPE_I8 && xmlrpc_value_type(vid) != XMLRPC_TYPE_DOUBLE) ||
	    val_u32(env, vid, &id) < 0) {
		ctd_fault(env, CTD_F_PARAM,
			  "bad parameter 'id': a connection id (int or string) is expected");
		goto out;
	}
	if (!vv || val_u32(env, vv, &value) < 0) {
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'value': an unsigned 32-bit integer is expected");
		goto out;
	}
	if (snapshot_records(env, ctx, "id", &id, 1, "; nothing changed", &rec) < 0)
		goto out;
	snprintf(detail, sizeof(detail), "%s=%u", field, value);
	memset(&res, 0, sizeof(res));
	if (act_on(env, ctx, is_mark ? CTD_REQ_UPDATE_MARK : CTD_REQ_UPDATE_TIMEOUT, NULL, rec, 1, value,
		   is_mark ? 0xffffffffu : 0, detail, &res) < 0)
		goto out;
	if (res.status == CTD_RES_NOT_FOUND)
		ctd_fault(env, CTD_F_NOTFOUND, "connection %u is gone", id);
	else if (res.status != CTD_RES_DONE)
		ctd_kernel_fault(env, is_mark ? CT_OP_MARK : CT_OP_TIMEOUT, res.err);
out:
	if (vf)
		xmlrpc_DECREF(vf);
	if (vid)
		xmlrpc_DECREF(vid);
	if (vv)
		xmlrpc_DECREF(vv);
	free(rec);
	return env->fault_occurred ? NULL : xmlrpc_bool_new(env, 1);
}
