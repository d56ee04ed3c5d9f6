// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * order.c - sorting a view (order.h).  A field's sort key comes from its
 * getter (field.c): numbers and rates fit one 64-bit key and go through a
 * stable radix sort; addresses and names need 128 bits and go through
 * qsort.  Records are sorted by id, so a row's position breaks ties
 * exactly as its id would.
 */
#include <stdlib.h>
#include <string.h>

#include "order.h"
#include "radix.h"
#include "uname.h"

/* 24 bytes: 1M of them must fit next to the table. */
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

/* Doubles as unsigned integers of the same order. */
static uint64_t dbl_key(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return (u >> 63) ? ~u : u | (1ull << 63);
}

static void make_key(const struct field_ctx *fc, const struct field *fd, const struct ctd_record *r,
		     struct skey *k)
{
	struct fval v = {0};
	uint8_t buf[16] = {0};

	fd->get(fc, r, &v);
	k->cls = v.cls;
	k->a = k->b = 0;
	if (!v.cls)
		return;
	switch (fd->kind) {
	case FK_NUM:
		k->a = v.num;
		break;
	case FK_DBL:
		k->a = dbl_key(v.dbl);
		break;
	case FK_ADDR:
		memcpy(buf, v.addr, v.cls == 1 ? 4 : 16);
		k->a = be64(buf);
		k->b = be64(buf + 8);
		break;
	case FK_TEXT:
		/* names compare as strings: the first 16 bytes, big-endian */
		memcpy(buf, v.text, strnlen(v.text, 16));
		k->a = be64(buf);
		k->b = be64(buf + 8);
		break;
	}
}

static bool is_wide(const struct field *fd)
{
	return fd->kind == FK_ADDR || fd->kind == FK_TEXT;
}

/* The record's key in the view's direction: ascending (cls, a, b) is the
 * view's order either way (ties are the caller's).  A narrow field's key is
 * a alone: the value with presence in the top bit. */
static void view_key(const struct field_ctx *fc, const struct field *fd, bool desc,
		     const struct ctd_record *r, struct skey *k)
{
	make_key(fc, fd, r, k);
	if (!is_wide(fd)) {
		uint64_t v = ((uint64_t)(k->cls != 0) << 63) | (k->a & ~(1ull << 63));
		k->a = desc ? ~v : v;
		k->b = 0;
		k->cls = 0;
	} else if (desc) {
		k->cls = 3 - k->cls;
		k->a = ~k->a;
		k->b = ~k->b;
	}
}

static int cmp_key(const struct skey *p, const struct skey *q)
{
	if (p->cls != q->cls)
		return p->cls < q->cls ? -1 : 1;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return 0;
}

/* ties stay in ascending id order, so pages are stable either way */
static int cmp_pos(const void *x, const void *y)
{
	const struct skey *p = x, *q = y;
	int c = cmp_key(p, q);

	return c ? c : p->pos < q->pos ? -1 : p->pos > q->pos;
}

/* One 64-bit key (presence in the top bit), stable radix sort: equal keys
 * keep the snapshot's id order. */
