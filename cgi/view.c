// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * view.c - the `view` method: filters, ordering, paging and the rows of
 * DESIGN §2.  The whole filtered order of a session's snapshot is cached
 * (positions in the snapshot, in view order) so that the next page with the same filters and
 * order reads only that page's records.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "ctd_cgi.h"
#include "radix.h"

/* ---- TCP states, named as conntrack -L prints them ------------------------- */
static const char *const tcp_states[] = {
    "NONE",	  "SYN_SENT", "SYN_RECV",  "ESTABLISHED", "FIN_WAIT",
    "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",	  "SYN_SENT2",
};
#define N_TCP_STATES (sizeof(tcp_states) / sizeof(tcp_states[0]))

const char *tcp_state_name(uint8_t s)
{
	return s < N_TCP_STATES ? tcp_states[s] : "UNKNOWN";
}

int tcp_state_parse(const char *name)
{
	size_t i;

	for (i = 0; i < N_TCP_STATES; i++)
		if (strcasecmp(name, tcp_states[i]) == 0)
			return (int)i;
	return -1;
}

/* ---- fields -------------------------------------------------------------- */
enum field {
	FD_ID,
	FD_L3,
	FD_L4,
	FD_O4S,
	FD_O4D,
	FD_R4S,
	FD_R4D,
	FD_O6S,
	FD_O6D,
	FD_R6S,
	FD_R6D,
	FD_OPS,
	FD_OPD,
	FD_RPS,
	FD_RPD,
	FD_ICMP_TYPE,
	FD_ICMP_CODE,
	FD_ICMP_ID,
	FD_TCP_STATE,
	FD_STATUS,
	FD_TIMEOUT,
	FD_MARK,
	FD_ZONE,
	FD_OPK,
	FD_OBY,
	FD_RPK,
	FD_RBY,
	FD_ORATE,
	FD_RRATE,
	FD_RATE,
	FD_UID,
	FD_USERNAME,
	FD_OSRC,
	FD_ODST,
	FD_RSRC,
	FD_RDST,
	FD_COUNT
};

static const char *const field_names[FD_COUNT] = {
    "id",
    "orig_l3proto",
    "orig_l4proto",
    "orig_ipv4_src",
    "orig_ipv4_dst",
    "repl_ipv4_src",
    "repl_ipv4_dst",
    "orig_ipv6_src",
    "orig_ipv6_dst",
    "repl_ipv6_src",
    "repl_ipv6_dst",
    "orig_port_src",
    "orig_port_dst",
    "repl_port_src",
    "repl_port_dst",
    "icmp_type",
    "icmp_code",
    "icmp_id",
    "tcp_state",
    "status",
    "timeout",
    "mark",
    "zone",
    "orig_counter_packets",
    "orig_counter_bytes",
    "repl_counter_packets",
    "repl_counter_bytes",
    "orig_rate",
    "repl_rate",
    "rate",
    "user_id",
    "username",
    "orig_src",
    "orig_dst",
    "repl_src",
    "repl_dst",
};

int view_order_index(const char *name)
{
	int i;

	for (i = 0; i < FD_COUNT; i++)
		if (strcmp(name, field_names[i]) == 0)
			return i;
	return -1;
}

/* ---- uid -> user name, cached for one call ---------------------------------- */
#define UCACHE_SIZE 1024u
struct ucache_ent {
	uint32_t uid;
	bool used, known;
	char name[CTD_USER_MAX];
};
struct ucache {
	struct ucache_ent e[UCACHE_SIZE];
	char spill[CTD_USER_MAX];
};

static uint32_t uid_of(const struct ctd_config *cfg, uint32_t mark)
{
	return (mark & cfg->uid_mask) >> __builtin_ctz(cfg->uid_mask);
}

/* NULL if the uid has no name (NSS: LDAP users resolve too). */
static const char *uname_of(struct ucache *uc, uint32_t uid)
{
	struct ucache_ent *e = &uc->e[(uid * 2654435761u) % UCACHE_SIZE];
	struct passwd pw, *res = NULL;
	char buf[4096];
	char *dst = uc->spill;
	bool *known = NULL;

	if (e->used && e->uid == uid)
		return e->known ? e->name : NULL;
	if (!e->used) {
		e->used = true;
		e->uid = uid;
		dst = e->name;
		known = &e->known;
	}
	if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res) != 0 || !res ||
	    strlen(res->pw_name) >= CTD_USER_MAX) {
		if (known)
			*known = false;
		return NULL;
	}
	snprintf(dst, CTD_USER_MAX, "%s", res->pw_name);
	if (known)
		*known = true;
	return dst;
}

