// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * field.c - the row fields of the API (README "API"), one line each in
 * ctd_fields[]: how each is read from a snapshot record, carried in a row,
 * matched by a filter and sorted.
 */
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "config.h"
#include "field.h"
#include "snapshot.h"
#include "uname.h"

/* ---- vocabularies -------------------------------------------------------- */
#define V(n) (1u << (n))
/* TCP_CONNTRACK_* (linux/netfilter/nf_conntrack_tcp.h); LISTEN is conntrack
 * -I/-L --state's input name for SYN_SENT2 */
const struct field_name ctd_tcp_states[] = {
    {"NONE", V(0), 0},	   {"SYN_SENT", V(1), 0},   {"SYN_RECV", V(2), 0}, {"ESTABLISHED", V(3), 0},
    {"FIN_WAIT", V(4), 0}, {"CLOSE_WAIT", V(5), 0}, {"LAST_ACK", V(6), 0}, {"TIME_WAIT", V(7), 0},
    {"CLOSE", V(8), 0},	   {"SYN_SENT2", V(9), 0},  {"LISTEN", V(9), 0},   {NULL, 0, 0},
};

/* SCTP_CONNTRACK_* (linux/netfilter/nf_conntrack_sctp.h) */
const struct field_name ctd_sctp_states[] = {
    {"NONE", V(0), 0},
    {"CLOSED", V(1), 0},
    {"COOKIE_WAIT", V(2), 0},
    {"COOKIE_ECHOED", V(3), 0},
    {"ESTABLISHED", V(4), 0},
    {"SHUTDOWN_SENT", V(5), 0},
    {"SHUTDOWN_RECD", V(6), 0},
    {"SHUTDOWN_ACK_SENT", V(7), 0},
    {"HEARTBEAT_SENT", V(8), 0},
    {"HEARTBEAT_ACKED", V(9), 0},
    {NULL, 0, 0},
};

/* The status bits of the API's `flags` vocabulary (conntrack -u's names),
 * in that order, then UNREPLIED: SEEN_REPLY clear.  IPS_* bit numbers as
 * linux/netfilter/nf_conntrack_common.h. */
const struct field_name ctd_ips_flags[] = {
    {"ASSURED", V(2), 0}, {"SEEN_REPLY", V(1), 0}, {"FIXED_TIMEOUT", V(10), 0},
    {"DYING", V(9), 0},	  {"OFFLOAD", V(14), 0},   {"SRC_NAT", V(4), 0},
    {"DST_NAT", V(5), 0}, {"CONFIRMED", V(3), 0},  {"UNREPLIED", 0, V(1)},
    {NULL, 0, 0},
};
#define IPS_NAMES 8u /* the flags a row's `flags` text names: those before UNREPLIED */

/* nat: the value is the IPS_SRC_NAT, IPS_DST_NAT bits as 1, 2 (get_nat);
 * each name stands for the values it accepts, as conntrack --src-nat,
 * --dst-nat, --any-nat */
static const struct field_name nat_kinds[] = {
    {"src", V(1) | V(3), 0},
    {"dst", V(2) | V(3), 0},
    {"any", V(1) | V(2) | V(3), 0},
    {"none", V(0), 0},
    {NULL, 0, 0},
};
#undef V

const struct field_name *field_name_find(const struct field_name *names, const char *name)
{
	for (; names && names->name; names++)
		if (strcasecmp(name, names->name) == 0)
			return names;
	return NULL;
}

const char *field_name_of(const struct field_name *names, uint32_t v)
{
	for (; v < 32 && names->name; names++)
		if (names->set == 1u << v)
			return names->name;
	return "UNKNOWN";
}

uint32_t field_uid_of(const struct ctd_config *cfg, uint32_t mark)
{
	return (mark & cfg->uid_mask) >> __builtin_ctz(cfg->uid_mask);
}

/* ---- getters ----------------------------------------------------------------- */
/* A number every record has, or one present when the record flag `need` is set. */
#define NUM(fn, expr, need)                                                                                  \
	static void fn(const struct field_ctx *fc, const struct ctd_record *r, struct fval *v)               \
	{                                                                                                    \
		(void)fc;                                                                                    \
		v->cls = (need) == 0 || (r->flags & (need)) != 0;                                            \
		v->num = (expr);                                                                             \
	}
