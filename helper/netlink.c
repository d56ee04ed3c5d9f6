// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netlink.c - the conntrack operations: dump (streamed, never the whole
 * table in memory), count (sysctls, no dump), stats (sysctls and the
 * per-CPU counters of conntrack -S, no dump), destroy by tuple + zone +
 * CTA_ID, update mark / timeout by tuple + zone after checking the id.
 * One netlink socket per process; CAP_NET_ADMIN is effective only around
 * the socket's creation and each send.  Never NFCT_Q_FLUSH_FILTER.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/sock_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

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

static struct mnl_socket *nl;
static unsigned nl_portid;
static uint32_t nl_seq = 1;
static int sysctl_fd[5] = {-1, -1, -1, -1, -1};
static const char *const sysctl_path[5] = {
    "/proc/sys/net/netfilter/nf_conntrack_count",  "/proc/sys/net/netfilter/nf_conntrack_max",
    "/proc/sys/net/netfilter/nf_conntrack_acct",   "/proc/sys/net/netfilter/nf_conntrack_timestamp",
    "/proc/sys/net/netfilter/nf_conntrack_events",
};
#define N_SYSCTL (sizeof(sysctl_fd) / sizeof(sysctl_fd[0]))

int helper_nl_open(void)
{
	int one = 1, err = 0, i;

	/* the kernel checks the capability of the socket's opener too */
	if (helper_cap_raise() != 0)
		return -errno;
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) != 0) {
		err = errno ? errno : EIO;
	} else {
		/* room for a whole batch of GET replies (each its own skb);
		 * best effort: without it the batch fails with ENOBUFS */
		int rcv = HELPER_NL_SOCKBUF;
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	}
	helper_cap_lower();
	if (err)
		return -err;
	nl_portid = mnl_socket_get_portid(nl);
	/* short acks: errors without a copy of our request */
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	fcntl(mnl_socket_get_fd(nl), F_SETFD, FD_CLOEXEC);
	for (i = 0; i < (int)N_SYSCTL; i++) {
		sysctl_fd[i] = open(sysctl_path[i], O_RDONLY | O_CLOEXEC);
		/* a missing sysctl reads as "off"; running out of fds (a
		 * caller's low RLIMIT_NOFILE) must not: that would be a wrong
		 * answer (accounting off, max 0) instead of a refusal */
		if (sysctl_fd[i] < 0 && (errno == EMFILE || errno == ENFILE))
			return -errno;
	}
	return 0;
}

static int nl_send(const void *buf, size_t len)
{
	ssize_t r;
	int err = 0;

	if (helper_cap_raise() != 0)
		return -errno;
	r = mnl_socket_sendto(nl, buf, len);
	if (r < 0)
		err = errno;
	else if ((size_t)r != len)
		err = EIO;
	helper_cap_lower();
	return -err;
}

static int send_error(int fd, int32_t code, int32_t err, const char *what)
{
	struct ctd_error e;

	memset(&e, 0, sizeof(e));
	e.code = code;
	e.err = err;
	snprintf(e.msg, sizeof(e.msg), "%s: %s", what, err ? strerror(err) : "failed");
	return proto_send(fd, CTD_RSP_ERROR, &e, sizeof(e)) == 0 ? 0 : CTD_EXIT_PEER;
}

/* A netfilter netlink message header at buf: type (subsystem << 8 |
 * message), flags, seq, family; the caller adds the attributes. */
static struct nlmsghdr *put_nf_header(char *buf, uint16_t type, uint16_t flags, uint32_t seq, uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfh;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
	nfh->nfgen_family = family;
	nfh->version = NFNETLINK_V0;
	nfh->res_id = 0;
	return nlh;
}

/* Send the n items of a data frame (if any) and count them into *total;
 * -1 and *peer_gone when the caller went away. */
static int send_items(int fd, uint16_t type, const void *items, uint32_t size, uint32_t *n, uint32_t *total,
		      int *peer_gone)
{
	if (*n == 0)
		return 0;
	if (proto_send(fd, type, items, *n * size) != 0) {
		*peer_gone = 1;
		return -1;
	}
	*total += *n;
	*n = 0;
	return 0;
}

/* Receive the chunks of a dump into buf (size bytes) until parse (one
 * chunk: 1 more, 0 done, -errno) says it ended: 0 or -errno. */
static int recv_dump(char *buf, size_t size, int (*parse)(const void *chunk, size_t len, void *arg),
		     void *arg)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, size);
		int r;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((r = parse(buf, (size_t)n, arg)) <= 0)
			return r;
	}
}

/* ---- dump ---- */

struct dump_state {
	int fd;
	const struct ctd_dump_req *req;
	struct ctd_record recs[CTD_RECORDS_PER_FRAME];
	uint32_t n, total, seq;
	int peer_gone;
};

/* The kernel filters mark, family and (on recent kernels) status; zone
 * only here.  Every filter is re-checked here, so an older kernel that
 * ignores a filter attribute still gives the right answer. */
static int wanted(const struct ctd_record *r, const struct ctd_dump_req *q)
{
	if ((q->flags & CTD_DUMP_F_MARK) && (r->mark & q->mark_mask) != q->mark)
		return 0;
	if ((q->flags & CTD_DUMP_F_FAMILY) && r->l3proto != q->family)
		return 0;
	if ((q->flags & CTD_DUMP_F_ZONE) && r->zone != q->zone)
		return 0;
	if ((q->flags & CTD_DUMP_F_STATUS) && (r->status & q->status_mask) != q->status)
		return 0;
	return 1;
}