/* ---- filters ---------------------------------------------------------------- */
static int addr_filter(xmlrpc_env *env, xmlrpc_value *v, int family, struct ctd_cidr *out)
{
	char s[INET6_ADDRSTRLEN + 8];
	uint32_t x;

	if (xmlrpc_value_type(v) == XMLRPC_TYPE_STRING) {
		if (val_string(env, v, s, sizeof(s)) == 0 && cidr_parse(s, out) == 0) {
			if (family && out->family != family) {
				/* "10" as a string could still be the host-order int form */
				if (family == AF_INET && val_u32(env, v, &x) == 0)
					goto as_int;
				return -1;
			}
			return 0;
		}
		if (family != AF_INET6 && val_u32(env, v, &x) == 0)
			goto as_int;
		return -1;
	}
	if (family == AF_INET6 || val_u32(env, v, &x) < 0)
		return -1;
as_int:
	/* an int is an IPv4 address in host order (pyctd's clients send that) */
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	out->prefix = 32;
	x = htonl(x);
	memcpy(out->addr, &x, 4);
	return 0;
}

static int one_filter(xmlrpc_env *env, const char *key, xmlrpc_value *v, struct view_filter *f)
{
	uint32_t x;
	char s[CTD_USER_MAX];

#define U32_INTO(bit, field, max)                                                                            \
	do {                                                                                                 \
		if (val_u32(env, v, &x) < 0 || x > (max))                                                    \
			return -1;                                                                           \
		f->field = (__typeof__(f->field))x;                                                          \
		f->have |= (bit);                                                                            \
		return 0;                                                                                    \
	} while (0)

	if (!strcmp(key, "id"))
		U32_INTO(VF_ID, id, 0xffffffffu);
	if (!strcmp(key, "mark"))
		U32_INTO(VF_MARK, mark, 0xffffffffu);
	if (!strcmp(key, "timeout"))
		U32_INTO(VF_TIMEOUT, timeout, 0xffffffffu);
	if (!strcmp(key, "zone"))
		U32_INTO(VF_ZONE, zone, 0xffffu);
	if (!strcmp(key, "orig_l3proto"))
		U32_INTO(VF_L3, l3proto, 0xffu);
	if (!strcmp(key, "orig_l4proto"))
		U32_INTO(VF_L4, l4proto, 0xffu);
	if (!strcmp(key, "orig_port_src"))
		U32_INTO(VF_SPORT, port_src, 0xffffu);
	if (!strcmp(key, "orig_port_dst"))
		U32_INTO(VF_DPORT, port_dst, 0xffffu);
#undef U32_INTO
	if (!strcmp(key, "tcp_state")) {
		int st;
		if (val_string(env, v, s, sizeof(s)) == 0) {
			if ((st = tcp_state_parse(s)) < 0)
				return -1;
		} else if (val_u32(env, v, &x) == 0 && x < N_TCP_STATES) {
			st = (int)x;
		} else {
			return -1;
		}
		f->tcp_state = (uint8_t)st;
		f->have |= VF_STATE;
		return 0;
	}
	if (!strcmp(key, "username")) {
		if (val_string(env, v, f->username, sizeof(f->username)) < 0)
			return -1;
		f->have |= VF_USER;
		return 0;
	}
	if (!strcmp(key, "orig_ipv4_src") && addr_filter(env, v, AF_INET, &f->src4) == 0)
		return f->have |= VF_SRC4, 0;
	if (!strcmp(key, "orig_ipv4_dst") && addr_filter(env, v, AF_INET, &f->dst4) == 0)
		return f->have |= VF_DST4, 0;
	if (!strcmp(key, "orig_ipv6_src") && addr_filter(env, v, AF_INET6, &f->src6) == 0)
		return f->have |= VF_SRC6, 0;
	if (!strcmp(key, "orig_ipv6_dst") && addr_filter(env, v, AF_INET6, &f->dst6) == 0)
		return f->have |= VF_DST6, 0;
	if (!strcmp(key, "addr") && addr_filter(env, v, 0, &f->addr) == 0)
		return f->have |= VF_ADDR, 0;
	return -1;
}

static bool known_filter(const char *key)
{
	static const char *const names[] = {
	    "id",
	    "mark",
	    "timeout",
	    "zone",
	    "orig_l3proto",
	    "orig_l4proto",
	    "orig_port_src",
	    "orig_port_dst",
	    "tcp_state",
	    "username",
	    "orig_ipv4_src",
	    "orig_ipv4_dst",
	    "orig_ipv6_src",
	    "orig_ipv6_dst",
	    "addr",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(key, names[i]))
			return true;
	return false;
}

