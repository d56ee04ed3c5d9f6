// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * auth.c - login without Apache authentication: `user:hash` lines of a
 * password file (htpasswd -B compatible; yescrypt, sha512-crypt, bcrypt),
 * checked with crypt_rn(3).
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "bounds.h"
#include "config.h"
#include "fault.h"
#include "util.h"

/* Finds user's hash; also copies the first usable hash into dummy, so an
 * unknown user costs the same crypt as a known one. */
void auth_find_hash(const char *text, size_t len, const char *user, char *hash, char *dummy)
{
	size_t pos = 0, ulen = strlen(user);

	hash[0] = dummy[0] = '\0';
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos), *colon, *h;
		size_t ll = nl ? (size_t)(nl - line) : len - pos, hl;

		pos += ll + (nl ? 1 : 0);
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (ll == 0 || line[0] == '#')
			continue;
		colon = memchr(line, ':', ll);
		if (!colon)
			continue;
		h = colon + 1;
		hl = ll - (size_t)(h - line);
		/* extra fields after the hash (some tools add them) are ignored */
		if (memchr(h, ':', hl))
			hl = (size_t)((const char *)memchr(h, ':', hl) - h);
		if (hl == 0 || hl >= CTD_HASH_MAX || h[0] != '$' || memchr(h, '\0', hl))
			continue;
		if (!dummy[0]) {
			memcpy(dummy, h, hl);
			dummy[hl] = '\0';
		}
		if (!hash[0] && (size_t)(colon - line) == ulen && memcmp(line, user, ulen) == 0) {
			memcpy(hash, h, hl);
			hash[hl] = '\0';
		}
	}
}

int auth_password_text(const char *text, size_t len, const char *user, const char *password)
{
	char hash[CTD_HASH_MAX], dummy[CTD_HASH_MAX], setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *against, *out;
	int ok = 0;

	auth_find_hash(text, len, user, hash, dummy);
	against = hash[0] ? hash : dummy;
	if (!against[0]) {
		/* empty file: still spend a crypt so timing says nothing */
		if (!crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)))
			snprintf(setting, sizeof(setting), "$6$saltsaltsaltsalt");
		against = setting;
	}
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -1;
	out = crypt_rn(password, against, cd, sizeof(*cd));
	/* only a known user with a matching hash passes; compare in constant time */
	if (hash[0] && out && out[0] != '*' && strlen(out) == strlen(hash) &&
	    ct_equal(out, hash, strlen(hash)))
		ok = 1;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok ? 0 : -1;
}

/* Copies s for a log line: at most max input bytes, every byte outside
 * printable ASCII (and '\\', '"') as \xNN, "..." when cut.  out must hold
 * 4 * max + 4 bytes. */
static void log_safe(char *out, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; s && s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e || c == '\\' || c == '"') {
			*out++ = '\\';
			*out++ = 'x';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 15];
		} else {
			*out++ = (char)c;
		}
	}
	if (s && s[i]) {
		memcpy(out, "...", 3);
		out += 3;
	}
	*out = '\0';
}

int auth_password(xmlrpc_env *env, const char *file, const char *user, const char *password)
{
	char safe_user[4 * 64 + 4], safe_addr[4 * 64 + 4];
	char *buf;
	size_t got;
	int rc;

	rc = ctd_read_small_file(file, CTD_PASSWD_MAX, &buf, &got);
	if (rc < 0) {
		fprintf(stderr, "ctd.cgi: password file %s: %s\n", file,
			rc == -EFBIG ? "not a small regular file" : strerror(-rc));
		ctd_fault(env, CTD_F_CONFIG, "server misconfigured: the password file cannot be read");
		return -1;
	}
	rc = auth_password_text(buf, got, user, password);
	explicit_bzero(buf, got);
	free(buf);
	/*
	 * Password guessing against the password file shows in Apache's error
	 * log (one line per failure, for fail2ban and the like).  The name is
	 * the client's: escaped and cut, so it cannot forge log lines (a
	 * newline), hide in terminal escapes or fill the log.
	 */
	if (rc < 0) {
		log_safe(safe_user, user, 64);
		log_safe(safe_addr, getenv("REMOTE_ADDR"), 64);
		fprintf(stderr, "ctd.cgi: failed login (password file) for user \"%s\" from %s\n", safe_user,
			safe_addr[0] ? safe_addr : "unknown address");
		ctd_fault(env, CTD_F_AUTH, "authentication failed: wrong user or password");
	}
	return rc;
}