NUM(get_id, r->id, 0)
NUM(get_l3, r->l3proto, 0)
NUM(get_l4, r->l4proto, 0)
NUM(get_ops, r->orig.sport, CTD_REC_HAS_PORTS)
NUM(get_opd, r->orig.dport, CTD_REC_HAS_PORTS)
NUM(get_rps, r->repl.sport, CTD_REC_HAS_PORTS)
NUM(get_rpd, r->repl.dport, CTD_REC_HAS_PORTS)
NUM(get_itype, r->icmp_type, CTD_REC_HAS_ICMP)
NUM(get_icode, r->icmp_code, CTD_REC_HAS_ICMP)
NUM(get_iid, r->icmp_id, CTD_REC_HAS_ICMP)
NUM(get_status, r->status, 0)
NUM(get_timeout, r->timeout, 0)
NUM(get_mark, r->mark, 0)
NUM(get_zone, r->zone, 0)
NUM(get_ozone, r->orig_zone, CTD_REC_HAS_ORIG_ZONE)
NUM(get_rzone, r->reply_zone, CTD_REC_HAS_REPLY_ZONE)
NUM(get_nat, (r->status >> 4) & 3u, 0) /* IPS_SRC_NAT_BIT 4, IPS_DST_NAT_BIT 5 */
NUM(get_opk, r->orig_packets, 0)
NUM(get_oby, r->orig_bytes, 0)
NUM(get_rpk, r->repl_packets, 0)
NUM(get_rby, r->repl_bytes, 0)
#undef NUM

/* An address of the record's family; `family` 0 takes either. */
#define ADDR(fn, member, family)                                                                             \
	static void fn(const struct field_ctx *fc, const struct ctd_record *r, struct fval *v)               \
	{                                                                                                    \
		(void)fc;                                                                                    \
		v->cls = (family) && r->l3proto != (family) ? 0 : r->l3proto == AF_INET ? 1 : 2;             \
		v->addr = r->member;                                                                         \
	}
ADDR(get_o4s, orig.src, AF_INET)
ADDR(get_o4d, orig.dst, AF_INET)
ADDR(get_r4s, repl.src, AF_INET)
ADDR(get_r4d, repl.dst, AF_INET)
ADDR(get_o6s, orig.src, AF_INET6)
ADDR(get_o6d, orig.dst, AF_INET6)
ADDR(get_r6s, repl.src, AF_INET6)
ADDR(get_r6d, repl.dst, AF_INET6)
ADDR(get_osrc, orig.src, 0)
ADDR(get_odst, orig.dst, 0)
ADDR(get_rsrc, repl.src, 0)
ADDR(get_rdst, repl.dst, 0)
#undef ADDR

/* Rates live in the record's start_ns slot once computed (snapshot.h). */
#define RATE(fn, expr)                                                                                       \
	static void fn(const struct field_ctx *fc, const struct ctd_record *r, struct fval *v)               \
	{                                                                                                    \
		const float *rt = snap_rates_c(r);                                                           \
		(void)fc;                                                                                    \
		v->cls = 1;                                                                                  \
		v->dbl = (expr);                                                                             \
	}
RATE(get_orate, rt[0])
RATE(get_rrate, rt[1])
RATE(get_rate, (double)rt[0] + (double)rt[1])
#undef RATE

/* A protocol state: its number (filters) and its name (rows, sorting). */
#define STATE(fn, member, need, names)                                                                       \
	static void fn(const struct field_ctx *fc, const struct ctd_record *r, struct fval *v)               \
	{                                                                                                    \
		(void)fc;                                                                                    \
		v->cls = (r->flags & (need)) != 0;                                                           \
		v->num = r->member;                                                                          \
		v->text = field_name_of(names, r->member);                                                   \
	}
STATE(get_state, tcp_state, CTD_REC_HAS_TCP_STATE, ctd_tcp_states)
STATE(get_sctp, sctp_state, CTD_REC_HAS_SCTP_STATE, ctd_sctp_states)
#undef STATE