int view_parse_filters(xmlrpc_env *env, xmlrpc_value *v, struct view_filter *f)
{
	int n, i;

	memset(f, 0, sizeof(*f));
	if (!v)
		return 0;
	if (xmlrpc_value_type(v) == XMLRPC_TYPE_ARRAY) {
		/* PHP encodes an empty array() as <array>: no filter */
		if (xmlrpc_array_size(env, v) == 0)
			return 0;
		ctd_fault(env, CTD_F_PARAM,
			  "bad parameter 'filters': a struct of filters is expected, not an array");
		return -1;
	}
	if (xmlrpc_value_type(v) != XMLRPC_TYPE_STRUCT) {
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'filters': a struct of filters is expected");
		return -1;
	}
	n = xmlrpc_struct_size(env, v);
	for (i = 0; i < n && !env->fault_occurred; i++) {
		xmlrpc_value *k = NULL, *val = NULL;
		char key[64];

		xmlrpc_struct_read_member(env, v, (unsigned)i, &k, &val);
		if (env->fault_occurred)
			break;
		if (val_string(env, k, key, sizeof(key)) < 0 || !known_filter(key))
			ctd_fault(env, CTD_F_PARAM, "bad parameter 'filters': unknown filter '%.40s'",
				  val_string(env, k, key, sizeof(key)) == 0 ? key : "?");
		else if (one_filter(env, key, val, f) < 0)
			ctd_fault(env, CTD_F_PARAM,
				  "bad parameter 'filters.%s': value of the wrong kind or out of range", key);
		xmlrpc_DECREF(k);
		xmlrpc_DECREF(val);
	}
	return env->fault_occurred ? -1 : 0;
}

bool view_row_hidden(const struct ctd_config *cfg, const struct ctd_record *r)
{
	size_t i;

	for (i = 0; i < cfg->nhide; i++)
		if (cidr_match(&cfg->hide[i], r->l3proto, r->orig.src) ||
		    cidr_match(&cfg->hide[i], r->l3proto, r->orig.dst))
			return true;
	return false;
}

static bool row_matches(const struct ctd_config *cfg, struct ucache *uc, const struct view_filter *f,
			const struct ctd_record *r)
{
	uint32_t h = f->have;

	if ((h & VF_ID) && r->id != f->id)
		return false;
	if ((h & VF_MARK) && r->mark != f->mark)
		return false;
	if ((h & VF_TIMEOUT) && r->timeout != f->timeout)
		return false;
	if ((h & VF_ZONE) && r->zone != f->zone)
		return false;
	if ((h & VF_L3) && r->l3proto != f->l3proto)
		return false;
	if ((h & VF_L4) && r->l4proto != f->l4proto)
		return false;
	if ((h & (VF_SPORT | VF_DPORT)) && !(r->flags & CTD_REC_HAS_PORTS))
		return false;
	if ((h & VF_SPORT) && r->orig.sport != f->port_src)
		return false;
	if ((h & VF_DPORT) && r->orig.dport != f->port_dst)
		return false;
	if ((h & VF_STATE) && (!(r->flags & CTD_REC_HAS_TCP_STATE) || r->tcp_state != f->tcp_state))
		return false;
	if ((h & VF_SRC4) && !cidr_match(&f->src4, r->l3proto, r->orig.src))
		return false;
	if ((h & VF_DST4) && !cidr_match(&f->dst4, r->l3proto, r->orig.dst))
		return false;
	if ((h & VF_SRC6) && !cidr_match(&f->src6, r->l3proto, r->orig.src))
		return false;
	if ((h & VF_DST6) && !cidr_match(&f->dst6, r->l3proto, r->orig.dst))
		return false;
	if ((h & VF_ADDR) &&
	    !(cidr_match(&f->addr, r->l3proto, r->orig.src) ||
	      cidr_match(&f->addr, r->l3proto, r->orig.dst) ||
	      cidr_match(&f->addr, r->l3proto, r->repl.src) || cidr_match(&f->addr, r->l3proto, r->repl.dst)))
		return false;
	if (h & VF_USER) {
		const char *name = cfg->uid_mask ? uname_of(uc, uid_of(cfg, r->mark)) : NULL;
		if (!name || strcmp(name, f->username) != 0)
			return false;
	}
	return !view_row_hidden(cfg, r);
}

/* ---- ordering ----------------------------------------------------------------- */
/* 24 bytes: 1M of them must fit next to the table.  Records are sorted by
 * id, so the position breaks ties exactly as the id would. */
