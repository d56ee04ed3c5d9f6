// SPDX-License-Identifier: GPL-2.0-or-later
/* helper/nlparse.c: a real ctnetlink dump becomes the records `conntrack
 * -L` shows, and the two hostile inputs (a length past 2^31, an error of INT_MIN) are refused without
 * reading past the buffer (a nlmsg_len of 2^31, which libmnl's int
 * comparison lets through) or undefined behaviour (an NLMSG_ERROR code
 * of INT_MIN).  The ASan+UBSan build of this test is the oracle for
 * "without": each input sits in a heap block of its exact size. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "check.h"
#include "helper.h"

/* One recv of `conntrack -L` in a namespace holding
 *   conntrack -I -s fd00::1 -d fd00::2 -p icmpv6 --icmpv6-type 128
 *     --icmpv6-code 0 --icmpv6-id 7 --timeout 100
 *   conntrack -I -s 10.0.0.1 -d 10.0.0.2 -p tcp --sport 1 --dport 2
 *     --state ESTABLISHED --timeout 100
 * (tests/fuzz/corpus/nlmsg/dump-tcp-icmpv6; the kernel's own bytes). */
static const uint8_t real_dump[] = {
    0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x07, 0x00, 0x00, 0x00, 0x46, 0x7f, 0x00, 0x00, 0x0a,
    0x00, 0x00, 0x00, 0x54, 0x00, 0x01, 0x80, 0x2c, 0x00, 0x01, 0x80, 0x14, 0x00, 0x03, 0x00, 0xfd, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x14, 0x00, 0x04,
    0x00, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    0x24, 0x00, 0x02, 0x80, 0x05, 0x00, 0x01, 0x00, 0x3a, 0x00, 0x00, 0x00, 0x06, 0x00, 0x07, 0x00, 0x00,
    0x07, 0x00, 0x00, 0x05, 0x00, 0x08, 0x00, 0x80, 0x00, 0x00, 0x00, 0x05, 0x00, 0x09, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x54, 0x00, 0x02, 0x80, 0x2c, 0x00, 0x01, 0x80, 0x14, 0x00, 0x03, 0x00, 0xfd, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x14, 0x00, 0x04, 0x00,
    0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x24,
    0x00, 0x02, 0x80, 0x05, 0x00, 0x01, 0x00, 0x3a, 0x00, 0x00, 0x00, 0x06, 0x00, 0x07, 0x00, 0x00, 0x07,
    0x00, 0x00, 0x05, 0x00, 0x08, 0x00, 0x81, 0x00, 0x00, 0x00, 0x05, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x08, 0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x0c, 0x00, 0x36, 0x47, 0xde, 0x26, 0x08, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08,
    0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x5b, 0x1c, 0x00, 0x18, 0x80, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x07, 0x00, 0x00, 0x00, 0x46, 0x7f, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x34, 0x00, 0x01, 0x80, 0x14, 0x00, 0x01, 0x80, 0x08, 0x00, 0x01, 0x00, 0x0a,
    0x00, 0x00, 0x01, 0x08, 0x00, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x02, 0x1c, 0x00, 0x02, 0x80, 0x05, 0x00,
    0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x06, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x06, 0x00, 0x03,
    0x00, 0x00, 0x02, 0x00, 0x00, 0x34, 0x00, 0x02, 0x80, 0x14, 0x00, 0x01, 0x80, 0x08, 0x00, 0x01, 0x00,
    0x0a, 0x00, 0x00, 0x02, 0x08, 0x00, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x1c, 0x00, 0x02, 0x80, 0x05,
    0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x06, 0x00, 0x02, 0x00, 0x00, 0x02, 0x00, 0x00, 0x06, 0x00,
    0x03, 0x00, 0x00, 0x01, 0x00, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x08, 0x08, 0x00, 0x08,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x0c, 0x00, 0x02, 0x13, 0xd2, 0x23, 0x08, 0x00, 0x0b, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x5b, 0x30, 0x00, 0x04, 0x80, 0x2c,
    0x00, 0x01, 0x80, 0x05, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x05, 0x00, 0x02, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x05, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x04, 0x00, 0x0a, 0x00, 0x00,
    0x00, 0x06, 0x00, 0x05, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x18, 0x80, 0x08, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00,
    0x00, 0x00, 0x00,

};

struct seen {
	unsigned n;
	struct ctd_record r[4];
};