static int flush_records(struct dump_state *st)
{
	return send_items(st->fd, CTD_RSP_RECORDS, st->recs, sizeof(st->recs[0]), &st->n, &st->total,
			  &st->peer_gone);
}

static int dump_cb(const struct ctd_record *r, void *data)
{
	struct dump_state *st = data;

	if (!wanted(r, st->req))
		return 0;
	st->recs[st->n] = *r;
	if (++st->n == CTD_RECORDS_PER_FRAME && flush_records(st) != 0)
		return -1;
	return 0;
}

static int dump_chunk(const void *chunk, size_t len, void *arg)
{
	struct dump_state *st = arg;

	return helper_nl_parse_dump(chunk, len, st->seq, nl_portid, dump_cb, st);
}

int helper_op_dump(int fd, const struct helper_request *rq)
{
	static struct dump_state st;
	static char buf[HELPER_NL_RCVBUF] __attribute__((aligned(8)));
	const struct ctd_dump_req *q = &rq->dump;
	struct nfct_filter_dump *filter = NULL;
	struct nlmsghdr *nlh;
	struct ctd_end end;
	uint32_t seq = nl_seq++;
	int err = 0, r;

	memset(&st, 0, sizeof(st));
	st.fd = fd;
	st.req = q;
	filter = nfct_filter_dump_create();
	if (!filter)
		return CTD_EXIT_INTERNAL;

	nlh = put_nf_header(buf, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_DUMP,
			    seq, (q->flags & CTD_DUMP_F_FAMILY) ? q->family : AF_UNSPEC);
	if (q->flags & CTD_DUMP_F_MARK) {
		struct nfct_filter_dump_mark m = {.val = q->mark, .mask = q->mark_mask};
		nfct_filter_dump_set_attr(filter, NFCT_FILTER_DUMP_MARK, &m);
	}
	if (q->flags & CTD_DUMP_F_FAMILY)
		nfct_filter_dump_set_attr_u8(filter, NFCT_FILTER_DUMP_L3NUM, q->family);
	if (q->flags & CTD_DUMP_F_STATUS) {
		struct nfct_filter_dump_mark s = {.val = q->status, .mask = q->status_mask};
		nfct_filter_dump_set_attr(filter, NFCT_FILTER_DUMP_STATUS, &s);
	}
	if ((q->flags & (CTD_DUMP_F_MARK | CTD_DUMP_F_FAMILY | CTD_DUMP_F_STATUS)) &&
	    nfct_nlmsg_build_filter(nlh, filter) < 0)
		return CTD_EXIT_INTERNAL;
	nfct_filter_dump_destroy(filter);

	if ((r = nl_send(nlh, nlh->nlmsg_len)) != 0)
		return send_error(fd, CTD_ERR_KERNEL, -r, "conntrack dump");
	st.seq = seq;
	if ((r = recv_dump(buf, sizeof(buf), dump_chunk, &st)) != 0) {
		if (st.peer_gone)
			return CTD_EXIT_PEER;
		err = -r;
	}
	if (err)
		return send_error(fd, CTD_ERR_KERNEL, err, "conntrack dump");
	if (flush_records(&st) != 0)
		return CTD_EXIT_PEER;
	end.count = st.total;
	end.err = 0;
	return proto_send(fd, CTD_RSP_END, &end, sizeof(end)) == 0 ? 0 : CTD_EXIT_PEER;
}

/* ---- count ---- */

static int read_sysctl(int i, uint32_t *out)
{
	char b[32];
	ssize_t n;
	char *end;
	unsigned long v;

	*out = 0;
	if (sysctl_fd[i] < 0)
		return -ENOENT;
	n = pread(sysctl_fd[i], b, sizeof(b) - 1, 0);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	b[n] = 0;
	errno = 0;
	v = strtoul(b, &end, 10);
	if (errno || end == b || v > UINT32_MAX)
		return -EIO;
	*out = (uint32_t)v;
	return 0;
}

/* The table's size and switches: 0 or -errno (the count is required). */
static int read_count(struct ctd_count *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = read_sysctl(0, &c->count)) != 0)
		return r;
	read_sysctl(1, &c->max);
	read_sysctl(2, &c->accounting);
	read_sysctl(3, &c->timestamp);
	c->accounting = c->accounting != 0;
	c->timestamp = c->timestamp != 0;
	return 0;
}

int helper_op_count(int fd, const struct helper_request *rq)
{
	struct ctd_count c;
	int r;

	(void)rq;
	if ((r = read_count(&c)) != 0)
		return send_error(fd, CTD_ERR_KERNEL, -r, "reading nf_conntrack_count");
	return proto_send(fd, CTD_RSP_COUNT, &c, sizeof(c)) == 0 ? 0 : CTD_EXIT_PEER;
}

/* ---- stats ---- */

/* One per-CPU statistics dump (msg of subsystem subsys) summed into *st:
 * 0 or -errno. */
struct stats_chunk_arg {
	uint32_t seq;
	struct ctd_stats *st;
};

static int stats_chunk(const void *chunk, size_t len, void *arg)
{
	struct stats_chunk_arg *a = arg;

	return helper_nl_parse_stats(chunk, len, a->seq, nl_portid, a->st);
}

static int stats_dump(uint8_t subsys, uint8_t msg, struct ctd_stats *st)
{
	static char buf[HELPER_NL_RCVBUF] __attribute__((aligned(8)));
	uint32_t seq = nl_seq++;
	struct nlmsghdr *nlh =
	    put_nf_header(buf, (uint16_t)(subsys << 8 | msg), NLM_F_REQUEST | NLM_F_DUMP, seq, AF_UNSPEC);
	int r;

	struct stats_chunk_arg a = {seq, st};

	if ((r = nl_send(nlh, nlh->nlmsg_len)) != 0)
		return r;
	return recv_dump(buf, sizeof(buf), stats_chunk, &a);
}

