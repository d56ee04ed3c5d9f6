/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stats.h - the `stats` method (cgi/stats.c): is the table healthy?  Its
 * size against its maximum, the accounting/timestamp switches, and the
 * per-CPU counters of `conntrack -S` summed, from one helper request
 * (CTD_REQ_STATS): never a dump.
 */
#ifndef CTD_STATS_H
#define CTD_STATS_H

#include <xmlrpc-c/base.h>

#include "ctd_proto.h"
#include "ctx.h"

/* The helper's figures (also for a history sample): 0, or -1 with fault 6/7. */
int stats_fetch(xmlrpc_env *env, const struct ctd_ctx *ctx, struct ctd_stats *st);
xmlrpc_value *rpc_stats_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params);

#endif /* CTD_STATS_H */
