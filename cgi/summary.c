// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * summary.c - the `summary` method (summary.h): top talkers.
 *
 * The session's snapshot is read exactly as view reads it (snap_for_view:
 * the same freshness rules, a fresh dump answered from memory and stored
 * after the response), and every record that passes the filters (hidden
 * networks included: filter_match) is read once.  Its group key comes from
 * the getter of the group_by field (field.c, FL_GROUP), made compact: an
 * address masked to its prefix (16 bytes and the family), a number, or
 * the id of an interned text.  Groups live in one hash map, so memory is
 * bounded by the number of groups, at most the table's size.  The top
 * `limit` groups are then chosen with a bounded heap; only those (and
 * ties at the heap's edge) have their key written out as text.
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

/* ---- interned texts (tcp_state, username, flags) -------------------------------------
 * A getter's text stays valid for the whole request (static tables, the
 * request's uid cache), so the pointers are kept, never copied. */
struct texts {
	const char **s;
	uint32_t n, cap;
	uint32_t *slot; /* index + 1; 0 empty */
	uint32_t mask;
	const char *last; /* one-entry cache: records come in runs */
	uint32_t last_id;
};

static uint32_t str_hash(const char *p)
{
	uint32_t h = 2166136261u;

	for (; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

static int texts_grow(struct texts *t)
{
	uint32_t nslots = t->mask ? 2 * (t->mask + 1) : 64, i, h;
	uint32_t *slot = calloc(nslots, sizeof(*slot));

	if (!slot)
		return -1;
	for (i = 0; i < t->n; i++) {
		for (h = str_hash(t->s[i]) & (nslots - 1); slot[h]; h = (h + 1) & (nslots - 1))
			;
		slot[h] = i + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->mask = nslots - 1;
	return 0;
}

/* The id of text p, or -1 when out of memory. */
static int64_t texts_id(struct texts *t, const char *p)
{
	uint32_t h;
	void *q;

	if (p == t->last)
		return t->last_id;
	if (2 * (t->n + 1) > t->mask + 1 && texts_grow(t) < 0)
		return -1;
	for (h = str_hash(p) & t->mask; t->slot[h]; h = (h + 1) & t->mask)
		if (strcmp(t->s[t->slot[h] - 1], p) == 0)
			break;
	if (!t->slot[h]) {
		if (t->n == t->cap) {
			if (!(q = realloc(t->s, (t->cap ? 2 * (size_t)t->cap : 64) * sizeof(*t->s))))
				return -1;
			t->s = q;
			t->cap = t->cap ? 2 * t->cap : 64;
		}
		t->s[t->n++] = p;
		t->slot[h] = t->n;
	}
	t->last = p;
	t->last_id = t->slot[h] - 1;
	return t->last_id;
}

/* ---- the groups ------------------------------------------------------------------ */
/* A compact key: an address (masked) or a number or a text id, and its
 * class (0: the record has no such field, 1: value or IPv4, 2: IPv6). */
struct gkey {
	uint8_t b[16];
	uint32_t cls;
};

struct group {
	struct gkey k;
	uint32_t conns;
	uint64_t obytes, rbytes;
	double orate, rrate;
};

struct gmap {
	struct group *g;
	uint32_t n, cap;
	uint32_t *slot; /* index + 1; 0 empty */
	uint32_t mask;
};

static uint32_t key_hash(const struct gkey *k)
{
	uint64_t a, b;

	memcpy(&a, k->b, 8);
	memcpy(&b, k->b + 8, 8);
	a = (a ^ (b * 0x9e3779b97f4a7c15ull) ^ k->cls) * 0xff51afd7ed558ccdull;
	return (uint32_t)(a ^ (a >> 29) ^ (a >> 41));
}

static int gmap_grow(struct gmap *m)
{
	uint32_t nslots = m->mask ? 2 * (m->mask + 1) : 1024, i, h;
	uint32_t *slot = calloc(nslots, sizeof(*slot));

	if (!slot)
		return -1;
	for (i = 0; i < m->n; i++) {
		for (h = key_hash(&m->g[i].k) & (nslots - 1); slot[h]; h = (h + 1) & (nslots - 1))
			;
		slot[h] = i + 1;
	}
	free(m->slot);
	m->slot = slot;
	m->mask = nslots - 1;
	return 0;
}

/* The group of key k, added when new; NULL when out of memory. */
static struct group *gmap_get(struct gmap *m, const struct gkey *k)
{
	uint32_t h;
	void *q;

	/* load factor at most 1/2 */
	if (2 * (uint64_t)(m->n + 1) > (uint64_t)m->mask + 1 && gmap_grow(m) < 0)
		return NULL;
	for (h = key_hash(k) & m->mask; m->slot[h]; h = (h + 1) & m->mask)
		if (memcmp(&m->g[m->slot[h] - 1].k, k, sizeof(*k)) == 0)
			return &m->g[m->slot[h] - 1];
	if (m->n == m->cap) {
		uint32_t c = m->cap ? m->cap + m->cap / 2 : 1024;
		if (!(q = realloc(m->g, (size_t)c * sizeof(*m->g))))
			return NULL;
		m->g = q;
		m->cap = c;
	}
	memset(&m->g[m->n], 0, sizeof(m->g[0]));
	m->g[m->n].k = *k;
	m->slot[h] = ++m->n;
	return &m->g[m->n - 1];
}

struct sum {
	const struct sum_req *q;
	const struct field_ctx *fc;
	struct texts tx;
	struct gmap map;
	uint32_t total;
};

static void sum_free(struct sum *s)
{
	free(s->tx.s);
	free(s->tx.slot);
	free(s->map.g);
	free(s->map.slot);
}

static void mask_prefix(uint8_t *b, unsigned len, unsigned prefix)
{
	unsigned i;

	for (i = 0; i < len; i++)
		if (prefix <= 8 * i)
			b[i] = 0;
		else if (prefix < 8 * (i + 1))
			b[i] &= (uint8_t)(0xff00u >> (prefix - 8 * i));
}

/* The record's key: 0, or -1 when out of memory. */
static int key_of(struct sum *s, const struct ctd_record *r, struct gkey *k)
{
	const struct field *by = s->q->by;
	struct fval v = {0};
	int64_t id;

	memset(k, 0, sizeof(*k));
	by->get(s->fc, r, &v);
	/* an empty text is the group of rows lacking the field, "" */
	if (!v.cls || (by->kind == FK_TEXT && (!v.text || !v.text[0])))
		return 0;
	k->cls = v.cls;
	switch (by->kind) {
	case FK_ADDR:
		memcpy(k->b, v.addr, v.cls == 1 ? 4 : 16);
		mask_prefix(k->b, v.cls == 1 ? 4 : 16, v.cls == 1 ? s->q->v4_prefix : s->q->v6_prefix);
		break;
	case FK_TEXT:
		if ((id = texts_id(&s->tx, v.text)) < 0)
			return -1;
		memcpy(k->b, &id, sizeof(id));
		break;
	case FK_DBL:
		memcpy(k->b, &v.dbl, sizeof(v.dbl));
		break;
	default:
		memcpy(k->b, &v.num, sizeof(v.num));
		break;
	}
	return 0;
}

/* One pass over the snapshot: 0, or -1 when out of memory. */
static int aggregate(struct sum *s, const struct snap_table *t)
{
	struct ctd_record r;
	struct gkey k;
	struct group *g;
	const float *rt;
	uint32_t i;

	for (i = 0; i < t->n; i++) {
		snap_get(t, i, &r);
		if (!filter_match(s->fc, &s->q->f, &r))
			continue;
		if (key_of(s, &r, &k) < 0 || !(g = gmap_get(&s->map, &k)))
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

/* ---- the top groups ------------------------------------------------------------- */
#define KEY_TEXT_MAX (CTD_USER_MAX + 8)

/* Protocol numbers by name, as the README (API, summary) spells the keys. */
static const char *proto_name(const struct field *by, uint64_t n)
{
	if (strcmp(by->name, "orig_l3proto") == 0)
		return n == AF_INET ? "ipv4" : n == AF_INET6 ? "ipv6" : NULL;
	if (strcmp(by->name, "orig_l4proto") == 0)
		return n == 6 ? "tcp" : n == 17 ? "udp" : n == 1 ? "icmp" : n == 58 ? "icmpv6" : NULL;
	return NULL;
}

static void key_text(const struct sum *s, const struct gkey *k, char out[KEY_TEXT_MAX])
{
	const struct field *by = s->q->by;
	char a[INET6_ADDRSTRLEN];
	unsigned prefix, full;
	uint64_t n;
	int64_t id;
	const char *name;

	out[0] = '\0';
	if (!k->cls)
		return;
	switch (by->kind) {
	case FK_ADDR:
		full = k->cls == 1 ? 32 : 128;
		prefix = k->cls == 1 ? s->q->v4_prefix : s->q->v6_prefix;
		inet_ntop(k->cls == 1 ? AF_INET : AF_INET6, k->b, a, sizeof(a));
		if (prefix < full)
			snprintf(out, KEY_TEXT_MAX, "%s/%u", a, prefix);
		else
			snprintf(out, KEY_TEXT_MAX, "%s", a);
		break;
	case FK_TEXT:
		memcpy(&id, k->b, sizeof(id));
		snprintf(out, KEY_TEXT_MAX, "%s", s->tx.s[id]);
		break;
	case FK_DBL:
		break;
	default:
		memcpy(&n, k->b, sizeof(n));
		if ((name = proto_name(by, n)))
			snprintf(out, KEY_TEXT_MAX, "%s", name);
		else
			snprintf(out, KEY_TEXT_MAX, "%llu", (unsigned long long)n);
		break;
	}
}

static double metric(int order, const struct group *g)
{
	if (order == SO_BYTES)
		return (double)g->obytes + (double)g->rbytes;
	if (order == SO_RATE)
		return g->orate + g->rrate;
	return g->conns;
}

struct pick {
	uint32_t g;
	double m;
	char key[KEY_TEXT_MAX];
};

/* Whether a ranks below b: a smaller figure, or the same and a larger key. */
static int below(const struct pick *a, const struct pick *b)
{
	if (a->m != b->m)
		return a->m < b->m;
	return strcmp(a->key, b->key) > 0;
}

static int cmp_rank(const void *x, const void *y)
{
	const struct pick *a = x, *b = y;

	return below(a, b) ? 1 : below(b, a) ? -1 : 0;
}

/* The heap's root is its lowest-ranked pick. */
static void sift_down(struct pick *h, uint32_t n, uint32_t i)
{
	struct pick tmp;

	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, w = i;
		if (l < n && below(&h[l], &h[w]))
			w = l;
		if (r < n && below(&h[r], &h[w]))
			w = r;
		if (w == i)
			return;
		tmp = h[i];
		h[i] = h[w];
		h[w] = tmp;
		i = w;
	}
}

static void sift_up(struct pick *h, uint32_t i)
{
	struct pick tmp;

	while (i > 0 && below(&h[i], &h[(i - 1) / 2])) {
		tmp = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = tmp;
		i = (i - 1) / 2;
	}
}

/* The top q->limit groups, best first, into top[] (*ntop of them). */
static void choose_top(const struct sum *s, struct pick *top, uint32_t *ntop)
{
	uint32_t i, n = 0;
	struct pick c;

	for (i = 0; i < s->map.n; i++) {
		c.g = i;
		c.m = metric(s->q->order, &s->map.g[i]);
		if (n == s->q->limit && c.m < top[0].m)
			continue;
		key_text(s, &s->map.g[i].k, c.key);
		if (n < s->q->limit) {
			top[n] = c;
			sift_up(top, n++);
		} else if (below(&top[0], &c)) {
			top[0] = c;
			sift_down(top, n, 0);
		}
	}
	qsort(top, n, sizeof(*top), cmp_rank);
	*ntop = n;
}

/* ---- the answer ------------------------------------------------------------------ */
static xmlrpc_value *group_value(xmlrpc_env *env, const struct sum *s, const struct pick *p)
{
	const struct group *g = &s->map.g[p->g];
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
			    const struct pick *top, uint32_t ntop)
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
		row_put(env, r, "groups_total", xmlrpc_int_new(env, (int)s->map.n));
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
	struct sum s = {q, fc, {0}, {0}, 0};
	struct pick *top = NULL;
	xmlrpc_value *r = NULL;
	uint32_t ntop = 0;
	int rc;

	/* the request's row budget is spent: no dump, no pass for nothing */
	if (ctx->rows >= ctx->cfg.max_page && view_spend_rows(env, ctx, 1, "options.limit") < 0)
		return NULL;
	if (snap_for_view(env, ctx, &info, &t) < 0)
		return NULL;
	if (!t.start && (rc = store_dump_load(ctx->db, info.dump_id, &t)) != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "reading a snapshot");
		snap_free(&t);
		return NULL;
	}
	if (!(top = malloc(q->limit * sizeof(*top))) || aggregate(&s, &t) < 0)
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
	else
		choose_top(&s, top, &ntop);
	/* a fresh dump is stored after the answer, as view's is (no order) */
	if (snap_deferred(ctx) && t.start)
		snap_defer(ctx, &t, "", NULL, 0);
	snap_free(&t);
	if (!env->fault_occurred && view_spend_rows(env, ctx, ntop, "options.limit") == 0)
		r = result(env, &s, &info, top, ntop);
	free(top);
	sum_free(&s);
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
