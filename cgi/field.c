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

/* ---- TCP states ------------------------------------------------------------ */
static const char *const tcp_states[CTD_TCP_STATES] = {
    "NONE",	  "SYN_SENT", "SYN_RECV",  "ESTABLISHED", "FIN_WAIT",
    "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",	  "SYN_SENT2",
};

const char *tcp_state_name(uint8_t s)
{
	return s < CTD_TCP_STATES ? tcp_states[s] : "UNKNOWN";
}

int tcp_state_parse(const char *name)
{
	unsigned i;

	for (i = 0; i < CTD_TCP_STATES; i++)
		if (strcasecmp(name, tcp_states[i]) == 0)
			return (int)i;
	return -1;
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

static void get_state(const struct field_ctx *fc, const struct ctd_record *r, struct fval *v)
{
	(void)fc;
	v->cls = (r->flags & CTD_REC_HAS_TCP_STATE) != 0;
	v->num = r->tcp_state;
	v->text = tcp_state_name(r->tcp_state);
}

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

/* The status bits of the API's `flags` vocabulary (conntrack -u's names), in
 * that order; the text of each combination is made once per process. */
static const struct {
	const char *name;
	uint32_t bit;
} ips_names[] = {
    {"ASSURED", 1u << 2},  {"SEEN_REPLY", 1u << 1}, {"FIXED_TIMEOUT", 1u << 10}, {"DYING", 1u << 9},
    {"OFFLOAD", 1u << 14}, {"SRC_NAT", 1u << 4},    {"DST_NAT", 1u << 5},	 {"CONFIRMED", 1u << 3},
};
#define IPS_NAMES (sizeof(ips_names) / sizeof(ips_names[0]))

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
					strcat(text[k], ips_names[i].name);
				}
		made = true;
	}
	for (i = 0; i < IPS_NAMES; i++)
		if (r->status & ips_names[i].bit)
			combo |= 1u << i;
	v->cls = 1;
	v->num = combo;
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
	/* name                   getter       kind     emit        match       family    max  flags */
	{"id",                    get_id,      FK_NUM,  FE_IDSTR,   FM_EQ,      0,        U32, S},
	{"orig_l3proto",          get_l3,      FK_NUM,  FE_INT,     FM_EQ,      0,        U8,  S | G},
	{"orig_l4proto",          get_l4,      FK_NUM,  FE_INT,     FM_EQ,      0,        U8,  S | G},
	{"orig_ipv4_src",         get_o4s,     FK_ADDR, FE_ADDRSTR, FM_CIDR,    AF_INET,  0,   S},
	{"orig_ipv4_dst",         get_o4d,     FK_ADDR, FE_ADDRSTR, FM_CIDR,    AF_INET,  0,   S},
	{"repl_ipv4_src",         get_r4s,     FK_ADDR, FE_ADDRSTR, FM_NONE,    AF_INET,  0,   S},
	{"repl_ipv4_dst",         get_r4d,     FK_ADDR, FE_ADDRSTR, FM_NONE,    AF_INET,  0,   S},
	{"orig_ipv6_src",         get_o6s,     FK_ADDR, FE_ADDRSTR, FM_CIDR,    AF_INET6, 0,   S},
	{"orig_ipv6_dst",         get_o6d,     FK_ADDR, FE_ADDRSTR, FM_CIDR,    AF_INET6, 0,   S},
	{"repl_ipv6_src",         get_r6s,     FK_ADDR, FE_ADDRSTR, FM_NONE,    AF_INET6, 0,   S},
	{"repl_ipv6_dst",         get_r6d,     FK_ADDR, FE_ADDRSTR, FM_NONE,    AF_INET6, 0,   S},
	{"orig_port_src",         get_ops,     FK_NUM,  FE_INT,     FM_EQ,      0,        U16, S | G},
	{"orig_port_dst",         get_opd,     FK_NUM,  FE_INT,     FM_EQ,      0,        U16, S | G},
	{"repl_port_src",         get_rps,     FK_NUM,  FE_INT,     FM_NONE,    0,        0,   S},
	{"repl_port_dst",         get_rpd,     FK_NUM,  FE_INT,     FM_NONE,    0,        0,   S},
	{"icmp_type",             get_itype,   FK_NUM,  FE_INT,     FM_NONE,    0,        0,   S},
	{"icmp_code",             get_icode,   FK_NUM,  FE_INT,     FM_NONE,    0,        0,   S},
	{"icmp_id",               get_iid,     FK_NUM,  FE_INT,     FM_NONE,    0,        0,   S},
	{"tcp_state",             get_state,   FK_TEXT, FE_TEXT,    FM_STATE,   0,        0,   S | G},
	{"status",                get_status,  FK_NUM,  FE_WRAP,    FM_NONE,    0,        0,   S},
	{"timeout",               get_timeout, FK_NUM,  FE_SAT,     FM_EQ,      0,        U32, S},
	{"mark",                  get_mark,    FK_NUM,  FE_WRAP,    FM_EQ,      0,        U32, S | G},
	{"zone",                  get_zone,    FK_NUM,  FE_INT,     FM_EQ,      0,        U16, S | G},
	{"orig_counter_packets",  get_opk,     FK_NUM,  FE_DOUBLE,  FM_NONE,    0,        0,   S},
	{"orig_counter_bytes",    get_oby,     FK_NUM,  FE_DOUBLE,  FM_NONE,    0,        0,   S},
	{"repl_counter_packets",  get_rpk,     FK_NUM,  FE_DOUBLE,  FM_NONE,    0,        0,   S},
	{"repl_counter_bytes",    get_rby,     FK_NUM,  FE_DOUBLE,  FM_NONE,    0,        0,   S},
	{"orig_rate",             get_orate,   FK_DBL,  FE_DOUBLE,  FM_NONE,    0,        0,   S},
	{"repl_rate",             get_rrate,   FK_DBL,  FE_DOUBLE,  FM_NONE,    0,        0,   S},
	{"rate",                  get_rate,    FK_DBL,  FE_DOUBLE,  FM_NONE,    0,        0,   S},
	{"user_id",               get_uid,     FK_NUM,  FE_WRAP,    FM_NONE,    0,        0,   S},
	{"username",              get_username,FK_TEXT, FE_TEXT,    FM_TEXT,    0,        0,   S | G},
	{"orig_src",              get_osrc,    FK_ADDR, FE_NONE,    FM_NONE,    0,        0,   S | G},
	{"orig_dst",              get_odst,    FK_ADDR, FE_NONE,    FM_NONE,    0,        0,   S | G},
	{"repl_src",              get_rsrc,    FK_ADDR, FE_NONE,    FM_NONE,    0,        0,   S | G},
	{"repl_dst",              get_rdst,    FK_ADDR, FE_NONE,    FM_NONE,    0,        0,   S | G},
	{"flags",                 get_flags,   FK_TEXT, FE_NONE,    FM_NONE,    0,        0,   G},
	{"addr",                  NULL,        FK_ADDR, FE_NONE,    FM_ANYADDR, 0,        0,   0},
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
