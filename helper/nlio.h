/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nlio.h - the helper's netlink socket and the primitives its operations
 * share (netlink.c): the table's operations there, events.c and expect.c.
 * Internal to helper/; CAP_NET_ADMIN is raised only inside helper_nl_send
 * and around the socket's creation.
 */
#ifndef CTD_NLIO_H
#define CTD_NLIO_H

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <stddef.h>
#include <stdint.h>

#include "helper.h"

/* Receive buffer for one dump chunk: the kernel fills at most 32 KiB per
 * recvmsg on a dump. */
#define HELPER_NL_RCVBUF 32768u
/* Requests per netlink send for destroy/update; their replies (~40 bytes
 * each, NETLINK_CAP_ACK) easily fit the socket's receive buffer. */
#define HELPER_NL_BATCH 128u
/* Receive buffer of the netlink socket. */
#define HELPER_NL_SOCKBUF (4 * 1024 * 1024)
/* Replies received per recvmmsg, and room for one (a GET reply is a few
 * hundred bytes; an ack 36). */
#define HELPER_NL_RECV_VEC  64u
#define HELPER_NL_REPLY_MAX 8192u
/* Room for one request message (an IPv6 tuple with every attribute is
 * under 200 bytes). */
#define HELPER_NL_MSG_MAX 512u

extern struct mnl_socket *helper_nl;
extern unsigned helper_nl_portid;
extern uint32_t helper_nl_seq; /* the next message's sequence number */

/* Send len bytes to the kernel (CAP_NET_ADMIN raised around it): 0 or -errno. */
int helper_nl_send(const void *buf, size_t len);
/* An ERROR frame naming what failed: 0, or CTD_EXIT_PEER. */
int helper_send_error(int fd, int32_t code, int32_t err, const char *what);
/* A netfilter netlink message header at buf: type (subsystem << 8 |
 * message), flags, seq, family; the caller adds the attributes. */
struct nlmsghdr *helper_nl_header(char *buf, uint16_t type, uint16_t flags, uint32_t seq, uint8_t family);
/* Send the n items of a data frame (if any) and count them into *total;
 * -1 and *peer_gone when the caller went away. */
int helper_send_items(int fd, uint16_t type, const void *items, uint32_t size, uint32_t *n, uint32_t *total,
		      int *peer_gone);
/* Receive the chunks of a dump into buf until parse (1 more, 0 done,
 * -errno) says it ended: 0 or -errno. */
int helper_nl_recv_dump(char *buf, size_t size, int (*parse)(const void *chunk, size_t len, void *arg),
			void *arg);
/* A conntrack message msg (with flags) on the target's tuple and zones. */
struct nlmsghdr *helper_nl_target_msg(char *buf, struct nf_conntrack *ct, const struct nf_conntrack *blank,
				      uint16_t msg, uint16_t flags, uint32_t seq, const struct ctd_target *t);
/* Datagrams of the socket, HELPER_NL_RECV_VEC at most at a time. */
extern char helper_nl_rbuf[HELPER_NL_RECV_VEC][HELPER_NL_REPLY_MAX];
int helper_nl_recv_many(unsigned vlen, int flags); /* how many, or -1 with errno */
int helper_nl_from_kernel(int j);		   /* datagram j came whole from the kernel */
size_t helper_nl_rlen(int j);			   /* the length of datagram j */
/* Send k messages (seqs base..base+k-1), one reply each into rep[]: 0 or -errno. */
int helper_nl_exchange(const char *buf, size_t len, uint32_t base, uint32_t k, struct helper_nl_reply *rep);
/* One message msg (with flags; with_id: CTA_ID too) per target tg[0..k),
 * k <= HELPER_NL_BATCH, sent together, one reply each into rep[]: 0,
 * 1 when a message could not be built, or -errno for the socket. */
int helper_nl_target_batch(struct nf_conntrack *ct, const struct nf_conntrack *blank, uint16_t msg,
			   uint16_t flags, int with_id, const struct ctd_target *tg, uint32_t k,
			   struct helper_nl_reply *rep);
/* A target's result from the kernel's errno (0 done, ENOENT not found). */
void helper_set_result(struct ctd_result *res, uint32_t id, int err);

#endif /* CTD_NLIO_H */
