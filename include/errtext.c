// SPDX-License-Identifier: GPL-2.0-or-later
/* errtext.c - the errno sentences of ctd_errtext.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctd_errtext.h"

/* First match wins: an operation's own line before the CT_OP_ANY one. */
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
    {CT_OP_ANY, ENOBUFS, "the kernel's netlink buffer overflowed (or it ran out of memory); try again"},
    {CT_OP_ANY, ENOMEM, "the kernel ran out of memory"},
    {CT_OP_ANY, EBUSY, "the kernel is busy with this connection; try again"},
    {CT_OP_ANY, EINVAL, "the kernel refused the request as invalid"},
    {CT_OP_ANY, EPROTONOSUPPORT,
     "conntrack netlink is not available (module nf_conntrack_netlink not loaded?)"},
    {CT_OP_ANY, EAFNOSUPPORT, "conntrack netlink is not available (module nf_conntrack_netlink not loaded?)"},
    {CT_OP_ANY, EOPNOTSUPP, "the kernel does not support this conntrack operation"},
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
