// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctd-helper - the privileged half of ctd.  One request per process:
 * start-up checks (startup.c), read and validate one frame (request.c),
 * run its handler from the whitelist below (netlink.c), exit.
 */
#include <syslog.h>
#include <unistd.h>

#include "helper.h"

/* The whitelist of handlers: a request type not here never runs. */
static const struct {
	uint16_t type;
	const char *name;
	int (*run)(int fd, const struct helper_request *rq);
} handlers[] = {
    {CTD_REQ_DUMP, "dump", helper_op_dump},
    {CTD_REQ_COUNT, "count", helper_op_count},
    {CTD_REQ_DESTROY, "destroy", helper_op_targets},
    {CTD_REQ_UPDATE_MARK, "update-mark", helper_op_targets},
    {CTD_REQ_UPDATE_TIMEOUT, "update-timeout", helper_op_targets},
};

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
	size_t i;
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
	alarm(HELPER_OP_TIMEOUT_S);
	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (handlers[i].type != rq.type)
			continue;
		syslog(LOG_INFO, "request: %s (%u targets)", handlers[i].name, (unsigned)rq.ntargets);
		r = handlers[i].run(HELPER_REQ_FD, &rq);
		if (r != 0)
			helper_fatal(r, "%s: %s", handlers[i].name, proto_exit_reason(r));
		return CTD_EXIT_OK;
	}
	helper_fatal(CTD_EXIT_TYPE, "request type %u has no handler", (unsigned)rq.type);
}
