/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rpc.h - the method registry and the one authorization hook (cgi/rpc.c). */
#ifndef CTD_RPC_H
#define CTD_RPC_H

#include <xmlrpc-c/base.h>

#include "ctx.h"

struct xmlrpc_registry;
struct xmlrpc_registry *rpc_registry_new(xmlrpc_env *env, struct ctd_ctx *ctx);
/* Role each method needs; CTD_ROLE_NONE = no session needed; -1 unknown. */
int rpc_method_role(const char *name);

#endif /* CTD_RPC_H */
