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
/* Text form of a tuple for the audit log. */
void tuple_text(const struct ctd_record *r, char *out, size_t outlen);

#endif /* CTD_ACTIONS_H */
