// SPDX-License-Identifier: GPL-2.0-or-later
/* helper/request.c: every rule of the request decoder, each failure with
 * its own exit code, and the exit-code sentences the CGI shows. */
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "helper.h"

static uint8_t
    buf[sizeof(struct ctd_frame_hdr) + sizeof(struct ctd_targets_hdr) + 3 * sizeof(struct ctd_target)];

static size_t put(uint16_t type, const void *payload, uint32_t len, uint16_t version)
{
	struct ctd_frame_hdr h = {.len = len, .version = version, .type = type};
	memcpy(buf, &h, sizeof(h));
	if (payload && len && len <= sizeof(buf) - sizeof(h))
		memcpy(buf + sizeof(h), payload, len);
	return sizeof(h) + len;
}

static int decode(uint16_t type, const void *payload, uint32_t len)
{
	struct helper_request rq;
	const char *why = NULL;
	size_t n = put(type, payload, len, CTD_PROTO_VERSION);
	int r = helper_decode_frame(buf, n, &rq, &why);
	if (r != 0 && !why)
		return -1; /* every refusal must name its rule */
	return r;
}

struct treq {
	struct ctd_targets_hdr h;
	struct ctd_target t[3];
};

static uint32_t tlen(uint32_t n)
{
	return (uint32_t)(sizeof(struct ctd_targets_hdr) + n * sizeof(struct ctd_target));
}

