// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * caps.c - the capability model (after iputils ping): keep CAP_NET_ADMIN
 * in the permitted set only, raise it into the effective set around the
 * netlink calls that need it, and make sure nothing else can come back.
 */
#include <errno.h>
#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <syslog.h>
#include <unistd.h>

#include "helper.h"

int helper_cap_have_admin(void)
{
	cap_t c = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	if (!c)
		return 0;
	if (cap_get_flag(c, CAP_NET_ADMIN, CAP_PERMITTED, &v) != 0)
		v = CAP_CLEAR;
	cap_free(c);
	return v == CAP_SET;
}

static int have_effective(cap_value_t cap)
{
	cap_t c = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	if (!c)
		return 0;
	if (cap_get_flag(c, cap, CAP_EFFECTIVE, &v) != 0)
		v = CAP_CLEAR;
	cap_free(c);
	return v == CAP_SET;
}

/* Set permitted = the given caps, effective = the same if eff, else empty;
 * inheritable empty. */
static int cap_set_only(const cap_value_t *caps, int n, int eff)
{
	cap_t c = cap_init();
	int r = -1;

	if (!c)
		return -1;
	if (n > 0 && (cap_set_flag(c, CAP_PERMITTED, n, caps, CAP_SET) != 0 ||
		      (eff && cap_set_flag(c, CAP_EFFECTIVE, n, caps, CAP_SET) != 0)))
		goto out;
	r = cap_set_proc(c);
out:
	cap_free(c);
	return r;
}

static int set_admin_effective(cap_flag_value_t v)
{
	static const cap_value_t admin = CAP_NET_ADMIN;
	cap_t c = cap_get_proc();
	int r = -1;

	if (!c)
		return -1;
	if (cap_set_flag(c, CAP_EFFECTIVE, 1, &admin, v) == 0)
		r = cap_set_proc(c);
	cap_free(c);
	return r;
}

int helper_cap_raise(void)
{
	return set_admin_effective(CAP_SET);
}

int helper_cap_lower(void)
{
	return set_admin_effective(CAP_CLEAR);
}

void helper_cap_drop(uid_t uid, gid_t gid)
{
	static const cap_value_t admin_setid[] = {CAP_NET_ADMIN, CAP_SETUID, CAP_SETGID};
	static const cap_value_t admin = CAP_NET_ADMIN;
	int change_id = getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid;
	int bounding = have_effective(CAP_SETPCAP);
	cap_value_t c;

	/*
	 * Drop the bounding set first, while CAP_SETPCAP may still be ours
	 * (setuid root).  It stops anything we might exec from gaining a
	 * capability.  In setcap/socket mode there is no CAP_SETPCAP: the
	 * bounding set is the installer's (systemd CapabilityBoundingSet=)
	 * and NO_NEW_PRIVS below covers exec.
	 */
	if (bounding) {
		syslog(LOG_INFO, "step 5: dropping the capability bounding set");
		/* PR_CAPBSET_READ fails past the kernel's last capability */
		for (c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
				helper_fatal(CTD_EXIT_BOUNDING,
					     "step 5: cannot drop capability %d from the bounding set",
					     (int)c);
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);

	/*
	 * Reduce the permitted set to CAP_NET_ADMIN (plus SETUID/SETGID for
	 * the uid change, dropped right after), so a bug later in the helper
	 * can do nothing but conntrack operations.
	 */
	syslog(LOG_INFO, "step 5: reducing capabilities to CAP_NET_ADMIN");
	if (change_id ? cap_set_only(admin_setid, 3, 1) != 0 : cap_set_only(&admin, 1, 0) != 0)
		helper_fatal(CTD_EXIT_CAPS, "step 5: cannot reduce capabilities: %m");

	if (change_id) {
		/*
		 * Become the caller (setuid root: real uid is the caller), so
		 * files and signals are the caller's; KEEPCAPS keeps
		 * CAP_NET_ADMIN across the uid change.
		 */
		syslog(LOG_INFO, "step 5: dropping to uid %u gid %u", (unsigned)uid, (unsigned)gid);
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
			helper_fatal(CTD_EXIT_SETID, "step 5: PR_SET_KEEPCAPS: %m");
		if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0)
			helper_fatal(CTD_EXIT_SETID, "step 5: cannot drop to gid %u: %m", (unsigned)gid);
		if (setresuid(uid, uid, uid) != 0)
			helper_fatal(CTD_EXIT_SETID, "step 5: cannot drop to uid %u: %m", (unsigned)uid);
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
			helper_fatal(CTD_EXIT_SETID, "step 5: PR_CLEAR_KEEPCAPS: %m");
		if (cap_set_only(&admin, 1, 0) != 0)
			helper_fatal(CTD_EXIT_CAPS, "step 5: cannot drop CAP_SETUID/CAP_SETGID: %m");
	}

	/*
	 * Prove it: with the ids dropped and no CAP_SETUID, every way back to
	 * uid 0 must fail.  Stops a silent partial drop (e.g. a kernel or
	 * libc quirk) from leaving a root helper behind.
	 */
	syslog(LOG_INFO, "step 5: verifying root cannot be regained");
	if (getuid() == 0 || geteuid() == 0 || getgid() == 0 || getegid() == 0 || setuid(0) == 0 ||
	    seteuid(0) == 0 || setgid(0) == 0 || setegid(0) == 0)
		helper_fatal(CTD_EXIT_REGAIN, "step 5: root can be regained after the drop");
	{
		cap_t now = cap_get_proc(), want = cap_init();
		int same = now && want && cap_set_flag(want, CAP_PERMITTED, 1, &admin, CAP_SET) == 0 &&
			   cap_compare(now, want) == 0;
		if (now)
			cap_free(now);
		if (want)
			cap_free(want);
		if (!same)
			helper_fatal(CTD_EXIT_REGAIN, "step 5: capabilities other than CAP_NET_ADMIN remain");
	}

	/* Nothing we exec may gain privilege (the rlimits forbid exec'ing
	 * a new process anyway). */
	syslog(LOG_INFO, "step 5: setting NO_NEW_PRIVS");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		helper_fatal(CTD_EXIT_BOUNDING, "step 5: cannot set NO_NEW_PRIVS: %m");
}
