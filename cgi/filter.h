/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * filter.h - the `filters` struct of view (and of every method that takes
 * one): parsed against the field table (field.h), all terms ANDed, hidden
 * networks always applied on top.
 */
#ifndef CTD_FILTER_H
#define CTD_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include <xmlrpc-c/base.h>

#include "bounds.h"
#include "config.h"
#include "field.h"

/* Most terms one filters struct may hold. */
#define FILTER_TERMS_MAX 32u

struct filter_term {
	uint16_t field; /* index into ctd_fields */
	uint16_t pad;
	uint32_t
	    num; /* FM_EQ, FM_MASKED: the value; FM_NAME: values accepted (bit n: n); FM_FLAGS: bits set */
	uint32_t mask;		 /* FM_EQ, FM_MASKED: bits compared; FM_FLAGS: bits that must be clear */
	struct ctd_cidr cidr;	 /* FM_CIDR, FM_ANYADDR */
	char text[CTD_USER_MAX]; /* FM_TEXT */
};

/* Plain bytes (no pointers), zeroed before parsing: its hash names a
 * cached order across requests (view.c). */
struct view_filter {
	uint32_t n;
	struct filter_term t[FILTER_TERMS_MAX];
};

/* Parse the filters struct (or an empty array, as PHP sends array()).
 * NULL is no filter.  0, or -1 with fault 3 naming the filter. */
int filter_parse(xmlrpc_env *env, xmlrpc_value *v, struct view_filter *f);
/* Whether a record passes every term and is not hidden. */
bool filter_match(const struct field_ctx *fc, const struct view_filter *f, const struct ctd_record *r);

#endif /* CTD_FILTER_H */
