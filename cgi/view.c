// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * view.c - the `view` method: parameters, the session's snapshot, the
 * filtered order (order.c) and a page of rows (row.c).  The whole filtered
 * order of a session's snapshot is cached with the session (positions in
 * the snapshot, in view order) so that the next page with the same
 * filters and order reads only that page's records.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "config.h"
#include "ctx.h"
#include "db.h"
#include "fault.h"
#include "field.h"
#include "filter.h"
#include "order.h"
#include "row.h"
#include "snapshot.h"
#include "store.h"
#include "uname.h"
#include "util.h"
#include "value.h"
#include "view.h"

struct view_req {
	struct view_filter f;
	int order; /* index into ctd_fields */
	bool desc;
	int64_t start;
	uint32_t length;
};

int view_order_index(const char *name)
{
	const struct field *f = field_by_name(name);

	return f && (f->flags & FL_SORT) ? field_index(f) : -1;
}

static void parse_order(xmlrpc_env *env, xmlrpc_value *v, struct view_req *q)
{
	char s[64];

	if (val_string(env, v, s, sizeof(s)) < 0 || (s[0] && (q->order = view_order_index(s)) < 0))
		ctd_fault(env, CTD_F_PARAM,
			  "bad parameter 'order_by': give a row field name, e.g. 'id' or 'rate'");
	if (!s[0])
		q->order = view_order_index("id");
}

static void parse_dir(xmlrpc_env *env, xmlrpc_value *v, struct view_req *q)
{
	char s[64];
	int c;

	if (val_string(env, v, s, sizeof(s)) < 0)
		s[0] = 'x';
	c = tolower((unsigned char)s[0]);
	if (s[0] && c != 'a' && c != 'd')
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'order_dir': give 'ASC' or 'DESC'");
	q->desc = c == 'd';
}

static void parse_start(xmlrpc_env *env, xmlrpc_value *v, struct view_req *q)
{
	if (val_int(env, v, &q->start) < 0 || q->start < 0)
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'start': give an integer >= 0");
}

static void parse_length(xmlrpc_env *env, xmlrpc_value *v, struct view_req *q, unsigned max_page)
{
	int64_t x;

	if (val_int(env, v, &x) < 0)
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'length': give an integer");
	else if (x > 0 && x <= max_page)
		q->length = (uint32_t)x;
}

static int parse_view(xmlrpc_env *env, const struct ctd_config *cfg, xmlrpc_value *params, struct view_req *q)
{
	xmlrpc_value *v;
	int i;

	memset(q, 0, sizeof(*q));
	q->order = view_order_index("id");
	q->length = cfg->max_page;
	for (i = 1; i <= 5 && !env->fault_occurred; i++) {
		if (!(v = rpc_param(env, params, i)))
			continue;
		if (i == 1)
			filter_parse(env, v, &q->f);
		else if (i == 2)
			parse_order(env, v, q);
		else if (i == 3)
			parse_dir(env, v, q);
		else if (i == 4)
			parse_start(env, v, q);
		else
			parse_length(env, v, q, cfg->max_page);
		xmlrpc_DECREF(v);
	}
	return env->fault_occurred ? -1 : 0;
}

/* Identity of a filtered order: filters, order, the dump (by when it was
 * taken and its size: known before it is stored, snapshot.c) and the
 * config they depend on. */
