// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netlink.c - the netlink socket (nlio.h: one per process; CAP_NET_ADMIN
 * is effective only around its creation and each send) and the table's
 * operations: dump (streamed, never the whole table in memory), count
 * (sysctls, no dump), stats (sysctls and the per-CPU counters of
 * conntrack -S, no dump), destroy by tuple + zone + CTA_ID, update mark /
 * timeout by tuple + zone after checking the id.  Events are in events.c,
 * expectations in expect.c.  Never NFCT_Q_FLUSH_FILTER.
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
#include "nlio.h"

struct mnl_socket *helper_nl;
unsigned helper_nl_portid;
uint32_t helper_nl_seq = 1;

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
	helper_nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!helper_nl || mnl_socket_bind(helper_nl, 0, MNL_SOCKET_AUTOPID) != 0) {
		err = errno ? errno : EIO;
	} else {
		/* room for a whole batch of GET replies (each its own skb);
		 * best effort: without it the batch fails with ENOBUFS */
		int rcv = HELPER_NL_SOCKBUF;
		setsockopt(mnl_socket_get_fd(helper_nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	}
	helper_cap_lower();
	if (err)
		return -err;
	helper_nl_portid = mnl_socket_get_portid(helper_nl);
	/* short acks: errors without a copy of our request */
	mnl_socket_setsockopt(helper_nl, NETLINK_CAP_ACK, &one, sizeof(one));
	fcntl(mnl_socket_get_fd(helper_nl), F_SETFD, FD_CLOEXEC);
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

int helper_nl_send(const void *buf, size_t len)
{
	ssize_t r;
	int err = 0;

	if (helper_cap_raise() != 0)
		return -errno;
	r = mnl_socket_sendto(helper_nl, buf, len);
	if (r < 0)
		err = errno;
	else if ((size_t)r != len)
		err = EIO;
	helper_cap_lower();
	return -err;
}

int helper_send_error(int fd, int32_t code, int32_t err, const char *what)
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
struct nlmsghdr *helper_nl_header(char *buf, uint16_t type, uint16_t flags, uint32_t seq, uint8_t family)
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
int helper_send_items(int fd, uint16_t type, const void *items, uint32_t size, uint32_t *n, uint32_t *total,
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
int helper_nl_recv_dump(char *buf, size_t size, int (*parse)(const void *chunk, size_t len, void *arg),
			void *arg)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(helper_nl, buf, size);
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
	return helper_send_items(st->fd, CTD_RSP_RECORDS, st->recs, sizeof(st->recs[0]), &st->n, &st->total,
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

	return helper_nl_parse_dump(chunk, len, st->seq, helper_nl_portid, dump_cb, st);
}

int helper_op_dump(int fd, const struct helper_request *rq)
{
	static struct dump_state st;
	static char buf[HELPER_NL_RCVBUF] __attribute__((aligned(8)));
	const struct ctd_dump_req *q = &rq->dump;
	struct nfct_filter_dump *filter = NULL;
	struct nlmsghdr *nlh;
	struct ctd_end end;
	uint32_t seq = helper_nl_seq++;
	int err = 0, r;

	memset(&st, 0, sizeof(st));
	st.fd = fd;
	st.req = q;
	filter = nfct_filter_dump_create();
	if (!filter)
		return CTD_EXIT_INTERNAL;

	nlh = helper_nl_header(buf, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET,
			       NLM_F_REQUEST | NLM_F_DUMP, seq,
			       (q->flags & CTD_DUMP_F_FAMILY) ? q->family : AF_UNSPEC);
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

	if ((r = helper_nl_send(nlh, nlh->nlmsg_len)) != 0)
		return helper_send_error(fd, CTD_ERR_KERNEL, -r, "conntrack dump");
	st.seq = seq;
	if ((r = helper_nl_recv_dump(buf, sizeof(buf), dump_chunk, &st)) != 0) {
		if (st.peer_gone)
			return CTD_EXIT_PEER;
		err = -r;
	}
	if (err)
		return helper_send_error(fd, CTD_ERR_KERNEL, err, "conntrack dump");
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
		return helper_send_error(fd, CTD_ERR_KERNEL, -r, "reading nf_conntrack_count");
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

	return helper_nl_parse_stats(chunk, len, a->seq, helper_nl_portid, a->st);
}

static int stats_dump(uint8_t subsys, uint8_t msg, struct ctd_stats *st)
{
	static char buf[HELPER_NL_RCVBUF] __attribute__((aligned(8)));
	uint32_t seq = helper_nl_seq++;
	struct nlmsghdr *nlh =
	    helper_nl_header(buf, (uint16_t)(subsys << 8 | msg), NLM_F_REQUEST | NLM_F_DUMP, seq, AF_UNSPEC);
	int r;

	struct stats_chunk_arg a = {seq, st};

	if ((r = helper_nl_send(nlh, nlh->nlmsg_len)) != 0)
		return r;
	return helper_nl_recv_dump(buf, sizeof(buf), stats_chunk, &a);
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
		return helper_send_error(fd, CTD_ERR_KERNEL, -r, "reading nf_conntrack_count");
	read_sysctl(4, &st.events);
	if ((r = stats_dump(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS_CPU, &st)) != 0)
		return helper_send_error(fd, CTD_ERR_KERNEL, -r, "conntrack statistics");
	if ((r = stats_dump(NFNL_SUBSYS_CTNETLINK_EXP, IPCTNL_MSG_EXP_GET_STATS_CPU, &st)) != 0)
		return helper_send_error(fd, CTD_ERR_KERNEL, -r, "expectation statistics");
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
struct nlmsghdr *helper_nl_target_msg(char *buf, struct nf_conntrack *ct, const struct nf_conntrack *blank,
				      uint16_t msg, uint16_t flags, uint32_t seq, const struct ctd_target *t)
{
	struct nlmsghdr *nlh = helper_nl_header(buf, (uint16_t)(NFNL_SUBSYS_CTNETLINK << 8 | msg),
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
char helper_nl_rbuf[HELPER_NL_RECV_VEC][HELPER_NL_REPLY_MAX] __attribute__((aligned(8)));
static struct mmsghdr mm[HELPER_NL_RECV_VEC];
static struct iovec iov[HELPER_NL_RECV_VEC];
static struct sockaddr_nl from[HELPER_NL_RECV_VEC];

/* Up to vlen datagrams of the netlink socket into helper_nl_rbuf[] (recvmmsg with
 * flags): how many, or -1 with errno. */
int helper_nl_recv_many(unsigned vlen, int flags)
{
	unsigned j;

	memset(mm, 0, sizeof(mm));
	for (j = 0; j < HELPER_NL_RECV_VEC; j++) {
		iov[j].iov_base = helper_nl_rbuf[j];
		iov[j].iov_len = sizeof(helper_nl_rbuf[j]);
		mm[j].msg_hdr.msg_iov = &iov[j];
		mm[j].msg_hdr.msg_iovlen = 1;
		mm[j].msg_hdr.msg_name = &from[j];
		mm[j].msg_hdr.msg_namelen = sizeof(from[j]);
	}
	return recvmmsg(mnl_socket_get_fd(helper_nl), mm,
			vlen < HELPER_NL_RECV_VEC ? vlen : HELPER_NL_RECV_VEC, flags, NULL);
}

/* Whether datagram j came whole from the kernel (port 0). */
int helper_nl_from_kernel(int j)
{
	return mm[j].msg_hdr.msg_namelen == sizeof(struct sockaddr_nl) && from[j].nl_pid == 0 &&
	       !(mm[j].msg_hdr.msg_flags & MSG_TRUNC);
}

size_t helper_nl_rlen(int j)
{
	return mm[j].msg_len;
}

int helper_nl_exchange(const char *buf, size_t len, uint32_t base, uint32_t k, struct helper_nl_reply *rep)
{
	uint32_t pending = k, i;
	int r;

	for (i = 0; i < k; i++)
		rep[i].err = -1;
	if ((r = helper_nl_send(buf, len)) != 0)
		return r;
	while (pending > 0) {
		int n, j;

		n = helper_nl_recv_many(pending, MSG_WAITFORONE);
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
			if ((r = helper_nl_take_replies(helper_nl_rbuf[j], mm[j].msg_len, base, k, rep)) < 0)
				return r;
			pending -= (uint32_t)r;
		}
	}
	return 0;
}

int helper_nl_target_batch(struct nf_conntrack *ct, const struct nf_conntrack *blank, uint16_t msg,
			   uint16_t flags, int with_id, const struct ctd_target *tg, uint32_t k,
			   struct helper_nl_reply *rep)
{
	static char buf[HELPER_NL_BATCH * HELPER_NL_MSG_MAX];
	uint32_t base = helper_nl_seq, i;
	char *p = buf;

	helper_nl_seq += k;
	for (i = 0; i < k; i++) {
		struct nlmsghdr *nlh = helper_nl_target_msg(p, ct, blank, msg, flags, base + i, &tg[i]);
		if (!nlh)
			return 1;
		/* the kernel acts only if the id still matches: a newer
		 * connection on the same tuple is left alone */
		if (with_id)
			mnl_attr_put_u32(nlh, CTA_ID, htonl(tg[i].id));
		p += nlh->nlmsg_len;
	}
	return helper_nl_exchange(buf, (size_t)(p - buf), base, k, rep);
}

void helper_set_result(struct ctd_result *res, uint32_t id, int err)
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
		int destroy = rq->type == CTD_REQ_DESTROY;
		char *p = buf;

		k = rq->ntargets - done;
		if (k > HELPER_NL_BATCH)
			k = HELPER_NL_BATCH;
		memcpy(tg, rq->targets + done, k * sizeof(tg[0]));
		/* a destroy by tuple and id; updates ignore CTA_ID: read the entry first */
		r = helper_nl_target_batch(ct, blank, destroy ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_GET,
					   destroy ? NLM_F_ACK : 0, destroy, tg, k, rep);
		if (r > 0)
			return CTD_EXIT_INTERNAL;
		if (r < 0)
			return helper_send_error(fd, CTD_ERR_KERNEL, -r, "conntrack request");

		if (!destroy) {
			uint32_t m = 0, idx[HELPER_NL_BATCH];
			uint32_t base2 = helper_nl_seq;
			for (i = 0; i < k; i++) {
				struct nlmsghdr *nlh;
				if (rep[i].err != 0 || rep[i].id != tg[i].id) {
					helper_set_result(&results[done + i], tg[i].id,
							  rep[i].err ? rep[i].err : ENOENT);
					continue;
				}
				/* update only: no NLM_F_CREATE, so a vanished entry is ENOENT */
				nlh = helper_nl_target_msg(p, ct, blank, IPCTNL_MSG_CT_NEW, NLM_F_ACK,
							   base2 + m, &tg[i]);
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
			helper_nl_seq += m;
			if (m > 0) {
				static struct helper_nl_reply rep2[HELPER_NL_BATCH];
				if ((r = helper_nl_exchange(buf, (size_t)(p - buf), base2, m, rep2)) != 0)
					return helper_send_error(fd, CTD_ERR_KERNEL, -r, "conntrack update");
				for (i = 0; i < m; i++)
					helper_set_result(&results[done + idx[i]], tg[idx[i]].id,
							  rep2[i].err);
			}
		} else {
			for (i = 0; i < k; i++)
				helper_set_result(&results[done + i], tg[i].id, rep[i].err);
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
