// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fault.c - XML-RPC faults with the stable codes of the README's API, and
 * the one table that turns a kernel errno into a sentence per operation
 * (after conntrack-tools): faults and audit rows both read it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctd_cgi.h"
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

/* What an errno means for one operation (CT_OP_ANY: for every one not
 * listed before it).  First match wins. */
static const struct {
	int op, err;
	const char *why;
} errtexts[] = {
    /* ctnetlink sets IPS_FIXED_TIMEOUT but never clears it, and refuses a
     * new timeout while it is set */
    {CT_OP_TIMEOUT, EPERM,
     "the timeout was already fixed by an earlier change, and the kernel refuses to change a fixed "
     "timeout again (kill the connection instead)"},
    {CT_OP_ANY, EPERM, "the helper lacks CAP_NET_ADMIN in this network namespace"},
    {CT_OP_ANY, ENOENT, "the connection is gone"},
    {CT_OP_ANY, ENOBUFS, "the kernel's netlink buffer overflowed; try again"},
    {CT_OP_ANY, EBUSY, "the kernel is busy with this connection; try again"},
    {CT_OP_ANY, EINVAL, "the kernel refused the request as invalid"},
    {CT_OP_ANY, EOPNOTSUPP, "connection tracking is not available in this kernel (nf_conntrack loaded?)"},
};

const char *ct_errtext(int op, int err)
{
	size_t i;

	for (i = 0; i < sizeof(errtexts) / sizeof(errtexts[0]); i++)
		if (errtexts[i].err == err && (errtexts[i].op == op || errtexts[i].op == CT_OP_ANY))
			return errtexts[i].why;
	return NULL;
}

void ct_errmsg(int op, int err, char *out, size_t outlen)
{
	const char *why = ct_errtext(op, err);

	if (why)
		snprintf(out, outlen, "%s: %s", strerror(err), why);
	else
		snprintf(out, outlen, "%s", strerror(err));
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