/*
 * The `stats` method's figures, here rather than read from /proc by the
 * CGI: the helper is what sees the network namespace whose table ctd
 * shows (in socket mode the web server may live in another one), and the
 * counters come the way `conntrack -S` gets them (ctnetlink per-CPU
 * statistics, CAP_NET_ADMIN), structured, with no text to parse.  Never a
 * dump of the table: a few hundred bytes per CPU.
 */
int helper_op_stats(int fd, const struct helper_request *rq)
{
	struct ctd_stats st;
	int r;

	(void)rq;
	memset(&st, 0, sizeof(st));
	if ((r = read_count(&st.table)) != 0)
		return send_error(fd, CTD_ERR_KERNEL, -r, "reading nf_conntrack_count");
	read_sysctl(4, &st.events);
	if ((r = stats_dump(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS_CPU, &st)) != 0)
		return send_error(fd, CTD_ERR_KERNEL, -r, "conntrack statistics");
	if ((r = stats_dump(NFNL_SUBSYS_CTNETLINK_EXP, IPCTNL_MSG_EXP_GET_STATS_CPU, &st)) != 0)
		return send_error(fd, CTD_ERR_KERNEL, -r, "expectation statistics");
	return proto_send(fd, CTD_RSP_STATS, &st, sizeof(st)) == 0 ? 0 : CTD_EXIT_PEER;
}

/* ---- destroy / update ---- */

/* Put one ctnetlink request for target t at buf: the original tuple (via
 * the library) with its own zone when the entry has one (CTA_TUPLE_ZONE
 * inside CTA_TUPLE_ORIG), plus CTA_ZONE; the caller appends the rest.
 * The kernel finds an entry by the zone of the direction it looks up:
 * without the original direction's zone, an --orig-zone entry is not
 * found (or, worse for an update, its zone-0 twin is).  A reply-only zone
 * plays no part in a look-up by the original tuple. */
static struct nlmsghdr *put_target_msg(char *buf, struct nf_conntrack *ct, const struct nf_conntrack *blank,
				       uint16_t msg, uint16_t flags, uint32_t seq, const struct ctd_target *t)
{
	struct nlmsghdr *nlh = put_nf_header(buf, (uint16_t)(NFNL_SUBSYS_CTNETLINK << 8 | msg),
					     NLM_F_REQUEST | flags, seq, t->l3proto);

	nfct_copy(ct, blank, NFCT_CP_OVERRIDE);
	nfct_set_attr_u8(ct, ATTR_ORIG_L3PROTO, t->l3proto);
	nfct_set_attr_u8(ct, ATTR_ORIG_L4PROTO, t->l4proto);
	if (t->l3proto == AF_INET) {
		uint32_t s, d;
		memcpy(&s, t->orig.src, 4);
		memcpy(&d, t->orig.dst, 4);
		nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_SRC, s);
		nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_DST, d);
	} else {
		nfct_set_attr(ct, ATTR_ORIG_IPV6_SRC, t->orig.src);
		nfct_set_attr(ct, ATTR_ORIG_IPV6_DST, t->orig.dst);
	}
	if (proto_is_icmp(t->l3proto, t->l4proto)) {
		nfct_set_attr_u8(ct, ATTR_ICMP_TYPE, t->icmp_type);
		nfct_set_attr_u8(ct, ATTR_ICMP_CODE, t->icmp_code);
		nfct_set_attr_u16(ct, ATTR_ICMP_ID, htons(t->icmp_id));
	} else {
		/* port protocols, and GRE whose keys the kernel carries as ports */
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(t->orig.sport));
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(t->orig.dport));
	}
	if (t->zflags & CTD_TGT_ORIG_ZONE)
		nfct_set_attr_u16(ct, ATTR_ORIG_ZONE, t->orig_zone);
	if (nfct_nlmsg_build(nlh, ct) < 0)
		return NULL;
	mnl_attr_put_u16(nlh, CTA_ZONE, htons(t->zone));
	return nlh;
}

/* Send k messages (len bytes at buf, seqs base..base+k-1) and collect one
 * reply per message into rep[].  Each reply is its own datagram, so they
 * are received many at a time (recvmmsg).  0 or -errno for the socket as
 * a whole. */
static char rbuf[HELPER_NL_RECV_VEC][HELPER_NL_REPLY_MAX] __attribute__((aligned(8)));
static struct mmsghdr mm[HELPER_NL_RECV_VEC];
static struct iovec iov[HELPER_NL_RECV_VEC];
static struct sockaddr_nl from[HELPER_NL_RECV_VEC];

/* Up to vlen datagrams of the netlink socket into rbuf[] (recvmmsg with
 * flags): how many, or -1 with errno. */
static int recv_many(unsigned vlen, int flags)
{
	unsigned j;

	memset(mm, 0, sizeof(mm));
	for (j = 0; j < HELPER_NL_RECV_VEC; j++) {
		iov[j].iov_base = rbuf[j];
		iov[j].iov_len = sizeof(rbuf[j]);
		mm[j].msg_hdr.msg_iov = &iov[j];
		mm[j].msg_hdr.msg_iovlen = 1;
		mm[j].msg_hdr.msg_name = &from[j];
		mm[j].msg_hdr.msg_namelen = sizeof(from[j]);
	}
	return recvmmsg(mnl_socket_get_fd(nl), mm, vlen < HELPER_NL_RECV_VEC ? vlen : HELPER_NL_RECV_VEC,
			flags, NULL);
}

