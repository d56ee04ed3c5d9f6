/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * group.h - records grouped by one field of the field table (cgi/group.c):
 * a hash map of groups (connections, bytes, rates) and the top ones by a
 * figure the caller chooses, ties by key text.  summary and kill_preview
 * (top sources and destinations) both count with it.
 */
#ifndef CTD_GROUP_H
#define CTD_GROUP_H

#include <stdint.h>

#include "bounds.h"
#include "ctd_proto.h"
#include "field.h"

/* A compact key: an address (masked) or a number or a text id, and its
 * class (0: the record has no such field, 1: value or IPv4, 2: IPv6). */
struct group_key {
	uint8_t b[16];
	uint32_t cls;
};

/* One group: what the caller adds up for its records. */
struct group {
	struct group_key k;
	uint32_t conns;
	uint64_t obytes, rbytes;
	double orate, rrate;
};

/* Interned texts (tcp_state, username, flags): a getter's text stays
 * valid for the whole request, so the pointers are kept, never copied. */
struct group_texts {
	const char **s;
	uint32_t n, cap;
	uint32_t *slot; /* index + 1; 0 empty */
	uint32_t mask;
	const char *last; /* one-entry cache: records come in runs */
	uint32_t last_id;
};

struct group_table {
	struct group *g;
	uint32_t n, cap;
	uint32_t *slot; /* index + 1; 0 empty */
	uint32_t mask;
};

struct group_map {
	const struct field *by; /* FL_GROUP */
	unsigned v4_prefix, v6_prefix;
	const struct field_ctx *fc;
	struct group_texts tx;
	struct group_table map; /* map.g[0..map.n): the groups */
};

#define GROUP_KEY_MAX (CTD_USER_MAX + 8)

/* A group chosen: its index in map.g, its figure, its key as text. */
struct group_pick {
	uint32_t g;
	double m;
	char key[GROUP_KEY_MAX];
};

void group_init(struct group_map *m, const struct field *by, unsigned v4_prefix, unsigned v6_prefix,
		const struct field_ctx *fc);
void group_free(struct group_map *m);
/* The group of record r, added (zeroed) when new; NULL when out of memory. */
struct group *group_of(struct group_map *m, const struct ctd_record *r);
/* A key as the README spells it: an address (with /N when shorter than
 * full), a protocol name, a number, a text; "" for rows lacking the field. */
void group_key_text(const struct group_map *m, const struct group_key *k, char out[GROUP_KEY_MAX]);
/* The top `limit` groups by metric (descending, ties by key ascending)
 * into top[] (room for limit), best first; *ntop of them. */
void group_top(const struct group_map *m, double (*metric)(const struct group *g, void *arg), void *arg,
	       uint32_t limit, struct group_pick *top, uint32_t *ntop);

#endif /* CTD_GROUP_H */
