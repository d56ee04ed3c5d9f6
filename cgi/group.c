// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * group.c - records grouped by one field of the field table (group.h), as
 * summary and kill_preview count them.  A record's group key comes from
 * the getter of the group_by field (field.c, FL_GROUP), made compact: an
 * address masked to its prefix (16 bytes and the family), a number, or
 * the id of an interned text.  Groups live in one hash map, so memory is
 * bounded by the number of groups, at most the table's size.  The top
 * groups are then chosen with a bounded heap; only those (and ties at the
 * heap's edge) have their key written out as text.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "group.h"

/* ---- interned texts (tcp_state, username, flags) -------------------------------------
 * A getter's text stays valid for the whole request (static tables, the
 * request's uid cache), so the pointers are kept, never copied. */

static uint32_t str_hash(const char *p)
{
	uint32_t h = 2166136261u;

	for (; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

static int texts_grow(struct group_texts *t)
{
	uint32_t nslots = t->mask ? 2 * (t->mask + 1) : 64, i, h;
	uint32_t *slot = calloc(nslots, sizeof(*slot));

	if (!slot)
		return -1;
	for (i = 0; i < t->n; i++) {
		for (h = str_hash(t->s[i]) & (nslots - 1); slot[h]; h = (h + 1) & (nslots - 1))
			;
		slot[h] = i + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->mask = nslots - 1;
	return 0;
}

/* The id of text p, or -1 when out of memory. */
static int64_t texts_id(struct group_texts *t, const char *p)
{
	uint32_t h;
	void *q;

	if (p == t->last)
		return t->last_id;
	if (2 * (t->n + 1) > t->mask + 1 && texts_grow(t) < 0)
		return -1;
	for (h = str_hash(p) & t->mask; t->slot[h]; h = (h + 1) & t->mask)
		if (strcmp(t->s[t->slot[h] - 1], p) == 0)
			break;
	if (!t->slot[h]) {
		if (t->n == t->cap) {
			if (!(q = realloc(t->s, (t->cap ? 2 * (size_t)t->cap : 64) * sizeof(*t->s))))
				return -1;
			t->s = q;
			t->cap = t->cap ? 2 * t->cap : 64;
		}
		t->s[t->n++] = p;
		t->slot[h] = t->n;
	}
	t->last = p;
	t->last_id = t->slot[h] - 1;
	return t->last_id;
}

/* ---- the groups ------------------------------------------------------------------ */

static uint32_t key_hash(const struct group_key *k)
{
	uint64_t a, b;

	memcpy(&a, k->b, 8);
	memcpy(&b, k->b + 8, 8);
	a = (a ^ (b * 0x9e3779b97f4a7c15ull) ^ k->cls) * 0xff51afd7ed558ccdull;
	return (uint32_t)(a ^ (a >> 29) ^ (a >> 41));
}

static int gmap_grow(struct group_table *m)
{
	uint32_t nslots = m->mask ? 2 * (m->mask + 1) : 1024, i, h;
	uint32_t *slot = calloc(nslots, sizeof(*slot));

	if (!slot)
		return -1;
	for (i = 0; i < m->n; i++) {
		for (h = key_hash(&m->g[i].k) & (nslots - 1); slot[h]; h = (h + 1) & (nslots - 1))
			;
		slot[h] = i + 1;
	}
	free(m->slot);
	m->slot = slot;
	m->mask = nslots - 1;
	return 0;
}

/* The group of key k, added when new; NULL when out of memory. */
static struct group *gmap_get(struct group_table *m, const struct group_key *k)
{
	uint32_t h;
	void *q;

	/* load factor at most 1/2 */
	if (2 * (uint64_t)(m->n + 1) > (uint64_t)m->mask + 1 && gmap_grow(m) < 0)
		return NULL;
	for (h = key_hash(k) & m->mask; m->slot[h]; h = (h + 1) & m->mask)
		if (memcmp(&m->g[m->slot[h] - 1].k, k, sizeof(*k)) == 0)
			return &m->g[m->slot[h] - 1];
	if (m->n == m->cap) {
		uint32_t c = m->cap ? m->cap + m->cap / 2 : 1024;
		if (!(q = realloc(m->g, (size_t)c * sizeof(*m->g))))
			return NULL;
		m->g = q;
		m->cap = c;
	}
	memset(&m->g[m->n], 0, sizeof(m->g[0]));
	m->g[m->n].k = *k;
	m->slot[h] = ++m->n;
	return &m->g[m->n - 1];
}

static void mask_prefix(uint8_t *b, unsigned len, unsigned prefix)
{
	unsigned i;

	for (i = 0; i < len; i++)
		if (prefix <= 8 * i)
			b[i] = 0;
		else if (prefix < 8 * (i + 1))
			b[i] &= (uint8_t)(0xff00u >> (prefix - 8 * i));
}

/* The record's key: 0, or -1 when out of memory. */
static int key_of(struct group_map *s, const struct ctd_record *r, struct group_key *k)
{
	const struct field *by = s->by;
	struct fval v = {0};
	int64_t id;

	memset(k, 0, sizeof(*k));
	by->get(s->fc, r, &v);
	/* an empty text is the group of rows lacking the field, "" */
	if (!v.cls || (by->kind == FK_TEXT && (!v.text || !v.text[0])))
		return 0;
	k->cls = v.cls;
	switch (by->kind) {
	case FK_ADDR:
		memcpy(k->b, v.addr, v.cls == 1 ? 4 : 16);
		mask_prefix(k->b, v.cls == 1 ? 4 : 16, v.cls == 1 ? s->v4_prefix : s->v6_prefix);
		break;
	case FK_TEXT:
		if ((id = texts_id(&s->tx, v.text)) < 0)
			return -1;
		memcpy(k->b, &id, sizeof(id));
		break;
	case FK_DBL:
		memcpy(k->b, &v.dbl, sizeof(v.dbl));
		break;
	default:
		memcpy(k->b, &v.num, sizeof(v.num));
		break;
	}
	return 0;
}

/* ---- the top groups ------------------------------------------------------------- */

/* Protocol numbers by name, as the README (API, summary) spells the keys. */
static const char *proto_name(const struct field *by, uint64_t n)
{
	if (strcmp(by->name, "orig_l3proto") == 0)
		return n == AF_INET ? "ipv4" : n == AF_INET6 ? "ipv6" : NULL;
	if (strcmp(by->name, "orig_l4proto") == 0)
		return n == 6 ? "tcp" : n == 17 ? "udp" : n == 1 ? "icmp" : n == 58 ? "icmpv6" : NULL;
	return NULL;
}

void group_key_text(const struct group_map *s, const struct group_key *k, char out[GROUP_KEY_MAX])
{
	const struct field *by = s->by;
	char a[INET6_ADDRSTRLEN];
	unsigned prefix, full;
	uint64_t n;
	int64_t id;
	const char *name;

	out[0] = '\0';
	if (!k->cls)
		return;
	switch (by->kind) {
	case FK_ADDR:
		full = k->cls == 1 ? 32 : 128;
		prefix = k->cls == 1 ? s->v4_prefix : s->v6_prefix;
		inet_ntop(k->cls == 1 ? AF_INET : AF_INET6, k->b, a, sizeof(a));
		if (prefix < full)
			snprintf(out, GROUP_KEY_MAX, "%s/%u", a, prefix);
		else
			snprintf(out, GROUP_KEY_MAX, "%s", a);
		break;
	case FK_TEXT:
		memcpy(&id, k->b, sizeof(id));
		snprintf(out, GROUP_KEY_MAX, "%s", s->tx.s[id]);
		break;
	case FK_DBL:
		break;
	default:
		memcpy(&n, k->b, sizeof(n));
		if ((name = proto_name(by, n)))
			snprintf(out, GROUP_KEY_MAX, "%s", name);
		else
			snprintf(out, GROUP_KEY_MAX, "%llu", (unsigned long long)n);
		break;
	}
}

/* Whether a ranks below b: a smaller figure, or the same and a larger key. */
static int below(const struct group_pick *a, const struct group_pick *b)
{
	if (a->m != b->m)
		return a->m < b->m;
	return strcmp(a->key, b->key) > 0;
}

static int cmp_rank(const void *x, const void *y)
{
	const struct group_pick *a = x, *b = y;

	return below(a, b) ? 1 : below(b, a) ? -1 : 0;
}

/* The heap's root is its lowest-ranked pick. */
static void sift_down(struct group_pick *h, uint32_t n, uint32_t i)
{
	struct group_pick tmp;

	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, w = i;
		if (l < n && below(&h[l], &h[w]))
			w = l;
		if (r < n && below(&h[r], &h[w]))
			w = r;
		if (w == i)
			return;
		tmp = h[i];
		h[i] = h[w];
		h[w] = tmp;
		i = w;
	}
}

static void sift_up(struct group_pick *h, uint32_t i)
{
	struct group_pick tmp;

	while (i > 0 && below(&h[i], &h[(i - 1) / 2])) {
		tmp = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = tmp;
		i = (i - 1) / 2;
	}
}

void group_top(const struct group_map *s, double (*metric)(const struct group *g, void *arg), void *arg,
	       uint32_t limit, struct group_pick *top, uint32_t *ntop)
{
	uint32_t i, n = 0;
	struct group_pick c;

	for (i = 0; i < s->map.n; i++) {
		c.g = i;
		c.m = metric(&s->map.g[i], arg);
		if (n == limit && c.m < top[0].m)
			continue;
		group_key_text(s, &s->map.g[i].k, c.key);
		if (n < limit) {
			top[n] = c;
			sift_up(top, n++);
		} else if (below(&top[0], &c)) {
			top[0] = c;
			sift_down(top, n, 0);
		}
	}
	qsort(top, n, sizeof(*top), cmp_rank);
	*ntop = n;
}

void group_init(struct group_map *m, const struct field *by, unsigned v4_prefix, unsigned v6_prefix,
		const struct field_ctx *fc)
{
	memset(m, 0, sizeof(*m));
	m->by = by;
	m->v4_prefix = v4_prefix;
	m->v6_prefix = v6_prefix;
	m->fc = fc;
}

void group_free(struct group_map *m)
{
	free(m->tx.s);
	free(m->tx.slot);
	free(m->map.g);
	free(m->map.slot);
}

struct group *group_of(struct group_map *m, const struct ctd_record *r)
{
	struct group_key k;

	return key_of(m, r, &k) < 0 ? NULL : gmap_get(&m->map, &k);
}
