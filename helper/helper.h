/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helper.h - internals of ctd-helper, the privileged half.  Read top to
 * bottom: startup.c (the trust decision, step by step), caps.c
 * (capabilities), log.c (syslog and the fatal exit), request.c (the
 * request whitelist, frame decoding and validation: no privilege,
 * fuzzed), nlparse.c (the kernel's answers as data: no I/O, fuzzed),
 * netlink.c (the netlink socket, nlio.h, and the table's operations),
 * events.c and expect.c (events and expectations), main.c (glue).
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

/* Run every start-up step in order; on any refusal log, print one line
 * on stderr and exit with the step's CTD_EXIT_* code.  Returns only on
 * success. */
void helper_startup(void);

/* ---- log.c ---- */

/* (Re)open syslog (LOG_AUTHPRIV, ident "ctd-helper"); ndelay opens its
 * socket now rather than at the first line. */
void helper_log_open(int ndelay);
/* Start-up step n begins: log "step n: what" and remember n and its exit
 * code for helper_refuse. */
__attribute__((format(printf, 3, 4))) void helper_step(int n, int code, const char *fmt, ...);
/* Refuse in the current step: log, print one line on stderr, exit with
 * the step's code. */
__attribute__((noreturn, format(printf, 1, 2))) void helper_refuse(const char *fmt, ...);
/* Log one line to syslog (LOG_AUTHPRIV) and stderr, then exit(code). */
__attribute__((noreturn, format(printf, 2, 3))) void helper_fatal(int code, const char *fmt, ...);

/* ---- caps.c ---- */

/* 1 if cap is in the given set (CAP_PERMITTED, CAP_EFFECTIVE) of this
 * process.  Values are libcap's cap_value_t / cap_flag_t. */
int helper_cap_have(int cap, int set);
/* Keep only caps[0..n) in the permitted set, and in the effective set
 * only those already effective (eff) or none; inheritable empty.  0 or -1
 * with errno. */
int helper_cap_keep(const int *caps, int n, int eff);
/* Drop every capability from the bounding set.  0 or -1 with errno. */
int helper_cap_drop_bounding(void);
/* 1 if the process holds exactly CAP_NET_ADMIN, permitted only. */
int helper_cap_admin_only(void);
/* Raise CAP_NET_ADMIN in the effective set around a netlink call: 0 or
 * -errno.  Lowering it again never fails quietly: helper_fatal. */
int helper_cap_raise(void);
void helper_cap_lower(void);

/* ---- request.c (no privilege, no I/O in decode: the fuzzer calls it) ---- */

struct helper_request;

/* One row per request type: this table (request.c) is the whole
 * whitelist.  rule.type is the type; check validates a payload whose size
 * the rule already accepted; run answers it on fd. */
struct helper_req_def {
	struct proto_type_rule rule;
	const char *name;
	int (*check)(const uint8_t *payload, uint32_t len, struct helper_request *rq, const char **why);
	int (*run)(int fd, const struct helper_request *rq);
};

struct helper_request {
	uint16_t type;
	uint32_t len;
	const struct helper_req_def *def; /* its row of the whitelist */
	struct ctd_dump_req dump;	  /* CTD_REQ_DUMP */
	struct ctd_events_req events;	  /* CTD_REQ_EVENTS */
	uint32_t ntargets;		  /* target requests */
	const struct ctd_target *targets; /* points into the payload buffer */
};

/* The row of a request type, or NULL: not in the whitelist. */
const struct helper_req_def *helper_req_find(uint16_t type);
/* How long the request may run (main.c arms the timer with it). */
unsigned helper_req_timeout_ms(const struct helper_request *rq);
/* Check a header; returns 0 or a CTD_EXIT_* code with *why set. */
int helper_check_header(const struct ctd_frame_hdr *h, const char **why);
/* Validate the payload of a checked header; fills *rq.  0 or CTD_EXIT_*. */
int helper_check_payload(uint16_t type, const uint8_t *payload, uint32_t len, struct helper_request *rq,
			 const char **why);
/* Both, over one buffer holding exactly one frame (header + payload). */
int helper_decode_frame(const uint8_t *buf, size_t len, struct helper_request *rq, const char **why);
/* Read one request frame from fd into buf (CTD_FRAME_MAX bytes). */
int helper_read_request(int fd, uint8_t *buf, struct helper_request *rq, const char **why);

/* ---- nlparse.c (pure: no I/O, no privilege; the fuzzer calls it) ---- */

/* The answer to one request of a batch. */
struct helper_nl_reply {
	int err;     /* -1: none yet; else errno (0 = ok) */
	uint32_t id; /* GET replies */
	uint32_t status;
};

/* Receives each usable entry of a dump; nonzero stops the parse. */
typedef int (*helper_nl_record_fn)(const struct ctd_record *r, void *data);

/* An NLMSG_ERROR code as an errno: 0, 1..4095, or EPROTO for a code the
 * kernel never sends (positive, below -4095, INT_MIN). */
int helper_nl_errno(int32_t error);
/* Parse one received dump chunk of len bytes (seq/portid: ours, 0 = any):
 * fn for each entry.  1: more chunks follow; 0: the dump ended; -errno:
 * the kernel's error, -EBADMSG for a message that runs past the buffer,
 * -ECANCELED if fn stopped it. */
int helper_nl_parse_dump(const void *buf, size_t len, uint32_t seq, uint32_t portid, helper_nl_record_fn fn,
			 void *data);
/* Record the replies in one received buffer into rep[seq - base] for the
 * k requests (only those still at err -1).  Returns how many were new, or
 * -EBADMSG for a message that runs past the buffer. */
int helper_nl_take_replies(const void *buf, size_t len, uint32_t base, uint32_t k,
			   struct helper_nl_reply *rep);
/* Add the per-CPU counters of one received chunk of a statistics dump
 * (IPCTNL_MSG_CT_GET_STATS_CPU or IPCTNL_MSG_EXP_GET_STATS_CPU answers)
 * into *st (seq/portid as above).  1: more chunks follow; 0: the dump
 * ended; -errno as helper_nl_parse_dump. */
int helper_nl_parse_stats(const void *buf, size_t len, uint32_t seq, uint32_t portid, struct ctd_stats *st);
/* Receives each conntrack event (type: enum ctd_event_type); nonzero stops. */
typedef int (*helper_nl_event_fn)(const struct ctd_record *r, uint32_t type, void *data);
/* Parse one received buffer of event messages (multicast: port 0): fn
 * for each usable one.  0, -EBADMSG, or -ECANCELED if fn stopped it. */
int helper_nl_parse_events(const void *buf, size_t len, helper_nl_event_fn fn, void *data);
/* Receives each expectation of a dump; nonzero stops the parse. */
typedef int (*helper_nl_expect_fn)(const struct ctd_expect *x, void *data);
/* One chunk of an expectation dump, as helper_nl_parse_dump. */
int helper_nl_parse_expects(const void *buf, size_t len, uint32_t seq, uint32_t portid,
			    helper_nl_expect_fn fn, void *data);
/* The receive buffer an events request asks for (SO_RCVBUFFORCE, which
 * the kernel doubles): room for max events queued while the helper is
 * behind (one skb each, ~1-2 KiB of accounted memory), plus a margin for
 * the events the filters leave out; at most ~10 MiB at CTD_EVENTS_MAX. */
#define HELPER_EV_BYTES_PER_EVENT 2048u
#define HELPER_EV_RCVBUF_MARGIN	  (256u * 1024u)
uint32_t helper_ev_rcvbuf(uint32_t max);

/* ---- netlink.c ---- */

/* Open what the operations need (netlink socket, sysctl files) while we
 * may still open files.  0 or -errno. */
int helper_nl_open(void);
/* Each answers on fd with data frames and one final frame.  Return 0, or
 * CTD_EXIT_PEER if the caller went away, CTD_EXIT_INTERNAL. */
int helper_op_dump(int fd, const struct helper_request *rq);
int helper_op_count(int fd, const struct helper_request *rq);
int helper_op_stats(int fd, const struct helper_request *rq);
int helper_op_targets(int fd, const struct helper_request *rq);
/* events.c, expect.c */
int helper_op_events(int fd, const struct helper_request *rq);
int helper_op_expect_dump(int fd, const struct helper_request *rq);
int helper_op_expect_destroy(int fd, const struct helper_request *rq);

#endif /* CTD_HELPER_H */
