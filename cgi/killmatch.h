/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * killmatch.h - kill_preview and kill_matching (cgi/killmatch.c): what a
 * filter matches in the session's snapshot, promised under a single-use
 * token, then destroyed exactly (README, API).
 */
#ifndef CTD_KILLMATCH_H
#define CTD_KILLMATCH_H

#include <xmlrpc-c/base.h>

#include "ctx.h"

xmlrpc_value *rpc_kill_preview_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params);
xmlrpc_value *rpc_kill_matching_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params);

#endif /* CTD_KILLMATCH_H */
