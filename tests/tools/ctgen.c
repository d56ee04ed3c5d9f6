// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctgen - create N conntrack entries fast in the current network
 * namespace (run it under `ip netns exec`), for tests and benchmarks.
 *
 *   ctgen COUNT [MARK [UDP_PERCENT [ZONE [STATUS [FIRST]]]]]
 *
 * Entry i (FIRST <= i < FIRST + COUNT; FIRST default 0):
 * 10.(i>>16).(i>>8).(i&255):(1024 + i%60000) -> 172.16.0.1:80,
 * TCP ESTABLISHED or UDP (every k-th entry by UDP_PERCENT), timeout 600 s;
 * STATUS: IPS_* bits to set (e.g. 4, ASSURED: entries the kernel will not
 * early-drop when the table is full).
 * Prints "created N in S s".  Exit 1 on the first failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long arg(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "ctgen: bad number %s\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long n, mark = 0, udp = 0, zone = 0, status = 0, first = 0, i;
	struct nfct_handle *h;
	struct nf_conntrack *ct;
	struct timespec a, b;

	if (argc < 2 || argc > 7) {
		fprintf(stderr, "usage: ctgen COUNT [MARK [UDP_PERCENT [ZONE [STATUS [FIRST]]]]]\n");
		return 2;
	}
	n = arg(argv[1]);
	if (argc > 2)
		mark = arg(argv[2]);
	if (argc > 3)
		udp = arg(argv[3]);
	if (argc > 4)
		zone = arg(argv[4]);
	if (argc > 5)
		status = arg(argv[5]);
	if (argc > 6)
		first = arg(argv[6]);
	if (n > (1ul << 24) || first > (1ul << 24) - n || udp > 100 || zone > 65535) {
		fprintf(stderr, "ctgen: FIRST + COUNT <= 2^24, UDP_PERCENT <= 100, ZONE <= 65535\n");
		return 2;
	}
	h = nfct_open(CONNTRACK, 0);
	ct = nfct_new();
	if (!h || !ct) {
		perror("ctgen: nfct_open");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = first; i < first + n; i++) {
		int is_udp = (i % 100) < udp;
		uint32_t src = htonl(0x0a000000u | (uint32_t)(i & 0xffffff));

		nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
		nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET);
		nfct_set_attr_u32(ct, ATTR_IPV4_SRC, src);
		nfct_set_attr_u32(ct, ATTR_IPV4_DST, htonl(0xac100001u));
		nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, htonl(0xac100001u));
		nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, src);
		nfct_set_attr_u8(ct, ATTR_L4PROTO, is_udp ? IPPROTO_UDP : IPPROTO_TCP);
		nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, is_udp ? IPPROTO_UDP : IPPROTO_TCP);
		nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons((uint16_t)(1024 + i % 60000)));
		nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(80));
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(80));
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons((uint16_t)(1024 + i % 60000)));
		if (is_udp)
			nfct_attr_unset(ct, ATTR_TCP_STATE);
		else
			nfct_set_attr_u8(ct, ATTR_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
		nfct_set_attr_u32(ct, ATTR_TIMEOUT, 600);
		if (mark)
			nfct_set_attr_u32(ct, ATTR_MARK, (uint32_t)mark);
		if (zone)
			nfct_set_attr_u16(ct, ATTR_ZONE, (uint16_t)zone);
		if (status)
			nfct_set_attr_u32(ct, ATTR_STATUS, (uint32_t)status);
		if (nfct_query(h, NFCT_Q_CREATE, ct) != 0) {
			fprintf(stderr, "ctgen: entry %lu: %s\n", i, strerror(errno));
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("created %lu in %.3f s\n", n,
	       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	nfct_destroy(ct);
	nfct_close(h);
	return 0;
}
