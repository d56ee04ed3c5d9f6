// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uname.c - the uid -> name cache of one request (uname.h): open
 * addressing over twice UNAME_LOOKUPS_MAX slots, names in one arena.
 */
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "uname.h"

#define SLOTS (2u * UNAME_LOOKUPS_MAX) /* load factor <= 1/2 */

struct slot {
	uint32_t uid;
	bool used;
	bool known; /* false: a cached "no such uid" */
	char name[CTD_USER_MAX];
};

struct uname_cache {
	unsigned lookups;
	struct slot *slot; /* SLOTS of them, allocated on first use */
};

struct uname_cache *uname_new(void)
{
	return calloc(1, sizeof(struct uname_cache));
}

void uname_free(struct uname_cache *uc)
{
	if (uc)
		free(uc->slot);
	free(uc);
}

unsigned uname_lookups(const struct uname_cache *uc)
{
	return uc->lookups;
}

static void lookup(struct slot *s, uint32_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	s->used = true;
	s->uid = uid;
	s->known = getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res) == 0 && res &&
		   strlen(res->pw_name) < CTD_USER_MAX;
	if (s->known)
		memcpy(s->name, res->pw_name, strlen(res->pw_name) + 1);
}

const char *uname_of(struct uname_cache *uc, uint32_t uid)
{
	uint32_t h = (uid * 2654435761u) % SLOTS;

	if (!uc->slot && !(uc->slot = calloc(SLOTS, sizeof(*uc->slot))))
		return NULL;
	/* linear probing; never full, since at most half the slots are used */
	while (uc->slot[h].used) {
		if (uc->slot[h].uid == uid)
			return uc->slot[h].known ? uc->slot[h].name : NULL;
		h = (h + 1) % SLOTS;
	}
	if (uc->lookups >= UNAME_LOOKUPS_MAX)
		return NULL;
	uc->lookups++;
	lookup(&uc->slot[h], uid);
	return uc->slot[h].known ? uc->slot[h].name : NULL;
}