static void get_uid(const struct field_ctx *fc, const struct ctd_record *r, struct fval *v)
{
	v->cls = fc->cfg->uid_mask != 0;
	v->num = v->cls ? field_uid_of(fc->cfg, r->mark) : 0;
}

static void get_username(const struct field_ctx *fc, const struct ctd_record *r, struct fval *v)
{
	v->text = fc->cfg->uid_mask ? uname_of(fc->uc, field_uid_of(fc->cfg, r->mark)) : NULL;
	v->cls = v->text != NULL;
}

/* The status as the names of its flags (text: each combination made once
 * per process, for rows and groups) and its bits (num: for filters). */
static void get_flags(const struct field_ctx *fc, const struct ctd_record *r, struct fval *v)
{
	static char text[1u << IPS_NAMES][80];
	static bool made;
	unsigned i, k, combo = 0;

	(void)fc;
	if (!made) {
		for (k = 0; k < (1u << IPS_NAMES); k++)
			for (i = 0; i < IPS_NAMES; i++)
				if (k & (1u << i)) {
					if (text[k][0])
						strcat(text[k], ",");
					strcat(text[k], ctd_ips_flags[i].name);
				}
		made = true;
	}
	for (i = 0; i < IPS_NAMES; i++)
		if (r->status & ctd_ips_flags[i].set)
			combo |= 1u << i;
	v->cls = 1;
	v->num = r->status;
	v->text = text[combo];
}

