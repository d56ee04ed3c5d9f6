/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check.h - minimal unit-test counting for tests/unit/test_*.c.
 * Each CHECK prints one line; CHECK_DONE() prints "N passed, N failed"
 * and returns the exit status.  Unit tests also run under ASan+UBSan. */
#ifndef CTD_CHECK_H
#define CTD_CHECK_H
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			check_passed++;                                                            \
			printf("ok - ");                                                           \
		} else {                                                                           \
			check_failed++;                                                            \
			printf("not ok - %s:%d (%s) ", __FILE__, __LINE__, #cond);                 \
		}                                                                                  \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
	} while (0)

#define CHECK_DONE()                                                                               \
	(printf("%d passed, %d failed\n", check_passed, check_failed), check_failed ? 1 : 0)

#endif
