// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rpc.c - the XML-RPC registry: methods, their introspection data, and the
 * one place where every call is authorized (the preinvoke hook, which
 * xmlrpc-c also runs for each call inside system.multicall).
 */
#include <stdio.h>
#include <string.h>

#include <xmlrpc-c/server.h>

#include "actions.h"
#include "audit.h"
#include "auth.h"
#include "bounds.h"
#include "config.h"
#include "ctx.h"
#include "db.h"
#include "events.h"
#include "expect.h"
#include "fault.h"
#include "history.h"
#include "killmatch.h"
#include "rpc.h"
#include "session.h"
#include "stats.h"
#include "store.h"
#include "summary.h"
#include "util.h"
#include "value.h"
#include "view.h"

sqlite3 *ctx_db(xmlrpc_env *env, struct ctd_ctx *ctx)
{
	if (!ctx->db)
		ctx->db = db_open(env, ctx->cfg.database);
	return ctx->db;
}

/* ---- methods --------------------------------------------------------------- */
static xmlrpc_value *m_login(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	struct ctd_ctx *ctx = srv;
	char user[CTD_USER_MAX], password[CTD_PASSWORD_MAX], token[65];
	xmlrpc_value *vu, *vp;
	int bad;

	(void)call;
	/* One login per HTTP request.  Inside system.multicall a single request
	 * could otherwise make thousands of sessions, or try thousands of
	 * passwords against the password file in one go. */
	if (++ctx->logins > 1) {
		ctd_fault(env, CTD_F_ROLE,
			  "not permitted: one login per request (not several in a multicall)");
		return NULL;
	}
	if (ctx->remote_user) {
		/* Apache authenticated the request: the parameters, whatever they are, do not matter */
		if (strlen(ctx->remote_user) >= CTD_USER_MAX) {
			ctd_fault(env, CTD_F_AUTH, "authentication failed: user name too long");
			return NULL;
		}
		snprintf(user, sizeof(user), "%s", ctx->remote_user);
	} else if (ctx->cfg.password_file[0]) {
		vu = rpc_param(env, params, 0);
		vp = rpc_param(env, params, 1);
		bad = !vu || !vp || val_string(env, vu, user, sizeof(user)) < 0 ||
		      val_string(env, vp, password, sizeof(password)) < 0 || !user[0];
		if (vu)
			xmlrpc_DECREF(vu);
		if (vp)
			xmlrpc_DECREF(vp);
		if (bad) {
			ctd_fault(env, CTD_F_AUTH,
				  "authentication failed: login takes (user, password) strings");
			return NULL;
		}
		bad = auth_password(env, ctx->cfg.password_file, user, password);
		explicit_bzero(password, sizeof(password));
		if (bad < 0)
			return NULL;
	} else {
		ctd_fault(env, CTD_F_AUTH,
			  "no authentication configured: enable Apache authentication or set password_file");
		return NULL;
	}
	if (!ctx_db(env, ctx) || session_create(env, ctx, user, token) < 0)
		return NULL;
	return xmlrpc_string_new(env, token);
}

static xmlrpc_value *m_view(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	(void)call;
	return rpc_view_impl(env, srv, params);
}

static xmlrpc_value *m_summary(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	(void)call;
	return rpc_summary_impl(env, srv, params);
}

static xmlrpc_value *m_stats(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	(void)call;
	return rpc_stats_impl(env, srv, params);
}

static xmlrpc_value *m_kill(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	(void)call;
	return rpc_kill_impl(env, srv, params);
}

static xmlrpc_value *m_change(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	(void)call;
	return rpc_change_impl(env, srv, params);
}

/* A session setting (refresh, set_autorefresh) through store_session.c. */
static int set_session(xmlrpc_env *env, struct ctd_ctx *ctx, int rc)
{
	if (rc != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "updating a session");
		return -1;
	}
	return 0;
}

static xmlrpc_value *m_refresh(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	(void)params, (void)call;
	/* the next view takes a dump begun after now (its own, or another
	 * session's: snapshot.c) */
	struct ctd_ctx *ctx = srv;

	if (set_session(env, ctx, store_session_want_refresh(ctx->db, ctx->sid, now_s())) < 0)
		return NULL;
	return xmlrpc_bool_new(env, 1);
}

static xmlrpc_value *m_set_autorefresh(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	xmlrpc_value *v = rpc_param(env, params, 1);
	int64_t x = -1;
	int bad;

	(void)call;
	bad = !v || val_int(env, v, &x) < 0 || x < 0 || x > CTD_AUTOREFRESH_MAX;
	if (v)
		xmlrpc_DECREF(v);
	if (bad) {
		ctd_fault(env, CTD_F_PARAM,
			  "bad parameter 'seconds': give an integer 0..%d (0 = stable snapshot)",
			  CTD_AUTOREFRESH_MAX);
		return NULL;
	}
	if (set_session(env, srv,
			store_session_set_autorefresh(((struct ctd_ctx *)srv)->db,
						      ((struct ctd_ctx *)srv)->sid, (int)x)) < 0)
		return NULL;
	return xmlrpc_bool_new(env, 1);
}

