// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expect.c - the expectation requests: dump (each master's id read by its
 * tuple and zone) and destroy by expected tuple + zone + CTA_EXPECT_ID.
 */
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "helper.h"
#include "nlio.h"

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

	return helper_nl_parse_expects(chunk, len, l->seq, helper_nl_portid, expect_cb, l);
}

/* The masters' ids: the kernel gives an expectation's master tuple, not
 * its CTA_ID (ctnetlink_exp_dump_expect), so each master is read by its
 * original tuple and zone, as `conntrack -G` would.  0 stays for a
 * master that is gone. */
static int master_ids(struct expect_list *l)
{
	static struct helper_nl_reply rep[HELPER_NL_BATCH];
	static struct ctd_target tg[HELPER_NL_BATCH];
	struct nf_conntrack *ct = nfct_new(), *blank = nfct_new();
	uint32_t done = 0, k, i;
	int r = 0;

	if (!ct || !blank)
		return -ENOMEM;
	while (done < l->n && r == 0) {
		k = l->n - done < HELPER_NL_BATCH ? l->n - done : HELPER_NL_BATCH;
		memset(tg, 0, k * sizeof(tg[0]));
		for (i = 0; i < k; i++) {
			const struct ctd_expect *x = &l->v[done + i];
			tg[i].zone = x->zone;
			tg[i].l3proto = x->l3proto;
			tg[i].l4proto = x->master_l4proto;
			tg[i].orig = x->master;
		}
		r = helper_nl_target_batch(ct, blank, IPCTNL_MSG_CT_GET, 0, 0, tg, k, rep);
		if (r > 0)
			r = -EINVAL;
		if (r == 0)
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
	uint32_t seq = helper_nl_seq++, i, k;
	int err = 0, r;

	(void)rq;
	nlh = helper_nl_header(buf, (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_GET,
			       NLM_F_REQUEST | NLM_F_DUMP, seq, AF_UNSPEC);
	if ((r = helper_nl_send(nlh, nlh->nlmsg_len)) != 0)
		return helper_send_error(fd, CTD_ERR_KERNEL, -r, "expectation dump");
	l.seq = seq;
	if ((r = helper_nl_recv_dump(buf, sizeof(buf), expect_chunk, &l)) != 0)
		err = r == -ECANCELED ? ENOMEM : -r;
	if (!err && l.n && (r = master_ids(&l)) != 0)
		err = -r;
	if (err) {
		free(l.v);
		return helper_send_error(fd, CTD_ERR_KERNEL, err, "expectation dump");
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
		uint32_t base = helper_nl_seq;

		k = rq->ntargets - done < HELPER_NL_BATCH ? rq->ntargets - done : HELPER_NL_BATCH;
		helper_nl_seq += k;
		for (i = 0; i < k; i++) {
			struct ctd_target t;
			struct nlmsghdr *nlh;

			memcpy(&t, rq->targets + done + i, sizeof(t));
			nlh = helper_nl_header(p, (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_DELETE,
					       NLM_F_REQUEST | NLM_F_ACK, base + i, t.l3proto);
			put_tuple(nlh, CTA_EXPECT_TUPLE, t.l3proto, t.l4proto, &t.orig);
			mnl_attr_put_u16(nlh, CTA_EXPECT_ZONE, htons(t.zone));
			mnl_attr_put_u32(nlh, CTA_EXPECT_ID, htonl(t.id));
			p += nlh->nlmsg_len;
		}
		if ((r = helper_nl_exchange(buf, (size_t)(p - buf), base, k, rep)) != 0)
			return helper_send_error(fd, CTD_ERR_KERNEL, -r, "expectation destroy");
		for (i = 0; i < k; i++)
			helper_set_result(&results[done + i], rq->targets[done + i].id, rep[i].err);
		done += k;
	}
	if (proto_send(fd, CTD_RSP_RESULTS, results, rq->ntargets * (uint32_t)sizeof(results[0])) != 0)
		return CTD_EXIT_PEER;
	end.count = rq->ntargets;
	end.err = 0;
	return proto_send(fd, CTD_RSP_END, &end, sizeof(end)) == 0 ? 0 : CTD_EXIT_PEER;
}
