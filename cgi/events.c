// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * events.c - the `events` method (README API): a long poll on the
 * kernel's conntrack events, `conntrack -E` for one window.  The helper
 * subscribes (CTD_REQ_EVENTS), applies what it can of the filters and the
 * hidden networks (the kernel's BPF too) and streams the rest; here every
 * event passes the same filters and hidden networks as a view, and only
 * those the caller sees decide the window (hc_events): it ends 250 ms
 * after the first of them, at `max` of them, or after `wait`.
 * At most max_event_waiters calls hold a helper at once: each holds one of
 * that many lock files beside the database (flock, non-blocking), so a
 * caller past the cap gets fault 6 at once, and a crashed call's slot is
 * free again with its process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctd_errtext.h"
#include "ctx.h"
#include "events.h"
#include "fault.h"
#include "field.h"
#include "filter.h"
#include "helper_client.h"
#include "row.h"
#include "uname.h"
#include "util.h"
#include "value.h"

#define EVENTS_WAIT_DEFAULT 20
#define EVENTS_WAIT_MAX	    25
#define EVENTS_MAX_DEFAULT  500

struct events_opts {
	int64_t wait; /* seconds */
	int64_t max;
	uint32_t types; /* CTD_EV_* */
};

static const struct {
	const char *name;
	uint32_t bit;
	uint32_t type; /* enum ctd_event_type */
} ev_names[] = {
    {"new", CTD_EV_NEW, CTD_EVENT_NEW},
    {"update", CTD_EV_UPDATE, CTD_EVENT_UPDATE},
    {"destroy", CTD_EV_DESTROY, CTD_EVENT_DESTROY},
};
#define N_EV_NAMES (sizeof(ev_names) / sizeof(ev_names[0]))

static void parse_types(xmlrpc_env *env, xmlrpc_value *v, struct events_opts *o)
{
	int n, i;
	size_t k;

	if (xmlrpc_value_type(v) != XMLRPC_TYPE_ARRAY || (n = xmlrpc_array_size(env, v)) < 1 || n > 3) {
		ctd_fault(
		    env, CTD_F_PARAM,
		    "bad parameter 'options.types': an array of 'new', 'update', 'destroy' is expected");
		return;
	}
	o->types = 0;
	for (i = 0; i < n && !env->fault_occurred; i++) {
		xmlrpc_value *it = NULL;
		char s[16];
		xmlrpc_array_read_item(env, v, (unsigned)i, &it);
		if (env->fault_occurred)
			return;
		k = N_EV_NAMES;
		if (val_string(env, it, s, sizeof(s)) == 0)
			for (k = 0; k < N_EV_NAMES; k++)
				if (strcmp(s, ev_names[k].name) == 0)
					break;
		if (k == N_EV_NAMES)
			ctd_fault(env, CTD_F_PARAM,
				  "bad parameter 'options.types[%d]': give 'new', 'update' or 'destroy'", i);
		else
			o->types |= ev_names[k].bit;
		xmlrpc_DECREF(it);
	}
}

static void parse_option(xmlrpc_env *env, xmlrpc_value *k, xmlrpc_value *v, void *arg)
{
	struct events_opts *o = arg;
	char key[32];

	if (val_string(env, k, key, sizeof(key)) < 0)
		key[0] = 0;
	if (strcmp(key, "wait") == 0) {
		if (val_int(env, v, &o->wait) < 0 || o->wait < 0 || o->wait > EVENTS_WAIT_MAX)
			ctd_fault(env, CTD_F_PARAM, "bad parameter 'options.wait': give seconds, 0..%d",
				  EVENTS_WAIT_MAX);
	} else if (strcmp(key, "max") == 0) {
		if (val_int(env, v, &o->max) < 0 || o->max < 1 || o->max > CTD_EVENTS_MAX)
			ctd_fault(env, CTD_F_PARAM, "bad parameter 'options.max': give 1..%u",
				  CTD_EVENTS_MAX);
	} else if (strcmp(key, "types") == 0) {
		parse_types(env, v, o);
	} else {
		ctd_fault(env, CTD_F_PARAM,
			  "bad parameter 'options': unknown option '%.31s' (wait, max, types)", key);
	}
}

static int parse_opts(xmlrpc_env *env, xmlrpc_value *v, struct events_opts *o)
{
	o->wait = EVENTS_WAIT_DEFAULT;
	o->max = EVENTS_MAX_DEFAULT;
	o->types = CTD_EV_NEW | CTD_EV_DESTROY;
	if (!v)
		return 0;
	if (xmlrpc_value_type(v) == XMLRPC_TYPE_ARRAY && xmlrpc_array_size(env, v) == 0)
		return 0; /* PHP's array() */
	if (xmlrpc_value_type(v) != XMLRPC_TYPE_STRUCT) {
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'options': a struct is expected");
		return -1;
	}
	val_struct_each(env, v, parse_option, o);
	return env->fault_occurred ? -1 : 0;
}

/*
 * One waiter slot: lock file i of max_event_waiters beside the database,
 * flock'd without blocking.  The fd (>= 0) holds the slot until closed;
 * -1 with fault 6 when all are taken, fault 8 when none can be opened.
 */
static int take_slot(xmlrpc_env *env, const struct ctd_config *cfg)
{
	char path[PATH_MAX + 32];
	unsigned i;
	int fd, opened = 0;

	for (i = 0; i < cfg->max_event_waiters; i++) {
		snprintf(path, sizeof(path), "%s.events-%u.lock", cfg->database, i);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			continue;
		opened++;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		close(fd);
	}
	if (!opened) {
		ctd_fault(env, CTD_F_CONFIG,
			  "server misconfigured: cannot create the events lock files beside the database");
		return -1;
	}
	ctd_fault(env, CTD_F_HELPER,
		  "busy: %u events calls are already waiting (max_event_waiters); try again shortly",
		  cfg->max_event_waiters);
	return -1;
}

/* What the helper can filter of the view's filters: the protocol, an IPv4
 * original source / destination network; and the hidden networks, which
 * it and the kernel leave out (the first CTD_EVENTS_EXCLUDE_MAX of them:
 * all of them are applied here anyway). */
static void helper_filters(const struct view_filter *f, const struct ctd_config *cfg,
			   struct ctd_events_req *q)
{
	const struct field *l4 = field_by_name("orig_l4proto"), *s4 = field_by_name("orig_ipv4_src"),
			   *d4 = field_by_name("orig_ipv4_dst");
	uint32_t i;

	for (i = 0; i < f->n; i++) {
		const struct filter_term *t = &f->t[i];
		const struct field *fd = &ctd_fields[t->field];
		if (fd == l4 && t->num <= 255 && !(q->flags & CTD_EVF_L4PROTO)) {
			q->flags |= CTD_EVF_L4PROTO;
			q->l4proto = (uint8_t)t->num;
		} else if (fd == s4 && t->cidr.family == AF_INET && !(q->flags & CTD_EVF_SRC4)) {
			q->flags |= CTD_EVF_SRC4;
			q->src_prefix = t->cidr.prefix;
			memcpy(q->src, t->cidr.addr, 4);
		} else if (fd == d4 && t->cidr.family == AF_INET && !(q->flags & CTD_EVF_DST4)) {
			q->flags |= CTD_EVF_DST4;
			q->dst_prefix = t->cidr.prefix;
			memcpy(q->dst, t->cidr.addr, 4);
		}
	}
	q->nexclude = (uint8_t)(cfg->nhide < CTD_EVENTS_EXCLUDE_MAX ? cfg->nhide : CTD_EVENTS_EXCLUDE_MAX);
	for (i = 0; i < q->nexclude; i++) {
		q->exclude[i].family = cfg->hide[i].family;
		q->exclude[i].prefix = cfg->hide[i].prefix;
		memcpy(q->exclude[i].addr, cfg->hide[i].addr, 16);
	}
}

struct events_run {
	xmlrpc_env *env;
	const struct field_ctx *fc;
	const struct view_filter *f;
	xmlrpc_value *list;
};

static int on_event(const struct ctd_event *ev, int keep, void *arg)
{
	struct events_run *er = arg;
	struct ctd_record r = ev->rec;
	xmlrpc_value *row;
	size_t k;

	/* the same rule as a view: filters, and hidden networks whatever they say */
	if (!filter_match(er->fc, er->f, &r))
		return 0;
	if (!keep)
		return 1; /* past max: it says `more` */
	r.start_ns = 0;	  /* no rates for an event: its slot holds them in a snapshot */
	if (!(row = row_build(er->env, er->fc, &r)))
		return -1;
	for (k = 0; k < N_EV_NAMES; k++)
		if (ev_names[k].type == ev->type)
			row_put(er->env, row, "type", xmlrpc_string_new(er->env, ev_names[k].name));
	row_put(er->env, row, "time", xmlrpc_double_new(er->env, (double)ev->time_ns / 1e9));
	xmlrpc_array_append_item(er->env, er->list, row);
	xmlrpc_DECREF(row);
	return er->env->fault_occurred ? -1 : 1;
}

xmlrpc_value *rpc_events(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call)
{
	struct ctd_ctx *ctx = srv;
	xmlrpc_value *vf = rpc_param(env, params, 1), *vo = rpc_param(env, params, 2), *ret = NULL;
	struct field_ctx fc = {&ctx->cfg, NULL};
	struct events_run er = {env, &fc, NULL, NULL};
	struct ctd_events_req q;
	struct hc_events_result end;
	struct view_filter f;
	struct events_opts o;
	struct hc_error e;
	struct hc_target ht;
	double t0 = now_s();
	int slot = -1;

	(void)call;
	if (ctx->multicall) {
		/* one call holds a helper up to wait + 1 s: 32 of them in one
		 * request would hold the HTTP request past any timeout */
		ctd_fault(env, CTD_F_PARAM,
			  "bad parameters: events cannot be called inside system.multicall");
		goto out;
	}
	if (filter_parse(env, vf, &f) < 0 || parse_opts(env, vo, &o) < 0)
		goto out;
	memset(&q, 0, sizeof(q));
	q.types = o.types;
	q.duration_ms = (uint32_t)o.wait * 1000u;
	q.max = (uint32_t)o.max;
	helper_filters(&f, &ctx->cfg, &q);
	if ((slot = take_slot(env, &ctx->cfg)) < 0)
		goto out;
	er.f = &f;
	if (!(fc.uc = uname_new()) || !(er.list = xmlrpc_array_new(env))) {
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
		goto out;
	}
	/* the helper's own bound is wait + 1 s; ours a little more */
	ht.spec = ctx->cfg.helper;
	ht.timeout_s = (unsigned)o.wait + 3;
	if (hc_events(&ht, &q, on_event, &er, &end, &e) < 0) {
		if (!env->fault_occurred)
			ctd_helper_fault(env, &e, CT_OP_DUMP);
		goto out;
	}
	ret = xmlrpc_build_value(env, "{s:V,s:i,s:b,s:d,s:d,s:d}", "events", er.list, "lost",
				 end.lost > INT32_MAX ? INT32_MAX : (int)end.lost, "more",
				 (xmlrpc_bool)(end.more != 0), "window_start", (double)end.start_ns / 1e9,
				 "window_end", (double)end.end_ns / 1e9, "waited", now_s() - t0);
out:
	if (slot >= 0)
		close(slot);
	if (er.list)
		xmlrpc_DECREF(er.list);
	uname_free(fc.uc);
	if (vf)
		xmlrpc_DECREF(vf);
	if (vo)
		xmlrpc_DECREF(vo);
	return env->fault_occurred ? (ret ? (xmlrpc_DECREF(ret), NULL) : NULL) : ret;
}
