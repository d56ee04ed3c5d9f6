/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctd_exit.h - ctd-helper's exit codes, one per numbered start-up check and
 * one per protocol failure class (suexec style).  Shared so that the CGI
 * can turn an early helper exit into a sentence for fault 6.
 *
 * Start-up steps run in the order listed; the code says which one refused.
 */
#ifndef CTD_EXIT_H
#define CTD_EXIT_H

enum ctd_helper_exit {
	CTD_EXIT_OK = 0,

	/* start-up steps: the number is the step (helper/startup.c steps[],
	 * "step N:" in the log); each step refuses with its code alone */
	CTD_EXIT_CAPLIMIT = 22, /* 1: could not limit capabilities to what start-up needs */
	CTD_EXIT_ENV = 10,	/* 2: could not rebuild the environment */
	CTD_EXIT_FDS = 11,	/* 3: could not make fds 0-2 safe / close the rest */
	CTD_EXIT_NOSOCK = 12,	/* 4: fd 3 is not a connected Unix stream socket */
	CTD_EXIT_CALLER = 13,	/* 5: caller is neither the web user nor in the helper group */
	CTD_EXIT_NNP = 14,	/* 6: NO_NEW_PRIVS set by the caller, setuid/setcap ignored */
	CTD_EXIT_NOPRIV = 15,	/* 7: no CAP_NET_ADMIN to start with (not installed setuid/setcap) */
	CTD_EXIT_BOUNDING = 19, /* 8: could not drop the bounding set / set NO_NEW_PRIVS */
	CTD_EXIT_SETID = 17,	/* 9: could not drop uid/gid */
	CTD_EXIT_CAPS = 16,	/* 10: could not reduce capabilities to CAP_NET_ADMIN (or, serving,
				 * lower it again after a netlink call) */
	CTD_EXIT_REGAIN = 18,	/* 11: root could be regained after the drop */
	CTD_EXIT_NETLINK = 21,	/* 12: could not open the conntrack netlink socket */
	CTD_EXIT_LIMITS = 20,	/* 13: umask, rlimits or the timeout could not be set */

	/* protocol failures: the request was malformed */
	CTD_EXIT_NOREQUEST = 30, /* peer closed before sending anything */
	CTD_EXIT_SHORT = 31,	 /* truncated header or payload */
	CTD_EXIT_VERSION = 32,	 /* wrong protocol version */
	CTD_EXIT_TOOLONG = 33,	 /* length above CTD_FRAME_MAX */
	CTD_EXIT_TYPE = 34,	 /* type not in the request whitelist */
	CTD_EXIT_SIZE = 35,	 /* length wrong for the type */
	CTD_EXIT_VALUE = 36,	 /* a field is out of range (family, flags, padding, count) */

	/* while serving */
	CTD_EXIT_TIMEOUT = 40,	/* the per-request alarm fired */
	CTD_EXIT_PEER = 41,	/* the caller went away while we answered */
	CTD_EXIT_INTERNAL = 42, /* out of memory or similar */
};

/* A short sentence for an exit code ("caller not allowed"); never NULL. */
const char *proto_exit_reason(int code);

#endif /* CTD_EXIT_H */
