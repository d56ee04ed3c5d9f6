/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * field.h - the one table of row fields (after nftables' ct_templates[]).
 * Every field a row carries, a filter matches or an order sorts on is one
 * entry: its name, how its value is read from a record, how a row carries
 * it, how a filter of that name matches.  Filter parsing (filter.c), sort
 * keys (order.c) and row building (row.c) all read this table, so a new
 * field or filter is one line here.
 */
#ifndef CTD_FIELD_H
#define CTD_FIELD_H

#include <stdbool.h>
#include <stdint.h>

#include "ctd_proto.h"

struct ctd_config;
struct uname_cache;

/* What a field's value is for one record.  cls 0: the record has no such
 * field (absent from its row, sorted first); 1: a value, or an IPv4
 * address; 2: an IPv6 address. */
struct fval {
	uint32_t cls;
	uint64_t num;	     /* FK_NUM */
	double dbl;	     /* FK_DBL */
	const uint8_t *addr; /* FK_ADDR: 4 or 16 bytes, network order */
	const char *text;    /* FK_TEXT */
};

/* What the getters need besides the record. */
struct field_ctx {
	const struct ctd_config *cfg;
	struct uname_cache *uc; /* uid -> name, for username */
};

enum field_kind { FK_NUM, FK_DBL, FK_ADDR, FK_TEXT };

/* How a row carries the value (XML-RPC has no unsigned or 64-bit ints). */
enum field_emit {
	FE_NONE,    /* not a row field (sort or filter only) */
	FE_INT,	    /* fits an i4 */
	FE_WRAP,    /* u32 as its two's-complement i4 (mark, status) */
	FE_SAT,	    /* u32 saturated at 2^31-1 (timeout) */
	FE_DOUBLE,  /* 64-bit counters and rates */
	FE_IDSTR,   /* decimal string (connection ids) */
	FE_ADDRSTR, /* dotted quad / RFC 5952 */
	FE_TEXT,    /* string */
};

/* How a filter of the field's name matches. */
enum field_match {
	FM_NONE,    /* not a filter */
	FM_EQ,	    /* number, exact, at most .max */
	FM_MASKED,  /* FM_EQ, or a string "VALUE/MASK" (decimal or 0x hex): (v & MASK) == VALUE */
	FM_CIDR,    /* address or network of .family (0: either) */
	FM_NAME,    /* one of .names (case-insensitive), or the number of a value one names */
	FM_FLAGS,   /* comma-separated .names, every one must hold */
	FM_TEXT,    /* string, exact */
	FM_ANYADDR, /* CIDR against any of the four addresses */
};

/* A name of a field's vocabulary (a state, a status flag, a NAT kind).
 * FM_NAME: `set` has bit n for each value n of the field the name stands
 * for (aliases such as conntrack's input name LISTEN share a bit; the
 * first name of a value is how rows print it).  FM_FLAGS: the value's
 * bits that must be set (`set`) and clear (`clear`).  A table ends with a
 * NULL name. */
struct field_name {
	const char *name;
	uint32_t set;
	uint32_t clear;
};

#define FL_SORT	 0x01u /* order_by may name it */
#define FL_GROUP 0x02u /* summary may group by it */

typedef void (*field_get)(const struct field_ctx *fc, const struct ctd_record *r, struct fval *v);

struct field {
	const char *name;
	field_get get;
	uint8_t kind;			/* enum field_kind */
	uint8_t emit;			/* enum field_emit */
	uint8_t match;			/* enum field_match */
	uint8_t family;			/* FM_CIDR: AF_INET, AF_INET6 or 0 */
	uint32_t max;			/* FM_EQ, FM_MASKED: largest value */
	uint32_t flags;			/* FL_* */
	const struct field_name *names; /* FM_NAME, FM_FLAGS */
};

extern const struct field ctd_fields[];
extern const unsigned ctd_nfields;

/* The field of that name, or NULL. */
const struct field *field_by_name(const char *name);
/* Index of a field in ctd_fields, or -1 for NULL. */
int field_index(const struct field *f);

/* uid of a mark under the configured uid_mask (NuFW style). */
uint32_t field_uid_of(const struct ctd_config *cfg, uint32_t mark);

/* The entry of `names` that `name` is (case-insensitive), or NULL. */
const struct field_name *field_name_find(const struct field_name *names, const char *name);
/* How value v prints (FM_NAME vocabularies): the first name whose `set`
 * is v's bit alone; "UNKNOWN" if none. */
const char *field_name_of(const struct field_name *names, uint32_t v);

/* The vocabularies, as conntrack -L prints (and -u, --state read) them. */
extern const struct field_name ctd_tcp_states[], ctd_sctp_states[], ctd_ips_flags[];

#endif /* CTD_FIELD_H */
