// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * caps.c - the capability primitives (after iputils ping): keep a given
 * set and nothing else, drop the bounding set, and raise CAP_NET_ADMIN
 * into the effective set only around the netlink calls that need it.
 * Which capabilities are kept when is decided in startup.c, step by step.
 */
#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "helper.h"

int helper_cap_have(int cap, int set)
{
	cap_t c = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	if (!c)
		return 0;
	if (cap_get_flag(c, cap, (cap_flag_t)set, &v) != 0)
		v = CAP_CLEAR;
	cap_free(c);
	return v == CAP_SET;
}

/* Set cap in flag of c if it is set in now. */
static int keep_flag(cap_t c, cap_t now, cap_value_t cap, cap_flag_t flag)
{
	cap_flag_value_t v = CAP_CLEAR;

	if (cap_get_flag(now, cap, flag, &v) != 0 || v != CAP_SET)
		return 0;
	return cap_set_flag(c, flag, 1, &cap, CAP_SET);
}

int helper_cap_keep(const int *caps, int n, int eff)
{
	cap_t now = cap_get_proc(), c = cap_init();
	int r = -1, i;

	if (!now || !c)
		goto out;
	/* only ever a subset of what we hold: lowering cannot be refused */
	for (i = 0; i < n; i++)
		if (keep_flag(c, now, caps[i], CAP_PERMITTED) != 0 ||
		    (eff && keep_flag(c, now, caps[i], CAP_EFFECTIVE) != 0))
			goto out;
	r = cap_set_proc(c);
out:
	if (now)
		cap_free(now);
	if (c)
		cap_free(c);
	return r;
}

int helper_cap_drop_bounding(void)
{
	int c;

	/* PR_CAPBSET_READ fails past the kernel's last capability */
	for (c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
			return -1;
	return 0;
}

int helper_cap_admin_only(void)
{
	static const cap_value_t admin = CAP_NET_ADMIN;
	cap_t now = cap_get_proc(), want = cap_init();
	int same = now && want && cap_set_flag(want, CAP_PERMITTED, 1, &admin, CAP_SET) == 0 &&
		   cap_compare(now, want) == 0;

	if (now)
		cap_free(now);
	if (want)
		cap_free(want);
	return same;
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
	return set_admin_effective(CAP_SET) == 0 ? 0 : -errno;
}

void helper_cap_lower(void)
{
	/* A helper that cannot give the capability up again would serve the
	 * rest of the request with it effective: stop instead. */
	if (set_admin_effective(CAP_CLEAR) != 0)
		helper_fatal(CTD_EXIT_CAPS, "cannot lower CAP_NET_ADMIN after a netlink call: %m");
}
