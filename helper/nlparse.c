// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nlparse.c - the ctnetlink answers as data: a dump chunk into records,
 * a batch of replies into {errno, id, status}.  Pure functions over a
 * buffer and its length: no socket, no privilege, so
 * tests/fuzz/fuzz_nlmsg.c and tests/unit/test_helper_nlparse.c call them
 * directly.  Only the kernel sends these bytes, but a parser bug here runs
 * with CAP_NET_ADMIN, so every length is checked against the buffer's end
 * in size_t (libmnl's mnl_nlmsg_ok compares in int: a nlmsg_len of 2^31 or
 * more passes it and is read past the buffer).
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>

#include "helper.h"

/* One netlink message in [buf+*off, buf+len): 1 and *msg, advancing *off;
 * 0 at the end; -EBADMSG if the bytes left are not a whole message. */
static int msg_next(const char *buf, size_t len, size_t *off, const struct nlmsghdr **msg)
{
	size_t left = len - *off, step;
	struct nlmsghdr h;

	if (left == 0)
		return 0;
	if (left < sizeof(h))
		return -EBADMSG;
	memcpy(&h, buf + *off, sizeof(h));
	if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > left)
		return -EBADMSG;
	*msg = (const struct nlmsghdr *)(const void *)(buf + *off);
	step = NLMSG_ALIGN((size_t)h.nlmsg_len);
	*off += step < left ? step : left;
	return 1;
}

int helper_nl_errno(int32_t error)
{
	/* The kernel sends 0 or -errno (an errno is at most 4095).  Anything
	 * else is a broken message; negating INT_MIN would be undefined. */
	if (error == 0)
		return 0;
	if (error < 0 && error >= -4095)
		return -error;
	return EPROTO;
}

/*
 * Attribute parsing.  The records are filled straight from the kernel's
 * attributes instead of through libnetfilter_conntrack objects: it halves
 * the helper's user time, which is what makes the dump faster than
 * `conntrack -L`.  Every attribute is length-checked; one of the wrong
 * size counts as absent.
 */
#define HELPER_ATTR_MAX 32u

typedef const struct nlattr *attr_tab[HELPER_ATTR_MAX + 1];
_Static_assert(CTA_MAX <= HELPER_ATTR_MAX && CTA_PROTO_MAX <= HELPER_ATTR_MAX, "attribute table too small");
_Static_assert(CTA_STATS_MAX <= HELPER_ATTR_MAX && CTA_STATS_EXP_MAX <= HELPER_ATTR_MAX,
	       "attribute table too small");

/* tb[0..max] from the attributes in data; one of a larger type is skipped.
 * Each nest's table has the size of that nest's types only (NESTED below),
 * so clearing it costs a few words, not the top level's 33. */
static void attr_walk(const void *data, size_t len, const struct nlattr **tb, unsigned max)
{
	const char *p = data;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	while (len >= sizeof(struct nlattr)) {
		const struct nlattr *a = (const struct nlattr *)(const void *)p;
		size_t step;
		uint16_t type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < sizeof(*a) || a->nla_len > len)
			return;
		if (type <= max)
			tb[type] = a;
		step = NLA_ALIGN((size_t)a->nla_len);
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
}

/* The attributes after the nfgenmsg of a message whose length msg_next
 * checked; 0 if the message is too short to have one. */
static int msg_attrs(const struct nlmsghdr *nlh, attr_tab tb)
{
	size_t head = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct nfgenmsg)));

	if (nlh->nlmsg_len < head)
		return 0;
	attr_walk((const char *)nlh + head, nlh->nlmsg_len - head, tb, HELPER_ATTR_MAX);
	return 1;
}

static const void *attr_data(const struct nlattr *a, size_t want)
{
	if (!a || a->nla_len != NLA_HDRLEN + want)
		return NULL;
	return (const char *)a + NLA_HDRLEN;
}

static void attr_nested(const struct nlattr *a, const struct nlattr **tb, unsigned max)
{
	if (!a || a->nla_len < NLA_HDRLEN) {
		memset(tb, 0, (max + 1) * sizeof(*tb));
		return;
	}
	attr_walk((const char *)a + NLA_HDRLEN, a->nla_len - NLA_HDRLEN, tb, max);
}
/* tb: an array declared with its nest's largest type + 1 entries */
#define NESTED(a, tb) attr_nested((a), (tb), (unsigned)(sizeof(tb) / sizeof((tb)[0])) - 1u)

static int get_u8(const struct nlattr *a, uint8_t *v)
{
	const void *d = attr_data(a, 1);
	if (!d)
		return 0;
	memcpy(v, d, 1);
	return 1;
}