/* Whether datagram j came whole from the kernel (port 0). */
static int from_kernel(int j)
{
	return mm[j].msg_hdr.msg_namelen == sizeof(struct sockaddr_nl) && from[j].nl_pid == 0 &&
	       !(mm[j].msg_hdr.msg_flags & MSG_TRUNC);
}

static int exchange(const char *buf, size_t len, uint32_t base, uint32_t k, struct helper_nl_reply *rep)
{
	uint32_t pending = k, i;
	int r;

	for (i = 0; i < k; i++)
		rep[i].err = -1;
	if ((r = nl_send(buf, len)) != 0)
		return r;
	while (pending > 0) {
		int n, j;

		n = recv_many(pending, MSG_WAITFORONE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno; /* ENOBUFS: replies lost, cannot tell which */
		}
		for (j = 0; j < n; j++) {
			/* only the kernel (port 0) answers; a truncated reply is lost */
			if (mm[j].msg_hdr.msg_namelen != sizeof(struct sockaddr_nl) || from[j].nl_pid != 0)
				continue;
			if (mm[j].msg_hdr.msg_flags & MSG_TRUNC)
				return -EMSGSIZE;
			if ((r = helper_nl_take_replies(rbuf[j], mm[j].msg_len, base, k, rep)) < 0)
				return r;
			pending -= (uint32_t)r;
		}
	}
	return 0;
}

static void set_result(struct ctd_result *res, uint32_t id, int err)
{
	res->id = id;
	res->pad = 0;
	res->err = 0;
	if (err == 0) {
		res->status = CTD_RES_DONE;
	} else if (err == ENOENT) {
		res->status = CTD_RES_NOT_FOUND;
	} else {
		res->status = CTD_RES_ERROR;
		res->err = err;
	}
}

int helper_op_targets(int fd, const struct helper_request *rq)
{
	static char buf[HELPER_NL_BATCH * HELPER_NL_MSG_MAX];
	static struct ctd_result results[CTD_MAX_TARGETS];
	static struct helper_nl_reply rep[HELPER_NL_BATCH];
	struct ctd_target tg[HELPER_NL_BATCH];
	struct nf_conntrack *ct = nfct_new(), *blank = nfct_new();
	uint32_t done = 0, k, i;
	struct ctd_end end;
	int r;

	if (!ct || !blank)
		return CTD_EXIT_INTERNAL;
	while (done < rq->ntargets) {
		char *p = buf;
		uint32_t base = nl_seq;

		k = rq->ntargets - done;
		if (k > HELPER_NL_BATCH)
			k = HELPER_NL_BATCH;
		nl_seq += k;
		memcpy(tg, rq->targets + done, k * sizeof(tg[0]));

		for (i = 0; i < k; i++) {
			struct nlmsghdr *nlh;
			if (rq->type == CTD_REQ_DESTROY) {
				nlh = put_target_msg(p, ct, blank, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, base + i,
						     &tg[i]);
				/* the kernel deletes only if the id still matches:
				 * a newer connection on the same tuple survives */
				if (nlh)
					mnl_attr_put_u32(nlh, CTA_ID, htonl(tg[i].id));
			} else {
				/* updates ignore CTA_ID: read the entry first */
				nlh = put_target_msg(p, ct, blank, IPCTNL_MSG_CT_GET, 0, base + i, &tg[i]);
			}
			if (!nlh)
				return CTD_EXIT_INTERNAL;
			p += nlh->nlmsg_len;
		}
		if ((r = exchange(buf, (size_t)(p - buf), base, k, rep)) != 0)
			return send_error(fd, CTD_ERR_KERNEL, -r, "conntrack request");

		if (rq->type != CTD_REQ_DESTROY) {
			uint32_t m = 0, idx[HELPER_NL_BATCH];
			uint32_t base2 = nl_seq;
			p = buf;
			for (i = 0; i < k; i++) {
				struct nlmsghdr *nlh;
				if (rep[i].err != 0 || rep[i].id != tg[i].id) {
					set_result(&results[done + i], tg[i].id,
						   rep[i].err ? rep[i].err : ENOENT);
					continue;
				}
				/* update only: no NLM_F_CREATE, so a vanished entry is ENOENT */
				nlh = put_target_msg(p, ct, blank, IPCTNL_MSG_CT_NEW, NLM_F_ACK, base2 + m,
						     &tg[i]);
				if (!nlh)
					return CTD_EXIT_INTERNAL;
				if (rq->type == CTD_REQ_UPDATE_MARK) {
					/* kernel: new = (old & ~mask) ^ value, atomically */
					mnl_attr_put_u32(nlh, CTA_MARK, htonl(tg[i].value & tg[i].mask));
					mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(tg[i].mask));
				} else {
					mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(tg[i].value));
					/* keep every bit as read, add IPS_FIXED_TIMEOUT */
					mnl_attr_put_u32(nlh, CTA_STATUS,
							 htonl(rep[i].status | IPS_FIXED_TIMEOUT));
				}
				p += nlh->nlmsg_len;
				idx[m++] = i;
			}
			nl_seq += m;
			if (m > 0) {
				static struct helper_nl_reply rep2[HELPER_NL_BATCH];
				if ((r = exchange(buf, (size_t)(p - buf), base2, m, rep2)) != 0)
					return send_error(fd, CTD_ERR_KERNEL, -r, "conntrack update");
				for (i = 0; i < m; i++)
					set_result(&results[done + idx[i]], tg[idx[i]].id, rep2[i].err);
			}
		} else {
			for (i = 0; i < k; i++)
				set_result(&results[done + i], tg[i].id, rep[i].err);
		}
		done += k;
	}
	nfct_destroy(ct);
	nfct_destroy(blank);
	if (proto_send(fd, CTD_RSP_RESULTS, results, rq->ntargets * (uint32_t)sizeof(results[0])) != 0)
		return CTD_EXIT_PEER;
	end.count = rq->ntargets;
	end.err = 0;
	return proto_send(fd, CTD_RSP_END, &end, sizeof(end)) == 0 ? 0 : CTD_EXIT_PEER;
}

