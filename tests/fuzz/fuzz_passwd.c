// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_passwd - libFuzzer target for the password file parser
 * (cgi/auth.c).  The first line of the input is the user name looked up,
 * the rest the file.  Only the parser runs (crypt itself is libxcrypt's,
 * and an administrator's bcrypt cost of 31 would only stall the fuzzer).
 * Beyond "no crash": a hash found is a '$' string without ':' or newline.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctd_cgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char hash[CTD_HASH_MAX], dummy[CTD_HASH_MAX], user[CTD_USER_MAX];
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ulen = nl ? (size_t)(nl - data) : 0;
	char *text;

	if (!nl || ulen >= sizeof(user))
		return 0;
	memcpy(user, data, ulen);
	user[ulen] = '\0';
	text = malloc(size - ulen);
	if (!text)
		return 0;
	memcpy(text, nl + 1, size - ulen - 1);
	auth_find_hash(text, size - ulen - 1, user, hash, dummy);
	if (hash[0] && (hash[0] != '$' || strpbrk(hash, ":\n") || strlen(hash) >= CTD_HASH_MAX))
		abort();
	if (dummy[0] && (dummy[0] != '$' || strpbrk(dummy, ":\n")))
		abort();
	if (hash[0] && !dummy[0])
		abort();
	free(text);
	return 0;
}
