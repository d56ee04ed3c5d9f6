/* SPDX-License-Identifier: GPL-2.0-or-later */
/* row.h - one connection as an XML-RPC struct, from the field table. */
#ifndef CTD_ROW_H
#define CTD_ROW_H

#include <xmlrpc-c/base.h>

#include "field.h"

/* A new struct holding every row field (FE_*) the record has; NULL with a
 * fault on failure. */
xmlrpc_value *row_build(xmlrpc_env *env, const struct field_ctx *fc, const struct ctd_record *r);
/* Set s.k = v and drop our reference to v; nothing when v is NULL. */
void row_put(xmlrpc_env *env, xmlrpc_value *s, const char *k, xmlrpc_value *v);

#endif /* CTD_ROW_H */