static int get_be16(const struct nlattr *a, uint16_t *v)
{
	const void *d = attr_data(a, 2);
	uint16_t x;
	if (!d)
		return 0;
	memcpy(&x, d, 2);
	*v = ntohs(x);
	return 1;
}

static int get_be32(const struct nlattr *a, uint32_t *v)
{
	const void *d = attr_data(a, 4);
	uint32_t x;
	if (!d)
		return 0;
	memcpy(&x, d, 4);
	*v = ntohl(x);
	return 1;
}

static int get_be64(const struct nlattr *a, uint64_t *v)
{
	const void *d = attr_data(a, 8);
	uint64_t x;
	if (!d)
		return 0;
	memcpy(&x, d, 8);
	*v = be64toh(x);
	return 1;
}

/* Copy an address attribute of n bytes to dst; 1 if it was there. */
static int get_addr(const struct nlattr *a, uint8_t *dst, size_t n)
{
	const void *d = attr_data(a, n);
	if (!d)
		return 0;
	memcpy(dst, d, n);
	return 1;
}

/* The ICMP fields of an original tuple's CTA_TUPLE_PROTO into r. */
static void icmp_from(struct ctd_record *r, const struct nlattr *const *pr)
{
	int icmp = get_u8(pr[CTA_PROTO_ICMP_TYPE], &r->icmp_type);

	get_u8(pr[CTA_PROTO_ICMP_CODE], &r->icmp_code);
	get_be16(pr[CTA_PROTO_ICMP_ID], &r->icmp_id);
	icmp |= get_u8(pr[CTA_PROTO_ICMPV6_TYPE], &r->icmp_type);
	get_u8(pr[CTA_PROTO_ICMPV6_CODE], &r->icmp_code);
	get_be16(pr[CTA_PROTO_ICMPV6_ID], &r->icmp_id);
	if (icmp)
		r->flags |= CTD_REC_HAS_ICMP;
}

/* CTA_TUPLE_ORIG / CTA_TUPLE_REPLY into t; protocol and ICMP fields of
 * the original direction into r, and the direction's own zone (conntrack
 * -I --orig-zone/--reply-zone: CTA_TUPLE_ZONE inside the tuple, never
 * CTA_ZONE) into *zone with `has` in r->flags.  Returns the L3 family
 * seen, or 0. */
static uint8_t tuple_from(struct ctd_record *r, struct ctd_tuple *t, const struct nlattr *nest, int orig,
			  uint16_t *zone, uint8_t has)
{
	const struct nlattr *tup[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1], *pr[CTA_PROTO_MAX + 1];
	uint8_t l3 = 0;

	NESTED(nest, tup);
	if (get_be16(tup[CTA_TUPLE_ZONE], zone))
		r->flags |= has;
	NESTED(tup[CTA_TUPLE_IP], ip);
	NESTED(tup[CTA_TUPLE_PROTO], pr);
	if (get_addr(ip[CTA_IP_V4_SRC], t->src, 4))
		l3 = AF_INET;
	get_addr(ip[CTA_IP_V4_DST], t->dst, 4);
	if (get_addr(ip[CTA_IP_V6_SRC], t->src, 16))
		l3 = AF_INET6;
	get_addr(ip[CTA_IP_V6_DST], t->dst, 16);
	get_be16(pr[CTA_PROTO_SRC_PORT], &t->sport);
	get_be16(pr[CTA_PROTO_DST_PORT], &t->dport);
	if (orig) {
		get_u8(pr[CTA_PROTO_NUM], &r->l4proto);
		icmp_from(r, pr);
	}
	return l3;
}

static void counters_from(const struct nlattr *nest, uint64_t *pk, uint64_t *by, int *seen)
{
	const struct nlattr *c[CTA_COUNTERS_MAX + 1];
	uint32_t v32;

	NESTED(nest, c);
	if (get_be64(c[CTA_COUNTERS_PACKETS], pk) ||
	    (get_be32(c[CTA_COUNTERS32_PACKETS], &v32) && (*pk = v32, 1)))
		*seen = 1;
	if (!get_be64(c[CTA_COUNTERS_BYTES], by) && get_be32(c[CTA_COUNTERS32_BYTES], &v32))
		*by = v32;
}

/* TCP or SCTP state, counters and start time: the parts of a record that
 * only some entries (or some sysctl settings) have. */
