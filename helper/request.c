// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * request.c - decode and validate the one request frame.  Runs after the
 * privilege drop, but it is still the part an attacker talks to first, so
 * every rule is explicit and anything unexpected is fatal.  No I/O in the
 * decode functions: tests/fuzz/fuzz_frame.c calls them directly.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "helper.h"

/* The whitelist: request types and their exact size rules. */
static const struct proto_type_rule req_rules[] = {
    {CTD_REQ_DUMP, sizeof(struct ctd_dump_req), 0, 0, 0},
    {CTD_REQ_COUNT, 0, 0, 0, 0},
    {CTD_REQ_DESTROY, 0, sizeof(struct ctd_targets_hdr), sizeof(struct ctd_target), CTD_MAX_TARGETS},
    {CTD_REQ_UPDATE_MARK, 0, sizeof(struct ctd_targets_hdr), sizeof(struct ctd_target), CTD_MAX_TARGETS},
    {CTD_REQ_UPDATE_TIMEOUT, 0, sizeof(struct ctd_targets_hdr), sizeof(struct ctd_target), CTD_MAX_TARGETS},
};

int helper_check_header(const struct ctd_frame_hdr *h, const char **why)
{
	const struct proto_type_rule *rule;
	int r;

	r = proto_check_header(h, req_rules, sizeof(req_rules) / sizeof(req_rules[0]), &rule, why);
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

static int zero_bytes(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static int is_icmp(uint8_t l3, uint8_t l4)
{
	return (l3 == AF_INET && l4 == 1) || (l3 == AF_INET6 && l4 == 58);
}

static int check_dump(const struct ctd_dump_req *d, const char **why)
{
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

static int check_target(uint16_t type, const struct ctd_target *t, const char **why)
{
	if (t->l3proto != AF_INET && t->l3proto != AF_INET6) {
		*why = "bad family in target";
		return CTD_EXIT_VALUE;
	}
	if (t->l3proto == AF_INET && (!zero_bytes(t->orig.src + 4, 12) || !zero_bytes(t->orig.dst + 4, 12))) {
		*why = "IPv4 target address with bytes past the fourth";
		return CTD_EXIT_VALUE;
	}
	if (is_icmp(t->l3proto, t->l4proto)) {
		if (t->orig.sport || t->orig.dport) {
			*why = "ports given for an ICMP target";
			return CTD_EXIT_VALUE;
		}
	} else if (t->icmp_type || t->icmp_code || t->icmp_id) {
		*why = "ICMP fields given for a non-ICMP target";
		return CTD_EXIT_VALUE;
	}
	if (type == CTD_REQ_DESTROY && (t->value || t->mask)) {
		*why = "value/mask given for destroy";
		return CTD_EXIT_VALUE;
	}
	if (type == CTD_REQ_UPDATE_TIMEOUT && t->mask) {
		*why = "mask given for a timeout update";
		return CTD_EXIT_VALUE;
	}
	return 0;
}

int helper_check_payload(uint16_t type, const uint8_t *payload, uint32_t len, struct helper_request *rq,
			 const char **why)
{
	struct ctd_targets_hdr th;
	uint32_t i;
	int r;

	memset(rq, 0, sizeof(*rq));
	rq->type = type;
	rq->len = len;
	switch (type) {
	case CTD_REQ_DUMP:
		memcpy(&rq->dump, payload, sizeof(rq->dump));
		return check_dump(&rq->dump, why);
	case CTD_REQ_COUNT:
		return 0;
	case CTD_REQ_DESTROY:
	case CTD_REQ_UPDATE_MARK:
	case CTD_REQ_UPDATE_TIMEOUT:
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
			struct ctd_target t;
			memcpy(&t, payload + sizeof(th) + (size_t)i * sizeof(t), sizeof(t));
			if ((r = check_target(type, &t, why)) != 0)
				return r;
		}
		return 0;
	}
	*why = "frame type not in whitelist";
	return CTD_EXIT_TYPE;
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
