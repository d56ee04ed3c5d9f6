// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctburst - create N conntrack entries as fast as the kernel takes them,
 * in the current network namespace (run it under `ip netns exec`): many
 * IPCTNL_MSG_CT_NEW messages per netlink send, so that a burst of
 * thousands fits inside one `events` batching window (250 ms) even on a
 * loaded machine, where one request per entry (ctgen) would not.
 *
 *   ctburst COUNT [FIRST]
 *
 * Entry i (from FIRST, default 0): UDP 198.18.(i>>8).(i&255):(1024 + i%60000)
 * -> 198.19.0.1:53, timeout 600 s.  Prints "created N in S s (first at F,
 * last at T)": F when the first batch was sent, T when the last one was
 * taken (CLOCK_REALTIME); exit 1 on the
 * first refusal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH	 256u
#define MSG_ROOM 256u

/* A count: decimal digits only, at most 65536. */
static unsigned long count_of(const char *s)
{
	unsigned long v = 0;

	if (!*s)
		return ~0ul;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 65536)
			return ~0ul;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	return v;
}

static double now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char buf[BATCH * MSG_ROOM], rbuf[65536];
	unsigned long n, first = 0, i = 0;
	struct mnl_socket *nl;
	struct nf_conntrack *ct;
	double t0, t1, t_first, last = 0;
	unsigned seq = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: ctburst COUNT [FIRST]\n");
		return 2;
	}
	n = count_of(argv[1]);
	if (argc > 2)
		first = count_of(argv[2]);
	if (n > 65536 || first > 65536 || n + first > 65536) {
		fprintf(stderr, "ctburst: FIRST + COUNT <= 65536\n");
		return 2;
	}
	nl = mnl_socket_open(NETLINK_NETFILTER);
	ct = nfct_new();
	if (!nl || !ct || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) != 0) {
		perror("ctburst: netlink");
		return 1;
	}
	t0 = now(CLOCK_MONOTONIC);
	t_first = now(CLOCK_REALTIME);
	while (i < n) {
		char *p = buf;
		unsigned k = 0, base = seq;

		for (; k < BATCH && i < n; k++, i++) {
			unsigned long e = first + i;
			uint32_t src = htonl(0xc6120000u | (uint32_t)e), dst = htonl(0xc6130001u);
			struct nlmsghdr *nlh = mnl_nlmsg_put_header(p);
			struct nfgenmsg *nfh;

			nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
			nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
			nlh->nlmsg_seq = seq++;
			nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
			nfh->nfgen_family = AF_INET;
			nfh->version = NFNETLINK_V0;
			nfh->res_id = 0;
			nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
			nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET);
			nfct_set_attr_u32(ct, ATTR_IPV4_SRC, src);
			nfct_set_attr_u32(ct, ATTR_IPV4_DST, dst);
			nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, dst);
			nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, src);
			nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_UDP);
			nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, IPPROTO_UDP);
			nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons((uint16_t)(1024 + e % 60000)));
			nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(53));
			nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(53));
			nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons((uint16_t)(1024 + e % 60000)));
			nfct_set_attr_u32(ct, ATTR_TIMEOUT, 600);
			if (nfct_nlmsg_build(nlh, ct) < 0) {
				fprintf(stderr, "ctburst: cannot build entry %lu\n", e);
				return 1;
			}
			p += nlh->nlmsg_len;
		}
		if (mnl_socket_sendto(nl, buf, (size_t)(p - buf)) < 0) {
			perror("ctburst: send");
			return 1;
		}
		/* one ack per entry: every one must be 0 */
		while (k > 0) {
			ssize_t r = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
			struct nlmsghdr *h = (struct nlmsghdr *)rbuf;
			int len = (int)r;

			if (r < 0) {
				perror("ctburst: recv");
				return 1;
			}
			for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
				if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < base ||
				    h->nlmsg_seq >= base + BATCH)
					continue;
				if (((struct nlmsgerr *)mnl_nlmsg_get_payload(h))->error != 0) {
					fprintf(
					    stderr, "ctburst: entry %u: %s\n", h->nlmsg_seq - base,
					    strerror(-((struct nlmsgerr *)mnl_nlmsg_get_payload(h))->error));
					return 1;
				}
				k--;
			}
		}
		last = now(CLOCK_REALTIME);
	}
	t1 = now(CLOCK_MONOTONIC);
	printf("created %lu in %.3f s (first at %.6f, last at %.6f)\n", n, t1 - t0, t_first, last);
	nfct_destroy(ct);
	mnl_socket_close(nl);
	return 0;
}