static void extras_from(struct ctd_record *r, attr_tab tb)
{
	const struct nlattr *info[CTA_PROTOINFO_MAX + 1], *ts[CTA_TIMESTAMP_MAX + 1];
	int counted = 0;

	if (r->l4proto == IPPROTO_TCP && tb[CTA_PROTOINFO]) {
		const struct nlattr *tcp[CTA_PROTOINFO_TCP_MAX + 1];

		NESTED(tb[CTA_PROTOINFO], info);
		NESTED(info[CTA_PROTOINFO_TCP], tcp);
		if (get_u8(tcp[CTA_PROTOINFO_TCP_STATE], &r->tcp_state))
			r->flags |= CTD_REC_HAS_TCP_STATE;
	} else if (r->l4proto == IPPROTO_SCTP && tb[CTA_PROTOINFO]) {
		const struct nlattr *sctp[CTA_PROTOINFO_SCTP_MAX + 1];

		NESTED(tb[CTA_PROTOINFO], info);
		NESTED(info[CTA_PROTOINFO_SCTP], sctp);
		if (get_u8(sctp[CTA_PROTOINFO_SCTP_STATE], &r->sctp_state))
			r->flags |= CTD_REC_HAS_SCTP_STATE;
	}
	counters_from(tb[CTA_COUNTERS_ORIG], &r->orig_packets, &r->orig_bytes, &counted);
	counters_from(tb[CTA_COUNTERS_REPLY], &r->repl_packets, &r->repl_bytes, &counted);
	if (counted)
		r->flags |= CTD_REC_HAS_COUNTERS;
	if (tb[CTA_TIMESTAMP]) {
		NESTED(tb[CTA_TIMESTAMP], ts);
		if (get_be64(ts[CTA_TIMESTAMP_START], &r->start_ns))
			r->flags |= CTD_REC_HAS_TIMESTAMP;
	}
}

/* One IPCTNL_MSG_CT_NEW message (length checked by msg_next) into r;
 * 0 if it is not a usable entry. */
static int record_from(struct ctd_record *r, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *nfg = NLMSG_DATA(nlh);
	attr_tab tb;

	memset(r, 0, sizeof(*r));
	if (!msg_attrs(nlh, tb) || !get_be32(tb[CTA_ID], &r->id) || !tb[CTA_TUPLE_ORIG])
		return 0;
	r->l3proto = tuple_from(r, &r->orig, tb[CTA_TUPLE_ORIG], 1, &r->orig_zone, CTD_REC_HAS_ORIG_ZONE);
	if (!r->l3proto)
		r->l3proto = nfg->nfgen_family;
	tuple_from(r, &r->repl, tb[CTA_TUPLE_REPLY], 0, &r->reply_zone, CTD_REC_HAS_REPLY_ZONE);
	get_be16(tb[CTA_ZONE], &r->zone);
	if (proto_has_ports(r->l4proto))
		r->flags |= CTD_REC_HAS_PORTS;
	get_be32(tb[CTA_STATUS], &r->status);
	get_be32(tb[CTA_TIMEOUT], &r->timeout);
	get_be32(tb[CTA_MARK], &r->mark);
	extras_from(r, tb);
	return 1;
}

/* A control message of a dump: 1 to go on, 0 at its end, -errno. */
static int dump_control(const struct nlmsghdr *nlh)
{
	struct nlmsgerr e;

	if (nlh->nlmsg_type == NLMSG_DONE)
		return 0;
	if (nlh->nlmsg_type != NLMSG_ERROR)
		return 1; /* NOOP, OVERRUN: nothing to do (as libmnl) */
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(e)))
		return -EBADMSG;
	memcpy(&e, NLMSG_DATA(nlh), sizeof(e));
	return e.error == 0 ? 0 : -helper_nl_errno(e.error);
}

/* One message of a dump, taken as libmnl's mnl_cb_run takes it: only our
 * sequence and port, and a dump the kernel interrupted (the table changed
 * under it) fails.  2: a data message; 1: a control message, go on; 0:
 * the dump ended; -errno. */
static int dump_msg(const struct nlmsghdr *nlh, uint32_t seq, uint32_t portid)
{
	if (nlh->nlmsg_pid && portid && nlh->nlmsg_pid != portid)
		return -ESRCH;
	if (nlh->nlmsg_seq && seq && nlh->nlmsg_seq != seq)
		return -EPROTO;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		return -EINTR;
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
		return dump_control(nlh);
	return 2;
}

