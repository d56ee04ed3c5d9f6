// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * startup.c - the trust decision, top to bottom (after Apache suexec).
 * steps[] at the end is the whole list: a step's number is its index
 * there, it logs one line (LOG_AUTHPRIV) before it acts, and it refuses
 * with its one exit code (include/ctd_exit.h, same numbers).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "helper.h"

#ifndef CTD_WEB_USER
#define CTD_WEB_USER "www-data"
#endif
#ifndef CTD_HELPER_GROUP
#define CTD_HELPER_GROUP "ctd"
#endif

/* uid/gid a root caller runs as: root gains nothing from the helper, but
 * the helper must still never run as uid 0 after start-up. */
#define HELPER_NOBODY 65534u

/* Most supplementary groups looked at for the group check. */
#define HELPER_MAX_GROUPS 1024

/* What the steps learn and hand on. */
struct startup {
	struct ucred peer; /* step 4: the caller, as the kernel saw it */
	uid_t uid;	   /* step 5: whom we serve as */
	gid_t gid;
};

/* Stops a bug or a hostile name service (NSS modules run inside us from
 * step 5 on) from using any capability but those the later steps need:
 * CAP_NET_ADMIN (the service), CAP_SETUID/CAP_SETGID (step 9), CAP_SETPCAP
 * (step 8).  Lowering only: a helper that has fewer keeps fewer. */
static void step_limit_caps(struct startup *s)
{
	static const int keep[] = {CAP_NET_ADMIN, CAP_SETUID, CAP_SETGID, CAP_SETPCAP};

	if (helper_cap_keep(keep, 4, 1) != 0)
		helper_refuse("cannot limit capabilities: %m");
}

/* Stops LD_*, locale, TZ, NLSPATH... from the caller steering libc or the
 * libraries inside a privileged process.  (The dynamic loader already
 * ignores the dangerous ones under AT_SECURE; this covers everything
 * after it.) */
static void step_env(struct startup *s)
{
	if (clearenv() != 0 || setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) != 0)
		helper_refuse("cannot rebuild the environment");
}

/* Stops fd games: a caller that starts us with 0-2 closed would have our
 * next open() land on stdout/stderr; an inherited fd would give the
 * caller a channel into the privileged process. */
static void step_fds(struct startup *s)
{
	int fd;

	closelog(); /* its socket is closed below; reopened after */
	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0) {
			int n = open("/dev/null", O_RDWR);
			if (n != fd)
				_exit(CTD_EXIT_FDS); /* nothing safe to print to */
		}
	/* stdin and stdout are never used: /dev/null; stderr stays (logs) */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0 || dup2(fd, 0) != 0 || dup2(fd, 1) != 1)
		_exit(CTD_EXIT_FDS);
	if (fd > 3)
		close(fd);
	if (close_range(4, ~0u, 0) != 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (fd = 4; fd < (max > 0 ? max : 65536); fd++)
			close(fd);
	}
	helper_log_open(1);
}

/* fd 3 must be a Unix stream socket (the request channel), nothing else:
 * its peer credentials (SO_PEERCRED: set by the kernel, unforgeable) are
 * who the caller is. */
static void step_socket(struct startup *s)
{
	struct stat st;
	int type = 0, domain = 0;
	socklen_t sl = sizeof(type), dl = sizeof(domain), cl = sizeof(s->peer);

	if (fstat(HELPER_REQ_FD, &st) != 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(HELPER_REQ_FD, SOL_SOCKET, SO_DOMAIN, &domain, &dl) != 0 || domain != AF_UNIX ||
	    getsockopt(HELPER_REQ_FD, SOL_SOCKET, SO_TYPE, &type, &sl) != 0 || type != SOCK_STREAM)
		helper_refuse("fd 3 is not a Unix stream socket");
	if (getsockopt(HELPER_REQ_FD, SOL_SOCKET, SO_PEERCRED, &s->peer, &cl) != 0 || cl != sizeof(s->peer))
		helper_refuse("no peer credentials on fd 3");
	if (fcntl(HELPER_REQ_FD, F_SETFD, FD_CLOEXEC) != 0)
		helper_refuse("cannot set close-on-exec on fd 3");
}

static int in_helper_group(const struct passwd *pw)
{
	gid_t groups[HELPER_MAX_GROUPS];
	int n = HELPER_MAX_GROUPS, i;
	struct group *g = getgrnam(CTD_HELPER_GROUP);

	if (!g)
		return 0;
	if (pw->pw_gid == g->gr_gid)
		return 1;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return 0; /* more groups than we look at: refuse rather than guess */
	for (i = 0; i < n; i++)
		if (groups[i] == g->gr_gid)
			return 1;
	return 0;
}

