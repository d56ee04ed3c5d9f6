// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log.c - the helper's one voice: syslog (LOG_AUTHPRIV) for the audit
 * trail, one line on stderr (Apache's error log) for a refusal.  The
 * start-up step in progress is remembered here, so a refusal carries its
 * step's number and exit code without restating them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "helper.h"

static int step_n, step_code = CTD_EXIT_INTERNAL;

void helper_log_open(int ndelay)
{
	openlog("ctd-helper", LOG_PID | (ndelay ? LOG_NDELAY : 0), LOG_AUTHPRIV);
}

void helper_step(int n, int code, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	step_n = n;
	step_code = code;
	/* written before the step acts (suexec): the log shows how far it got */
	syslog(LOG_INFO, "step %d: %s", n, what);
}

/* The one refusal: "step N: " (when in a step) and the reason, to syslog
 * and stderr, then exit(code). */
__attribute__((noreturn, format(printf, 3, 0))) static void refuse(int code, int step, const char *fmt,
								   va_list ap)
{
	char line[512];
	int saved = errno, off = 0;

	if (step)
		off = snprintf(line, sizeof(line), "step %d: ", step);
	errno = saved; /* for %m */
	vsnprintf(line + off, sizeof(line) - (size_t)off, fmt, ap);
	syslog(LOG_ERR, "refused (exit %d): %s", code, line);
	/* stderr is Apache's error log (or the test's); one line, no secrets.
	 * A regular file under RLIMIT_FSIZE 0 refuses it (EFBIG, SIGXFSZ is
	 * ignored): the exit code still tells. */
	dprintf(2, "ctd-helper: %s (exit %d)\n", line, code);
	exit(code);
}

void helper_refuse(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	refuse(step_code, step_n, fmt, ap);
}

void helper_fatal(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	refuse(code, 0, fmt, ap);
}
