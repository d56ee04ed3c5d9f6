// SPDX-License-Identifier: GPL-2.0-or-later
/* Framing rules of include/proto.c: every header rule, and a round trip. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "ctd_proto.h"

static const struct proto_type_rule rules[] = {
    {CTD_REQ_DUMP, sizeof(struct ctd_dump_req), 0, 0, 0},
    {CTD_REQ_COUNT, 0, 0, 0, 0},
    {CTD_REQ_DESTROY, 0, sizeof(struct ctd_targets_hdr), sizeof(struct ctd_target), CTD_MAX_TARGETS},
};

#define V CTD_PROTO_VERSION
#define T sizeof(struct ctd_target)

static int check(uint16_t version, uint16_t type, uint32_t len)
{
	struct ctd_frame_hdr h = {.len = len, .version = version, .type = type};
	const struct proto_type_rule *r;
	const char *why;
	return proto_check_header(&h, rules, 3, &r, &why);
}

int main(void)
{
	int sv[2];
	struct ctd_dump_req req = {.flags = CTD_DUMP_F_MARK, .mark = 7, .mark_mask = 0xff};
	struct ctd_dump_req got;
	struct ctd_frame_hdr h;

	CHECK(check(V, CTD_REQ_DUMP, sizeof(struct ctd_dump_req)) == 0,
	      "dump request of exact size accepted");
	CHECK(check(V + 1, CTD_REQ_DUMP, sizeof(struct ctd_dump_req)) == -EPROTO, "wrong version refused");
	CHECK(check(V, CTD_REQ_DUMP, sizeof(struct ctd_dump_req) - 1) == -EBADMSG, "short dump refused");
	CHECK(check(V, CTD_REQ_DUMP, CTD_FRAME_MAX + 1) == -EMSGSIZE, "over-long frame refused first");
	CHECK(check(V, 99, 0) == -EPROTO, "unknown type refused");
	CHECK(check(V, CTD_RSP_RECORDS, sizeof(struct ctd_record)) == -EPROTO,
	      "answer type refused as request");
	CHECK(check(V, CTD_REQ_COUNT, 0) == 0, "empty count accepted");
	CHECK(check(V, CTD_REQ_COUNT, 4) == -EBADMSG, "count with payload refused");
	CHECK(check(V, CTD_REQ_DESTROY, 8 + T) == 0, "one target accepted");
	CHECK(check(V, CTD_REQ_DESTROY, 8) == -EBADMSG, "zero targets refused");
	CHECK(check(V, CTD_REQ_DESTROY, 8 + T - 1) == -EBADMSG, "partial target refused");
	CHECK(check(V, CTD_REQ_DESTROY, 8 + T * CTD_MAX_TARGETS) == 0, "max targets accepted");
	CHECK(check(V, CTD_REQ_DESTROY, 8 + T * (CTD_MAX_TARGETS + 1)) == -EBADMSG,
	      "too many targets refused");

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 2;
	CHECK(proto_send(sv[0], CTD_REQ_DUMP, &req, sizeof(req)) == 0, "send");
	CHECK(proto_read_full(sv[1], &h, sizeof(h)) == 0 && h.len == sizeof(req) && h.type == CTD_REQ_DUMP,
	      "header round trip");
	CHECK(proto_read_full(sv[1], &got, sizeof(got)) == 0 && memcmp(&got, &req, sizeof(req)) == 0,
	      "payload round trip");
	CHECK(proto_send(sv[0], CTD_REQ_DUMP, &req, CTD_FRAME_MAX + 1) == -EMSGSIZE,
	      "send refuses over-long");
	close(sv[0]);
	CHECK(proto_read_full(sv[1], &h, sizeof(h)) == -EPIPE, "clean EOF is EPIPE");
	close(sv[1]);
	return CHECK_DONE();
}
