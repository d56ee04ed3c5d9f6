// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config.c - ctd.conf: `key = value` lines, `#` comments.  Every key of the
 * contract is here; an unknown or duplicate key or a bad value is an error
 * naming the file's basename and the line (never the full path: the error
 * text ends up in a fault string a client sees).

 * The keys are keys[] below, their defaults cfg_defaults(); every key is
 * in apache/ctd.conf.example with its default.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "config.h"
#include "ctd_proto.h"

#define MAX_PAGE_LIMIT 100000u
#define TIMEOUT_LIMIT  31536000u /* one year: anything above is a typo */

void cfg_defaults(struct ctd_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->database, sizeof(c->database), "%s", CTD_STATEDIR "/ctd.db");
	snprintf(c->helper, sizeof(c->helper), "%s", CTD_HELPER_PATH);
	c->helper_timeout = 60;
	c->session_idle_timeout = 300;
	c->session_lifetime = 28800;
	c->max_page = 1000;
	c->max_multicall = 32;
	c->max_sessions_per_user = 16;
	c->max_dumps = 4;
	c->history_days = 7;
	c->max_kill = 100000;
	c->kill_token_lifetime = 60;
	c->max_event_waiters = 16;
	/*
	 * Fail closed: a name that matches no `roles` entry may not act.
	 * Apache's REMOTE_USER is the name as the client typed it under some
	 * backends (LDAP matches uid case-insensitively, with trailing blanks):
	 * `BOB` or `bob ` would otherwise turn the viewer bob into an operator.
	 */
	c->default_role = CTD_ROLE_VIEWER;
	cidr_parse("127.0.0.0/8", &c->hide[0]);
	cidr_parse("::1/128", &c->hide[1]);
	c->nhide = 2;
}

const char *cfg_role_name(int role)
{
	return role == CTD_ROLE_OPERATOR ? "operator" : role == CTD_ROLE_VIEWER ? "viewer" : "none";
}

static int role_parse(const char *s)
{
	if (strcmp(s, "operator") == 0)
		return CTD_ROLE_OPERATOR;
	if (strcmp(s, "viewer") == 0)
		return CTD_ROLE_VIEWER;
	return CTD_ROLE_NONE;
}

int cfg_role_of(const struct ctd_config *c, const char *user)
{
	size_t i;

	for (i = 0; i < c->nroles; i++)
		if (strcmp(c->roles[i].user, user) == 0)
			return c->roles[i].role;
	return c->default_role;
}

int cidr_parse(const char *s, struct ctd_cidr *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash, *end;
	size_t len = strlen(s);
	unsigned long pfx;
	unsigned max, i;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len + 1);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	pfx = max;
	if (slash) {
		if (!isdigit((unsigned char)*slash))
			return -1;
		errno = 0;
		pfx = strtoul(slash, &end, 10);
		if (errno || *end || pfx > max)
			return -1;
	}
	out->prefix = (uint8_t)pfx;
	/* clear host bits so that matching is a plain masked compare */
	for (i = 0; i < 16; i++) {
		unsigned bit0 = i * 8;
		if (bit0 >= pfx)
			out->addr[i] = 0;
		else if (bit0 + 8 > pfx)
			out->addr[i] &= (uint8_t)(0xff00u >> (pfx - bit0));
	}
	return 0;
}

bool cidr_match(const struct ctd_cidr *c, int family, const uint8_t *addr)
{
	return family >= 0 && family <= UINT8_MAX &&
	       proto_prefix_has(c->family, c->prefix, c->addr, (uint8_t)family, addr);
}