static int keep(const struct ctd_record *r, void *data)
{
	struct seen *s = data;

	if (s->n < 4)
		s->r[s->n] = *r;
	s->n++;
	return 0;
}

/* An exact-size heap copy: a read past it is an ASan report. */
static uint8_t *heap(const void *p, size_t n)
{
	uint8_t *b = malloc(n);
	if (b)
		memcpy(b, p, n);
	return b;
}

/* A message of type t and total length len (len may claim more than the
 * buffer holds), with body (n bytes) after the header. */
static size_t put_msg(uint8_t *b, uint32_t len, uint16_t t, uint32_t seq, const void *body, size_t n)
{
	struct nlmsghdr h = {.nlmsg_len = len, .nlmsg_type = t, .nlmsg_seq = seq};
	memcpy(b, &h, sizeof(h));
	memcpy(b + sizeof(h), body, n);
	return sizeof(h) + n;
}

static void real(void)
{
	struct seen s = {0};
	uint8_t *b = heap(real_dump, sizeof(real_dump));
	uint8_t v4[4];

	CHECK(helper_nl_parse_dump(b, sizeof(real_dump), 7, 0, keep, &s) == 1 && s.n == 2,
	      "real dump chunk: 2 records, more to come (%u)", s.n);
	CHECK(s.r[0].l3proto == AF_INET6 && s.r[0].l4proto == 58 && (s.r[0].flags & CTD_REC_HAS_ICMP) &&
		  s.r[0].icmp_type == 128 && s.r[0].icmp_id == 7 && s.r[0].orig.src[15] == 1,
	      "real dump: the ICMPv6 entry (type 128, id 7, from fd00::1)");
	inet_pton(AF_INET, "10.0.0.1", v4);
	CHECK(s.r[1].l3proto == AF_INET && s.r[1].l4proto == 6 && !memcmp(s.r[1].orig.src, v4, 4) &&
		  s.r[1].orig.sport == 1 && s.r[1].orig.dport == 2 && s.r[1].repl.sport == 2 &&
		  s.r[1].tcp_state == 3 && (s.r[1].flags & CTD_REC_HAS_PORTS) && s.r[1].timeout > 0 &&
		  s.r[1].timeout <= 100,
	      "real dump: the TCP entry (10.0.0.1:1 -> 10.0.0.2:2, ESTABLISHED, timeout <= 100)");
	s.n = 0;
	CHECK(helper_nl_parse_dump(b, sizeof(real_dump), 8, 0, keep, &s) == -EPROTO && s.n == 0,
	      "real dump: another request's sequence number refused");
	CHECK(helper_nl_parse_dump(b, sizeof(real_dump) - 3, 7, 0, keep, &s) == -EBADMSG && s.n == 1,
	      "real dump cut short: the whole first entry, then refused");
	free(b);
}

static void len_2g(void)
{
	uint8_t raw[64] = {0}, *b;
	struct helper_nl_reply rep[1] = {{.err = -1}};
	struct seen s = {0};
	uint8_t fam = AF_INET;

	put_msg(raw, 0x80000000u, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW, 7, &fam, 1);
	/* a first attribute that ends exactly at the buffer's end: a walker
	 * that believed nlmsg_len would read the next header past it (the old
	 * parser did: ASan, heap-buffer-overflow in attr_walk) */
	raw[20] = 44;
	b = heap(raw, sizeof(raw));
	CHECK(helper_nl_parse_dump(b, sizeof(raw), 7, 0, keep, &s) == -EBADMSG && s.n == 0,
	      "dump: nlmsg_len 2^31 in a 64-byte buffer refused, nothing read past it");
	CHECK(helper_nl_take_replies(b, sizeof(raw), 7, 1, rep) == -EBADMSG && rep[0].err == -1,
	      "replies: nlmsg_len 2^31 refused, nothing taken");
	memcpy(b, &(uint32_t){65}, 4);
	CHECK(helper_nl_parse_dump(b, sizeof(raw), 7, 0, keep, &s) == -EBADMSG,
	      "dump: nlmsg_len one past the buffer refused");
	free(b);
}