struct skey {
	uint64_t a, b;
	uint32_t pos;
	uint32_t cls; /* 0 absent (first), 1 value / IPv4, 2 IPv6 */
};
_Static_assert(sizeof(struct skey) == 24, "sort key size");

static uint64_t be64(const uint8_t *p)
{
	uint64_t x = 0;
	int i;

	for (i = 0; i < 8; i++)
		x = x << 8 | p[i];
	return x;
}

static void key_addr(struct skey *k, const struct ctd_record *r, const uint8_t *a, int want_family)
{
	if (want_family && r->l3proto != want_family)
		return;
	k->cls = r->l3proto == AF_INET ? 1 : 2;
	k->a = be64(a);
	k->b = be64(a + 8);
}

/* Rank of each state name in alphabetical order, for sorting by name. */
static uint32_t state_rank(uint8_t s)
{
	uint32_t rank = 0;
	size_t i;

	if (s >= N_TCP_STATES)
		return N_TCP_STATES;
	for (i = 0; i < N_TCP_STATES; i++)
		if (strcmp(tcp_states[i], tcp_states[s]) < 0)
			rank++;
	return rank;
}

static uint64_t dbl_key(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return (u >> 63) ? ~u : u | (1ull << 63);
}

static void make_key(const struct ctd_config *cfg, struct ucache *uc, int fd, const struct ctd_record *r,
		     struct skey *k)
{
	const float *rt = snap_rates_c(r);
	bool ports = r->flags & CTD_REC_HAS_PORTS, icmp = r->flags & CTD_REC_HAS_ICMP;

	k->cls = 1;
	k->a = k->b = 0;
	switch (fd) {
	case FD_ID:
		k->a = r->id;
		break;
	case FD_L3:
		k->a = r->l3proto;
		break;
	case FD_L4:
		k->a = r->l4proto;
		break;
	case FD_O4S:
		k->cls = 0;
		key_addr(k, r, r->orig.src, AF_INET);
		break;
	case FD_O4D:
		k->cls = 0;
		key_addr(k, r, r->orig.dst, AF_INET);
		break;
	case FD_R4S:
		k->cls = 0;
		key_addr(k, r, r->repl.src, AF_INET);
		break;
	case FD_R4D:
		k->cls = 0;
		key_addr(k, r, r->repl.dst, AF_INET);
		break;
	case FD_O6S:
		k->cls = 0;
		key_addr(k, r, r->orig.src, AF_INET6);
		break;
	case FD_O6D:
		k->cls = 0;
		key_addr(k, r, r->orig.dst, AF_INET6);
		break;
	case FD_R6S:
		k->cls = 0;
		key_addr(k, r, r->repl.src, AF_INET6);
		break;
	case FD_R6D:
		k->cls = 0;
		key_addr(k, r, r->repl.dst, AF_INET6);
		break;
	case FD_OSRC:
		key_addr(k, r, r->orig.src, 0);
		break;
	case FD_ODST:
		key_addr(k, r, r->orig.dst, 0);
		break;
	case FD_RSRC:
		key_addr(k, r, r->repl.src, 0);
		break;
	case FD_RDST:
		key_addr(k, r, r->repl.dst, 0);
		break;
	case FD_OPS:
		k->cls = ports;
		k->a = r->orig.sport;
		break;
	case FD_OPD:
		k->cls = ports;
		k->a = r->orig.dport;
		break;
	case FD_RPS:
		k->cls = ports;
		k->a = r->repl.sport;
		break;
	case FD_RPD:
		k->cls = ports;
		k->a = r->repl.dport;
		break;
	case FD_ICMP_TYPE:
		k->cls = icmp;
		k->a = r->icmp_type;
		break;
	case FD_ICMP_CODE:
		k->cls = icmp;
		k->a = r->icmp_code;
		break;
	case FD_ICMP_ID:
		k->cls = icmp;
		k->a = r->icmp_id;
		break;
	case FD_TCP_STATE:
		k->cls = !!(r->flags & CTD_REC_HAS_TCP_STATE);
		k->a = state_rank(r->tcp_state);
		break;
	case FD_STATUS:
		k->a = r->status;
		break;
	case FD_TIMEOUT:
		k->a = r->timeout;
		break;
	case FD_MARK:
		k->a = r->mark;
		break;
	case FD_ZONE:
		k->a = r->zone;
		break;
	case FD_OPK:
		k->a = r->orig_packets;
		break;
	case FD_OBY:
		k->a = r->orig_bytes;
		break;
	case FD_RPK:
		k->a = r->repl_packets;
		break;
	case FD_RBY:
		k->a = r->repl_bytes;
		break;
	case FD_ORATE:
		k->a = dbl_key(rt[0]);
		break;
	case FD_RRATE:
		k->a = dbl_key(rt[1]);
		break;
	case FD_RATE:
		k->a = dbl_key((double)rt[0] + (double)rt[1]);
		break;
	case FD_UID:
		k->cls = cfg->uid_mask != 0;
		k->a = cfg->uid_mask ? uid_of(cfg, r->mark) : 0;
		break;
	case FD_USERNAME: {
		/* names compare as strings: pack the first 16 bytes big-endian */
		const char *n = cfg->uid_mask ? uname_of(uc, uid_of(cfg, r->mark)) : NULL;
		uint8_t buf[16] = {0};
		k->cls = n != NULL;
		if (n)
			memcpy(buf, n, strnlen(n, 16));
		k->a = be64(buf);
		k->b = be64(buf + 8);
		break;
	}
	}
}

