/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helper_client.h - the CGI's side of the wall: talk to ctd-helper.
 *
 * Every hc_* call runs one request: it reaches the helper (spawns it over a
 * socketpair, or connects to the socket-activated service), sends one
 * request frame, reads the answer frames, and closes (reaping the child).
 * Nothing here holds privilege; the helper re-checks everything it gets.
 */
#ifndef CTD_HELPER_CLIENT_H
#define CTD_HELPER_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ctd_proto.h"

/* hc_error.kind: how the CGI maps a failure onto an XML-RPC fault */
enum hc_error_kind {
	HC_OK = 0,
	HC_UNAVAILABLE = 1, /* could not start/reach the helper, it refused us, or it died (fault 6) */
	HC_PROTOCOL = 2,    /* malformed or unexpected answer (fault 6) */
	HC_KERNEL = 3,	    /* the kernel refused the operation; err = errno (fault 7) */
	HC_ABORTED = 4,	    /* the record callback asked to stop */
};

struct hc_error {
	int kind;      /* enum hc_error_kind */
	int err;       /* errno, when meaningful */
	char msg[256]; /* one line for the fault string / log; no paths of the caller's choosing */
};

/*
 * Where the helper is.  `spec` is either the path of the ctd-helper binary
 * (spawned once per request over a socketpair: HELPER_MODE setuid/setcap)
 * or "unix:" followed by the path of the socket of the socket-activated
 * service (HELPER_MODE socket).  Timeout in seconds for the whole request.
 */
struct hc_target {
	const char *spec;
	unsigned timeout_s;
};

/* Called once per record, in kernel order; return 0 to go on, non-zero to
 * stop (the call then fails with HC_ABORTED). */
typedef int (*hc_record_cb)(const struct ctd_record *rec, void *arg);

/* Stream the table (kernel-side filters per req).  Returns 0 or -1 with *e set. */
int hc_dump(const struct hc_target *t, const struct ctd_dump_req *req, hc_record_cb cb, void *arg,
	    struct hc_error *e);

/* Table size and sysctls, without a dump. */
int hc_count(const struct hc_target *t, struct ctd_count *out, struct hc_error *e);

/* Table size, sysctls and the per-CPU counters of conntrack -S summed,
 * without a dump. */
int hc_stats(const struct hc_target *t, struct ctd_stats *out, struct hc_error *e);

/*
 * Destroy / update mark / update timeout for n targets (1..CTD_MAX_TARGETS).
 * type is CTD_REQ_DESTROY, CTD_REQ_UPDATE_MARK, CTD_REQ_UPDATE_TIMEOUT or
 * CTD_REQ_EXPECT_DESTROY (target.orig = the expected tuple).
 * results[] (n entries, caller-allocated) receives one result per target in
 * request order.  Returns 0 (per-entry outcome in results) or -1 with *e.
 */
int hc_targets(const struct hc_target *t, uint16_t type, const struct ctd_target *targets, uint32_t n,
	       struct ctd_result *results, struct hc_error *e);

/* Called for each event the helper streams, in order.  keep: the event
 * is inside the window, below max: take it if it passes the caller's
 * filters; else (past max) only say whether it would.  Returns 1 if the
 * caller's filters let it through (it counts towards max), 0 if not, -1
 * to abort (the caller set its own error). */
typedef int (*hc_event_cb)(const struct ctd_event *ev, int keep, void *arg);

/* The outcome of one events window. */
struct hc_events_result {
	uint32_t count;	   /* events the callback kept */
	uint32_t lost;	   /* events the kernel dropped for the socket during the window */
	uint32_t more;	   /* 1: the window stopped at max and another event the caller wanted followed */
	uint32_t streamed; /* events the helper sent (its filters passed) */
	uint64_t start_ns; /* CLOCK_REALTIME: subscribed */
	uint64_t end_ns;   /* every event queued before it was seen, or counted in lost */
};

/*
 * One events window (README API, `events`; req validated by the caller,
 * the helper re-checks it).  The helper streams; the window is decided
 * here, where the caller's filters are: it ends CTD_EVENTS_BATCH_MS after
 * the first event the callback wants, once the helper has read all the
 * kernel queued before then; at max wanted events (`more` if another
 * wanted one follows within HC_EVENTS_MORE_MS); or when the helper's
 * duration ends.  Then the connection is closed (the helper exits at its
 * next send).  0 or -1 with *e.
 */
#define HC_EVENTS_MORE_MS 50u
int hc_events(const struct hc_target *t, const struct ctd_events_req *req, hc_event_cb cb, void *arg,
	      struct hc_events_result *res, struct hc_error *e);

/* Every expectation, with its master's id, into *out (malloc'd, *n). */
int hc_expect_dump(const struct hc_target *t, struct ctd_expect **out, uint32_t *n, struct hc_error *e);

#endif /* CTD_HELPER_CLIENT_H */