int main(void)
{
	struct ctd_dump_req d;
	struct treq tr;
	struct helper_request rq;
	const char *why;
	int sv[2];

	memset(&d, 0, sizeof(d));
	CHECK(decode(CTD_REQ_DUMP, &d, sizeof(d)) == 0, "plain dump accepted");
	d.flags = CTD_DUMP_F_MARK | CTD_DUMP_F_FAMILY | CTD_DUMP_F_ZONE | CTD_DUMP_F_STATUS;
	d.mark = 5, d.mark_mask = 0xff, d.family = AF_INET6, d.zone = 7, d.status = 4, d.status_mask = 4;
	CHECK(decode(CTD_REQ_DUMP, &d, sizeof(d)) == 0, "dump with every filter accepted");
	d.family = 3;
	CHECK(decode(CTD_REQ_DUMP, &d, sizeof(d)) == CTD_EXIT_VALUE, "bad family refused");
	d.family = AF_INET, d.flags = 0x10;
	CHECK(decode(CTD_REQ_DUMP, &d, sizeof(d)) == CTD_EXIT_VALUE, "unknown filter flag refused");
	memset(&d, 0, sizeof(d));
	d.mark = 1;
	CHECK(decode(CTD_REQ_DUMP, &d, sizeof(d)) == CTD_EXIT_VALUE, "mark without its flag refused");
	memset(&d, 0, sizeof(d));
	d.family = AF_INET;
	CHECK(decode(CTD_REQ_DUMP, &d, sizeof(d)) == CTD_EXIT_VALUE, "family without its flag refused");
	memset(&d, 0, sizeof(d));
	d.pad = 1;
	CHECK(decode(CTD_REQ_DUMP, &d, sizeof(d)) == CTD_EXIT_VALUE, "non-zero padding refused");
	memset(&d, 0, sizeof(d));
	CHECK(decode(CTD_REQ_DUMP, &d, sizeof(d) - 1) == CTD_EXIT_SIZE, "short dump refused");
	CHECK(decode(CTD_REQ_COUNT, NULL, 0) == 0, "count accepted");
	CHECK(decode(CTD_REQ_COUNT, &d, 4) == CTD_EXIT_SIZE, "count with payload refused");
	CHECK(decode(77, NULL, 0) == CTD_EXIT_TYPE, "unknown type refused");
	CHECK(decode(CTD_RSP_END, &d, sizeof(struct ctd_end)) == CTD_EXIT_TYPE, "answer type refused");
	put(CTD_REQ_COUNT, NULL, 0, 9);
	CHECK(helper_decode_frame(buf, 8, &rq, &why) == CTD_EXIT_VERSION, "wrong version refused");
	put(CTD_REQ_DUMP, NULL, CTD_FRAME_MAX + 1, CTD_PROTO_VERSION);
	CHECK(helper_decode_frame(buf, 8, &rq, &why) == CTD_EXIT_TOOLONG,
	      "over-long frame refused before its payload");
	CHECK(helper_decode_frame(buf, 5, &rq, &why) == CTD_EXIT_SHORT, "short header refused");
	put(CTD_REQ_DUMP, &d, sizeof(d), CTD_PROTO_VERSION);
	CHECK(helper_decode_frame(buf, 8 + sizeof(d) - 3, &rq, &why) == CTD_EXIT_SHORT,
	      "truncated payload refused");
	CHECK(helper_decode_frame(buf, 8 + sizeof(d) + 1, &rq, &why) == CTD_EXIT_SHORT,
	      "trailing bytes refused");

	memset(&tr, 0, sizeof(tr));
	tr.h.count = 2;
	for (int i = 0; i < 3; i++) {
		tr.t[i].id = 100 + (uint32_t)i;
		tr.t[i].l3proto = AF_INET;
		tr.t[i].l4proto = 6;
		tr.t[i].orig.src[0] = 10;
		tr.t[i].orig.sport = 1;
	}
	CHECK(decode(CTD_REQ_DESTROY, &tr, tlen(2)) == 0, "destroy of 2 accepted");
	put(CTD_REQ_DESTROY, &tr, tlen(2), CTD_PROTO_VERSION);
	CHECK(helper_decode_frame(buf, 8 + tlen(2), &rq, &why) == 0 && rq.ntargets == 2 &&
		  rq.targets[1].id == 101,
	      "targets decoded in order");
	CHECK(decode(CTD_REQ_DESTROY, &tr, tlen(3)) == CTD_EXIT_VALUE,
	      "count below the frame's targets refused");
	CHECK(decode(CTD_REQ_DESTROY, &tr, tlen(1)) == CTD_EXIT_VALUE,
	      "count above the frame's targets refused");
	tr.h.count = 0;
	CHECK(decode(CTD_REQ_DESTROY, &tr, tlen(0)) == CTD_EXIT_SIZE, "no targets refused");
	tr.h.count = 1;
	tr.h.pad = 1;
	CHECK(decode(CTD_REQ_DESTROY, &tr, tlen(1)) == CTD_EXIT_VALUE, "header padding refused");
	tr.h.pad = 0;
	tr.t[0].l3proto = 0;
	CHECK(decode(CTD_REQ_DESTROY, &tr, tlen(1)) == CTD_EXIT_VALUE, "target family 0 refused");
	tr.t[0].l3proto = AF_INET;
	tr.t[0].orig.src[9] = 1;
	CHECK(decode(CTD_REQ_DESTROY, &tr, tlen(1)) == CTD_EXIT_VALUE,
	      "IPv4 target with stray address bytes refused");
	tr.t[0].l3proto = AF_INET6;
	CHECK(decode(CTD_REQ_DESTROY, &tr, tlen(1)) == 0, "the same bytes as IPv6 accepted");
	tr.t[0].l3proto = AF_INET;
	tr.t[0].orig.src[9] = 0;
	tr.t[0].icmp_type = 8;
	CHECK(decode(CTD_REQ_DESTROY, &tr, tlen(1)) == CTD_EXIT_VALUE, "ICMP fields on TCP refused");
	tr.t[0].l4proto = 1;
	CHECK(decode(CTD_REQ_DESTROY, &tr, tlen(1)) == CTD_EXIT_VALUE, "ports on ICMP refused");
	tr.t[0].orig.sport = 0;
	CHECK(decode(CTD_REQ_DESTROY, &tr, tlen(1)) == 0, "ICMP target accepted");
	tr.t[0].value = 1;
	CHECK(decode(CTD_REQ_DESTROY, &tr, tlen(1)) == CTD_EXIT_VALUE, "value on destroy refused");
	CHECK(decode(CTD_REQ_UPDATE_TIMEOUT, &tr, tlen(1)) == 0, "value on timeout accepted");
	tr.t[0].mask = 1;
	CHECK(decode(CTD_REQ_UPDATE_TIMEOUT, &tr, tlen(1)) == CTD_EXIT_VALUE, "mask on timeout refused");
	CHECK(decode(CTD_REQ_UPDATE_MARK, &tr, tlen(1)) == 0, "value and mask on mark accepted");
	tr.t[0].zflags = CTD_TGT_ORIG_ZONE | CTD_TGT_REPLY_ZONE;
	tr.t[0].orig_zone = 2, tr.t[0].reply_zone = 3;
	CHECK(decode(CTD_REQ_UPDATE_MARK, &tr, tlen(1)) == 0, "directional zones with their flags accepted");
	tr.t[0].zflags = CTD_TGT_ORIG_ZONE;
	CHECK(decode(CTD_REQ_UPDATE_MARK, &tr, tlen(1)) == CTD_EXIT_VALUE,
	      "reply zone without its flag refused");
	tr.t[0].zflags = CTD_TGT_REPLY_ZONE;
	CHECK(decode(CTD_REQ_UPDATE_MARK, &tr, tlen(1)) == CTD_EXIT_VALUE,
	      "orig zone without its flag refused");
	tr.t[0].zflags = CTD_TGT_ZONES | 0x04;
	CHECK(decode(CTD_REQ_UPDATE_MARK, &tr, tlen(1)) == CTD_EXIT_VALUE, "unknown zone flag refused");
	tr.t[0].zflags = CTD_TGT_ZONES;
	tr.t[0].pad[2] = 1;
	CHECK(decode(CTD_REQ_UPDATE_MARK, &tr, tlen(1)) == CTD_EXIT_VALUE, "target padding refused");

	/* the fd path: same rules, read from a socket */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 2;
	{
		static uint8_t rbuf[CTD_FRAME_MAX];
		proto_send(sv[0], CTD_REQ_COUNT, NULL, 0);
		CHECK(helper_read_request(sv[1], rbuf, &rq, &why) == 0 && rq.type == CTD_REQ_COUNT,
		      "count read from fd");
		struct ctd_frame_hdr h = {.len = 24, .version = CTD_PROTO_VERSION, .type = CTD_REQ_DUMP};
		if (write(sv[0], &h, sizeof(h)) != sizeof(h))
			return 2;
		close(sv[0]);
		CHECK(helper_read_request(sv[1], rbuf, &rq, &why) == CTD_EXIT_SHORT,
		      "EOF inside the payload is SHORT");
		CHECK(helper_read_request(sv[1], rbuf, &rq, &why) == CTD_EXIT_NOREQUEST,
		      "EOF before any byte is NOREQUEST");
		close(sv[1]);
	}

	{
		/* events: the bounds are exact (26000 ms, 5000 events), and the
		 * request's timer is its duration + 1 s */
		struct ctd_events_req q;
		memset(&q, 0, sizeof(q));
		q.types = CTD_EV_ALL, q.duration_ms = CTD_EVENTS_DURATION_MAX_MS, q.max = CTD_EVENTS_MAX;
		CHECK(decode(CTD_REQ_EVENTS, &q, sizeof(q)) == 0, "events: 26000 ms, 5000 events accepted");
		CHECK(helper_decode_frame(buf, put(CTD_REQ_EVENTS, &q, sizeof(q), CTD_PROTO_VERSION), &rq,
					  &why) == 0 &&
			  helper_req_timeout_ms(&rq) == CTD_EVENTS_DURATION_MAX_MS + 1000,
		      "events: the request's timer is its duration + 1 s");
		q.duration_ms++;
		CHECK(decode(CTD_REQ_EVENTS, &q, sizeof(q)) == CTD_EXIT_VALUE, "events: 26001 ms refused");
		q.duration_ms = 0, q.max++;
		CHECK(decode(CTD_REQ_EVENTS, &q, sizeof(q)) == CTD_EXIT_VALUE, "events: 5001 events refused");
		q.max = 1, q.types = CTD_EV_ALL + 1;
		CHECK(decode(CTD_REQ_EVENTS, &q, sizeof(q)) == CTD_EXIT_VALUE,
		      "events: an unknown type refused");
		q.types = CTD_EV_NEW, q.flags = CTD_EVF_SRC4, q.src_prefix = 24, q.src[0] = 10, q.src[3] = 1;
		CHECK(decode(CTD_REQ_EVENTS, &q, sizeof(q)) == CTD_EXIT_VALUE,
		      "events: a source network with host bits refused");
		q.src[3] = 0;
		CHECK(decode(CTD_REQ_EVENTS, &q, sizeof(q)) == 0, "events: 10.0.0.0/24 accepted");
		q.nexclude = 1, q.exclude[0].family = AF_INET6, q.exclude[0].prefix = 128,
		q.exclude[0].addr[15] = 1;
		CHECK(decode(CTD_REQ_EVENTS, &q, sizeof(q)) == 0, "events: ::1/128 excluded accepted");
		q.exclude[1].family = AF_INET;
		CHECK(decode(CTD_REQ_EVENTS, &q, sizeof(q)) == CTD_EXIT_VALUE,
		      "events: bytes in an excluded entry past nexclude refused");
		CHECK(decode(CTD_REQ_EXPECT_DUMP, NULL, 0) == 0, "expect-dump accepted");
		memset(&d, 0, sizeof(d));
		CHECK(helper_decode_frame(buf, put(CTD_REQ_DUMP, &d, sizeof(d), CTD_PROTO_VERSION), &rq,
					  &why) == 0 &&
			  helper_req_timeout_ms(&rq) == HELPER_OP_TIMEOUT_S * 1000u,
		      "other requests keep HELPER_OP_TIMEOUT_S");
	}

	CHECK(strstr(proto_exit_reason(CTD_EXIT_CALLER), "caller not allowed") != NULL, "exit 13 sentence");
	CHECK(strstr(proto_exit_reason(CTD_EXIT_NNP), "NO_NEW_PRIVS") != NULL, "exit 14 sentence");
	CHECK(strcmp(proto_exit_reason(255), "unexpected exit") == 0, "unknown exit code sentence");
	return CHECK_DONE();
}