static int cmp_asc(const void *x, const void *y)
{
	const struct skey *p = x, *q = y;

	if (p->cls != q->cls)
		return p->cls < q->cls ? -1 : 1;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return p->pos < q->pos ? -1 : p->pos > q->pos;
}

static int cmp_desc(const void *x, const void *y)
{
	const struct skey *p = x, *q = y;

	if (p->cls != q->cls)
		return p->cls > q->cls ? -1 : 1;
	if (p->a != q->a)
		return p->a > q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b > q->b ? -1 : 1;
	/* ties stay in ascending id order, so pages are stable either way */
	return p->pos < q->pos ? -1 : p->pos > q->pos;
}

/* ---- rows ------------------------------------------------------------------------ */
static void put(xmlrpc_env *env, xmlrpc_value *s, const char *k, xmlrpc_value *v)
{
	if (!v)
		return;
	xmlrpc_struct_set_value(env, s, k, v);
	xmlrpc_DECREF(v);
}

static void put_addr(xmlrpc_env *env, xmlrpc_value *s, const char *k, int family, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (inet_ntop(family, a, buf, sizeof(buf)))
		put(env, s, k, xmlrpc_string_new(env, buf));
}

static xmlrpc_value *make_row(xmlrpc_env *env, const struct ctd_config *cfg, struct ucache *uc,
			      const struct ctd_record *r)
{
	xmlrpc_value *s = xmlrpc_struct_new(env);
	const float *rt = snap_rates_c(r);
	char idbuf[16];
	bool v4 = r->l3proto == AF_INET;

	if (!s)
		return NULL;
	snprintf(idbuf, sizeof(idbuf), "%u", r->id);
	put(env, s, "id", xmlrpc_string_new(env, idbuf));
	put(env, s, "orig_l3proto", xmlrpc_int_new(env, r->l3proto));
	put(env, s, "orig_l4proto", xmlrpc_int_new(env, r->l4proto));
	put_addr(env, s, v4 ? "orig_ipv4_src" : "orig_ipv6_src", r->l3proto, r->orig.src);
	put_addr(env, s, v4 ? "orig_ipv4_dst" : "orig_ipv6_dst", r->l3proto, r->orig.dst);
	put_addr(env, s, v4 ? "repl_ipv4_src" : "repl_ipv6_src", r->l3proto, r->repl.src);
	put_addr(env, s, v4 ? "repl_ipv4_dst" : "repl_ipv6_dst", r->l3proto, r->repl.dst);
	if (r->flags & CTD_REC_HAS_PORTS) {
		put(env, s, "orig_port_src", xmlrpc_int_new(env, r->orig.sport));
		put(env, s, "orig_port_dst", xmlrpc_int_new(env, r->orig.dport));
		put(env, s, "repl_port_src", xmlrpc_int_new(env, r->repl.sport));
		put(env, s, "repl_port_dst", xmlrpc_int_new(env, r->repl.dport));
	}
	if (r->flags & CTD_REC_HAS_ICMP) {
		put(env, s, "icmp_type", xmlrpc_int_new(env, r->icmp_type));
		put(env, s, "icmp_code", xmlrpc_int_new(env, r->icmp_code));
		put(env, s, "icmp_id", xmlrpc_int_new(env, r->icmp_id));
	}
	if (r->flags & CTD_REC_HAS_TCP_STATE)
		put(env, s, "tcp_state", xmlrpc_string_new(env, tcp_state_name(r->tcp_state)));
	put(env, s, "status", xmlrpc_int_new(env, (int)(int32_t)r->status));
	put(env, s, "timeout", xmlrpc_int_new(env, r->timeout > INT32_MAX ? INT32_MAX : (int)r->timeout));
	/* a mark >= 2^31 goes out as its two's-complement i4 */
	put(env, s, "mark", xmlrpc_int_new(env, (int)(int32_t)r->mark));
	put(env, s, "zone", xmlrpc_int_new(env, r->zone));
	put(env, s, "orig_counter_packets", xmlrpc_double_new(env, (double)r->orig_packets));
	put(env, s, "orig_counter_bytes", xmlrpc_double_new(env, (double)r->orig_bytes));
	put(env, s, "repl_counter_packets", xmlrpc_double_new(env, (double)r->repl_packets));
	put(env, s, "repl_counter_bytes", xmlrpc_double_new(env, (double)r->repl_bytes));
	put(env, s, "orig_rate", xmlrpc_double_new(env, rt[0]));
	put(env, s, "repl_rate", xmlrpc_double_new(env, rt[1]));
	put(env, s, "rate", xmlrpc_double_new(env, (double)rt[0] + (double)rt[1]));
	if (cfg->uid_mask) {
		uint32_t uid = uid_of(cfg, r->mark);
		const char *name = uname_of(uc, uid);
		put(env, s, "user_id", xmlrpc_int_new(env, (int)(int32_t)uid));
		if (name)
			put(env, s, "username", xmlrpc_string_new(env, name));
	}
	if (env->fault_occurred) {
		xmlrpc_DECREF(s);
		return NULL;
	}
	return s;
}

