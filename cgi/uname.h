/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * uname.h - uid -> user name for the `username` field (NuFW-style marks),
 * cached for one request: a hash map with negative entries, so each uid
 * costs at most one name-service lookup (an LDAP round trip with nslcd)
 * whatever the number of rows, and a bound on the lookups one request makes.
 */
#ifndef CTD_UNAME_H
#define CTD_UNAME_H

#include <stdint.h>

/* Distinct uids one request looks up; past it, a new uid has no name
 * (absent from its row, matches no username filter). */
#define UNAME_LOOKUPS_MAX 4096u

struct uname_cache;

struct uname_cache *uname_new(void); /* NULL when out of memory */
void uname_free(struct uname_cache *uc);
/* The name of uid, or NULL if it has none (or the lookup bound is reached). */
const char *uname_of(struct uname_cache *uc, uint32_t uid);
/* Name-service lookups made so far (for tests). */
unsigned uname_lookups(const struct uname_cache *uc);

#endif /* CTD_UNAME_H */
