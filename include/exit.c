// SPDX-License-Identifier: GPL-2.0-or-later
/* exit.c - ctd-helper exit codes as sentences (see ctd_exit.h). */
#include <stddef.h>

#include "ctd_exit.h"

static const struct {
	int code;
	const char *why;
} reasons[] = {
    {CTD_EXIT_OK, "success"},
    {CTD_EXIT_CAPLIMIT, "could not limit its capabilities for start-up"},
    {CTD_EXIT_ENV, "could not rebuild its environment"},
    {CTD_EXIT_FDS, "could not make its file descriptors safe"},
    {CTD_EXIT_NOSOCK, "its request descriptor (fd 3) is not a Unix stream socket"},
    {CTD_EXIT_CALLER, "caller not allowed (neither the web user nor in the helper group)"},
    {CTD_EXIT_NNP, "NO_NEW_PRIVS is set (e.g. systemd NoNewPrivileges=), so the setuid/setcap helper has no "
		   "privilege: use HELPER_MODE=socket"},
    {CTD_EXIT_NOPRIV, "it has no CAP_NET_ADMIN (not installed setuid root or with setcap cap_net_admin+p)"},
    {CTD_EXIT_CAPS, "could not reduce its capabilities"},
    {CTD_EXIT_SETID, "could not drop to the caller's uid/gid"},
    {CTD_EXIT_REGAIN, "root could still be regained after dropping privileges"},
    {CTD_EXIT_BOUNDING, "could not drop the capability bounding set or set NO_NEW_PRIVS"},
    {CTD_EXIT_LIMITS, "could not set its umask, resource limits or timeout"},
    {CTD_EXIT_NETLINK, "could not open the conntrack netlink socket"},
    {CTD_EXIT_NOREQUEST, "no request received"},
    {CTD_EXIT_SHORT, "truncated request frame"},
    {CTD_EXIT_VERSION, "protocol version mismatch"},
    {CTD_EXIT_TOOLONG, "request frame too long"},
    {CTD_EXIT_TYPE, "unknown request type"},
    {CTD_EXIT_SIZE, "request frame size wrong for its type"},
    {CTD_EXIT_VALUE, "request field out of range"},
    {CTD_EXIT_TIMEOUT, "request timed out"},
    {CTD_EXIT_PEER, "caller went away during the answer"},
    {CTD_EXIT_INTERNAL, "internal error (out of memory?)"},
};

const char *proto_exit_reason(int code)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return reasons[i].why;
	return "unexpected exit";
}