static void order_key(const struct ctd_config *cfg, const struct view_req *q, const struct snap_info *info,
		      char out[65])
{
	struct {
		struct view_filter f;
		int order, desc;
		double started, time;
		uint32_t count;
		uint32_t uid_mask;
		struct ctd_cidr hide[CTD_HIDE_MAX];
	} k;
	uint8_t h[32];
	int i;

	memset(&k, 0, sizeof(k));
	k.f = q->f;
	k.order = q->order;
	k.desc = q->desc;
	k.started = info->started;
	k.time = info->time;
	k.count = info->count;
	k.uid_mask = cfg->uid_mask;
	memcpy(k.hide, cfg->hide, cfg->nhide * sizeof(cfg->hide[0]));
	sha256(&k, sizeof(k), h);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/*
 * All the calls of one request (a multicall) return at most max_page rows
 * together: xmlrpc-c keeps every answer in memory until the response is
 * written, so a viewer could otherwise make one request hold gigabytes.
 * A call whose page would cross the budget is refused whole.
 */
int view_spend_rows(xmlrpc_env *env, struct ctd_ctx *ctx, uint32_t n, const char *param)
{
	if (n > ctx->cfg.max_page - ctx->rows) {
		ctd_fault(env, CTD_F_PARAM,
			  "bad parameter '%s': the calls of one request return at most %u rows together "
			  "(max_page); %u are spent and this call has %u",
			  param, ctx->cfg.max_page, ctx->rows, n);
		return -1;
	}
	ctx->rows += n;
	return 0;
}

static void append_row(xmlrpc_env *env, xmlrpc_value *table, const struct field_ctx *fc,
		       const struct ctd_record *r)
{
	xmlrpc_value *row = row_build(env, fc, r);

	if (row) {
		xmlrpc_array_append_item(env, table, row);
		xmlrpc_DECREF(row);
	}
}

/* Another page of a cached order: read just its records. */
static int page_from_cache(xmlrpc_env *env, struct ctd_ctx *ctx, const struct field_ctx *fc, int64_t dump_id,
			   const uint32_t *pos, uint32_t n, xmlrpc_value *table)
{
	struct ctd_record *recs = calloc(n ? n : 1, sizeof(*recs));
	bool *found = calloc(n ? n : 1, sizeof(*found));
	uint32_t i;
	int rc = SQLITE_NOMEM;

	if (view_spend_rows(env, ctx, n, "length") < 0)
		rc = SQLITE_OK;
	else if (recs && found &&
		 (rc = store_dump_read_at(ctx->db, dump_id, pos, n, recs, found)) == SQLITE_OK)
		for (i = 0; i < n && !env->fault_occurred; i++)
			if (found[i])
				append_row(env, table, fc, &recs[i]);
	if (rc != SQLITE_OK)
		db_fault(env, ctx->db, rc, "reading a snapshot");
	free(recs);
	free(found);
	return env->fault_occurred ? -1 : 0;
}

/* Sort the whole snapshot t, remember the order with the session (the next
 * page needs no sort), and append the requested page. */
static int page_by_sorting(xmlrpc_env *env, struct ctd_ctx *ctx, const struct field_ctx *fc,
			   const struct view_req *q, const char *key, struct snap_table *t, uint32_t *total,
			   xmlrpc_value *table)
{
	uint32_t *pos = NULL, i;
	struct ctd_record r;

	if (view_order(fc, &q->f, q->order, q->desc, t, &pos, total) < 0) {
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
		return -1;
	}
	i = (uint32_t)(q->start < *total ? q->start : *total);
	if (view_spend_rows(env, ctx, *total - i < q->length ? *total - i : q->length, "length") == 0)
		for (; i < *total && i - q->start < q->length && !env->fault_occurred; i++)
			append_row(env, table, fc, (snap_get(t, pos[i], &r), &r));
	/* remember the order (positions in the id-sorted snapshot stay right
	 * even where the kernel gave two entries one id) so the next page needs
	 * no sort; a failure only loses the shortcut.  A fresh dump not stored
	 * yet takes it along. */
	if (snap_deferred(ctx))
		snap_defer(ctx, t, key, &pos, *total, NULL);
	else
		store_session_order_put(ctx->db, ctx->sid, key, pos, *total);
	free(pos);
	return env->fault_occurred ? -1 : 0;
}

/* A deferred store makes the view's order for the next page once it has
 * sorted the table (snap_finish): the request, and the view's field
 * context, name cache included (the same names as the answer's, and the
 * request's one budget of lookups). */
struct later_order {
	struct view_req q;
	struct field_ctx fc;
};

static int later_run(void *arg, const struct snap_table *t, uint32_t **pos, uint32_t *total)
{
	struct later_order *l = arg;

	return view_order(&l->fc, &l->q.f, l->q.order, l->q.desc, t, pos, total);
}

static void later_free(void *arg)
{
	struct later_order *l = arg;

	uname_free(l->fc.uc);
	free(l);
}

/* A fresh table still in arrival order, stored after the answer: the page
 * from one pass over it (view_order_top); sorting the table and the whole
 * order wait until the answer is out. */
static int page_first(xmlrpc_env *env, struct ctd_ctx *ctx, struct field_ctx *fc, const struct view_req *q,
		      const char *key, struct snap_table *t, uint32_t *total, xmlrpc_value *table)
{
	struct later_order *l = calloc(1, sizeof(*l));
	struct snap_order_job job = {later_run, later_free, l};
	uint32_t *top = NULL, ntop = 0, i;
	struct ctd_record r;

	if (!l || view_order_top(fc, &q->f, q->order, q->desc, t, (uint32_t)q->start + q->length, &top, &ntop,
				 total) < 0) {
		free(l);
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
		return -1;
	}
	i = (uint32_t)(q->start < ntop ? q->start : ntop);
	if (view_spend_rows(env, ctx, ntop - i, "length") == 0)
		for (; i < ntop && !env->fault_occurred; i++)
			append_row(env, table, fc, (snap_get(t, top[i], &r), &r));
	free(top);
	l->q = *q;
	l->fc = *fc;
	fc->uc = NULL; /* the job's now */
	snap_defer(ctx, t, key, NULL, 0, &job);
	return env->fault_occurred ? -1 : 0;
}

static xmlrpc_value *result(xmlrpc_env *env, const struct snap_info *info, uint32_t total, int64_t start,
			    xmlrpc_value *table)
{
	xmlrpc_value *s = xmlrpc_struct_new(env);

	if (!s) {
		xmlrpc_DECREF(table);
		return NULL;
	}
	row_put(env, s, "total", xmlrpc_int_new(env, (int)total));
	row_put(env, s, "start", xmlrpc_int_new(env, start > INT32_MAX ? INT32_MAX : (int)start));
	row_put(env, s, "table", table);
	row_put(env, s, "snapshot_time", xmlrpc_double_new(env, info->time));
	row_put(env, s, "interval", xmlrpc_double_new(env, info->interval));
	row_put(env, s, "accounting", xmlrpc_bool_new(env, info->accounting));
	if (env->fault_occurred) {
		xmlrpc_DECREF(s);
		return NULL;
	}
	return s;
}

/* The page of q from the session's snapshot into table; *total set. */
static int view_page(xmlrpc_env *env, struct ctd_ctx *ctx, const struct view_req *q, struct snap_info *info,
		     struct field_ctx *fc, uint32_t *total, xmlrpc_value *table)
{
	struct snap_table t = {0};
	uint32_t *cpos = NULL, ncpos = 0;
	char key[65];
	int rc;

	/* the request's row budget is spent: no dump, no sort for nothing */
	if (ctx->rows >= ctx->cfg.max_page && view_spend_rows(env, ctx, 1, "length") < 0)
		return -1;
	if (snap_for_view(env, ctx, info, &t, true) < 0)
		return -1;
	order_key(&ctx->cfg, q, info, key);
	if (t.unsorted && q->start + q->length <= CTD_PAGE_FIRST_MAX) {
		rc = page_first(env, ctx, fc, q, key, &t, total, table);
		goto done;
	}
	if (t.unsorted && snap_sort_by_id(&t) < 0) {
		ctd_fault(env, CTD_F_CONFIG, "server out of memory for the table");
		rc = -1;
		goto done;
	}
	if (!t.start && store_session_order_get(ctx->db, ctx->sid, key,
						(uint32_t)(q->start > UINT32_MAX ? UINT32_MAX : q->start),
						q->length, total, &cpos, &ncpos) == SQLITE_ROW) {
		rc = page_from_cache(env, ctx, fc, info->dump_id, cpos, ncpos, table);
		free(cpos);
		return rc;
	}
	if (!t.start && (rc = store_dump_load(ctx->db, info->dump_id, &t)) != SQLITE_OK) {
		snap_free(&t);
		db_fault(env, ctx->db, rc, "reading a snapshot");
		return -1;
	}
	rc = page_by_sorting(env, ctx, fc, q, key, &t, total, table);
done:
	/* a fresh dump the view could not sort is still stored, unordered */
	if (snap_deferred(ctx) && t.start)
		snap_defer(ctx, &t, key, NULL, 0, NULL);
	snap_free(&t);
	return rc;
}

xmlrpc_value *rpc_view_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params)
{
	struct view_req q;
	struct snap_info info;
	struct field_ctx fc = {&ctx->cfg, NULL};
	xmlrpc_value *table = NULL;
	uint32_t total = 0;

	if (parse_view(env, &ctx->cfg, params, &q) < 0)
		return NULL;
	fc.uc = uname_new();
	table = xmlrpc_array_new(env);
	if (!fc.uc || !table)
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
	else if (view_page(env, ctx, &q, &info, &fc, &total, table) == 0) {
		uname_free(fc.uc);
		return result(env, &info, total, q.start, table);
	}
	if (table)
		xmlrpc_DECREF(table);
	uname_free(fc.uc);
	return NULL;
}
