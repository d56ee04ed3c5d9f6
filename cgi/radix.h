/* SPDX-License-Identifier: GPL-2.0-or-later */
/* radix.h - stable radix sorts (cgi/radix.c). */
#ifndef CTD_RADIX_H
#define CTD_RADIX_H

#include <stdint.h>

/* 12 bytes, unaligned: 1M of these (plus the sort's copy) must fit next to
 * a 1M-entry table within the CGI's memory budget. */
struct radix_u64 {
	uint64_t key;
	uint32_t pos;
} __attribute__((packed));

/* Stable ascending sorts by key; 0, or -1 when out of memory (a untouched). */
int radix_sort_u64(struct radix_u64 *a, uint32_t n);

#endif
