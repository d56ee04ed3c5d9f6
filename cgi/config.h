/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.h - ctd.conf (cgi/config.c; every key in apache/ctd.conf.example). */
#ifndef CTD_CONFIG_H
#define CTD_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"

int ctd_read_small_file(const char *path, size_t max, char **out, size_t *len);
enum ctd_role { CTD_ROLE_NONE = 0, CTD_ROLE_VIEWER = 1, CTD_ROLE_OPERATOR = 2 };

struct ctd_cidr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefix; /* 0..32 or 0..128 */
	uint8_t addr[16];
};

struct ctd_role_entry {
	char user[CTD_USER_MAX];
	int role;
};

struct ctd_config {
	char database[PATH_MAX];
	char helper[PATH_MAX];
	unsigned helper_timeout;
	unsigned session_idle_timeout;
	unsigned session_lifetime;
	uint32_t uid_mask;
	struct ctd_cidr hide[CTD_HIDE_MAX];
	size_t nhide;
	unsigned max_page;
	char password_file[PATH_MAX]; /* "" = none */
	struct ctd_role_entry roles[CTD_ROLES_MAX];
	size_t nroles;
	int default_role;
	/* limits against hostile callers (README "Security model") */
	unsigned max_multicall;		/* calls in one system.multicall */
	unsigned max_sessions_per_user; /* live sessions; a new login evicts the oldest */
	unsigned max_dumps;		/* stored dumps */
	unsigned history_days;		/* history samples are kept this long */
	unsigned max_kill;		/* entries one kill_preview may promise */
	unsigned kill_token_lifetime;	/* seconds a kill_preview's token is valid */
	unsigned max_event_waiters;	/* events calls holding a helper at once */
};

void cfg_defaults(struct ctd_config *c);
/* Parse config text; `name` is the file's basename for messages.  Returns 0,
 * or -1 with err = "<name>:<line>: <what>". */
int cfg_parse(struct ctd_config *c, const char *text, size_t len, const char *name, char *err, size_t errlen);
/* Read and parse a file (defaults first).  err never holds the full path. */
int cfg_load(struct ctd_config *c, const char *path, char *err, size_t errlen);
int cfg_role_of(const struct ctd_config *c, const char *user);
const char *cfg_role_name(int role);

/* "a.b.c.d", "v6", optionally "/prefix".  Host bits beyond the prefix are
 * ignored (masked).  Returns 0 or -1. */
int cidr_parse(const char *s, struct ctd_cidr *out);
/* Whether a 16-byte address (IPv4 in the first 4 bytes) of `family` is inside. */
bool cidr_match(const struct ctd_cidr *c, int family, const uint8_t *addr);

#endif /* CTD_CONFIG_H */