int helper_nl_parse_dump(const void *buf, size_t len, uint32_t seq, uint32_t portid, helper_nl_record_fn fn,
			 void *data)
{
	const struct nlmsghdr *nlh;
	struct ctd_record rec;
	size_t off = 0;
	int r;

	while ((r = msg_next(buf, len, &off, &nlh)) == 1) {
		if ((r = dump_msg(nlh, seq, portid)) <= 0)
			return r;
		if (r == 1 || NFNL_MSG_TYPE(nlh->nlmsg_type) != IPCTNL_MSG_CT_NEW || !record_from(&rec, nlh))
			continue;
		if (fn(&rec, data) != 0)
			return -ECANCELED;
	}
	return r < 0 ? r : 1;
}

/* One reply message into rep (not yet answered); 1 if it was an answer. */
static int take_one(const struct nlmsghdr *nlh, struct helper_nl_reply *rep)
{
	struct nlmsgerr e;
	attr_tab tb;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(e)))
			return 0;
		memcpy(&e, NLMSG_DATA(nlh), sizeof(e));
		rep->err = helper_nl_errno(e.error);
		return 1;
	}
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != IPCTNL_MSG_CT_NEW || !msg_attrs(nlh, tb) ||
	    !get_be32(tb[CTA_ID], &rep->id))
		return 0;
	rep->status = 0;
	get_be32(tb[CTA_STATUS], &rep->status);
	rep->err = 0;
	return 1;
}

int helper_nl_take_replies(const void *buf, size_t len, uint32_t base, uint32_t k,
			   struct helper_nl_reply *rep)
{
	const struct nlmsghdr *nlh;
	size_t off = 0;
	int got = 0, r;

	while ((r = msg_next(buf, len, &off, &nlh)) == 1) {
		uint32_t idx = nlh->nlmsg_seq - base;
		if (idx >= k || rep[idx].err != -1)
			continue; /* not ours, or a second part */
		got += take_one(nlh, &rep[idx]);
	}
	return r < 0 ? r : got;
}

/* ---- statistics (conntrack -S) ---- */

/* A per-CPU counter: 32 bits big-endian on the wire (the kernel's
 * ip_conntrack_stat fields are unsigned int). */
static void stat_add(const struct nlattr *a, uint64_t *sum)
{
	uint32_t v;

	if (get_be32(a, &v))
		*sum += v;
}

static void stats_from(const struct nlmsghdr *nlh, struct ctd_stats *st)
{
	attr_tab tb;
	uint32_t create = 0, del = 0;

	if (!msg_attrs(nlh, tb) || (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK &&
				    NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK_EXP))
		return;
	/* the kernel answers an expectation statistics dump under the
	 * conntrack subsystem (ctnetlink_exp_stat_fill_info), so the message
	 * type alone tells the two apart: 3 is no conntrack statistics */
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) == IPCTNL_MSG_EXP_GET_STATS_CPU) {
		/* the netns' expect_count moves exactly with these two (the
		 * kernel's nf_ct_expect_insert / nf_ct_unlink_expect_report);
		 * u32 arithmetic keeps the difference right across wraps */
		get_be32(tb[CTA_STATS_EXP_CREATE], &create);
		get_be32(tb[CTA_STATS_EXP_DELETE], &del);
		st->expect_count += create - del;
		return;
	}
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != IPCTNL_MSG_CT_GET_STATS_CPU)
		return;
	st->cpus++;
	stat_add(tb[CTA_STATS_FOUND], &st->found);
	stat_add(tb[CTA_STATS_INVALID], &st->invalid);
	stat_add(tb[CTA_STATS_INSERT], &st->insert);
	stat_add(tb[CTA_STATS_INSERT_FAILED], &st->insert_failed);
	stat_add(tb[CTA_STATS_DROP], &st->drop);
	stat_add(tb[CTA_STATS_EARLY_DROP], &st->early_drop);
	stat_add(tb[CTA_STATS_ERROR], &st->error);
	stat_add(tb[CTA_STATS_SEARCH_RESTART], &st->search_restart);
	stat_add(tb[CTA_STATS_CLASH_RESOLVE], &st->clash_resolve);
	stat_add(tb[CTA_STATS_CHAIN_TOOLONG], &st->chaintoolong);
}

int helper_nl_parse_stats(const void *buf, size_t len, uint32_t seq, uint32_t portid, struct ctd_stats *st)
{
	const struct nlmsghdr *nlh;
	size_t off = 0;
	int r;

	while ((r = msg_next(buf, len, &off, &nlh)) == 1) {
		if ((r = dump_msg(nlh, seq, portid)) <= 0)
			return r;
		if (r == 2)
			stats_from(nlh, st);
	}
	return r < 0 ? r : 1;
}

/* ---- events (conntrack -E) ---- */