/* Fields whose key needs more than 63 bits: addresses and names. */
static bool wide_field(int fd)
{
	return (fd >= FD_O4S && fd <= FD_R6D) || (fd >= FD_OSRC && fd <= FD_RDST) || fd == FD_USERNAME;
}

/* Narrow fields: one 64-bit key (presence in the top bit), stable radix
 * sort; equal keys keep the snapshot's id order. */
static int order_narrow(const struct ctd_config *cfg, struct ucache *uc, const struct view_filter *f,
			int order, bool desc, const struct ctd_record *recs, uint32_t n, uint32_t **pos,
			uint32_t *npos)
{
	void *mem = malloc((n ? n : 1) * sizeof(struct radix_u64));
	struct radix_u64 *keys = mem;
	uint32_t i, nk = 0, *out;
	struct skey k;

	if (!keys)
		return -1;
	for (i = 0; i < n; i++)
		if (row_matches(cfg, uc, f, &recs[i])) {
			uint64_t v;
			make_key(cfg, uc, order, &recs[i], &k);
			v = ((uint64_t)(k.cls != 0) << 63) | (k.a & ~(1ull << 63));
			keys[nk].key = desc ? ~v : v;
			keys[nk].pos = i;
			nk++;
		}
	if (order != FD_ID && radix_sort_u64(keys, nk) < 0) {
		free(keys);
		return -1;
	}
	if (order == FD_ID && desc)
		for (i = 0; i < nk / 2; i++) {
			struct radix_u64 t = keys[i];
			keys[i] = keys[nk - 1 - i];
			keys[nk - 1 - i] = t;
		}
	/* positions overwrite the keys in place: pos[i] lies at or before key i */
	out = mem;
	for (i = 0; i < nk; i++) {
		uint32_t p = keys[i].pos;
		out[i] = p;
	}
	*pos = out;
	*npos = nk;
	return 0;
}