/* ---- events ---- */

/* The kernel's count of events it dropped for our socket (SK_MEMINFO_DROPS
 * of SO_MEMINFO, Linux >= 4.12: netlink_overrun counts each one, after the
 * socket's filter, so only events the filter let through): 0 or -errno. */
static int read_drops(int sock, uint32_t *drops)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);

	memset(mi, 0, sizeof(mi));
	if (getsockopt(sock, SOL_SOCKET, SO_MEMINFO, mi, &len) != 0)
		return -errno;
	if (len <= SK_MEMINFO_DROPS * sizeof(mi[0]))
		return -EOPNOTSUPP;
	*drops = mi[SK_MEMINFO_DROPS];
	return 0;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int net_has(const struct ctd_net *n, uint8_t family, const uint8_t *addr)
{
	unsigned bits = n->prefix, i;

	if (n->family != family)
		return 0;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (addr[i] != n->addr[i])
			return 0;
	return bits == 0 || ((addr[i] ^ n->addr[i]) & (uint8_t)(0xffu << (8 - bits))) == 0;
}

struct events_state {
	int fd;
	const struct ctd_events_req *req;
	struct ctd_event evs[CTD_RECORDS_PER_FRAME];
	uint32_t n, total;
	int peer_gone;
};

/* The request's filters, re-checked here whatever the kernel's BPF did;
 * the CGI applies every other filter and all the hidden networks. */
static int event_wanted(const struct ctd_record *r, const struct ctd_events_req *q)
{
	struct ctd_net n = {0};
	uint32_t i;

	if ((q->flags & CTD_EVF_L4PROTO) && r->l4proto != q->l4proto)
		return 0;
	if (q->flags & CTD_EVF_SRC4) {
		n.family = AF_INET;
		n.prefix = q->src_prefix;
		memcpy(n.addr, q->src, 4);
		if (!net_has(&n, r->l3proto, r->orig.src))
			return 0;
	}
	if (q->flags & CTD_EVF_DST4) {
		n.family = AF_INET;
		n.prefix = q->dst_prefix;
		memcpy(n.addr, q->dst, 4);
		if (!net_has(&n, r->l3proto, r->orig.dst))
			return 0;
	}
	for (i = 0; i < q->nexclude; i++)
		if (net_has(&q->exclude[i], r->l3proto, r->orig.src) ||
		    net_has(&q->exclude[i], r->l3proto, r->orig.dst))
			return 0;
	return 1;
}

static int flush_events(struct events_state *st)
{
	return send_items(st->fd, CTD_RSP_EVENTS, st->evs, sizeof(st->evs[0]), &st->n, &st->total,
			  &st->peer_gone);
}

static int event_cb(const struct ctd_record *r, uint32_t type, void *data)
{
	struct events_state *st = data;
	struct ctd_event *e;

	if (!((type == CTD_EVENT_NEW && (st->req->types & CTD_EV_NEW)) ||
	      (type == CTD_EVENT_UPDATE && (st->req->types & CTD_EV_UPDATE)) ||
	      (type == CTD_EVENT_DESTROY && (st->req->types & CTD_EV_DESTROY))) ||
	    !event_wanted(r, st->req))
		return 0;
	e = &st->evs[st->n];
	memset(e, 0, sizeof(*e));
	e->rec = *r;
	e->time_ns = realtime_ns();
	e->type = type;
	if (++st->n == CTD_RECORDS_PER_FRAME && flush_events(st) != 0)
		return -1;
	return 0;
}

/* Kernel-side filtering where libnetfilter_conntrack's BPF socket filter
 * can express the request: the protocol and IPv4 networks the caller
 * asked for, and the hidden networks as negative terms (original source
 * and destination both outside them) where the same attribute carries no
 * positive term.  Fewer wake-ups, less queued memory in a flood, and a
 * hidden connection's events never count as dropped.  Best effort: every
 * term is applied again in event_wanted, and by the CGI. */
