// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * row.c - rows of view (README "API"): every field of the table whose
 * `emit` says how, in table order; a field the record lacks is absent
 * (no tcp_state on UDP).  XML-RPC has only i4, so u32 and u64 values are
 * carried as the API says: ids as decimal strings, marks and status as
 * their two's-complement i4, counters as doubles.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "row.h"

void row_put(xmlrpc_env *env, xmlrpc_value *s, const char *k, xmlrpc_value *v)
{
	if (!v)
		return;
	xmlrpc_struct_set_value(env, s, k, v);
	xmlrpc_DECREF(v);
}

static xmlrpc_value *emit(xmlrpc_env *env, const struct field *fd, const struct fval *v)
{
	char buf[INET6_ADDRSTRLEN];

	switch (fd->emit) {
	case FE_INT:
		return xmlrpc_int_new(env, (int)v->num);
	case FE_WRAP:
		return xmlrpc_int_new(env, (int)(int32_t)(uint32_t)v->num);
	case FE_SAT:
		return xmlrpc_int_new(env, v->num > INT32_MAX ? INT32_MAX : (int)v->num);
	case FE_DOUBLE:
		return xmlrpc_double_new(env, fd->kind == FK_DBL ? v->dbl : (double)v->num);
	case FE_IDSTR:
		snprintf(buf, sizeof(buf), "%u", (unsigned)v->num);
		return xmlrpc_string_new(env, buf);
	case FE_ADDRSTR:
		if (!inet_ntop(v->cls == 1 ? AF_INET : AF_INET6, v->addr, buf, sizeof(buf)))
			return NULL;
		return xmlrpc_string_new(env, buf);
	case FE_TEXT:
		return xmlrpc_string_new(env, v->text);
	}
	return NULL;
}

xmlrpc_value *row_build(xmlrpc_env *env, const struct field_ctx *fc, const struct ctd_record *r)
{
	xmlrpc_value *s = xmlrpc_struct_new(env);
	unsigned i;

	if (!s)
		return NULL;
	for (i = 0; i < ctd_nfields && !env->fault_occurred; i++) {
		const struct field *fd = &ctd_fields[i];
		struct fval v = {0};

		if (fd->emit == FE_NONE)
			continue;
		fd->get(fc, r, &v);
		if (v.cls)
			row_put(env, s, fd->name, emit(env, fd, &v));
	}
	if (env->fault_occurred) {
		xmlrpc_DECREF(s);
		return NULL;
	}
	return s;
}