/* Stops anyone but the web server (or a hosting user the admin put in the
 * helper group) from using the helper to read or change the firewall's
 * connection table.  When we gained privilege at exec (setuid/setcap:
 * AT_SECURE), the real uid must be the socket's peer, so nobody can hand
 * a setuid helper somebody else's socket. */
static void step_caller(struct startup *s)
{
	uid_t peer = s->peer.uid;
	struct passwd *pw, *web;

	if (getauxval(AT_SECURE) && peer != getuid())
		helper_refuse("uid %u runs the helper with a socket of uid %u", (unsigned)getuid(),
			      (unsigned)peer);
	if (peer == 0) {
		/* root could do all of this without us; it runs as nobody */
		s->uid = HELPER_NOBODY;
		s->gid = HELPER_NOBODY;
		return;
	}
	pw = getpwuid(peer);
	if (!pw)
		helper_refuse("caller uid %u has no passwd entry", (unsigned)peer);
	web = getpwnam(CTD_WEB_USER);
	if (!(web && web->pw_uid == peer) && !in_helper_group(pw))
		helper_refuse("caller uid %u (%s) is neither %s nor in group %s", (unsigned)peer, pw->pw_name,
			      CTD_WEB_USER, CTD_HELPER_GROUP);
	s->uid = pw->pw_uid;
	s->gid = pw->pw_gid;
}

/* With NO_NEW_PRIVS set by the caller the kernel ignores our setuid bit /
 * file capability, and we would fail later with an obscure EPERM; say
 * why instead.  (Socket mode: systemd gives the capability as an ambient
 * one, which NO_NEW_PRIVS does not remove.) */
