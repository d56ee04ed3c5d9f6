// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * snaptable.c - a whole table in memory, compact (snapshot.h, struct
 * snap_table): records encoded one by one as they arrive, sorted by id
 * through a small index and then copied into id order, read back one at a
 * time with snap_get().
 */
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "radix.h"
#include "reccodec.h"
#include "snapshot.h"

void snap_free(struct snap_table *t)
{
	free(t->arena);
	free(t->start);
	free(t->order);
	free(t->rates);
	memset(t, 0, sizeof(*t));
}

/* Grow p (elements of size sz, *cap of them) to hold at least want. */
static int grow_array(void **p, uint64_t *cap, uint64_t want, size_t sz, uint64_t limit)
{
	uint64_t c = *cap + *cap / 2 + 4096;
	void *q;

	if (want <= *cap)
		return 0;
	if (want > limit)
		return -1;
	if (c < want)
		c = want;
	if (c > limit)
		c = limit;
	/* large blocks are mmap'd by glibc, so realloc moves pages, not bytes */
	if (!(q = realloc(*p, (size_t)(c * sz))))
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

/* rates[] made while the dump streams in (rates.c) follows the table's room. */
static int grow_rates(struct snap_table *t)
{
	size_t now = 2 * ((size_t)t->rcap + 1), want = 2 * ((size_t)t->cap + 1);
	float *r;

	if (want <= now)
		return 0;
	if (!(r = realloc(t->rates, want * sizeof(float))))
		return -1;
	memset(r + now, 0, (want - now) * sizeof(float));
	t->rates = r;
	t->rcap = t->cap;
	return 0;
}

int snap_grow(struct snap_table *t, uint32_t want)
{
	uint64_t cap = t->cap, acap = t->acap;
	void *start = t->start, *arena = t->arena;
	int rc;

	/* room for want starts (+1 for the end), and bytes for typical records */
	rc = grow_array(&start, &cap, (uint64_t)want + 1, sizeof(uint32_t), (uint64_t)CTD_TABLE_MAX + 1);
	t->start = start;
	t->cap = (uint32_t)(cap ? cap - 1 : 0);
	if (rc < 0)
		return -1;
	if (t->rates && grow_rates(t) < 0)
		return -1;
	rc = grow_array(&arena, &acap, (uint64_t)want * 48, 1, UINT32_MAX);
	t->arena = arena;
	t->acap = acap;
	return rc;
}

int snap_append(struct snap_table *t, const struct ctd_record *r)
{
	uint64_t acap = t->acap;
	void *arena = t->arena;

	if (t->n == t->cap && snap_grow(t, t->n + 1) < 0)
		return -1;
	/* room for the largest record; offsets are 32-bit (~90M records) */
	if (t->len + RECCODEC_REC_MAX > t->acap) {
		if (grow_array(&arena, &acap, t->len + RECCODEC_REC_MAX, 1, UINT32_MAX) < 0)
			return -1;
		t->arena = arena;
		t->acap = acap;
	}
	t->start[t->n] = (uint32_t)t->len;
	t->len += reccodec_encode_one(r, t->arena + t->len);
	t->start[++t->n] = (uint32_t)t->len;
	return 0;
}

static uint32_t arrival(const struct snap_table *t, uint32_t i)
{
	return t->order ? t->order[i] : i;
}

/* Record i as stored: start_ns as the kernel gave it (before rates). */
void snap_get_raw(const struct snap_table *t, uint32_t i, struct ctd_record *out)
{
	uint32_t k = arrival(t, i);

	/* our own encoding (or a chunk checked when loaded): it decodes */
	if (reccodec_decode_one(t->arena + t->start[k], t->start[k + 1] - t->start[k], out) != 0)
		memset(out, 0, sizeof(*out));
}

void snap_get(const struct snap_table *t, uint32_t i, struct ctd_record *out)
{
	snap_get_raw(t, i, out);
	if (t->rates)
		memcpy(&out->start_ns, &t->rates[2 * (size_t)i], sizeof(out->start_ns));
}

uint32_t snap_id(const struct snap_table *t, uint32_t i)
{
	return reccodec_rec_id(t->arena + t->start[arrival(t, i)]);
}

/* Copy the records into id order, so that every later pass (rates, the
 * view's keys, the store) reads memory in sequence instead of jumping
 * across the arena; without the memory for a copy, the order stays. */
static void relayout(struct snap_table *t)
{
	uint8_t *arena = malloc(t->len ? t->len : 1);
	uint32_t *start = malloc(((size_t)t->n + 1) * sizeof(*start));
	uint32_t i, off = 0;

	if (!arena || !start) {
		free(arena);
		free(start);
		return;
	}
	for (i = 0; i < t->n; i++) {
		uint32_t k = t->order[i], len = t->start[k + 1] - t->start[k];
		memcpy(arena + off, t->arena + t->start[k], len);
		start[i] = off;
		off += len;
	}
	start[t->n] = off;
	free(t->arena);
	free(t->start);
	free(t->order);
	t->arena = arena;
	t->start = start;
	t->order = NULL;
	t->acap = t->len;
	t->cap = t->n;
}

/* Rates made in arrival order (rates.c), put in id order with the records. */
static int permute_rates(struct snap_table *t)
{
	float *r = malloc(2 * ((size_t)t->n + 1) * sizeof(float));
	uint32_t i;

	if (!r)
		return -1;
	for (i = 0; i < t->n; i++)
		memcpy(&r[2 * (size_t)i], &t->rates[2 * (size_t)t->order[i]], 2 * sizeof(float));
	free(t->rates);
	t->rates = r;
	t->rcap = t->n;
	return 0;
}

int snap_sort_by_id(struct snap_table *t)
{
	struct radix_u64 *ix;
	uint32_t i;
	bool sorted = true;

	for (i = 1; i < t->n && sorted; i++)
		sorted = snap_id(t, i - 1) <= snap_id(t, i);
	if (sorted) {
		t->unsorted = false;
		return 0;
	}
	/* 12-byte keys and a 4-byte index: the records themselves never move */
	if (!(ix = malloc((size_t)t->n * sizeof(*ix))) ||
	    !(t->order = malloc((size_t)t->n * sizeof(uint32_t)))) {
		free(ix);
		return -1;
	}
	for (i = 0; i < t->n; i++) {
		ix[i].key = reccodec_rec_id(t->arena + t->start[i]);
		ix[i].pos = i;
	}
	if (radix_sort_u64(ix, t->n) < 0) {
		free(ix);
		free(t->order);
		t->order = NULL;
		return -1;
	}
	for (i = 0; i < t->n; i++)
		t->order[i] = ix[i].pos;
	free(ix);
	if (t->rates && permute_rates(t) < 0) {
		free(t->order);
		t->order = NULL;
		return -1;
	}
	relayout(t);
	t->unsorted = false;
	return 0;
}