static int order_narrow(const struct field_ctx *fc, const struct view_filter *f, const struct field *fd,
			bool desc, const struct snap_table *t, uint32_t **pos, uint32_t *npos)
{
	uint32_t n = t->n;
	struct ctd_record r;
	void *mem = malloc((n ? n : 1) * sizeof(struct radix_u64));
	struct radix_u64 *keys = mem;
	uint32_t i, nk = 0, *out;
	bool by_id = strcmp(fd->name, "id") == 0;
	struct skey k;

	if (!keys)
		return -1;
	for (i = 0; i < n; i++)
		if (snap_get(t, i, &r), filter_match(fc, f, &r)) {
			view_key(fc, fd, desc, &r, &k);
			keys[nk].key = k.a;
			keys[nk].pos = i;
			nk++;
		}
	/* by id, the snapshot's order is already the answer (read backwards
	 * for DESC, ties too: view_order_top does the same) */
	if (!by_id && radix_sort_u64(keys, nk) < 0) {
		free(keys);
		return -1;
	}
	if (by_id && desc)
		for (i = 0; i < nk / 2; i++) {
			struct radix_u64 x = keys[i];
			keys[i] = keys[nk - 1 - i];
			keys[nk - 1 - i] = x;
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

static int order_wide(const struct field_ctx *fc, const struct view_filter *f, const struct field *fd,
		      bool desc, const struct snap_table *t, uint32_t **pos, uint32_t *npos)
{
	uint32_t i, nk = 0, n = t->n;
	struct skey *keys = malloc((n ? n : 1) * sizeof(*keys));
	struct ctd_record r;

	if (!keys)
		return -1;
	for (i = 0; i < n; i++)
		if (snap_get(t, i, &r), filter_match(fc, f, &r)) {
			view_key(fc, fd, desc, &r, &keys[nk]);
			keys[nk].pos = i;
			nk++;
		}
	qsort(keys, nk, sizeof(*keys), cmp_pos);
	/* reuse the key array's memory for the positions: no second big block */
	*pos = (uint32_t *)(void *)keys;
	for (i = 0; i < nk; i++)
		(*pos)[i] = keys[i].pos;
	*npos = nk;
	return 0;
}

static const struct field *sort_field(int field)
{
	if (field < 0 || (unsigned)field >= ctd_nfields || !(ctd_fields[field].flags & FL_SORT))
		return NULL;
	return &ctd_fields[field];
}

int view_order(const struct field_ctx *fc, const struct view_filter *f, int field, bool desc,
	       const struct snap_table *t, uint32_t **pos, uint32_t *npos)
{
	const struct field *fd = sort_field(field);

	*pos = NULL;
	*npos = 0;
	if (!fd)
		return -1;
	if (is_wide(fd))
		return order_wide(fc, f, fd, desc, t, pos, npos);
	return order_narrow(fc, f, fd, desc, t, pos, npos);
}

/* ---- the first entries only, from a table in arrival order ---- */

/* Position in the id order is (id, arrival): a record's place among equal
 * keys once the table is sorted (snap_sort_by_id keeps arrival order among
 * equal ids); id DESC reads that order backwards. */
struct top {
	struct skey *k; /* a max-heap by tk_cmp: k[0] is the last of those kept */
	uint32_t *id;	/* id of k[i] (k[i].pos: index in the table) */
	uint32_t n, cap;
	bool backwards;
};

static int tk_cmp(const struct top *h, uint32_t i, const struct skey *k, uint32_t id)
{
	int c = cmp_key(&h->k[i], k);

	if (!c && h->id[i] != id)
		c = h->id[i] < id ? -1 : 1;
	if (!c && h->k[i].pos != k->pos)
		c = h->k[i].pos < k->pos ? -1 : 1;
	return h->backwards ? -c : c;
}

static void tk_swap(struct top *h, uint32_t i, uint32_t j)
{
	struct skey k = h->k[i];
	uint32_t id = h->id[i];

	h->k[i] = h->k[j];
	h->id[i] = h->id[j];
	h->k[j] = k;
	h->id[j] = id;
}

static void tk_down(struct top *h, uint32_t i, uint32_t n)
{
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;

		if (l < n && tk_cmp(h, l, &h->k[m], h->id[m]) > 0)
			m = l;
		if (l + 1 < n && tk_cmp(h, l + 1, &h->k[m], h->id[m]) > 0)
			m = l + 1;
		if (m == i)
			return;
		tk_swap(h, i, m);
		i = m;
	}
}

/* Keep k if it is among the first cap seen so far. */
static void tk_offer(struct top *h, const struct skey *k, uint32_t id)
{
	uint32_t i = h->n;

	if (h->n == h->cap) {
		if (tk_cmp(h, 0, k, id) <= 0)
			return;
		h->k[0] = *k;
		h->id[0] = id;
		tk_down(h, 0, h->n);
		return;
	}
	h->k[i] = *k;
	h->id[i] = id;
	h->n++;
	for (; i && tk_cmp(h, (i - 1) / 2, &h->k[i], h->id[i]) < 0; i = (i - 1) / 2)
		tk_swap(h, i, (i - 1) / 2);
}

int view_order_top(const struct field_ctx *fc, const struct view_filter *f, int field, bool desc,
		   const struct snap_table *t, uint32_t limit, uint32_t **top, uint32_t *ntop,
		   uint32_t *total)
{
	const struct field *fd = sort_field(field);
	struct top h = {0};
	struct ctd_record r;
	struct skey k;
	uint32_t i;

	*top = NULL;
	*ntop = *total = 0;
	if (!fd || !limit)
		return fd ? 0 : -1;
	h.cap = limit < t->n ? limit : t->n ? t->n : 1;
	h.backwards = desc && strcmp(fd->name, "id") == 0;
	h.k = malloc(h.cap * sizeof(*h.k));
	h.id = malloc(h.cap * sizeof(*h.id));
	if (!h.k || !h.id) {
		free(h.k);
		free(h.id);
		return -1;
	}
	for (i = 0; i < t->n; i++)
		if (snap_get(t, i, &r), filter_match(fc, f, &r)) {
			view_key(fc, fd, h.backwards ? false : desc, &r, &k);
			k.pos = i;
			tk_offer(&h, &k, r.id);
			++*total;
		}
	/* heap order to view order: the last kept goes to the end each time */
	for (i = h.n; i > 1; i--) {
		tk_swap(&h, 0, i - 1);
		tk_down(&h, 0, i - 1);
	}
	*top = h.id;
	for (i = 0; i < h.n; i++)
		(*top)[i] = h.k[i].pos;
	*ntop = h.n;
	free(h.k);
	return 0;
}