static void step_nnp(struct startup *s)
{
	if (!helper_cap_have(CAP_NET_ADMIN, CAP_PERMITTED) && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
		helper_refuse("NO_NEW_PRIVS is set by the caller (e.g. systemd NoNewPrivileges= on the web "
			      "server), so the kernel ignored the helper's setuid bit/file capability; use "
			      "HELPER_MODE=socket");
}

static void step_admin(struct startup *s)
{
	if (!helper_cap_have(CAP_NET_ADMIN, CAP_PERMITTED))
		helper_refuse("no CAP_NET_ADMIN: install the helper setuid root (4750) or with setcap "
			      "cap_net_admin+p");
}

/* Stops anything we might exec from gaining a capability.  The bounding
 * set goes while CAP_SETPCAP may still be ours (setuid root); in
 * setcap/socket mode there is none: the bounding set is the installer's
 * (systemd CapabilityBoundingSet=) and NO_NEW_PRIVS covers exec. */
static void step_bounding(struct startup *s)
{
	if (helper_cap_have(CAP_SETPCAP, CAP_EFFECTIVE) && helper_cap_drop_bounding() != 0)
		helper_refuse("cannot drop the capability bounding set: %m");
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		helper_refuse("cannot set NO_NEW_PRIVS: %m");
}

/* Become the caller (setuid root: real uid is the caller), so files and
 * signals are the caller's; KEEPCAPS keeps CAP_NET_ADMIN across the uid
 * change.  Only a root helper (setuid, or root running it) changes uid;
 * with a file capability or as the socket service it stays who it is. */
static void step_setid(struct startup *s)
{
	uid_t uid = geteuid() == 0 ? s->uid : getuid();
	gid_t gid = geteuid() == 0 ? s->gid : getgid();

	if (getuid() == uid && geteuid() == uid && getgid() == gid && getegid() == gid)
		return;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		helper_refuse("PR_SET_KEEPCAPS: %m");
	if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0)
		helper_refuse("cannot drop to gid %u: %m", (unsigned)gid);
	if (setresuid(uid, uid, uid) != 0)
		helper_refuse("cannot drop to uid %u: %m", (unsigned)uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
		helper_refuse("PR_CLEAR_KEEPCAPS: %m");
}

/* From here a bug in the helper can do nothing but conntrack operations:
 * CAP_NET_ADMIN permitted, raised only around each netlink call. */
static void step_caps(struct startup *s)
{
	static const int admin = CAP_NET_ADMIN;

	if (helper_cap_keep(&admin, 1, 0) != 0)
		helper_refuse("cannot reduce capabilities: %m");
}

/* Prove it: with the ids dropped and no CAP_SETUID, every way back to
 * uid 0 must fail.  Stops a silent partial drop (e.g. a kernel or libc
 * quirk) from leaving a root helper behind. */
static void step_regain(struct startup *s)
{
	if (getuid() == 0 || geteuid() == 0 || getgid() == 0 || getegid() == 0 || setuid(0) == 0 ||
	    seteuid(0) == 0 || setgid(0) == 0 || setegid(0) == 0)
		helper_refuse("root can be regained after the drop");
	if (!helper_cap_admin_only())
		helper_refuse("capabilities other than CAP_NET_ADMIN remain");
}

/* Files and sockets the operations need, opened before step 13 forbids
 * new ones. */
static void step_netlink(struct startup *s)
{
	int r = helper_nl_open();

	if (r != 0) {
		errno = -r;
		helper_refuse("cannot open the conntrack netlink socket and sysctls: %m");
	}
}

static void on_alarm(int sig)
{
	static const char msg[] = "ctd-helper: request timed out (exit 40)\n";
	(void)sig;
	/* async-signal-safe only: no syslog here */
	if (write(2, msg, sizeof(msg) - 1) < 0) {
	}
	_exit(CTD_EXIT_TIMEOUT);
}

/* umask 077: anything created is ours alone.  rlimits: the helper needs
 * no new files, no child processes, no file writes and no core dumps
 * (which would hold privileged memory); they stop a compromised helper
 * from using any of that.  alarm: a caller that stalls cannot pin a
 * privileged process. */
static void step_limits(struct startup *s)
{
	static const struct rlimit zero = {0, 0};
	struct sigaction sa;

	umask(077);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		helper_refuse("cannot install signal handlers: %m");
	if (setrlimit(RLIMIT_NOFILE, &zero) != 0 || setrlimit(RLIMIT_FSIZE, &zero) != 0 ||
	    setrlimit(RLIMIT_CORE, &zero) != 0 || setrlimit(RLIMIT_NPROC, &zero) != 0)
		helper_refuse("cannot set resource limits: %m");
	alarm(HELPER_READ_TIMEOUT_S);
}

/*
 * The start-up steps, in order; a step's number is its index (the log
 * says "step N:", include/ctd_exit.h gives each code its N).  Each logs
 * its line before it acts and refuses with its code alone.
 */
static const struct {
	int code;
	const char *what;
	void (*run)(struct startup *s);
} steps[] = {
    [1] = {CTD_EXIT_CAPLIMIT, "limiting capabilities to CAP_NET_ADMIN, CAP_SETUID, CAP_SETGID, CAP_SETPCAP",
	   step_limit_caps},
    [2] = {CTD_EXIT_ENV, "rebuilding the environment", step_env},
    [3] = {CTD_EXIT_FDS, "making fds 0-2 safe, closing all but fd 3", step_fds},
    [4] = {CTD_EXIT_NOSOCK, "checking that fd 3 is a Unix stream socket", step_socket},
    [5] = {CTD_EXIT_CALLER, "checking the caller", step_caller},
    [6] = {CTD_EXIT_NNP, "checking for NO_NEW_PRIVS set by the caller", step_nnp},
    [7] = {CTD_EXIT_NOPRIV, "checking for CAP_NET_ADMIN", step_admin},
    [8] = {CTD_EXIT_BOUNDING, "dropping the capability bounding set, setting NO_NEW_PRIVS", step_bounding},
    [9] = {CTD_EXIT_SETID, "dropping to the caller's uid and gid", step_setid},
    [10] = {CTD_EXIT_CAPS, "reducing capabilities to CAP_NET_ADMIN, permitted only", step_caps},
    [11] = {CTD_EXIT_REGAIN, "verifying root cannot be regained", step_regain},
    [12] = {CTD_EXIT_NETLINK, "opening the conntrack netlink socket and sysctls", step_netlink},
    [13] = {CTD_EXIT_LIMITS, "umask 077, rlimits, timeout", step_limits},
};

void helper_startup(void)
{
	struct startup s;
	sigset_t none;
	size_t n;

	memset(&s, 0, sizeof(s));
	/* The signal mask survives exec: a caller that blocks SIGALRM would
	 * otherwise keep a stalled privileged helper alive past its timeout.
	 * Unblock everything before arming the alarm. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* bounds start-up too (a stalled syslog daemon blocks syslog()); the
	 * default action of SIGALRM ends the process, step 13 installs ours */
	signal(SIGALRM, SIG_DFL);
	alarm(HELPER_READ_TIMEOUT_S);
	/* RLIMIT_FSIZE 0 (the caller's, or ours from step 13) would kill us
	 * with SIGXFSZ at the first stderr line when stderr is a regular
	 * file, silently and without our exit code; ignored, the write fails
	 * with EFBIG and the exit code survives. */
	signal(SIGXFSZ, SIG_IGN);
	/* syslog() stamps each line with local time, and glibc reads TZ once,
	 * at the first line (AT_SECURE keeps a plain TZ such as "X+05"): a
	 * caller's TZ would forge the time of every line below.  Dropped
	 * before the first line; step 2 clears the rest. */
	unsetenv("TZ");
	helper_log_open(0);
	for (n = 1; n < sizeof(steps) / sizeof(steps[0]); n++) {
		helper_step((int)n, steps[n].code, "%s", steps[n].what);
		steps[n].run(&s);
	}
	syslog(LOG_INFO, "start-up complete: uid %u, CAP_NET_ADMIN permitted only", (unsigned)getuid());
}