int helper_nl_parse_events(const void *buf, size_t len, helper_nl_event_fn fn, void *data)
{
	const struct nlmsghdr *nlh;
	struct ctd_record rec;
	size_t off = 0;
	uint32_t type;
	int r;

	while ((r = msg_next(buf, len, &off, &nlh)) == 1) {
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE ||
		    NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK)
			continue;
		/* ctnetlink_conntrack_event: a new entry is IPCTNL_MSG_CT_NEW
		 * with NLM_F_CREATE|NLM_F_EXCL, an update the same without */
		if (NFNL_MSG_TYPE(nlh->nlmsg_type) == IPCTNL_MSG_CT_DELETE)
			type = CTD_EVENT_DESTROY;
		else if (NFNL_MSG_TYPE(nlh->nlmsg_type) == IPCTNL_MSG_CT_NEW)
			type = nlh->nlmsg_flags & NLM_F_CREATE ? CTD_EVENT_NEW : CTD_EVENT_UPDATE;
		else
			continue;
		if (!record_from(&rec, nlh))
			continue;
		if (fn(&rec, type, data) != 0)
			return -ECANCELED;
	}
	return r < 0 ? r : 0;
}

/* ---- expectations (conntrack -L expect) ---- */

_Static_assert(CTA_EXPECT_MAX <= HELPER_ATTR_MAX, "attribute table too small");

/* One IPCTNL_MSG_EXP_NEW message into x; 0 if it is not usable. */
static int expect_from(struct ctd_expect *x, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *nfg = NLMSG_DATA(nlh);
	struct ctd_record tmp;
	attr_tab tb;
	const struct nlattr *name;
	uint16_t dz; /* an expectation's zone is CTA_EXPECT_ZONE */
	size_t n;

	memset(x, 0, sizeof(*x));
	if (!msg_attrs(nlh, tb) || !get_be32(tb[CTA_EXPECT_ID], &x->id) || !tb[CTA_EXPECT_TUPLE])
		return 0;
	memset(&tmp, 0, sizeof(tmp));
	x->l3proto = tuple_from(&tmp, &x->tuple, tb[CTA_EXPECT_TUPLE], 1, &dz, 0);
	if (!x->l3proto)
		x->l3proto = nfg->nfgen_family;
	x->l4proto = tmp.l4proto;
	memset(&tmp, 0, sizeof(tmp));
	tuple_from(&tmp, &x->mask, tb[CTA_EXPECT_MASK], 0, &dz, 0);
	memset(&tmp, 0, sizeof(tmp));
	tuple_from(&tmp, &x->master, tb[CTA_EXPECT_MASTER], 1, &dz, 0);
	x->master_l4proto = tmp.l4proto;
	get_be32(tb[CTA_EXPECT_TIMEOUT], &x->timeout);
	get_be32(tb[CTA_EXPECT_FLAGS], &x->flags);
	get_be32(tb[CTA_EXPECT_CLASS], &x->class_);
	get_be16(tb[CTA_EXPECT_ZONE], &x->zone);
	/* the helper's name: a string attribute, bounded and NUL-terminated here */
	if ((name = tb[CTA_EXPECT_HELP_NAME]) && name->nla_len > NLA_HDRLEN) {
		n = name->nla_len - NLA_HDRLEN;
		if (n > CTD_HELPER_NAME_MAX - 1)
			n = CTD_HELPER_NAME_MAX - 1;
		memcpy(x->helper, (const char *)name + NLA_HDRLEN, n);
		x->helper[n] = 0;
		x->helper[strnlen(x->helper, n)] = 0;
	}
	return 1;
}

int helper_nl_parse_expects(const void *buf, size_t len, uint32_t seq, uint32_t portid,
			    helper_nl_expect_fn fn, void *data)
{
	const struct nlmsghdr *nlh;
	struct ctd_expect x;
	size_t off = 0;
	int r;

	while ((r = msg_next(buf, len, &off, &nlh)) == 1) {
		if ((r = dump_msg(nlh, seq, portid)) <= 0)
			return r;
		if (r == 1 || NFNL_MSG_TYPE(nlh->nlmsg_type) != IPCTNL_MSG_EXP_NEW || !expect_from(&x, nlh))
			continue;
		if (fn(&x, data) != 0)
			return -ECANCELED;
	}
	return r < 0 ? r : 1;
}

/* ---- events socket ---- */

uint32_t helper_ev_rcvbuf(uint32_t max)
{
	if (max > CTD_EVENTS_MAX)
		max = CTD_EVENTS_MAX;
	return max * HELPER_EV_BYTES_PER_EVENT + HELPER_EV_RCVBUF_MARGIN;
}
