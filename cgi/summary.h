/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * summary.h - the `summary` method (cgi/summary.c): the session's snapshot,
 * read exactly as `view` reads it, grouped by one field of the field table
 * (FL_GROUP), address keys aggregated by prefix; the top groups by
 * connections, bytes or rate (README, API).
 */
#ifndef CTD_SUMMARY_H
#define CTD_SUMMARY_H

#include <xmlrpc-c/base.h>

#include "ctx.h"

#define CTD_SUMMARY_LIMIT_DEFAULT 20u
#define CTD_SUMMARY_LIMIT_MAX	  1000u /* groups one summary returns */

xmlrpc_value *rpc_summary_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params);

#endif /* CTD_SUMMARY_H */
