// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: password file checks (yescrypt, sha512-crypt, bcrypt), SHA-256. */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "ctd_cgi.h"

static void hash_of(const char *prefix, const char *pw, char *out, size_t outlen)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *h;

	crypt_gensalt_rn(prefix, 0, NULL, 0, setting, sizeof(setting));
	h = crypt_rn(pw, setting, cd, sizeof(*cd));
	snprintf(out, outlen, "%s", h ? h : "*");
	free(cd);
}

static void hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

int main(void)
{
	char y[256], s6[256], b[256], file[2048], h[65];
	uint8_t d[32];
	char big[1000];

	sha256("", 0, d);
	hex(d, h);
	CHECK(!strcmp(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), "sha256 empty");
	sha256("abc", 3, d);
	hex(d, h);
	CHECK(!strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "sha256 abc");
	sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	hex(d, h);
	CHECK(!strcmp(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
	      "sha256 56 bytes");
	memset(big, 'a', sizeof(big));
	sha256(big, sizeof(big), d);
	hex(d, h);
	CHECK(!strcmp(h, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
	      "sha256 1000 x 'a'");
	CHECK(ct_equal("abc", "abc", 3) && !ct_equal("abc", "abd", 3), "constant-time compare");

	hash_of("$y$", "pw-y", y, sizeof(y));
	hash_of("$6$", "pw-6", s6, sizeof(s6));
	hash_of("$2b$", "pw-b", b, sizeof(b));
	CHECK(!strncmp(y, "$y$", 3) && !strncmp(s6, "$6$", 3) && !strncmp(b, "$2b$", 4), "hashes generated");
	snprintf(file, sizeof(file), "# users\n\nyes:%s\r\nsha:%s\nbc:%s:extra\nnohash:\nplain:secret\n", y,
		 s6, b);
	CHECK(auth_password_text(file, strlen(file), "yes", "pw-y") == 0, "yescrypt ok (CRLF line)");
	CHECK(auth_password_text(file, strlen(file), "sha", "pw-6") == 0, "sha512-crypt ok");
	CHECK(auth_password_text(file, strlen(file), "bc", "pw-b") == 0, "bcrypt ok, extra field ignored");
	CHECK(auth_password_text(file, strlen(file), "yes", "pw-6") < 0, "wrong password");
	CHECK(auth_password_text(file, strlen(file), "ye", "pw-y") < 0, "prefix of a user name");
	CHECK(auth_password_text(file, strlen(file), "nobody", "pw-y") < 0, "unknown user");
	CHECK(auth_password_text(file, strlen(file), "nohash", "") < 0, "empty hash never matches");
	CHECK(auth_password_text(file, strlen(file), "plain", "secret") < 0, "plain-text 'hash' refused");
	CHECK(auth_password_text(file, strlen(file), "# users", "") < 0, "comment is not a user");
	CHECK(auth_password_text("", 0, "a", "b") < 0, "empty file");
	CHECK(auth_password_text(file, strlen(file), "yes", "") < 0, "empty password");
	return CHECK_DONE();
}
