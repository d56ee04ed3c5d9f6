/* SPDX-License-Identifier: GPL-2.0-or-later */
/* actions.h - the kill and change methods (cgi/actions.c). */
#ifndef CTD_ACTIONS_H
#define CTD_ACTIONS_H

#include <stddef.h>
#include <xmlrpc-c/base.h>

#include "ctd_proto.h"
#include "ctx.h"

xmlrpc_value *rpc_kill_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params);
xmlrpc_value *rpc_change_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params);
/* Destroys recs[0..n) by tuple + CTA_ID + zone, in helper requests of at
 * most CTD_MAX_TARGETS, each entry with an audit row of `action`; res[i]
 * is entry i's result, *acted how many entries reached the helper.  0, or
 * -1 with a fault when a helper request failed (later batches not sent). */
int actions_destroy(xmlrpc_env *env, struct ctd_ctx *ctx, const char *action, const struct ctd_record *recs,
		    size_t n, struct ctd_result *res, size_t *acted);
/*
 * kill's body, for every method that destroys by id (params[1]: the ids,
 * at most CTD_MAX_TARGETS): lookup turns the sorted, distinct ids into
 * what they name (all or nothing: fault 5 for one it does not know), then
 * each is destroyed with request `type` (CTD_REQ_DESTROY, or
 * CTD_REQ_EXPECT_DESTROY whose records carry the expected tuple as orig),
 * each with an audit row.  Returns the int destroyed, or NULL with a fault.
 */
typedef int (*actions_lookup)(xmlrpc_env *env, struct ctd_ctx *ctx, const uint32_t *ids, size_t n,
			      struct ctd_record **recs);
xmlrpc_value *actions_kill(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params, uint16_t type,
			   actions_lookup lookup);
/* Text form of a tuple for the audit log. */
void tuple_text(const struct ctd_record *r, char *out, size_t outlen);
/* The helper's target for a snapshot record: tuple, zone, directional
 * zones and id, so destroy and update find exactly that entry.  The one
 * place a target is made from a record (kill, change, kill_matching). */
void record_target(const struct ctd_record *r, struct ctd_target *t);

#endif /* CTD_ACTIONS_H */
