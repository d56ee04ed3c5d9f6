// SPDX-License-Identifier: GPL-2.0-or-later
/* fault.c - XML-RPC faults with the stable codes of DESIGN §2. */
#include <stdarg.h>
#include <stdio.h>

#include "ctd_cgi.h"

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
