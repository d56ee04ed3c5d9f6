/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util.h - small utilities: SHA-256, constant-time compare (cgi/sha256.c), the clock (cgi/session.c). */
#ifndef CTD_UTIL_H
#define CTD_UTIL_H

#include <stddef.h>
#include <stdint.h>

void sha256(const void *data, size_t len, uint8_t out[32]);
/* Constant-time comparison of equal-length buffers: 1 if equal. */
int ct_equal(const void *a, const void *b, size_t n);
double now_s(void);

#endif /* CTD_UTIL_H */
