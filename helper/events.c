// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * events.c - the EVENTS request (README, events): a subscription to the
 * conntrack event groups asked, for its duration, with the kernel-side
 * filter the request allows; every event that passes streams to the CGI
 * with a tick at least every CTD_EVENTS_TICK_MS, and the CGI ends the
 * window.  The receive buffer follows max; drops are the socket's own count.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/sock_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "helper.h"
#include "nlio.h"

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
	uint32_t i;

	if ((q->flags & CTD_EVF_L4PROTO) && r->l4proto != q->l4proto)
		return 0;
	if ((q->flags & CTD_EVF_SRC4) &&
	    !proto_prefix_has(AF_INET, q->src_prefix, q->src, r->l3proto, r->orig.src))
		return 0;
	if ((q->flags & CTD_EVF_DST4) &&
	    !proto_prefix_has(AF_INET, q->dst_prefix, q->dst, r->l3proto, r->orig.dst))
		return 0;
	for (i = 0; i < q->nexclude; i++) {
		const struct ctd_net *n = &q->exclude[i];
		if (proto_prefix_has(n->family, n->prefix, n->addr, r->l3proto, r->orig.src) ||
		    proto_prefix_has(n->family, n->prefix, n->addr, r->l3proto, r->orig.dst))
			return 0;
	}
	return 1;
}

static int flush_events(struct events_state *st)
{
	return helper_send_items(st->fd, CTD_RSP_EVENTS, st->evs, sizeof(st->evs[0]), &st->n, &st->total,
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

/* A host-order mask of the first bits of 32 (more: all). */
static uint32_t mask4(unsigned bits)
{
	return bits >= 32 ? ~0u : bits ? ~0u << (32 - bits) : 0;
}

static struct nfct_filter_ipv4 filter_ipv4(const uint8_t *addr, unsigned prefix)
{
	uint32_t a;

	memcpy(&a, addr, 4);
	return (struct nfct_filter_ipv4){ntohl(a), mask4(prefix)};
}

static struct nfct_filter_ipv6 filter_ipv6(const uint8_t *addr, unsigned prefix)
{
	struct nfct_filter_ipv6 v;
	uint32_t a;
	unsigned w;

	for (w = 0; w < 4; w++) {
		memcpy(&a, addr + 4 * w, 4);
		v.addr[w] = ntohl(a);
		v.mask[w] = mask4(prefix > 32 * w ? prefix - 32 * w : 0);
	}
	return v;
}

/* attr matches none of v (a negative term) */
static void add_negative(struct nfct_filter *f, enum nfct_filter_attr attr, const void *v)
{
	nfct_filter_add_attr(f, attr, v);
	nfct_filter_set_logic(f, attr, NFCT_FILTER_LOGIC_NEGATIVE);
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
	uint32_t i;
	int neg_src4 = !(q->flags & CTD_EVF_SRC4), neg_dst4 = !(q->flags & CTD_EVF_DST4);
	int any = (q->flags & CTD_EVF_ALL) != 0;

	if (!(f = nfct_filter_create()))
		return;
	if (q->flags & CTD_EVF_L4PROTO)
		nfct_filter_add_attr_u32(f, NFCT_FILTER_L4PROTO, q->l4proto);
	if (q->flags & CTD_EVF_SRC4) {
		struct nfct_filter_ipv4 v = filter_ipv4(q->src, q->src_prefix);
		nfct_filter_add_attr(f, NFCT_FILTER_SRC_IPV4, &v);
	}
	if (q->flags & CTD_EVF_DST4) {
		struct nfct_filter_ipv4 v = filter_ipv4(q->dst, q->dst_prefix);
		nfct_filter_add_attr(f, NFCT_FILTER_DST_IPV4, &v);
	}
	for (i = 0; i < q->nexclude; i++) {
		const struct ctd_net *n = &q->exclude[i];
		if (n->family == AF_INET) {
			struct nfct_filter_ipv4 v = filter_ipv4(n->addr, n->prefix);
			if (neg_src4)
				add_negative(f, NFCT_FILTER_SRC_IPV4, &v);
			if (neg_dst4)
				add_negative(f, NFCT_FILTER_DST_IPV4, &v);
			any |= neg_src4 || neg_dst4;
		} else if (n->family == AF_INET6) {
			struct nfct_filter_ipv6 v = filter_ipv6(n->addr, n->prefix);
			add_negative(f, NFCT_FILTER_SRC_IPV6, &v);
			add_negative(f, NFCT_FILTER_DST_IPV6, &v);
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
		n = helper_nl_recv_many(HELPER_NL_RECV_VEC, MSG_DONTWAIT);
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
	int sock = mnl_socket_get_fd(helper_nl), r, j, err = 0, busy = 0;
	uint32_t drops0 = 0, drops = 0;
	struct ctd_events_end end;
	long long deadline, last_sent;

	memset(&st, 0, sizeof(st));
	st.fd = fd;
	st.req = q;
	memset(&end, 0, sizeof(end));
	attach_event_filter(sock, q);
	if ((r = subscribe(sock, q->types, q->max)) != 0)
		return helper_send_error(fd, CTD_ERR_KERNEL, -r, "conntrack event subscription");
	end.start_ns = realtime_ns();
	deadline = proto_now_ms() + q->duration_ms;
	/* no count of what the kernel drops, no answer: `lost` is never a guess */
	if ((r = read_drops(sock, &drops0)) != 0) {
		unsubscribe(sock, q->types);
		return helper_send_error(fd, CTD_ERR_KERNEL, -r, "reading the event socket's drop count");
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
		n = helper_nl_recv_many(HELPER_NL_RECV_VEC, busy ? MSG_DONTWAIT : MSG_WAITFORONE);
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
			if (!helper_nl_from_kernel(j))
				continue;
			r = helper_nl_parse_events(helper_nl_rbuf[j], helper_nl_rlen(j), event_cb, &st);
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
