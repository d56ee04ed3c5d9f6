// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_params - libFuzzer target for what ctd.cgi does with a call's
 * parameters before any session or database is involved: xmlrpc-c parses
 * the call (with the CGI's nesting and size limits), then every parameter
 * goes through the filter parser and the forgiving int/u32/string
 * conversions (cgi/view.c, cgi/value.c).  Beyond "no crash": accepted
 * filters obey their ranges; a refused filter is fault 3.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xmlrpc-c/base.h>
#include <xmlrpc-c/server.h>

#include "ctd_cgi.h"

/* A parsed name term stands for values or bits of its vocabulary only,
 * and for at least one. */
static int names_ok(const struct field *fd, const struct filter_term *t)
{
	const struct field_name *n;
	uint32_t set = 0, clear = 0;

	if (fd->match != FM_NAME && fd->match != FM_FLAGS)
		return 1;
	for (n = fd->names; n->name; n++)
		set |= n->set, clear |= n->clear;
	if (fd->match == FM_NAME)
		return t->num && !(t->num & ~set);
	return (t->num | t->mask) && !(t->num & ~set) && !(t->mask & ~clear);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xmlrpc_env env;
	xmlrpc_value *params = NULL;
	const char *name = NULL;
	char *copy;
	int n, i;

	/* the CGI refuses DTDs before parsing (entity expansion); so do we */
	if (size > CTD_BODY_MAX || memmem(data, size, "<!", 2))
		return 0;
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	xmlrpc_limit_set(XMLRPC_NESTING_LIMIT_ID, CTD_NESTING_MAX);
	xmlrpc_limit_set(XMLRPC_XML_SIZE_LIMIT_ID, CTD_BODY_MAX);
	xmlrpc_env_init(&env);
	xmlrpc_parse_call(&env, copy, size, &name, &params);
	if (!env.fault_occurred) {
		n = xmlrpc_array_size(&env, params);
		for (i = 0; i < n && !env.fault_occurred; i++) {
			xmlrpc_value *v = NULL;
			struct view_filter f;
			xmlrpc_env e2;
			uint32_t u;
			int64_t x;
			char s[64];

			xmlrpc_array_read_item(&env, params, (unsigned)i, &v);
			if (env.fault_occurred)
				break;
			xmlrpc_env_init(&e2);
			if (filter_parse(&e2, v, &f) < 0) {
				if (!e2.fault_occurred || e2.fault_code != CTD_F_PARAM)
					abort();
			} else {
				for (u = 0; u < f.n; u++)
					if (f.t[u].field >= ctd_nfields ||
					    !names_ok(&ctd_fields[f.t[u].field], &f.t[u]))
						abort();
			}
			xmlrpc_env_clean(&e2);
			if (val_int(&env, v, &x) == 0 && (x < -2147483648LL || x > 4294967295LL))
				abort();
			(void)val_u32(&env, v, &u);
			if (val_string(&env, v, s, sizeof(s)) == 0 && strlen(s) >= sizeof(s))
				abort();
			if (val_string(&env, v, s, sizeof(s)) == 0)
				(void)view_order_index(s);
			xmlrpc_DECREF(v);
		}
		xmlrpc_DECREF(params);
		free((void *)name);
	}
	xmlrpc_env_clean(&env);
	free(copy);
	return 0;
}
