// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * radix.c - the stable LSD radix sort of the two big sorts of ctd.cgi:
 * snapshot records by id, and a view's rows by a 64-bit key (a pass over
 * a digit every key shares is skipped, so 32-bit keys cost two passes).  At 1M rows
 * they take milliseconds where qsort takes most of a second, and being
 * stable they keep the input order (ascending id) among equal keys.
 */
#include <stdlib.h>
#include <string.h>

#include "radix.h"

#define RADIX_BITS 16
#define RADIX_SIZE (1u << RADIX_BITS)

int radix_sort_u64(struct radix_u64 *a, uint32_t n)
{
	struct radix_u64 *tmp, *src = a, *dst;
	uint32_t *count;
	unsigned shift;

	if (n < 2)
		return 0;
	tmp = malloc((size_t)n * sizeof(*tmp));
	count = malloc(RADIX_SIZE * sizeof(*count));
	if (!tmp || !count) {
		free(tmp);
		free(count);
		return -1;
	}
	dst = tmp;
	for (shift = 0; shift < 64; shift += RADIX_BITS) {
		uint32_t i, sum = 0;

		memset(count, 0, RADIX_SIZE * sizeof(*count));
		for (i = 0; i < n; i++)
			count[(src[i].key >> shift) & (RADIX_SIZE - 1)]++;
		/* a digit all rows share changes nothing: skip the pass */
		if (count[(src[0].key >> shift) & (RADIX_SIZE - 1)] == n)
			continue;
		for (i = 0; i < RADIX_SIZE; i++) {
			uint32_t c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[(src[i].key >> shift) & (RADIX_SIZE - 1)]++] = src[i];
		{
			struct radix_u64 *t = src;
			src = dst;
			dst = t;
		}
	}
	if (src != a)
		memcpy(a, src, (size_t)n * sizeof(*a));
	free(tmp);
	free(count);
	return 0;
}
