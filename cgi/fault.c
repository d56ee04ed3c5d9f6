// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fault.c - XML-RPC faults with the stable codes of the README's API; a
 * kernel errno reads as its sentence from include/errtext.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctd_errtext.h"
#include "fault.h"
#include "helper_client.h"

void ctd_fault(xmlrpc_env *env, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* a fault may already be set by a deeper call; the first cause wins */
	if (env->fault_occurred)
		return;
	xmlrpc_env_set_fault(env, code, msg);
}

void fault_append(xmlrpc_env *env, const char *fmt, ...)
{
	char more[256], msg[768];
	va_list ap;

	if (!env->fault_occurred)
		return;
	va_start(ap, fmt);
	vsnprintf(more, sizeof(more), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s%s", env->fault_string ? env->fault_string : "", more);
	xmlrpc_env_set_fault(env, env->fault_code, msg);
}

void ctd_kernel_fault(xmlrpc_env *env, int op, int err)
{
	char msg[320];

	ct_errmsg(op, err ? err : EIO, msg, sizeof(msg));
	ctd_fault(env, CTD_F_KERNEL, "kernel error: %s", msg);
}

void ctd_helper_fault(xmlrpc_env *env, const struct hc_error *e, int op)
{
	if (e->kind == HC_KERNEL)
		ctd_kernel_fault(env, op, e->err);
	else
		ctd_fault(env, CTD_F_HELPER, "helper unavailable: %s", e->msg[0] ? e->msg : "no answer");
}
