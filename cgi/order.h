/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * order.h - a view's filtered order: which records of a snapshot pass the
 * filters, sorted by one field of the field table (field.h), ties broken
 * by id, as positions into the id-sorted snapshot.
 */
#ifndef CTD_ORDER_H
#define CTD_ORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "filter.h"
#include "snapshot.h"

/* Filter (hidden networks always applied) and order the records of t (by
 * id) by ctd_fields[field]; *pos receives their positions in view order
 * (caller frees).  0, or -1 when out of memory. */
int view_order(const struct field_ctx *fc, const struct view_filter *f, int field, bool desc,
	       const struct snap_table *t, uint32_t **pos, uint32_t *npos);
/* The first `limit` entries of that order from a fresh table still in
 * arrival order (t->unsorted), in one pass with no sort of the whole
 * table: *top receives their indices in t (caller frees), *ntop <= limit
 * of them, *total counts every record that passes.  The same entries, in
 * the same order, as view_order's first ones once t is sorted by id.  0,
 * or -1 when out of memory. */
int view_order_top(const struct field_ctx *fc, const struct view_filter *f, int field, bool desc,
		   const struct snap_table *t, uint32_t limit, uint32_t **top, uint32_t *ntop,
		   uint32_t *total);

#endif /* CTD_ORDER_H */