static void attach_event_filter(int sock, const struct ctd_events_req *q)
{
	struct nfct_filter *f;
	uint32_t a, i;
	int neg_src4 = !(q->flags & CTD_EVF_SRC4), neg_dst4 = !(q->flags & CTD_EVF_DST4);
	int any = (q->flags & CTD_EVF_ALL) != 0;

	if (!(f = nfct_filter_create()))
		return;
	if (q->flags & CTD_EVF_L4PROTO)
		nfct_filter_add_attr_u32(f, NFCT_FILTER_L4PROTO, q->l4proto);
	if (q->flags & CTD_EVF_SRC4) {
		memcpy(&a, q->src, 4);
		struct nfct_filter_ipv4 v = {ntohl(a), q->src_prefix ? ~0u << (32 - q->src_prefix) : 0};
		nfct_filter_add_attr(f, NFCT_FILTER_SRC_IPV4, &v);
	}
	if (q->flags & CTD_EVF_DST4) {
		memcpy(&a, q->dst, 4);
		struct nfct_filter_ipv4 v = {ntohl(a), q->dst_prefix ? ~0u << (32 - q->dst_prefix) : 0};
		nfct_filter_add_attr(f, NFCT_FILTER_DST_IPV4, &v);
	}
	for (i = 0; i < q->nexclude; i++) {
		const struct ctd_net *n = &q->exclude[i];
		if (n->family == AF_INET) {
			memcpy(&a, n->addr, 4);
			struct nfct_filter_ipv4 v = {ntohl(a), n->prefix ? ~0u << (32 - n->prefix) : 0};
			if (neg_src4) {
				nfct_filter_add_attr(f, NFCT_FILTER_SRC_IPV4, &v);
				nfct_filter_set_logic(f, NFCT_FILTER_SRC_IPV4, NFCT_FILTER_LOGIC_NEGATIVE);
				any = 1;
			}
			if (neg_dst4) {
				nfct_filter_add_attr(f, NFCT_FILTER_DST_IPV4, &v);
				nfct_filter_set_logic(f, NFCT_FILTER_DST_IPV4, NFCT_FILTER_LOGIC_NEGATIVE);
				any = 1;
			}
		} else if (n->family == AF_INET6) {
			struct nfct_filter_ipv6 v;
			unsigned w, bits = n->prefix;
			memset(&v, 0, sizeof(v));
			for (w = 0; w<4; w++, bits = bits> 32 ? bits - 32 : 0) {
				memcpy(&a, n->addr + 4 * w, 4);
				v.addr[w] = ntohl(a);
				v.mask[w] = bits >= 32 ? ~0u : bits ? ~0u << (32 - bits) : 0;
			}
			nfct_filter_add_attr(f, NFCT_FILTER_SRC_IPV6, &v);
			nfct_filter_set_logic(f, NFCT_FILTER_SRC_IPV6, NFCT_FILTER_LOGIC_NEGATIVE);
			nfct_filter_add_attr(f, NFCT_FILTER_DST_IPV6, &v);
			nfct_filter_set_logic(f, NFCT_FILTER_DST_IPV6, NFCT_FILTER_LOGIC_NEGATIVE);
			any = 1;
		}
	}
	if (any)
		nfct_filter_attach(sock, f);
	nfct_filter_destroy(f);
}

static const struct {
	uint32_t type;
	int group;
} ev_groups[] = {
    {CTD_EV_NEW, NFNLGRP_CONNTRACK_NEW},
    {CTD_EV_UPDATE, NFNLGRP_CONNTRACK_UPDATE},
    {CTD_EV_DESTROY, NFNLGRP_CONNTRACK_DESTROY},
};
#define N_EV_GROUPS (sizeof(ev_groups) / sizeof(ev_groups[0]))

/* Join the event groups asked for, with CAP_NET_ADMIN raised around it
 * (the kernel checks it for NETLINK_NETFILTER groups); the receive buffer
 * first, sized from max (helper_ev_rcvbuf).  0 or -errno. */
static int subscribe(int sock, uint32_t types, uint32_t max)
{
	int rcv = (int)helper_ev_rcvbuf(max), err = 0;
	size_t i;

	if (helper_cap_raise() != 0)
		return -errno;
	/* a burst of max events must queue whole while we read:
	 * SO_RCVBUFFORCE goes past rmem_max (CAP_NET_ADMIN); without it the
	 * kernel drops, and says so (lost) */
	setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	for (i = 0; i < N_EV_GROUPS && !err; i++)
		if ((types & ev_groups[i].type) && setsockopt(sock, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
							      &ev_groups[i].group, sizeof(int)) != 0)
			err = errno;
	helper_cap_lower();
	return -err;
}

/* Leave the groups (the kernel queues nothing more for us) and drop what
 * is queued: the socket holds no event memory from here on. */
static void unsubscribe(int sock, uint32_t types)
{
	size_t i;
	int n;

	if (helper_cap_raise() == 0) {
		for (i = 0; i < N_EV_GROUPS; i++)
			if (types & ev_groups[i].type)
				setsockopt(sock, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, &ev_groups[i].group,
					   sizeof(int));
		helper_cap_lower();
	}
	do
		n = recv_many(HELPER_NL_RECV_VEC, MSG_DONTWAIT);
	while (n > 0 || (n < 0 && (errno == EINTR || errno == ENOBUFS)));
}

/* Sent events, then a tick: everything queued before now_ns is accounted
 * for.  0, or -1 when the CGI has gone (it closes when its window ends). */
static int send_tick(struct events_state *st, uint64_t start_ns, uint64_t now_ns, uint32_t lost)
{
	struct ctd_events_tick tk;

	if (flush_events(st) != 0)
		return -1;
	memset(&tk, 0, sizeof(tk));
	tk.start_ns = start_ns;
	tk.now_ns = now_ns;
	tk.lost = lost;
	tk.sent = st->total;
	if (proto_send(st->fd, CTD_RSP_EVENTS_TICK, &tk, sizeof(tk)) != 0) {
		st->peer_gone = 1;
		return -1;
	}
	return 0;
}

/*
 * One subscription (README API, `events`): the events that pass the
 * request's filters, streamed as they come, with a tick each time the
 * kernel's queue is empty and at least every CTD_EVENTS_TICK_MS.  The CGI,
 * which has every filter, decides the window and closes the connection:
 * our next send fails (EPIPE) and we exit cleanly.  At the duration's end
 * we leave the groups and send EVENTS_END.  What the kernel could not
 * queue for us is counted by the kernel itself (SK_MEMINFO_DROPS), so
 * `lost` is a number of events and never silent.
 */
