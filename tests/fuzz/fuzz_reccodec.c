// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_reccodec - libFuzzer target for the snapshot chunk codec
 * (cgi/reccodec.c), which reads blobs back from a database file that may
 * be damaged.  The input is a blob.  Checks beyond "no crash":
 *   - a blob that decodes whole re-encodes to exactly its own bytes (the
 *     format is canonical) and reads the same by index, by id and
 *     piecewise;
 *   - a blob refused whole has a header, an offset, a record or an id
 *     order that a reader would refuse too.
 * The same bytes, cut into struct ctd_record and sorted by id, also go
 * through encode -> decode and must come back byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reccodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ctd_record recs[RECCODEC_MAX_RECS], again[RECCODEC_MAX_RECS];
static uint8_t enc[RECCODEC_HDR + 4 * (RECCODEC_MAX_RECS + 1) + RECCODEC_REC_MAX * RECCODEC_MAX_RECS];

/* Record k read as a blob reader does: header, two offsets, record. */
static int piecewise(const uint8_t *b, size_t len, uint32_t k, struct ctd_record *r)
{
	uint32_t n, s, e;
	int err;

	if ((err = reccodec_header(b, len, &n)) != 0 ||
	    (err = reccodec_span(b + reccodec_span_pos(k), n, len, k, &s, &e)) != 0)
		return err;
	if (reccodec_rec_id(b + s) != recs[k].id)
		abort();
	return reccodec_decode_one(b + s, e - s, r);
}

static void decoded_whole(const uint8_t *b, size_t len, uint32_t n)
{
	struct ctd_record one;
	uint32_t id;
	size_t len2;

	if (reccodec_encode(recs, n, enc, sizeof(enc), &len2) != 0 || len2 != len || memcmp(enc, b, len) != 0)
		abort(); /* not canonical: two encodings of one chunk */
	for (uint32_t k = 0; k < n; k++) {
		if (reccodec_rec_at(b, len, k, &one) != 0 || memcmp(&one, &recs[k], sizeof(one)) != 0)
			abort();
		if (reccodec_id_at(b, len, k, &id) != 0 || id != recs[k].id)
			abort();
		if (piecewise(b, len, k, &one) != 0 || memcmp(&one, &recs[k], sizeof(one)) != 0)
			abort();
	}
}

/* Refused whole: some reader of the same bytes must object as well. */
static void refused_whole(const uint8_t *b, size_t len)
{
	struct ctd_record one;
	uint32_t n, k, prev = 0;

	if (reccodec_count(b, len, &n) != 0)
		return;
	for (k = 0; k < n; k++) {
		if (reccodec_rec_at(b, len, k, &one) != 0)
			return;
		if (k && one.id < prev)
			return;
		prev = one.id;
	}
	abort(); /* every record reads, in order, yet the whole is refused */
}

static int cmp_id(const void *a, const void *b)
{
	uint32_t x = ((const struct ctd_record *)a)->id, y = ((const struct ctd_record *)b)->id;

	return x < y ? -1 : x > y;
}

static void records_round_trip(const uint8_t *data, size_t size)
{
	uint32_t n = (uint32_t)(size / sizeof(struct ctd_record)), got;
	size_t len;

	if (n > RECCODEC_MAX_RECS)
		n = RECCODEC_MAX_RECS;
	memcpy(recs, data, (size_t)n * sizeof(*recs));
	qsort(recs, n, sizeof(*recs), cmp_id);
	if (reccodec_encode(recs, n, enc, sizeof(enc), &len) != 0 ||
	    reccodec_decode_all(enc, len, again, RECCODEC_MAX_RECS, &got) != 0 || got != n ||
	    (n && memcmp(again, recs, (size_t)n * sizeof(*recs)) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;
	uint32_t n;

	/* exact-size heap copy so ASan sees any read past the blob */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (reccodec_decode_all(copy, size, recs, RECCODEC_MAX_RECS, &n) == 0)
		decoded_whole(copy, size, n);
	else
		refused_whole(copy, size);
	free(copy);
	records_round_trip(data, size);
	return 0;
}
