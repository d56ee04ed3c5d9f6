// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * startup.c - the trust decision, top to bottom (after Apache suexec).
 * Each numbered step logs one line (LOG_AUTHPRIV) before it acts, and
 * each refusal has its own exit code (include/ctd_exit.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
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

void helper_fatal(int code, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	errno = saved; /* for %m */
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	syslog(LOG_ERR, "refused (exit %d): %s", code, line);
	/* stderr is Apache's error log (or the test's); one line, no secrets */
	dprintf(2, "ctd-helper: %s (exit %d)\n", line, code);
	exit(code);
}

/* Step 1.  Stops LD_*, locale, TZ, NLSPATH... from the caller steering
 * libc or the libraries inside a privileged process.  (The dynamic
 * loader already ignores the dangerous ones under AT_SECURE; this covers
 * everything after it.) */
static void step_env(void)
{
	/* syslog() stamps each line with local time, and glibc reads TZ once,
	 * at the first line (AT_SECURE keeps a plain TZ such as "X+05"): a
	 * caller's TZ would forge the time of every line below.  Dropped
	 * before the first line is written. */
	unsetenv("TZ");
	syslog(LOG_INFO, "step 1: rebuilding the environment");
	if (clearenv() != 0 || setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) != 0)
		helper_fatal(CTD_EXIT_ENV, "step 1: cannot rebuild the environment");
}

/* Step 2.  Stops fd games: a caller that starts us with 0-2 closed would
 * have our next open() land on stdout/stderr; an inherited fd would give
 * the caller a channel into the privileged process.  fd 3 must be a Unix
 * stream socket (the request channel), nothing else. */
