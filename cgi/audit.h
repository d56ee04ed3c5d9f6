/* SPDX-License-Identifier: GPL-2.0-or-later */
/* audit.h - the `audit` method (cgi/audit.c): the audit log, newest first, filtered and paged. */
#ifndef CTD_AUDIT_H
#define CTD_AUDIT_H

#include <xmlrpc-c/base.h>

#include "ctx.h"

xmlrpc_value *rpc_audit_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params);

#endif /* CTD_AUDIT_H */
