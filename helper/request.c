// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * request.c - decode and validate the one request frame.  Runs after the
 * privilege drop, but it is still the part an attacker talks to first, so
 * every rule is explicit and anything unexpected is fatal.  The table
 * requests[] below is the whole whitelist.  No I/O in the decode
 * functions: tests/fuzz/fuzz_frame.c calls them directly.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "helper.h"

static int zero_bytes(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static int check_dump(const uint8_t *payload, uint32_t len, struct helper_request *rq, const char **why)
{
	const struct ctd_dump_req *d = &rq->dump;

	memcpy(&rq->dump, payload, sizeof(rq->dump));
	if (d->flags & ~CTD_DUMP_F_ALL) {
		*why = "unknown dump filter flag";
		return CTD_EXIT_VALUE;
	}
	if (d->pad) {
		*why = "dump padding not zero";
		return CTD_EXIT_VALUE;
	}
	if (d->flags & CTD_DUMP_F_FAMILY) {
		if (d->family != AF_INET && d->family != AF_INET6) {
			*why = "bad family in dump filter";
			return CTD_EXIT_VALUE;
		}
	} else if (d->family) {
		*why = "family given without its filter flag";
		return CTD_EXIT_VALUE;
	}
	/* unused filter fields must be zero, so a caller bug is loud */
	if ((!(d->flags & CTD_DUMP_F_MARK) && (d->mark || d->mark_mask)) ||
	    (!(d->flags & CTD_DUMP_F_STATUS) && (d->status || d->status_mask)) ||
	    (!(d->flags & CTD_DUMP_F_ZONE) && d->zone)) {
		*why = "filter value given without its flag";
		return CTD_EXIT_VALUE;
	}
	return 0;
}

static int check_count(const uint8_t *payload, uint32_t len, struct helper_request *rq, const char **why)
{
	return 0; /* no payload: the size rule said so */
}

static int check_stats(const uint8_t *payload, uint32_t len, struct helper_request *rq, const char **why)
{
	return 0; /* no payload: the size rule said so */
}

/* A network of `family` at addr (room: 4 bytes for AF_INET, 16 for
 * AF_INET6): prefix in range, no host bits set past it. */
static int check_net(const uint8_t *addr, uint8_t family, uint8_t prefix)
{
	size_t len = family == AF_INET ? 4 : 16, i;

	if ((family != AF_INET && family != AF_INET6) || prefix > len * 8)
		return -1;
	/* no host bits past the prefix: the caller masked them */
	for (i = 0; i < len; i++) {
		unsigned keep = prefix >= (i + 1) * 8 ? 8 : prefix > i * 8 ? prefix - i * 8 : 0;
		if (addr[i] & (uint8_t) ~(0xffu << (8 - keep)))
			return -1;
	}
	return 0;
}

/*
 * An events subscription.  The duration bounds how long one request holds
 * a helper process and a kernel socket (the per-request timer is set from
 * it: main.c), max bounds what it sends; an unknown event group or filter
 * flag is a caller asking for something this helper does not do.
 */
static int check_events(const uint8_t *payload, uint32_t len, struct helper_request *rq, const char **why)
{
	const struct ctd_events_req *q = &rq->events;
	uint32_t i;

	memcpy(&rq->events, payload, sizeof(rq->events));
	if (q->types == 0 || (q->types & ~CTD_EV_ALL)) {
		*why = "unknown or no event type";
		return CTD_EXIT_VALUE;
	}
	if (q->duration_ms > CTD_EVENTS_DURATION_MAX_MS) {
		*why = "event subscription longer than allowed";
		return CTD_EXIT_VALUE;
	}
	if (q->max == 0 || q->max > CTD_EVENTS_MAX) {
		*why = "event count out of range";
		return CTD_EXIT_VALUE;
	}
	if (q->flags & ~CTD_EVF_ALL) {
		*why = "unknown event filter flag";
		return CTD_EXIT_VALUE;
	}
	if ((!(q->flags & CTD_EVF_L4PROTO) && q->l4proto) ||
	    (!(q->flags & CTD_EVF_SRC4) && (q->src_prefix || !zero_bytes(q->src, 4))) ||
	    (!(q->flags & CTD_EVF_DST4) && (q->dst_prefix || !zero_bytes(q->dst, 4)))) {
		*why = "filter value given without its flag";
		return CTD_EXIT_VALUE;
	}
	if (((q->flags & CTD_EVF_SRC4) && check_net(q->src, AF_INET, q->src_prefix) != 0) ||
	    ((q->flags & CTD_EVF_DST4) && check_net(q->dst, AF_INET, q->dst_prefix) != 0)) {
		*why = "bad network in event filter";
		return CTD_EXIT_VALUE;
	}
	if (q->nexclude > CTD_EVENTS_EXCLUDE_MAX) {
		*why = "too many excluded networks";
		return CTD_EXIT_VALUE;
	}
	for (i = 0; i < CTD_EVENTS_EXCLUDE_MAX; i++) {
		const struct ctd_net *n = &q->exclude[i];
		if (i >= q->nexclude
			? !zero_bytes((const uint8_t *)n, sizeof(*n))
			: (n->pad[0] || n->pad[1] || check_net(n->addr, n->family, n->prefix) != 0 ||
			   (n->family == AF_INET && !zero_bytes(n->addr + 4, 12)))) {
			*why = "bad excluded network";
			return CTD_EXIT_VALUE;
		}
	}
	return 0;
}

static int check_expect_dump(const uint8_t *payload, uint32_t len, struct helper_request *rq,
			     const char **why)
{
	return 0; /* no payload: the size rule said so */
}

/* The tuple part of a target, the same for every target request. */
static int check_tuple(const struct ctd_target *t, const char **why)
{
	if (t->l3proto != AF_INET && t->l3proto != AF_INET6) {
		*why = "bad family in target";
		return CTD_EXIT_VALUE;
	}
	if (t->l3proto == AF_INET && (!zero_bytes(t->orig.src + 4, 12) || !zero_bytes(t->orig.dst + 4, 12))) {
		*why = "IPv4 target address with bytes past the fourth";
		return CTD_EXIT_VALUE;
	}
	if ((t->zflags & ~CTD_TGT_ZONES) || t->pad[0] || t->pad[1] || t->pad[2]) {
		*why = "unknown target zone flag or padding not zero";
		return CTD_EXIT_VALUE;
	}
	if ((!(t->zflags & CTD_TGT_ORIG_ZONE) && t->orig_zone) ||
	    (!(t->zflags & CTD_TGT_REPLY_ZONE) && t->reply_zone)) {
		*why = "directional zone given without its flag";
		return CTD_EXIT_VALUE;
	}
	if (proto_is_icmp(t->l3proto, t->l4proto)) {
		if (t->orig.sport || t->orig.dport) {
			*why = "ports given for an ICMP target";
			return CTD_EXIT_VALUE;
		}
	} else if (t->icmp_type || t->icmp_code || t->icmp_id) {
		*why = "ICMP fields given for a non-ICMP target";
		return CTD_EXIT_VALUE;
	}
	return 0;
}

/* A target list.  unused_value/unused_mask: the bits of value and mask
 * this request does not use; a caller that sets them means something the
 * request will not do, so it is refused rather than ignored. */
static int check_targets(const uint8_t *payload, uint32_t len, struct helper_request *rq,
			 uint32_t unused_value, uint32_t unused_mask, const char **why)
{
	struct ctd_targets_hdr th;
	struct ctd_target t;
	uint32_t i;
	int r;

	memcpy(&th, payload, sizeof(th));
	/* the header's count must agree with the frame length exactly */
	if (th.pad || th.count == 0 || th.count > CTD_MAX_TARGETS ||
	    (uint64_t)th.count * sizeof(struct ctd_target) + sizeof(th) != len) {
		*why = "target count disagrees with frame length";
		return CTD_EXIT_VALUE;
	}
	rq->ntargets = th.count;
	rq->targets = (const struct ctd_target *)(const void *)(payload + sizeof(th));
	for (i = 0; i < th.count; i++) {
		memcpy(&t, payload + sizeof(th) + (size_t)i * sizeof(t), sizeof(t));
		if ((r = check_tuple(&t, why)) != 0)
			return r;
		if ((t.value & unused_value) || (t.mask & unused_mask)) {
			*why =
			    unused_value ? "value/mask given for destroy" : "mask given for a timeout update";
			return CTD_EXIT_VALUE;
		}
	}
	return 0;
}

static int check_destroy(const uint8_t *payload, uint32_t len, struct helper_request *rq, const char **why)
{
	return check_targets(payload, len, rq, UINT32_MAX, UINT32_MAX, why);
}

/* An expectation is named like a connection: its expected tuple, zone
 * and id (the kernel deletes it only if the id still matches). */
static int check_expect_destroy(const uint8_t *payload, uint32_t len, struct helper_request *rq,
				const char **why)
{
	return check_targets(payload, len, rq, UINT32_MAX, UINT32_MAX, why);
}

static int check_update_mark(const uint8_t *payload, uint32_t len, struct helper_request *rq,
			     const char **why)
{
	return check_targets(payload, len, rq, 0, 0, why);
}

static int check_update_timeout(const uint8_t *payload, uint32_t len, struct helper_request *rq,
				const char **why)
{
	return check_targets(payload, len, rq, 0, UINT32_MAX, why);
}

/* Size rules: a fixed payload, or a ctd_targets_hdr and 1..CTD_MAX_TARGETS
 * targets. */
#define FIXED(type, size)                                                                                    \
	{                                                                                                    \
		(type), (size), 0, 0, 0                                                                      \
	}
#define TARGETS(type)                                                                                        \
	{                                                                                                    \
		(type), 0, sizeof(struct ctd_targets_hdr), sizeof(struct ctd_target), CTD_MAX_TARGETS        \
	}

/*
 * The whitelist: every request the helper serves is one row, read by the
 * header check (size rule), the payload check and main.c's dispatch (run).
 * A type not here is refused before its payload is read (CTD_EXIT_TYPE).
 */
static const struct helper_req_def requests[] = {
    {FIXED(CTD_REQ_DUMP, sizeof(struct ctd_dump_req)), "dump", check_dump, helper_op_dump},
    {FIXED(CTD_REQ_COUNT, 0), "count", check_count, helper_op_count},
    {FIXED(CTD_REQ_STATS, 0), "stats", check_stats, helper_op_stats},
    {TARGETS(CTD_REQ_DESTROY), "destroy", check_destroy, helper_op_targets},
    {TARGETS(CTD_REQ_UPDATE_MARK), "update-mark", check_update_mark, helper_op_targets},
    {TARGETS(CTD_REQ_UPDATE_TIMEOUT), "update-timeout", check_update_timeout, helper_op_targets},
    {FIXED(CTD_REQ_EVENTS, sizeof(struct ctd_events_req)), "events", check_events, helper_op_events},
    {FIXED(CTD_REQ_EXPECT_DUMP, 0), "expect-dump", check_expect_dump, helper_op_expect_dump},
    {TARGETS(CTD_REQ_EXPECT_DESTROY), "expect-destroy", check_expect_destroy, helper_op_expect_destroy},
};

const struct helper_req_def *helper_req_find(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (requests[i].rule.type == type)
			return &requests[i];
	return NULL;
}

unsigned helper_req_timeout_ms(const struct helper_request *rq)
{
	/* an events request lives its duration and no more than 1 s past it */
	if (rq->type == CTD_REQ_EVENTS)
		return rq->events.duration_ms + 1000u;
	return HELPER_OP_TIMEOUT_S * 1000u;
}

int helper_check_header(const struct ctd_frame_hdr *h, const char **why)
{
	const struct helper_req_def *def = helper_req_find(h->type);
	const struct proto_type_rule *rule;
	int r;

	/* version and length are checked before the type, whatever it is */
	r = proto_check_header(h, def ? &def->rule : NULL, def ? 1 : 0, &rule, why);
	if (r == 0)
		return 0;
	if (h->version != CTD_PROTO_VERSION)
		return CTD_EXIT_VERSION;
	if (r == -EMSGSIZE)
		return CTD_EXIT_TOOLONG;
	if (r == -EPROTO)
		return CTD_EXIT_TYPE;
	return CTD_EXIT_SIZE;
}

int helper_check_payload(uint16_t type, const uint8_t *payload, uint32_t len, struct helper_request *rq,
			 const char **why)
{
	memset(rq, 0, sizeof(*rq));
	rq->type = type;
	rq->len = len;
	rq->def = helper_req_find(type);
	if (!rq->def) {
		*why = "frame type not in whitelist";
		return CTD_EXIT_TYPE;
	}
	return rq->def->check(payload, len, rq, why);
}

int helper_decode_frame(const uint8_t *buf, size_t len, struct helper_request *rq, const char **why)
{
	struct ctd_frame_hdr h;
	int r;

	if (len < sizeof(h)) {
		*why = "truncated header";
		return CTD_EXIT_SHORT;
	}
	memcpy(&h, buf, sizeof(h));
	if ((r = helper_check_header(&h, why)) != 0)
		return r;
	if (len - sizeof(h) != h.len) {
		*why = len - sizeof(h) < h.len ? "truncated payload" : "bytes after the frame";
		return CTD_EXIT_SHORT;
	}
	return helper_check_payload(h.type, buf + sizeof(h), h.len, rq, why);
}

int helper_read_request(int fd, uint8_t *buf, struct helper_request *rq, const char **why)
{
	struct ctd_frame_hdr h;
	int r;

	r = proto_read_full(fd, &h, sizeof(h));
	if (r == -EPIPE) {
		*why = "peer closed without a request";
		return CTD_EXIT_NOREQUEST;
	}
	if (r != 0) {
		*why = "truncated header";
		return CTD_EXIT_SHORT;
	}
	/* the length is bounded here, before the payload is read */
	if ((r = helper_check_header(&h, why)) != 0)
		return r;
	if (h.len && proto_read_full(fd, buf, h.len) != 0) {
		*why = "truncated payload";
		return CTD_EXIT_SHORT;
	}
	return helper_check_payload(h.type, buf, h.len, rq, why);
}