int helper_op_events(int fd, const struct helper_request *rq)
{
	static struct events_state st;
	const struct ctd_events_req *q = &rq->events;
	int sock = mnl_socket_get_fd(nl), r, j, err = 0, busy = 0;
	uint32_t drops0 = 0, drops = 0;
	struct ctd_events_end end;
	long long deadline, last_sent;

	memset(&st, 0, sizeof(st));
	st.fd = fd;
	st.req = q;
	memset(&end, 0, sizeof(end));
	attach_event_filter(sock, q);
	if ((r = subscribe(sock, q->types, q->max)) != 0)
		return send_error(fd, CTD_ERR_KERNEL, -r, "conntrack event subscription");
	end.start_ns = realtime_ns();
	deadline = proto_now_ms() + q->duration_ms;
	/* no count of what the kernel drops, no answer: `lost` is never a guess */
	if ((r = read_drops(sock, &drops0)) != 0) {
		unsubscribe(sock, q->types);
		return send_error(fd, CTD_ERR_KERNEL, -r, "reading the event socket's drop count");
	}
	drops = drops0;
	if (send_tick(&st, end.start_ns, end.start_ns, 0) != 0)
		goto gone;
	last_sent = proto_now_ms();

	for (;;) {
		long long now = proto_now_ms();
		int n;

		if (now >= deadline)
			break;
		if (!busy) {
			/* wait with SO_RCVTIMEO, not poll(): RLIMIT_NOFILE is 0
			 * here, and poll refuses any fd count above it */
			long long w =
			    deadline - now < CTD_EVENTS_TICK_MS ? deadline - now : CTD_EVENTS_TICK_MS;
			struct timeval tv = {0, (suseconds_t)w * 1000};
			if (setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
				err = errno;
				break;
			}
		}
		/* after a read, take what is queued without waiting: its end
		 * is the moment the queue was empty, which the tick says */
		n = recv_many(HELPER_NL_RECV_VEC, busy ? MSG_DONTWAIT : MSG_WAITFORONE);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
				/* queue empty (or the tick is due): all is accounted */
				uint64_t t = realtime_ns();
				if ((r = read_drops(sock, &drops)) != 0) {
					err = -r;
					break;
				}
				if (send_tick(&st, end.start_ns, t, drops - drops0) != 0)
					goto gone;
				last_sent = proto_now_ms();
				busy = 0;
				continue;
			}
			if (errno == ENOBUFS) {
				busy = 1; /* the kernel dropped events: SK_MEMINFO_DROPS counts them */
				continue;
			}
			err = errno;
			break;
		}
		busy = 1;
		for (j = 0; j < n; j++) {
			/* only the kernel (port 0) sends events; a truncated one is unusable */
			if (!from_kernel(j))
				continue;
			r = helper_nl_parse_events(rbuf[j], mm[j].msg_len, event_cb, &st);
			if (r == -ECANCELED)
				goto gone;
		}
		/* a flood that never lets the queue empty: what we have still
		 * goes out at the tick's pace */
		if (proto_now_ms() - last_sent >= CTD_EVENTS_TICK_MS) {
			if (flush_events(&st) != 0)
				goto gone;
			last_sent = proto_now_ms();
		}
	}
	/* collection is over: out of the groups before anything else is sent */
	unsubscribe(sock, q->types);
	end.end_ns = realtime_ns();
	if (!err && (r = read_drops(sock, &drops)) != 0)
		err = -r;
	end.lost = drops - drops0;
	if (flush_events(&st) != 0)
		goto gone;
	end.count = st.total;
	end.err = err;
	proto_send(fd, CTD_RSP_EVENTS_END, &end, sizeof(end)); /* a CGI gone by now had its window */
	return 0;
gone:
	/* the CGI closed: its window is over (or it went away); leaving is
	 * this request's normal end, the socket closes with us */
	unsubscribe(sock, q->types);
	return st.peer_gone ? 0 : CTD_EXIT_INTERNAL;
}

/* ---- expectations ---- */

/* Most expectations one dump returns (the kernel's nf_ct_expect_max is
 * far lower on any real system). */
#define HELPER_EXPECT_MAX 262144u

struct expect_list {
	struct ctd_expect *v;
	uint32_t n, cap, seq;
};

static int expect_cb(const struct ctd_expect *x, void *data)
{
	struct expect_list *l = data;

	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 256;
		struct ctd_expect *v;
		if (cap > HELPER_EXPECT_MAX || !(v = realloc(l->v, cap * sizeof(*v))))
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *x;
	return 0;
}

static int expect_chunk(const void *chunk, size_t len, void *arg)
{
	struct expect_list *l = arg;

	return helper_nl_parse_expects(chunk, len, l->seq, nl_portid, expect_cb, l);
}

/* The masters' ids: the kernel gives an expectation's master tuple, not
 * its CTA_ID (ctnetlink_exp_dump_expect), so each master is read by its
 * original tuple and zone, as `conntrack -G` would.  0 stays for a
 * master that is gone. */