static xmlrpc_value *m_logout(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	(void)params, (void)call;
	if (session_delete(env, srv) < 0)
		return NULL;
	return xmlrpc_bool_new(env, 1);
}

static xmlrpc_value *m_whoami(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	struct ctd_ctx *ctx = srv;

	(void)params, (void)call;
	return xmlrpc_build_value(env, "{s:s,s:s}", "user", ctx->user, "role", cfg_role_name(ctx->role));
}

static xmlrpc_value *m_history(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	(void)call;
	return rpc_history_impl(env, srv, params);
}

static xmlrpc_value *m_audit(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	(void)call;
	return rpc_audit_impl(env, srv, params);
}

static xmlrpc_value *m_kill_preview(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	(void)call;
	return rpc_kill_preview_impl(env, srv, params);
}

static xmlrpc_value *m_kill_matching(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	(void)call;
	return rpc_kill_matching_impl(env, srv, params);
}

struct method {
	const char *name;
	xmlrpc_method2 fn;
	int role;	/* CTD_ROLE_NONE: no session needed */
	int max_params; /* more is fault 3; -1 = any (login) */
	const char *sig;
	const char *help;
};

static const struct method methods[] = {
    {"login", m_login, CTD_ROLE_NONE, -1, "s:,s:ss",
     "login() with Apache authentication, else login(user, password); returns a session id"},
    {"view", m_view, CTD_ROLE_VIEWER, 6, "S:s,S:sS,S:sSs,S:sSss,S:sSssi,S:sSssii",
     "view(session, filters, order_by, order_dir, start, length): a page of the conntrack table"},
    {"summary", m_summary, CTD_ROLE_VIEWER, 3, "S:s,S:sS,S:sSS",
     "summary(session, filters, options): the top groups (group_by, v4_prefix, v6_prefix, order_by, limit)"},
    {"stats", m_stats, CTD_ROLE_VIEWER, 1, "S:s", "stats(session): table fill and conntrack -S counters"},
    {"kill", m_kill, CTD_ROLE_OPERATOR, 2, "i:sA",
     "kill(session, ids): destroy connections; returns how many"},
    {"change", m_change, CTD_ROLE_OPERATOR, 4, "b:sssi,b:ssii",
     "change(session, field, id, value): set 'mark' or 'timeout' of one connection"},
    {"refresh", m_refresh, CTD_ROLE_VIEWER, 1, "b:s", "refresh(session): the next view reads a fresh dump"},
    {"set_autorefresh", m_set_autorefresh, CTD_ROLE_VIEWER, 2, "b:si",
     "set_autorefresh(session, seconds): 0 = stable snapshot, N = re-dump when older than N s"},
    {"logout", m_logout, CTD_ROLE_VIEWER, 1, "b:s", "logout(session): end the session"},
    {"whoami", m_whoami, CTD_ROLE_VIEWER, 1, "S:s", "whoami(session): {user, role}"},
    {"history", m_history, CTD_ROLE_VIEWER, 2, "S:s,S:sS",
     "history(session, {since, until, points}): the table's size, total rate, protocols and kernel "
     "counters over time, averaged into at most `points` buckets"},
    {"kill_preview", m_kill_preview, CTD_ROLE_OPERATOR, 2, "S:sS",
     "kill_preview(session, filters): what kill_matching would destroy (matched, sample, top sources "
     "and destinations) and the single-use token that names exactly that set"},
    {"kill_matching", m_kill_matching, CTD_ROLE_OPERATOR, 2, "S:ss",
     "kill_matching(session, token): destroy exactly the entries the token's preview matched; "
     "returns {destroyed, gone, ambiguous}"},
    {"audit", m_audit, CTD_ROLE_OPERATOR, 4, "S:s,S:sS,S:sSi,S:sSii",
     "audit(session, filters, start, length): who did what, newest first (filters user, action, "
     "since, until, result, addr)"},
    {"events", rpc_events, CTD_ROLE_VIEWER, 3, "S:s,S:sS,S:sSS",
     "events(session, filters, {wait, max, types}): conntrack events as they happen (a long poll)"},
    {"expectations", rpc_expectations, CTD_ROLE_VIEWER, 2, "S:s,S:sS",
     "expectations(session, filters): the expectation table (conntrack -L expect) with each master's id"},
    {"kill_expectation", rpc_kill_expectation, CTD_ROLE_OPERATOR, 2, "i:sA",
     "kill_expectation(session, ids): destroy expectations the last expectations call listed"},
};
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

