// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_config - libFuzzer target for ctd.conf parsing (cgi/config.c).
 * Beyond "no crash": an accepted file gives values inside their documented
 * ranges; a refused one gives a message naming the file and a line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctd_cgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctd_config c;
	char err[320];
	char *copy = malloc(size ? size : 1);
	size_t i;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	cfg_defaults(&c);
	err[0] = '\0';
	if (cfg_parse(&c, copy, size, "ctd.conf", err, sizeof(err)) == 0) {
		if (c.max_page < 1 || c.max_page > 100000 || c.helper_timeout == 0 ||
		    c.nhide > CTD_HIDE_MAX || c.nroles > CTD_ROLES_MAX ||
		    (c.default_role != CTD_ROLE_VIEWER && c.default_role != CTD_ROLE_OPERATOR))
			abort();
		for (i = 0; i < c.nhide; i++)
			if (c.hide[i].prefix > (c.hide[i].family == 2 ? 32 : 128))
				abort();
		if (c.database[0] != '/' || strlen(c.database) >= sizeof(c.database))
			abort();
	} else if (strncmp(err, "ctd.conf", 8) != 0) {
		abort();
	}
	free(copy);
	return 0;
}
