/* SPDX-License-Identifier: GPL-2.0-or-later */
/* value.h - forgiving XML-RPC conversions (cgi/value.c). */
#ifndef CTD_VALUE_H
#define CTD_VALUE_H

#include <stddef.h>
#include <stdint.h>
#include <xmlrpc-c/base.h>

/* Parameter i of a call (a new reference, caller decrefs), or NULL when the
 * call has fewer parameters. */
xmlrpc_value *rpc_param(xmlrpc_env *env, xmlrpc_value *params, int i);
/* Each returns 0 or -1 (no fault set; the caller names the parameter). */
int val_u32(xmlrpc_env *env, xmlrpc_value *v,
	    uint32_t *out); /* int, numeric string, integral double; negative i4 = unsigned */
int val_int(xmlrpc_env *env, xmlrpc_value *v, int64_t *out); /* signed, -2^31..2^32-1 */
int val_string(xmlrpc_env *env, xmlrpc_value *v, char *out, size_t outlen);
/* Unix seconds: int, double or numeric string, finite, 0..1e11. */
int val_time(xmlrpc_env *env, xmlrpc_value *v, double *out);
/* fn(env, name, value, arg) for each member of struct v, in order, until
 * a fault (the caller checked that v is a struct). */
void val_struct_each(xmlrpc_env *env, xmlrpc_value *v,
		     void (*fn)(xmlrpc_env *env, xmlrpc_value *k, xmlrpc_value *val, void *arg), void *arg);

#endif /* CTD_VALUE_H */
