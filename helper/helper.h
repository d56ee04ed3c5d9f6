/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helper.h - internals of ctd-helper, the privileged half.  Read top to
 * bottom: startup.c (the trust decision), caps.c (capabilities),
 * request.c (frame decoding and validation, no privilege, fuzzed),
 * netlink.c (the conntrack operations), main.c (glue).
 */
#ifndef CTD_HELPER_H
#define CTD_HELPER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctd_exit.h"
#include "ctd_proto.h"

/* The request socket: always fd 3 (socketpair from the CGI, or the
 * connection systemd passes with Accept=yes). */
#define HELPER_REQ_FD 3

/* Seconds to wait for the request frame, and to serve it. */
#define HELPER_READ_TIMEOUT_S 10u
#define HELPER_OP_TIMEOUT_S   300u

/* ---- startup.c ---- */

/* Run every start-up check in order; on any refusal log, print one line
 * on stderr and exit with its CTD_EXIT_* code.  Returns only on success. */
void helper_startup(void);

/* Log one line to syslog (LOG_AUTHPRIV) and stderr, then exit(code). */
__attribute__((noreturn, format(printf, 2, 3))) void helper_fatal(int code, const char *fmt, ...);

/* ---- caps.c ---- */

/* 1 if CAP_NET_ADMIN is in the permitted set. */
int helper_cap_have_admin(void);
/* Reduce to CAP_NET_ADMIN (+ what the uid change needs), drop to uid/gid,
 * prove root is gone, drop the bounding set, set NO_NEW_PRIVS.  Exits with
 * its own code on failure. */
void helper_cap_drop(uid_t uid, gid_t gid);
/* Raise / lower CAP_NET_ADMIN in the effective set around netlink calls. */
int helper_cap_raise(void);
int helper_cap_lower(void);

/* ---- request.c (no privilege, no I/O in decode: the fuzzer calls it) ---- */

struct helper_request {
	uint16_t type;
	uint32_t len;
	struct ctd_dump_req dump;	  /* CTD_REQ_DUMP */
	uint32_t ntargets;		  /* target requests */
	const struct ctd_target *targets; /* points into the payload buffer */
};

/* Check a header; returns 0 or a CTD_EXIT_* code with *why set. */
int helper_check_header(const struct ctd_frame_hdr *h, const char **why);
/* Validate the payload of a checked header; fills *rq.  0 or CTD_EXIT_*. */
int helper_check_payload(uint16_t type, const uint8_t *payload, uint32_t len, struct helper_request *rq,
			 const char **why);
/* Both, over one buffer holding exactly one frame (header + payload). */
int helper_decode_frame(const uint8_t *buf, size_t len, struct helper_request *rq, const char **why);
/* Read one request frame from fd into buf (CTD_FRAME_MAX bytes). */
int helper_read_request(int fd, uint8_t *buf, struct helper_request *rq, const char **why);

/* ---- netlink.c ---- */

/* Open what the operations need (netlink socket, sysctl files) while we
 * may still open files.  0 or -errno. */
int helper_nl_open(void);
/* Each answers on fd with data frames and one final frame.  Return 0, or
 * CTD_EXIT_PEER if the caller went away, CTD_EXIT_INTERNAL. */
int helper_op_dump(int fd, const struct helper_request *rq);
int helper_op_count(int fd, const struct helper_request *rq);
int helper_op_targets(int fd, const struct helper_request *rq);

#endif /* CTD_HELPER_H */