static const struct method *method_of(const char *name)
{
	size_t i;

	for (i = 0; i < N_METHODS; i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

int rpc_method_role(const char *name)
{
	const struct method *m = method_of(name);

	return m ? m->role : -1;
}

/*
 * xmlrpc-c holds every result of a multicall until the whole response is
 * serialized: ~4,000 views in one 1 MiB body would hold tens of GB.  So a
 * multicall is refused whole, before any call runs, above max_multicall
 * calls (the calls' rows are budgeted too: view.c).
 */
static void multicall_check(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params)
{
	xmlrpc_value *calls = rpc_param(env, params, 0);
	int n = calls && xmlrpc_value_type(calls) == XMLRPC_TYPE_ARRAY ? xmlrpc_array_size(env, calls) : 0;

	if (calls)
		xmlrpc_DECREF(calls);
	if (!env->fault_occurred && n > (int)ctx->cfg.max_multicall)
		ctd_fault(env, CTD_F_PARAM,
			  "bad parameter 'calls': system.multicall takes at most %u calls (max_multicall), "
			  "this one "
			  "has %d; nothing was run",
			  ctx->cfg.max_multicall, n);
}

/*
 * Authorization, in one place: runs before every method, including each
 * call inside system.multicall, so a multicall cannot smuggle a kill past
 * a viewer's role or a dead session.
 */
static void preinvoke(xmlrpc_env *env, const char *name, xmlrpc_value *params, void *user)
{
	struct ctd_ctx *ctx = user;
	const struct method *m;
	xmlrpc_value *v;
	char token[80];
	int need, ok;

	ctx->sid = 0;
	ctx->user[0] = '\0';
	ctx->role = CTD_ROLE_NONE;
	if (!ctx->cfg_ok) {
		ctd_fault(env, CTD_F_CONFIG, "server misconfigured: %s", ctx->cfg_err);
		return;
	}
	/* the library's shutdown method must never be reachable by a client */
	if (strcmp(name, "system.shutdown") == 0) {
		ctd_fault(env, CTD_F_ROLE, "not permitted: system.shutdown");
		return;
	}
	if (strcmp(name, "system.multicall") == 0) {
		ctx->multicall = true;
		multicall_check(env, ctx, params);
		return;
	}
	m = method_of(name);
	if (!m || m->role == CTD_ROLE_NONE)
		return; /* login, system.*, or unknown (the library answers -506) */
	need = m->role;
	/* a call with extra parameters was meant for some other API: refuse it
	 * rather than act on a guess */
	if (m->max_params >= 0 && xmlrpc_array_size(env, params) > m->max_params) {
		ctd_fault(env, CTD_F_PARAM, "bad parameters: %s takes at most %d", name, m->max_params);
		return;
	}
	v = rpc_param(env, params, 0);
	ok = v && val_string(env, v, token, sizeof(token)) == 0;
	if (v)
		xmlrpc_DECREF(v);
	if (env->fault_occurred)
		return;
	if (!ok) {
		ctd_fault(env, CTD_F_SESSION,
			  "session unknown: the first parameter must be the session id from login");
		return;
	}
	if (!ctx_db(env, ctx) || session_check(env, ctx, token) < 0)
		return;
	ctx->role = cfg_role_of(&ctx->cfg, ctx->user);
	if (ctx->role < need) {
		ctd_fault(env, CTD_F_ROLE, "not permitted: %s needs the operator role; %s is a %s", name,
			  ctx->user, cfg_role_name(ctx->role));
		ctx->sid = 0;
		return;
	}
}

struct xmlrpc_registry *rpc_registry_new(xmlrpc_env *env, struct ctd_ctx *ctx)
{
	xmlrpc_registry *reg = xmlrpc_registry_new(env);
	size_t i;

	if (env->fault_occurred)
		return NULL;
	for (i = 0; i < N_METHODS && !env->fault_occurred; i++) {
		struct xmlrpc_method_info3 mi = {
		    .methodName = methods[i].name,
		    .methodFunction = methods[i].fn,
		    .serverInfo = ctx,
		    .stackSize = 0,
		    .signatureString = methods[i].sig,
		    .help = methods[i].help,
		};
		xmlrpc_registry_add_method3(env, reg, &mi);
	}
	if (!env->fault_occurred)
		xmlrpc_registry_set_preinvoke_method(env, reg, preinvoke, ctx);
	if (env->fault_occurred) {
		xmlrpc_registry_free(reg);
		return NULL;
	}
	return reg;
}
