// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * value.c - forgiving conversions of XML-RPC inputs (README, API): an integer
 * parameter also takes a numeric string or an integral double, and a
 * negative i4 for a u32 field means the unsigned value.  Anything else is
 * refused; the caller turns -1 into fault 3 naming the parameter.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

#define NUMSTR_MAX 32u

/* Range every integer input must fit: i4 and u32 together. */
#define IN_MIN (-2147483648LL)
#define IN_MAX 4294967295LL

static int parse_numstr(const char *s, size_t len, int64_t *out)
{
	char buf[NUMSTR_MAX + 1];
	const char *p;
	char *end;
	long long x;

	/* trim surrounding blanks, which some clients add */
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0 || len > NUMSTR_MAX)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	p = buf + (buf[0] == '-' || buf[0] == '+');
	if (!isdigit((unsigned char)*p))
		return -1;
	errno = 0;
	x = strtoll(buf, &end, 10);
	if (errno || *end || x < IN_MIN || x > IN_MAX)
		return -1;
	*out = x;
	return 0;
}

int val_int(xmlrpc_env *env, xmlrpc_value *v, int64_t *out)
{
	xmlrpc_env e;
	int rc = -1;

	(void)env;
	if (!v)
		return -1;
	xmlrpc_env_init(&e);
	switch (xmlrpc_value_type(v)) {
	case XMLRPC_TYPE_INT: {
		int x;
		xmlrpc_read_int(&e, v, &x);
		if (!e.fault_occurred) {
			*out = x;
			rc = 0;
		}
		break;
	}
	case XMLRPC_TYPE_I8: {
		xmlrpc_int64 x;
		xmlrpc_read_i8(&e, v, &x);
		if (!e.fault_occurred && x >= IN_MIN && x <= IN_MAX) {
			*out = x;
			rc = 0;
		}
		break;
	}
	case XMLRPC_TYPE_DOUBLE: {
		double d;
		xmlrpc_read_double(&e, v, &d);
		if (!e.fault_occurred && isfinite(d) && d == floor(d) && d >= (double)IN_MIN &&
		    d <= (double)IN_MAX) {
			*out = (int64_t)d;
			rc = 0;
		}
		break;
	}
	case XMLRPC_TYPE_STRING: {
		const char *s;
		size_t len;
		xmlrpc_read_string_lp(&e, v, &len, &s);
		if (!e.fault_occurred) {
			rc = parse_numstr(s, len, out);
			free((void *)s);
		}
		break;
	}
	default:
		break;
	}
	xmlrpc_env_clean(&e);
	return rc;
}

int val_u32(xmlrpc_env *env, xmlrpc_value *v, uint32_t *out)
{
	int64_t x;

	if (val_int(env, v, &x) < 0)
		return -1;
	/* negative: the i4 two's complement of a u32 (PHP cannot send >= 2^31) */
	*out = (uint32_t)(x < 0 ? x + 4294967296LL : x);
	return 0;
}

int val_string(xmlrpc_env *env, xmlrpc_value *v, char *out, size_t outlen)
{
	xmlrpc_env e;
	const char *s;
	size_t len;
	int rc = -1;

	(void)env;
	if (!v || xmlrpc_value_type(v) != XMLRPC_TYPE_STRING)
		return -1;
	xmlrpc_env_init(&e);
	xmlrpc_read_string_lp(&e, v, &len, &s);
	if (!e.fault_occurred) {
		/* embedded NULs would make the C string differ from what was sent */
		if (len < outlen && memchr(s, '\0', len) == NULL) {
			memcpy(out, s, len);
			out[len] = '\0';
			rc = 0;
		}
		free((void *)s);
	}
	xmlrpc_env_clean(&e);
	return rc;
}

xmlrpc_value *rpc_param(xmlrpc_env *env, xmlrpc_value *params, int i)
{
	xmlrpc_value *v = NULL;

	if (xmlrpc_array_size(env, params) <= i)
		return NULL;
	xmlrpc_array_read_item(env, params, (unsigned)i, &v);
	return v;
}

void val_struct_each(xmlrpc_env *env, xmlrpc_value *v,
		     void (*fn)(xmlrpc_env *env, xmlrpc_value *k, xmlrpc_value *val, void *arg), void *arg)
{
	int n = xmlrpc_struct_size(env, v), i;

	for (i = 0; i < n && !env->fault_occurred; i++) {
		xmlrpc_value *k = NULL, *val = NULL;

		xmlrpc_struct_read_member(env, v, (unsigned)i, &k, &val);
		if (env->fault_occurred)
			break;
		fn(env, k, val, arg);
		xmlrpc_DECREF(k);
		xmlrpc_DECREF(val);
	}
}

/* Unix seconds: an int, a double or a numeric string (the API's forgiving
 * inputs), finite and not before 1970. */
int val_time(xmlrpc_env *env, xmlrpc_value *v, double *out)
{
	xmlrpc_env e;
	int64_t i;
	double d = NAN;

	if (xmlrpc_value_type(v) == XMLRPC_TYPE_DOUBLE) {
		xmlrpc_env_init(&e);
		xmlrpc_read_double(&e, v, &d);
		if (e.fault_occurred)
			d = NAN;
		xmlrpc_env_clean(&e);
	} else if (xmlrpc_value_type(v) == XMLRPC_TYPE_STRING) {
		char s[40], *end;
		if (val_string(env, v, s, sizeof(s)) == 0) {
			d = strtod(s, &end);
			if (end == s || *end)
				d = NAN;
		}
	} else if (val_int(env, v, &i) == 0) {
		d = (double)i;
	}
	/* 1e11 s is year 5138: beyond that it is a typo (or milliseconds) */
	if (!isfinite(d) || d < 0 || d > 1e11)
		return -1;
	*out = d;
	return 0;
}