static int master_ids(struct expect_list *l)
{
	static char buf[HELPER_NL_BATCH * HELPER_NL_MSG_MAX];
	static struct helper_nl_reply rep[HELPER_NL_BATCH];
	struct nf_conntrack *ct = nfct_new(), *blank = nfct_new();
	uint32_t done = 0, k, i;
	int r = 0;

	if (!ct || !blank)
		return -ENOMEM;
	while (done < l->n && r == 0) {
		char *p = buf;
		uint32_t base = nl_seq;

		k = l->n - done < HELPER_NL_BATCH ? l->n - done : HELPER_NL_BATCH;
		nl_seq += k;
		for (i = 0; i < k; i++) {
			const struct ctd_expect *x = &l->v[done + i];
			struct ctd_target t;
			struct nlmsghdr *nlh;

			memset(&t, 0, sizeof(t));
			t.zone = x->zone;
			t.l3proto = x->l3proto;
			t.l4proto = x->master_l4proto;
			t.orig = x->master;
			if (!(nlh = put_target_msg(p, ct, blank, IPCTNL_MSG_CT_GET, 0, base + i, &t))) {
				r = -EINVAL;
				break;
			}
			p += nlh->nlmsg_len;
		}
		if (r == 0 && (r = exchange(buf, (size_t)(p - buf), base, k, rep)) == 0)
			for (i = 0; i < k; i++)
				l->v[done + i].master_id = rep[i].err == 0 ? rep[i].id : 0;
		done += k;
	}
	nfct_destroy(ct);
	nfct_destroy(blank);
	return r;
}

int helper_op_expect_dump(int fd, const struct helper_request *rq)
{
	static char buf[HELPER_NL_RCVBUF] __attribute__((aligned(8)));
	struct expect_list l = {NULL, 0, 0, 0};
	struct nlmsghdr *nlh;
	struct ctd_end end;
	uint32_t seq = nl_seq++, i, k;
	int err = 0, r;

	(void)rq;
	nlh = put_nf_header(buf, (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_GET,
			    NLM_F_REQUEST | NLM_F_DUMP, seq, AF_UNSPEC);
	if ((r = nl_send(nlh, nlh->nlmsg_len)) != 0)
		return send_error(fd, CTD_ERR_KERNEL, -r, "expectation dump");
	l.seq = seq;
	if ((r = recv_dump(buf, sizeof(buf), expect_chunk, &l)) != 0)
		err = r == -ECANCELED ? ENOMEM : -r;
	if (!err && l.n && (r = master_ids(&l)) != 0)
		err = -r;
	if (err) {
		free(l.v);
		return send_error(fd, CTD_ERR_KERNEL, err, "expectation dump");
	}
	for (i = 0; i < l.n; i += k) {
		k = l.n - i < CTD_RECORDS_PER_FRAME ? l.n - i : CTD_RECORDS_PER_FRAME;
		if (proto_send(fd, CTD_RSP_EXPECTS, l.v + i, k * (uint32_t)sizeof(*l.v)) != 0) {
			free(l.v);
			return CTD_EXIT_PEER;
		}
	}
	end.count = l.n;
	end.err = 0;
	free(l.v);
	return proto_send(fd, CTD_RSP_END, &end, sizeof(end)) == 0 ? 0 : CTD_EXIT_PEER;
}

/* A tuple as ctnetlink nests it (type CTA_EXPECT_TUPLE, ...). */
static void put_tuple(struct nlmsghdr *nlh, uint16_t type, uint8_t l3, uint8_t l4, const struct ctd_tuple *t)
{
	struct nlattr *outer = mnl_attr_nest_start(nlh, type), *n;
	size_t alen = l3 == AF_INET ? 4 : 16;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, l3 == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, alen, t->src);
	mnl_attr_put(nlh, l3 == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST, alen, t->dst);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, l4);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->dport));
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, outer);
}

/* Destroy expectations by expected tuple + zone + CTA_EXPECT_ID: the
 * kernel (ctnetlink_del_expect) deletes only if the id still matches. */
int helper_op_expect_destroy(int fd, const struct helper_request *rq)
{
	static char buf[HELPER_NL_BATCH * HELPER_NL_MSG_MAX];
	static struct ctd_result results[CTD_MAX_TARGETS];
	static struct helper_nl_reply rep[HELPER_NL_BATCH];
	uint32_t done = 0, k, i;
	struct ctd_end end;
	int r;

	while (done < rq->ntargets) {
		char *p = buf;
		uint32_t base = nl_seq;

		k = rq->ntargets - done < HELPER_NL_BATCH ? rq->ntargets - done : HELPER_NL_BATCH;
		nl_seq += k;
		for (i = 0; i < k; i++) {
			struct ctd_target t;
			struct nlmsghdr *nlh;

			memcpy(&t, rq->targets + done + i, sizeof(t));
			nlh = put_nf_header(p, (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_DELETE,
					    NLM_F_REQUEST | NLM_F_ACK, base + i, t.l3proto);
			put_tuple(nlh, CTA_EXPECT_TUPLE, t.l3proto, t.l4proto, &t.orig);
			mnl_attr_put_u16(nlh, CTA_EXPECT_ZONE, htons(t.zone));
			mnl_attr_put_u32(nlh, CTA_EXPECT_ID, htonl(t.id));
			p += nlh->nlmsg_len;
		}
		if ((r = exchange(buf, (size_t)(p - buf), base, k, rep)) != 0)
			return send_error(fd, CTD_ERR_KERNEL, -r, "expectation destroy");
		for (i = 0; i < k; i++)
			set_result(&results[done + i], rq->targets[done + i].id, rep[i].err);
		done += k;
	}
	if (proto_send(fd, CTD_RSP_RESULTS, results, rq->ntargets * (uint32_t)sizeof(results[0])) != 0)
		return CTD_EXIT_PEER;
	end.count = rq->ntargets;
	end.err = 0;
	return proto_send(fd, CTD_RSP_END, &end, sizeof(end)) == 0 ? 0 : CTD_EXIT_PEER;
}