static int parse_uint(const char *v, unsigned long long max, unsigned long long *out, bool allow_hex)
{
	char *end;
	unsigned long long x;
	int base = 10;

	if (allow_hex && (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')))
		base = 16;
	if (!isxdigit((unsigned char)v[base == 16 ? 2 : 0]))
		return -1;
	errno = 0;
	x = strtoull(v, &end, base);
	if (errno || *end || x > max)
		return -1;
	*out = x;
	return 0;
}

/* Splits a comma/space separated list, calling fn on each item. */
static int each_item(char *v, int (*fn)(struct ctd_config *, const char *, char *, size_t),
		     struct ctd_config *c, char *why, size_t whylen)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(v, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
		if (fn(c, tok, why, whylen) < 0)
			return -1;
	return 0;
}

static int add_hide(struct ctd_config *c, const char *item, char *why, size_t whylen)
{
	if (c->nhide >= CTD_HIDE_MAX) {
		snprintf(why, whylen, "hide_networks: more than %u networks", CTD_HIDE_MAX);
		return -1;
	}
	if (cidr_parse(item, &c->hide[c->nhide]) < 0) {
		snprintf(why, whylen, "hide_networks: '%.64s' is not an address or CIDR", item);
		return -1;
	}
	c->nhide++;
	return 0;
}

static int add_role(struct ctd_config *c, const char *item, char *why, size_t whylen)
{
	const char *colon = strchr(item, ':');
	size_t ulen;
	size_t i;
	int role;

	if (!colon || colon == item) {
		snprintf(why, whylen, "roles: '%.64s' is not user:role", item);
		return -1;
	}
	ulen = (size_t)(colon - item);
	role = role_parse(colon + 1);
	if (role == CTD_ROLE_NONE) {
		snprintf(why, whylen, "roles: role of '%.*s' must be viewer or operator",
			 (int)(ulen > 64 ? 64 : ulen), item);
		return -1;
	}
	if (ulen >= CTD_USER_MAX) {
		snprintf(why, whylen, "roles: user name too long");
		return -1;
	}
	if (c->nroles >= CTD_ROLES_MAX) {
		snprintf(why, whylen, "roles: more than %u entries", CTD_ROLES_MAX);
		return -1;
	}
	for (i = 0; i < c->nroles; i++)
		if (strlen(c->roles[i].user) == ulen && memcmp(c->roles[i].user, item, ulen) == 0) {
			snprintf(why, whylen, "roles: user '%.*s' listed twice", (int)(ulen > 64 ? 64 : ulen),
				 item);
			return -1;
		}
	memcpy(c->roles[c->nroles].user, item, ulen);
	c->roles[c->nroles].user[ulen] = '\0';
	c->roles[c->nroles].role = role;
	c->nroles++;
	return 0;
}

/* ---- the keys ------------------------------------------------------------------ */
enum key_kind {
	KK_PATH,     /* absolute path */
	KK_HELPER,   /* absolute path, or unix:<absolute path> */
	KK_OPTPATH,  /* absolute path, or empty for none */
	KK_UINT,     /* unsigned number in [min, max] (hex too, where allowed) */
	KK_NETWORKS, /* list of addresses / CIDR (may be empty) */
	KK_ROLES,    /* list of user:role (may be empty) */
	KK_ROLE,     /* viewer | operator */
};

/* One line per key: adding a key is a line here, a field in struct
 * ctd_config and its default above (every key is also in
 * apache/ctd.conf.example). */
static const struct key {
	const char *name;
	uint8_t kind;
	bool hex;
	size_t off;  /* of the field in struct ctd_config */
	size_t size; /* KK_*PATH: the buffer's size */
	unsigned long long min, max;
	const char *what; /* KK_UINT: what the number is, for the error */
} keys[] = {
#define PATH(k, n) k, false, offsetof(struct ctd_config, n), sizeof(((struct ctd_config *)0)->n)
#define NUM(n)	   offsetof(struct ctd_config, n), sizeof(((struct ctd_config *)0)->n)
    {"database", PATH(KK_PATH, database), 0, 0, NULL},
    {"helper", PATH(KK_HELPER, helper), 0, 0, NULL},
    {"helper_timeout", KK_UINT, false, NUM(helper_timeout), 1, TIMEOUT_LIMIT, "a number of seconds"},
    {"session_idle_timeout", KK_UINT, false, NUM(session_idle_timeout), 1, TIMEOUT_LIMIT,
     "a number of seconds"},
    {"session_lifetime", KK_UINT, false, NUM(session_lifetime), 1, TIMEOUT_LIMIT, "a number of seconds"},
    {"uid_mask", KK_UINT, true, NUM(uid_mask), 0, 0xffffffffull, "a 32-bit number (decimal or 0x hex)"},
    {"hide_networks", KK_NETWORKS, false, 0, 0, 0, 0, NULL},
    {"max_page", KK_UINT, false, NUM(max_page), 1, MAX_PAGE_LIMIT, "a number of rows"},
    {"password_file", PATH(KK_OPTPATH, password_file), 0, 0, NULL},
    {"roles", KK_ROLES, false, 0, 0, 0, 0, NULL},
    {"default_role", KK_ROLE, false, NUM(default_role), 0, 0, NULL},
    {"max_multicall", KK_UINT, false, NUM(max_multicall), 1, 1000, "a number of calls"},
    {"max_sessions_per_user", KK_UINT, false, NUM(max_sessions_per_user), 1, 10000, "a number of sessions"},
    {"max_dumps", KK_UINT, false, NUM(max_dumps), 1, 100, "a number of stored dumps"},
    {"history_days", KK_UINT, false, NUM(history_days), 1, 3650, "a number of days"},
    {"max_kill", KK_UINT, false, NUM(max_kill), 1, CTD_KILL_MAX, "a number of connections"},
    {"kill_token_lifetime", KK_UINT, false, NUM(kill_token_lifetime), 1, 3600, "a number of seconds"},
    {"max_event_waiters", KK_UINT, false, NUM(max_event_waiters), 1, 1000, "a number of calls"},
#undef PATH
#undef NUM
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static int set_path(char *dst, size_t dstlen, const char *key, const char *v, char *why, size_t whylen)
{
	if (v[0] != '/') {
		snprintf(why, whylen, "%s must be an absolute path", key);
		return -1;
	}
	if (strlen(v) >= dstlen) {
		snprintf(why, whylen, "%s is too long", key);
		return -1;
	}
	snprintf(dst, dstlen, "%s", v);
	return 0;
}

/* A number into its field (unsigned, uint32_t or int: all 4 bytes). */
static int set_uint(struct ctd_config *c, const struct key *k, const char *v, char *why, size_t whylen)
{
	unsigned long long x;
	uint32_t u;

	if (parse_uint(v, k->max, &x, k->hex) < 0 || x < k->min) {
		if (k->hex)
			snprintf(why, whylen, "%s must be %s", k->name, k->what);
		else
			snprintf(why, whylen, "%s must be %s, %llu..%llu", k->name, k->what, k->min, k->max);
		return -1;
	}
	u = (uint32_t)x;
	memcpy((char *)c + k->off, &u, sizeof(u));
	return 0;
}

static int set_key(struct ctd_config *c, const struct key *k, char *v, char *why, size_t whylen)
{
	char *dst = (char *)c + k->off;
	int role;

	switch (k->kind) {
	case KK_HELPER:
		if (strncmp(v, "unix:", 5) == 0) {
			if (set_path(dst, k->size, "helper socket", v + 5, why, whylen) < 0)
				return -1;
			snprintf(dst, k->size, "%s", v);
			return 0;
		}
		/* fall through */
	case KK_PATH:
		return set_path(dst, k->size, k->name, v, why, whylen);
	case KK_OPTPATH:
		if (!*v) {
			dst[0] = '\0';
			return 0;
		}
		return set_path(dst, k->size, k->name, v, why, whylen);
	case KK_UINT:
		return set_uint(c, k, v, why, whylen);
	case KK_NETWORKS:
		c->nhide = 0;
		return each_item(v, add_hide, c, why, whylen);
	case KK_ROLES:
		return each_item(v, add_role, c, why, whylen);
	case KK_ROLE:
		if ((role = role_parse(v)) == CTD_ROLE_NONE) {
			snprintf(why, whylen, "%s must be viewer or operator", k->name);
			return -1;
		}
		memcpy(dst, &role, sizeof(role));
		return 0;
	}
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int cfg_parse(struct ctd_config *c, const char *text, size_t len, const char *name, char *err, size_t errlen)
{
	char line[CTD_CONF_LINE_MAX + 1];
	bool seen[N_KEYS] = {false};
	size_t pos = 0;
	unsigned lineno = 0;
	char why[200];

	if (len > CTD_CONF_MAX) {
		snprintf(err, errlen, "%s: file larger than %u bytes", name, CTD_CONF_MAX);
		return -1;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *k, *v, *eq, *hash;
		int key;

		lineno++;
		if (ll > CTD_CONF_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line longer than %u bytes", name, lineno,
				 CTD_CONF_LINE_MAX);
			return -1;
		}
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		pos += ll + (nl ? 1 : 0);
		if (strlen(line) != ll) {
			snprintf(err, errlen, "%s:%u: NUL byte in line", name, lineno);
			return -1;
		}
		/* '#' starts a comment at the start of a line or after whitespace */
		for (hash = line; (hash = strchr(hash, '#')) != NULL; hash++)
			if (hash == line || hash[-1] == ' ' || hash[-1] == '\t') {
				*hash = '\0';
				break;
			}
		k = trim(line);
		if (!*k)
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'", name, lineno);
			return -1;
		}
		*eq = '\0';
		v = trim(eq + 1);
		k = trim(k);
		for (key = 0; key < (int)N_KEYS; key++)
			if (strcmp(k, keys[key].name) == 0)
				break;
		if (key == (int)N_KEYS) {
			snprintf(err, errlen, "%s:%u: unknown key '%.64s'", name, lineno, k);
			return -1;
		}
		if (seen[key]) {
			snprintf(err, errlen, "%s:%u: duplicate key '%s'", name, lineno, keys[key].name);
			return -1;
		}
		seen[key] = true;
		/* lists and the optional password file may be empty */
		if (!*v && keys[key].kind != KK_NETWORKS && keys[key].kind != KK_ROLES &&
		    keys[key].kind != KK_OPTPATH) {
			snprintf(err, errlen, "%s:%u: %s needs a value", name, lineno, keys[key].name);
			return -1;
		}
		if (set_key(c, &keys[key], v, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%u: %s", name, lineno, why);
			return -1;
		}
	}
	return 0;
}

/* Read a whole regular file of at most max bytes into a fresh NUL-terminated
 * buffer.  Returns 0, or -errno from open, -EFBIG (not a regular file, or
 * larger than max: bounded before allocating), -ENOMEM. */
int ctd_read_small_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 0 || (size_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

int cfg_load(struct ctd_config *c, const char *path, char *err, size_t errlen)
{
	const char *base = strrchr(path, '/');
	char *buf;
	size_t got;
	int rc;

	base = base ? base + 1 : path;
	cfg_defaults(c);
	rc = ctd_read_small_file(path, CTD_CONF_MAX, &buf, &got);
	if (rc == -EFBIG) {
		snprintf(err, errlen, "%s: not a regular file of at most %u bytes", base, CTD_CONF_MAX);
		return -1;
	}
	if (rc == -ENOMEM) {
		snprintf(err, errlen, "%s: out of memory", base);
		return -1;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot read the configuration file (%s)", base, strerror(-rc));
		return -1;
	}
	rc = cfg_parse(c, buf, got, base, err, errlen);
	free(buf);
	return rc;
}