static void error_int_min(void)
{
	struct nlmsgerr e = {.error = INT32_MIN};
	struct helper_nl_reply rep[2] = {{.err = -1}, {.err = -1}};
	struct seen s = {0};
	uint8_t raw[sizeof(struct nlmsghdr) + sizeof(e)], *b;

	put_msg(raw, sizeof(raw), NLMSG_ERROR, 9, &e, sizeof(e));
	b = heap(raw, sizeof(raw));
	CHECK(helper_nl_take_replies(b, sizeof(raw), 9, 2, rep) == 1 && rep[0].err == EPROTO &&
		  rep[1].err == -1,
	      "replies: error code INT_MIN is EPROTO for its request (%d)", rep[0].err);
	CHECK(helper_nl_parse_dump(b, sizeof(raw), 9, 0, keep, &s) == -EPROTO && s.n == 0,
	      "dump: error code INT_MIN ends the dump with EPROTO");
	free(b);
	CHECK(helper_nl_errno(-2) == ENOENT && helper_nl_errno(0) == 0 && helper_nl_errno(-4096) == EPROTO &&
		  helper_nl_errno(5) == EPROTO,
	      "error codes: -errno as errno, anything else EPROTO");
}

/* One per-CPU statistics message: nfgenmsg + a 32-bit attribute per
 * (type, value) pair, big-endian as the kernel sends them. */
static size_t put_stats(uint8_t *b, uint16_t t, uint32_t seq, const uint16_t *types, const uint32_t *vals,
			unsigned n)
{
	uint8_t body[128] = {0};
	size_t len = sizeof(struct nfgenmsg);
	unsigned i;

	for (i = 0; i < n; i++) {
		struct nlattr a = {.nla_len = 8, .nla_type = types[i]};
		uint32_t v = htonl(vals[i]);
		memcpy(body + len, &a, sizeof(a));
		memcpy(body + len + sizeof(a), &v, 4);
		len += 8;
	}
	return put_msg(b, (uint32_t)(sizeof(struct nlmsghdr) + len), t, seq, body, len);
}

static void stats(void)
{
	static const uint16_t ct[] = {CTA_STATS_INSERT, CTA_STATS_DROP,		  CTA_STATS_EARLY_DROP,
				      CTA_STATS_ERROR,	CTA_STATS_SEARCH_RESTART, CTA_STATS_CHAIN_TOOLONG};
	static const uint32_t cpu0[] = {10, 3, 2, 1, 5, 0}, cpu1[] = {0xffffffffu, 4, 0, 0, 7, 9};
	static const uint16_t ex[] = {CTA_STATS_EXP_NEW, CTA_STATS_EXP_CREATE, CTA_STATS_EXP_DELETE};
	/* cpu 0 created 5 and deleted 1, cpu 1 deleted 2: 2 left */
	static const uint32_t ex0[] = {9, 5, 1}, ex1[] = {0, 0, 2};
	uint16_t cs = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS_CPU;
	uint16_t es = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_EXP_GET_STATS_CPU;
	struct nlmsghdr done = {.nlmsg_len = sizeof(done), .nlmsg_type = NLMSG_DONE, .nlmsg_seq = 4};
	uint8_t raw[512], *b;
	struct ctd_stats st = {0};
	size_t n = 0;

	n += put_stats(raw + n, cs, 4, ct, cpu0, 6);
	n += put_stats(raw + n, cs, 4, ct, cpu1, 6);
	b = heap(raw, n);
	CHECK(helper_nl_parse_stats(b, n, 4, 0, &st) == 1 && st.cpus == 2, "stats: two CPUs, more to come");
	CHECK(st.insert == 10ull + 0xffffffffu && st.drop == 7 && st.early_drop == 2 && st.error == 1 &&
		  st.search_restart == 12 && st.chaintoolong == 9 && st.found == 0 && st.insert_failed == 0,
	      "stats: each counter summed over CPUs in 64 bits, absent ones 0");
	free(b);
	n = 0;
	n += put_stats(raw + n, es, 4, ex, ex0, 3);
	n += put_stats(raw + n, es, 4, ex, ex1, 3);
	memcpy(raw + n, &done, sizeof(done));
	n += sizeof(done);
	b = heap(raw, n);
	CHECK(helper_nl_parse_stats(b, n, 4, 0, &st) == 0 && st.expect_count == 2 && st.cpus == 2,
	      "stats: expectations = created - deleted over CPUs (%u), then the end", st.expect_count);
	CHECK(helper_nl_parse_stats(b, n, 5, 0, &st) == -EPROTO, "stats: another request's sequence refused");
	CHECK(helper_nl_parse_stats(b, n - 2, 4, 0, &st) == -EBADMSG, "stats: a message cut short refused");
	free(b);
}

int main(void)
{
	real();
	len_2g();
	error_int_min();
	stats();
	return CHECK_DONE();
}
