// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctd-helper - the privileged half of ctd.  One request per process:
 * start-up steps (startup.c), read and validate one frame against the
 * request whitelist (request.c), run that row's handler (netlink.c), exit.
 */
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include "helper.h"

#ifdef __SANITIZE_ADDRESS__
/* The ASan build (tests) keeps every limit of the real helper; LeakSanitizer
 * cannot work inside them (no new fds, no ptrace of a non-dumpable process)
 * and a one-shot process has no leaks worth reporting, so it is off. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

/* One request frame at most; static so a large target list costs no
 * stack and no allocation driven by the peer. */
static uint8_t req_buf[CTD_FRAME_MAX] __attribute__((aligned(8)));

int main(void)
{
	struct helper_request rq;
	const char *why = "unknown";
	int r;

	helper_startup();

	r = helper_read_request(HELPER_REQ_FD, req_buf, &rq, &why);
	if (r != 0) {
		if (r == CTD_EXIT_NOREQUEST) {
			syslog(LOG_INFO, "no request: %s", why);
			return r;
		}
		helper_fatal(r, "malformed request: %s", why);
	}
	{
		/* the request's own bound: HELPER_OP_TIMEOUT_S, or an events
		 * subscription's duration + 1 s */
		unsigned ms = helper_req_timeout_ms(&rq);
		struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
		alarm(0);
		if (setitimer(ITIMER_REAL, &it, NULL) != 0)
			helper_fatal(CTD_EXIT_LIMITS, "cannot arm the request timer");
	}
	/* rq.def is the request's row of the whitelist (request.c) */
	syslog(LOG_INFO, "request: %s (%u targets)", rq.def->name, (unsigned)rq.ntargets);
	r = rq.def->run(HELPER_REQ_FD, &rq);
	if (r != 0)
		helper_fatal(r, "%s: %s", rq.def->name, proto_exit_reason(r));
	return CTD_EXIT_OK;
}
