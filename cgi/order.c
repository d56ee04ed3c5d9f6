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
			uint64_t v;
			make_key(fc, fd, &r, &k);
			v = ((uint64_t)(k.cls != 0) << 63) | (k.a & ~(1ull << 63));
			keys[nk].key = desc ? ~v : v;
			keys[nk].pos = i;
			nk++;
		}
	/* by id, the snapshot's order is already the answer */
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
			make_key(fc, fd, &r, &keys[nk]);
			keys[nk].pos = i;
			nk++;
		}
	qsort(keys, nk, sizeof(*keys), desc ? cmp_desc : cmp_asc);
	/* reuse the key array's memory for the positions: no second big block */
	*pos = (uint32_t *)(void *)keys;
	for (i = 0; i < nk; i++)
		(*pos)[i] = keys[i].pos;
	*npos = nk;
	return 0;
}

int view_order(const struct field_ctx *fc, const struct view_filter *f, int field, bool desc,
	       const struct snap_table *t, uint32_t **pos, uint32_t *npos)
{
	const struct field *fd;

	*pos = NULL;
	*npos = 0;
	if (field < 0 || (unsigned)field >= ctd_nfields || !(ctd_fields[field].flags & FL_SORT))
		return -1;
	fd = &ctd_fields[field];
	if (fd->kind == FK_ADDR || fd->kind == FK_TEXT)
		return order_wide(fc, f, fd, desc, t, pos, npos);
	return order_narrow(fc, f, fd, desc, t, pos, npos);
}