int view_order(const struct ctd_config *cfg, const struct view_filter *f, int order, bool desc,
	       const struct ctd_record *recs, uint32_t n, uint32_t **pos, uint32_t *npos)
{
	struct ucache *uc = calloc(1, sizeof(*uc));
	struct skey *keys;
	uint32_t i, nk = 0;
	int rc;

	*pos = NULL;
	*npos = 0;
	if (!uc || order < 0 || order >= FD_COUNT) {
		free(uc);
		return -1;
	}
	if (!wide_field(order)) {
		rc = order_narrow(cfg, uc, f, order, desc, recs, n, pos, npos);
		free(uc);
		return rc;
	}
	keys = malloc((n ? n : 1) * sizeof(*keys));
	if (!keys) {
		free(uc);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (row_matches(cfg, uc, f, &recs[i])) {
			make_key(cfg, uc, order, &recs[i], &keys[nk]);
			keys[nk].pos = i;
			nk++;
		}
	qsort(keys, nk, sizeof(*keys), desc ? cmp_desc : cmp_asc);
	/* reuse the key array's memory for the positions: no second big block */
	*pos = (uint32_t *)(void *)keys;
	for (i = 0; i < nk; i++)
		(*pos)[i] = keys[i].pos;
	*npos = nk;
	free(uc);
	return 0;
}

/* ---- the method --------------------------------------------------------------- */
struct view_req {
	struct view_filter f;
	int order;
	bool desc;
	int64_t start;
	uint32_t length;
};

static int parse_view(xmlrpc_env *env, const struct ctd_config *cfg, xmlrpc_value *params, struct view_req *q)
{
	xmlrpc_value *v;
	char s[64];
	int64_t x;

	memset(q, 0, sizeof(*q));
	q->order = FD_ID;
	q->length = cfg->max_page;
	v = rpc_param(env, params, 1);
	view_parse_filters(env, v, &q->f);
	if (v)
		xmlrpc_DECREF(v);
	if (env->fault_occurred)
		return -1;
	if ((v = rpc_param(env, params, 2))) {
		if (val_string(env, v, s, sizeof(s)) < 0 || (s[0] && (q->order = view_order_index(s)) < 0))
			ctd_fault(env, CTD_F_PARAM,
				  "bad parameter 'order_by': give a row field name, e.g. 'id' or 'rate'");
		if (!s[0])
			q->order = FD_ID;
		xmlrpc_DECREF(v);
	}
	if (!env->fault_occurred && (v = rpc_param(env, params, 3))) {
		if (val_string(env, v, s, sizeof(s)) < 0 ||
		    (s[0] && tolower((unsigned char)s[0]) != 'a' && tolower((unsigned char)s[0]) != 'd'))
			ctd_fault(env, CTD_F_PARAM, "bad parameter 'order_dir': give 'ASC' or 'DESC'");
		q->desc = tolower((unsigned char)s[0]) == 'd';
		xmlrpc_DECREF(v);
	}
	if (!env->fault_occurred && (v = rpc_param(env, params, 4))) {
		if (val_int(env, v, &x) < 0 || x < 0)
			ctd_fault(env, CTD_F_PARAM, "bad parameter 'start': give an integer >= 0");
		q->start = x;
		xmlrpc_DECREF(v);
	}
	if (!env->fault_occurred && (v = rpc_param(env, params, 5))) {
		if (val_int(env, v, &x) < 0)
			ctd_fault(env, CTD_F_PARAM, "bad parameter 'length': give an integer");
		else if (x > 0 && x <= cfg->max_page)
			q->length = (uint32_t)x;
		xmlrpc_DECREF(v);
	}
	return env->fault_occurred ? -1 : 0;
}

/* Identity of a filtered order: filters, order, and the config they depend on. */
static void order_key(const struct ctd_config *cfg, const struct view_req *q, int64_t dump_id, char out[65])
{
	struct {
		struct view_filter f;
		int order, desc;
		int64_t dump_id;
		uint32_t uid_mask;
		struct ctd_cidr hide[CTD_HIDE_MAX];
	} k;
	uint8_t h[32];
	int i;

	memset(&k, 0, sizeof(k));
	k.f = q->f;
	k.order = q->order;
	k.desc = q->desc;
	k.dump_id = dump_id;
	k.uid_mask = cfg->uid_mask;
	memcpy(k.hide, cfg->hide, cfg->nhide * sizeof(cfg->hide[0]));
	sha256(&k, sizeof(k), h);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* The cached order, if it is this one: total and the positions of the page. */
static int cached_page(xmlrpc_env *env, struct ctd_ctx *ctx, const char *key, const struct view_req *q,
		       uint32_t *total, uint32_t **cpos, uint32_t *ncpos)
{
	sqlite3_stmt *st;
	sqlite3_blob *blob = NULL;
	int rc, hit = 0;
	uint32_t n = 0;

	rc = sqlite3_prepare_v2(ctx->db, "SELECT sort_total FROM sessions WHERE id=?1 AND sort_key=?2", -1,
				&st, NULL);
	if (rc != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, ctx->sid);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		hit = 1;
		*total = (uint32_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (!hit)
		return 0;
	*cpos = NULL;
	*ncpos = 0;
	if (q->start >= *total)
		return 1;
	n = *total - (uint32_t)q->start < q->length ? *total - (uint32_t)q->start : q->length;
	*cpos = malloc((size_t)n * sizeof(uint32_t));
	if (!*cpos)
		return 0;
	rc = sqlite3_blob_open(ctx->db, "main", "sessions", "sort_idx", ctx->sid, 0, &blob);
	if (rc == SQLITE_OK)
		rc = sqlite3_blob_read(blob, *cpos, (int)(n * sizeof(uint32_t)),
				       (int)(q->start * sizeof(uint32_t)));
	if (blob)
		sqlite3_blob_close(blob);
	if (rc != SQLITE_OK) {
		/* a stale cache is only a missed shortcut */
		free(*cpos);
		*cpos = NULL;
		(void)env;
		return 0;
	}
	*ncpos = n;
	return 1;
}

static void store_order(struct ctd_ctx *ctx, const char *key, const uint32_t *pos, uint32_t n)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(ctx->db,
			       "UPDATE sessions SET sort_key=?1, sort_total=?2, sort_idx=?3 WHERE id=?4", -1,
			       &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, n);
	sqlite3_bind_blob(st, 3, n ? (const void *)pos : "", (int)(n * sizeof(uint32_t)), SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, ctx->sid);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

static xmlrpc_value *result(xmlrpc_env *env, const struct snap_info *info, uint32_t total, int64_t start,
			    xmlrpc_value *table)
{
	xmlrpc_value *s = xmlrpc_struct_new(env);

	if (!s) {
		xmlrpc_DECREF(table);
		return NULL;
	}
	put(env, s, "total", xmlrpc_int_new(env, (int)total));
	put(env, s, "start", xmlrpc_int_new(env, start > INT32_MAX ? INT32_MAX : (int)start));
	put(env, s, "table", table);
	put(env, s, "snapshot_time", xmlrpc_double_new(env, info->time));
	put(env, s, "interval", xmlrpc_double_new(env, info->interval));
	put(env, s, "accounting", xmlrpc_bool_new(env, info->accounting));
	if (env->fault_occurred) {
		xmlrpc_DECREF(s);
		return NULL;
	}
	return s;
}

xmlrpc_value *rpc_view_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params)
{
	struct view_req q;
	struct snap_info info;
	struct snap_table t = {0};
	struct ucache *uc = NULL;
	uint32_t *cpos = NULL, *pos = NULL, ncpos = 0, total = 0, i;
	xmlrpc_value *table = NULL;
	char key[65];

	if (parse_view(env, &ctx->cfg, params, &q) < 0)
		return NULL;
	if (snap_for_view(env, ctx, &info, &t) < 0)
		return NULL;
	uc = calloc(1, sizeof(*uc));
	table = xmlrpc_array_new(env);
	if (!uc || !table) {
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
		goto out;
	}
	order_key(&ctx->cfg, &q, info.dump_id, key);
	if (!t.recs && cached_page(env, ctx, key, &q, &total, &cpos, &ncpos)) {
		/* another page of the same order: read just its records */
		struct ctd_record *recs = calloc(ncpos ? ncpos : 1, sizeof(*recs));
		bool *found = calloc(ncpos ? ncpos : 1, sizeof(*found));
		if (!recs || !found || snap_read_at(env, ctx, info.dump_id, cpos, ncpos, recs, found) < 0) {
			free(recs);
			free(found);
			if (!env->fault_occurred)
				ctd_fault(env, CTD_F_CONFIG, "server out of memory");
			goto out;
		}
		for (i = 0; i < ncpos && !env->fault_occurred; i++)
			if (found[i]) {
				xmlrpc_value *row = make_row(env, &ctx->cfg, uc, &recs[i]);
				if (row) {
					xmlrpc_array_append_item(env, table, row);
					xmlrpc_DECREF(row);
				}
			}
		free(recs);
		free(found);
		goto done;
	}
	if (!t.recs && snap_load(env, ctx, info.dump_id, &t) < 0)
		goto out;
	if (view_order(&ctx->cfg, &q.f, q.order, q.desc, t.recs, t.n, &pos, &total) < 0) {
		ctd_fault(env, CTD_F_CONFIG, "server out of memory");
		goto out;
	}
	/* remember the order (positions in the id-sorted snapshot, which
	 * stay right even where the kernel gave two entries one id) so the
	 * next page needs no sort */
	store_order(ctx, key, pos, total);
	for (i = (uint32_t)(q.start < total ? q.start : total);
	     i < total && i - q.start < q.length && !env->fault_occurred; i++) {
		xmlrpc_value *row = make_row(env, &ctx->cfg, uc, &t.recs[pos[i]]);
		if (row) {
			xmlrpc_array_append_item(env, table, row);
			xmlrpc_DECREF(row);
		}
	}
done:
	if (!env->fault_occurred) {
		xmlrpc_value *res = result(env, &info, total, q.start, table);
		table = NULL;
		free(pos);
		free(cpos);
		free(uc);
		snap_free(&t);
		return res;
	}
out:
	if (table)
		xmlrpc_DECREF(table);
	free(pos);
	free(cpos);
	free(uc);
	snap_free(&t);
	return NULL;
}
