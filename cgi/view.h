/* SPDX-License-Identifier: GPL-2.0-or-later */
/* view.h - the view method (cgi/view.c). */
#ifndef CTD_VIEW_H
#define CTD_VIEW_H

#include <xmlrpc-c/base.h>

#include "ctx.h"

/* Index of an order_by name in ctd_fields, or -1. */
int view_order_index(const char *name);
/*
 * All the calls of one request (a multicall) return at most max_page rows
 * (or groups) together; spend n of them or fault 3 naming param.  0 or -1.
 */
int view_spend_rows(xmlrpc_env *env, struct ctd_ctx *ctx, uint32_t n, const char *param);
xmlrpc_value *rpc_view_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params);

#endif /* CTD_VIEW_H */