static void step_fds(void)
{
	struct stat st;
	int fd, type = 0, domain = 0;
	socklen_t sl = sizeof(type), dl = sizeof(domain);

	syslog(LOG_INFO, "step 2: making fds 0-2 safe, closing all but fd 3");
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
	openlog("ctd-helper", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	if (fstat(HELPER_REQ_FD, &st) != 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(HELPER_REQ_FD, SOL_SOCKET, SO_DOMAIN, &domain, &dl) != 0 || domain != AF_UNIX ||
	    getsockopt(HELPER_REQ_FD, SOL_SOCKET, SO_TYPE, &type, &sl) != 0 || type != SOCK_STREAM)
		helper_fatal(CTD_EXIT_NOSOCK, "step 2: fd 3 is not a Unix stream socket");
	if (fcntl(HELPER_REQ_FD, F_SETFD, FD_CLOEXEC) != 0)
		helper_fatal(CTD_EXIT_FDS, "step 2: cannot set close-on-exec on fd 3");
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

/* Step 3.  Stops anyone but the web server (or a hosting user the admin
 * put in the helper group) from using the helper to read or change the
 * firewall's connection table.  The caller is the peer of fd 3
 * (SO_PEERCRED: set by the kernel, unforgeable); when we gained
 * privilege at exec (setuid/setcap: AT_SECURE), the real uid must be
 * that same peer, so nobody can hand a setuid helper somebody else's
 * socket. */
static void step_caller(uid_t *uid, gid_t *gid)
{
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	struct passwd *pw, *web;

	syslog(LOG_INFO, "step 3: checking the caller");
	if (getsockopt(HELPER_REQ_FD, SOL_SOCKET, SO_PEERCRED, &cr, &cl) != 0 || cl != sizeof(cr))
		helper_fatal(CTD_EXIT_NOSOCK, "step 3: no peer credentials on fd 3");
	if (getauxval(AT_SECURE) && cr.uid != getuid())
		helper_fatal(CTD_EXIT_CALLER, "step 3: uid %u runs the helper with a socket of uid %u",
			     (unsigned)getuid(), (unsigned)cr.uid);
	if (cr.uid == 0) {
		/* root could do all of this without us; it runs as nobody */
		syslog(LOG_INFO, "step 3: caller is root; serving as uid %u", HELPER_NOBODY);
		*uid = HELPER_NOBODY;
		*gid = HELPER_NOBODY;
		return;
	}
	pw = getpwuid(cr.uid);
	if (!pw)
		helper_fatal(CTD_EXIT_CALLER, "step 3: caller uid %u has no passwd entry", (unsigned)cr.uid);
	web = getpwnam(CTD_WEB_USER);
	if (!(web && web->pw_uid == cr.uid) && !in_helper_group(pw))
		helper_fatal(CTD_EXIT_CALLER, "step 3: caller uid %u (%s) is neither %s nor in group %s",
			     (unsigned)cr.uid, pw->pw_name, CTD_WEB_USER, CTD_HELPER_GROUP);
	syslog(LOG_INFO, "step 3: caller uid %u (%s) allowed", (unsigned)cr.uid, pw->pw_name);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
}

/* Step 4.  With NO_NEW_PRIVS set by the caller the kernel ignores our
 * setuid bit / file capability, and we would fail later with an obscure
 * EPERM; say why instead.  (Socket mode: systemd gives the capability
 * as an ambient one, which NO_NEW_PRIVS does not remove.) */
static void step_nnp(void)
{
	int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);

	syslog(LOG_INFO, "step 4: checking for CAP_NET_ADMIN and NO_NEW_PRIVS");
	if (helper_cap_have_admin())
		return;
	if (nnp == 1)
		helper_fatal(
		    CTD_EXIT_NNP,
		    "step 4: NO_NEW_PRIVS is set by the caller (e.g. systemd NoNewPrivileges= on the web "
		    "server), so the kernel ignored the helper's setuid bit/file capability; use "
		    "HELPER_MODE=socket");
	helper_fatal(CTD_EXIT_NOPRIV, "step 4: no CAP_NET_ADMIN: install the helper setuid root (4750) or "
				      "with setcap cap_net_admin+p");
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

/* Step 6-8.  umask 077: anything created is ours alone.  rlimits: the
 * helper needs no new files, no child processes, no file writes and no
 * core dumps (which would hold privileged memory); they stop a
 * compromised helper from using any of that.  alarm: a caller that
 * stalls cannot pin a privileged process. */
static void step_limits(void)
{
	static const struct rlimit zero = {0, 0};
	struct sigaction sa;

	syslog(LOG_INFO, "step 6: umask 077, rlimits, timeout");
	umask(077);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		helper_fatal(CTD_EXIT_LIMITS, "step 6: cannot install signal handlers: %m");
	if (setrlimit(RLIMIT_NOFILE, &zero) != 0 || setrlimit(RLIMIT_FSIZE, &zero) != 0 ||
	    setrlimit(RLIMIT_CORE, &zero) != 0 || setrlimit(RLIMIT_NPROC, &zero) != 0)
		helper_fatal(CTD_EXIT_LIMITS, "step 6: cannot set resource limits: %m");
	alarm(HELPER_READ_TIMEOUT_S);
}

void helper_startup(void)
{
	sigset_t none;
	uid_t uid;
	gid_t gid;
	int r;

	/* The signal mask survives exec: a caller that blocks SIGALRM would
	 * otherwise keep a stalled privileged helper alive past its timeout.
	 * Unblock everything before arming the alarm. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* bounds start-up too (a stalled syslog daemon blocks syslog()); the
	 * default action of SIGALRM ends the process, step 6 installs ours */
	signal(SIGALRM, SIG_DFL);
	alarm(HELPER_READ_TIMEOUT_S);
	openlog("ctd-helper", LOG_PID, LOG_AUTHPRIV);
	step_env();
	step_fds();
	step_caller(&uid, &gid);
	step_nnp();
	/* Only a root helper (setuid, or root running it) changes uid; with a
	 * file capability or as the socket service it stays who it is. */
	if (geteuid() != 0) {
		uid = getuid();
		gid = getgid();
	}
	helper_cap_drop(uid, gid);
	/* files and sockets the operations need, opened before RLIMIT_NOFILE */
	if ((r = helper_nl_open()) != 0) {
		errno = -r;
		helper_fatal(CTD_EXIT_NETLINK, "cannot open the conntrack netlink socket and sysctls: %m");
	}
	step_limits();
	syslog(LOG_INFO, "start-up complete: uid %u, CAP_NET_ADMIN permitted only", (unsigned)getuid());
}