/* ---- the table ----------------------------------------------------------------- */
#define S   FL_SORT
#define G   FL_GROUP
#define U8  0xffu
#define U16 0xffffu
#define U32 0xffffffffu
/* clang-format off */
const struct field ctd_fields[] = {
	/* name                   getter       kind     emit        match       family    max  flags  names */
	{"id",                    get_id,      FK_NUM,  FE_IDSTR,   FM_EQ,      0,        U32, S,     NULL},
	{"orig_l3proto",          get_l3,      FK_NUM,  FE_INT,     FM_EQ,      0,        U8,  S | G, NULL},
	{"orig_l4proto",          get_l4,      FK_NUM,  FE_INT,     FM_EQ,      0,        U8,  S | G, NULL},
	{"orig_ipv4_src",         get_o4s,     FK_ADDR, FE_ADDRSTR, FM_CIDR,    AF_INET,  0,   S,     NULL},
	{"orig_ipv4_dst",         get_o4d,     FK_ADDR, FE_ADDRSTR, FM_CIDR,    AF_INET,  0,   S,     NULL},
	{"repl_ipv4_src",         get_r4s,     FK_ADDR, FE_ADDRSTR, FM_CIDR,    AF_INET,  0,   S,     NULL},
	{"repl_ipv4_dst",         get_r4d,     FK_ADDR, FE_ADDRSTR, FM_CIDR,    AF_INET,  0,   S,     NULL},
	{"orig_ipv6_src",         get_o6s,     FK_ADDR, FE_ADDRSTR, FM_CIDR,    AF_INET6, 0,   S,     NULL},
	{"orig_ipv6_dst",         get_o6d,     FK_ADDR, FE_ADDRSTR, FM_CIDR,    AF_INET6, 0,   S,     NULL},
	{"repl_ipv6_src",         get_r6s,     FK_ADDR, FE_ADDRSTR, FM_CIDR,    AF_INET6, 0,   S,     NULL},
	{"repl_ipv6_dst",         get_r6d,     FK_ADDR, FE_ADDRSTR, FM_CIDR,    AF_INET6, 0,   S,     NULL},
	{"orig_port_src",         get_ops,     FK_NUM,  FE_INT,     FM_EQ,      0,        U16, S | G, NULL},
	{"orig_port_dst",         get_opd,     FK_NUM,  FE_INT,     FM_EQ,      0,        U16, S | G, NULL},
	{"repl_port_src",         get_rps,     FK_NUM,  FE_INT,     FM_EQ,      0,        U16, S,     NULL},
	{"repl_port_dst",         get_rpd,     FK_NUM,  FE_INT,     FM_EQ,      0,        U16, S,     NULL},
	{"icmp_type",             get_itype,   FK_NUM,  FE_INT,     FM_NONE,    0,        0,   S,     NULL},
	{"icmp_code",             get_icode,   FK_NUM,  FE_INT,     FM_NONE,    0,        0,   S,     NULL},
	{"icmp_id",               get_iid,     FK_NUM,  FE_INT,     FM_NONE,    0,        0,   S,     NULL},
	{"tcp_state",             get_state,   FK_TEXT, FE_TEXT,    FM_NAME,    0,        0,   S | G, ctd_tcp_states},
	{"sctp_state",            get_sctp,    FK_TEXT, FE_TEXT,    FM_NAME,    0,        0,   S,     ctd_sctp_states},
	{"status",                get_status,  FK_NUM,  FE_WRAP,    FM_NONE,    0,        0,   S,     NULL},
	{"timeout",               get_timeout, FK_NUM,  FE_SAT,     FM_EQ,      0,        U32, S,     NULL},
	{"mark",                  get_mark,    FK_NUM,  FE_WRAP,    FM_MASKED,  0,        U32, S | G, NULL},
	{"zone",                  get_zone,    FK_NUM,  FE_INT,     FM_EQ,      0,        U16, S | G, NULL},
	{"orig_zone",             get_ozone,   FK_NUM,  FE_INT,     FM_EQ,      0,        U16, S,     NULL},
	{"reply_zone",            get_rzone,   FK_NUM,  FE_INT,     FM_EQ,      0,        U16, S,     NULL},
	{"orig_counter_packets",  get_opk,     FK_NUM,  FE_DOUBLE,  FM_NONE,    0,        0,   S,     NULL},
	{"orig_counter_bytes",    get_oby,     FK_NUM,  FE_DOUBLE,  FM_NONE,    0,        0,   S,     NULL},
	{"repl_counter_packets",  get_rpk,     FK_NUM,  FE_DOUBLE,  FM_NONE,    0,        0,   S,     NULL},
	{"repl_counter_bytes",    get_rby,     FK_NUM,  FE_DOUBLE,  FM_NONE,    0,        0,   S,     NULL},
	{"orig_rate",             get_orate,   FK_DBL,  FE_DOUBLE,  FM_NONE,    0,        0,   S,     NULL},
	{"repl_rate",             get_rrate,   FK_DBL,  FE_DOUBLE,  FM_NONE,    0,        0,   S,     NULL},
	{"rate",                  get_rate,    FK_DBL,  FE_DOUBLE,  FM_NONE,    0,        0,   S,     NULL},
	{"user_id",               get_uid,     FK_NUM,  FE_WRAP,    FM_NONE,    0,        0,   S,     NULL},
	{"username",              get_username,FK_TEXT, FE_TEXT,    FM_TEXT,    0,        0,   S | G, NULL},
	{"orig_src",              get_osrc,    FK_ADDR, FE_NONE,    FM_NONE,    0,        0,   S | G, NULL},
	{"orig_dst",              get_odst,    FK_ADDR, FE_NONE,    FM_NONE,    0,        0,   S | G, NULL},
	{"repl_src",              get_rsrc,    FK_ADDR, FE_NONE,    FM_NONE,    0,        0,   S | G, NULL},
	{"repl_dst",              get_rdst,    FK_ADDR, FE_NONE,    FM_NONE,    0,        0,   S | G, NULL},
	{"flags",                 get_flags,   FK_TEXT, FE_NONE,    FM_FLAGS,   0,        0,   S | G, ctd_ips_flags},
	{"nat",                   get_nat,     FK_NUM,  FE_NONE,    FM_NAME,    0,        0,   0,     nat_kinds},
	{"addr",                  NULL,        FK_ADDR, FE_NONE,    FM_ANYADDR, 0,        0,   0,     NULL},
};
/* clang-format on */
#undef S
#undef G
#undef U8
#undef U16
#undef U32
const unsigned ctd_nfields = sizeof(ctd_fields) / sizeof(ctd_fields[0]);

const struct field *field_by_name(const char *name)
{
	unsigned i;

	for (i = 0; i < ctd_nfields; i++)
		if (strcmp(name, ctd_fields[i].name) == 0)
			return &ctd_fields[i];
	return NULL;
}

int field_index(const struct field *f)
{
	return f ? (int)(f - ctd_fields) : -1;
}
