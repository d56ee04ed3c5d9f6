// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * filter.c - parsing and matching the filters struct (filter.h).  Which
 * names are filters and how each matches is the field table's `match`
 * column (field.c): nothing here names a field.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "fault.h"
#include "filter.h"
#include "hide.h"
#include "value.h"

/* An address filter: a string (address, or CIDR), or an int (an IPv4
 * address in host order, as pyctd's clients send).  family 0: either. */
static int addr_value(xmlrpc_env *env, xmlrpc_value *v, int family, struct ctd_cidr *out)
{
	char s[INET6_ADDRSTRLEN + 8];
	uint32_t x;

	if (xmlrpc_value_type(v) == XMLRPC_TYPE_STRING) {
		if (val_string(env, v, s, sizeof(s)) == 0 && cidr_parse(s, out) == 0) {
			if (!family || out->family == family)
				return 0;
			/* "10" as a string could still be the host-order int form */
			if (family != AF_INET || val_u32(env, v, &x) < 0)
				return -1;
		} else if (family == AF_INET6 || val_u32(env, v, &x) < 0) {
			return -1;
		}
	} else if (family == AF_INET6 || val_u32(env, v, &x) < 0) {
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	out->prefix = 32;
	x = htonl(x);
	memcpy(out->addr, &x, 4);
	return 0;
}

/* "VALUE/MASK" or "VALUE", each decimal or 0x hex, u32 (the mask all ones
 * when absent).  A value with bits outside its mask matches nothing, as
 * with conntrack -m. */
static int masked_value(const char *s, uint32_t *value, uint32_t *mask)
{
	const char *slash = strchr(s, '/');
	char part[2][24];
	uint32_t out[2] = {0, UINT32_MAX};
	size_t len[2];
	int i;

	len[0] = slash ? (size_t)(slash - s) : strlen(s);
	len[1] = slash ? strlen(slash + 1) : 0;
	for (i = 0; i < (slash ? 2 : 1); i++) {
		const char *p = i ? slash + 1 : s;
		bool hex = len[i] > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
		char *end;
		unsigned long long x;

		if (len[i] == 0 || len[i] >= sizeof(part[i]))
			return -1;
		memcpy(part[i], p, len[i]);
		part[i][len[i]] = '\0';
		/* digits only: no sign, blank or octal that strtoull would take */
		if (strspn(part[i] + (hex ? 2 : 0), hex ? "0123456789abcdefABCDEF" : "0123456789") !=
		    len[i] - (hex ? 2 : 0))
			return -1;
		errno = 0;
		x = strtoull(part[i], &end, hex ? 16 : 10);
		if (errno || *end || x > UINT32_MAX)
			return -1;
		out[i] = (uint32_t)x;
	}
	*value = out[0];
	*mask = out[1];
	return 0;
}

/* A name of the field's vocabulary, or the number of a value that has a
 * name of its own (pyctd's clients send TCP states as numbers). */
static int name_value(xmlrpc_env *env, const struct field *fd, xmlrpc_value *v, struct filter_term *t)
{
	const struct field_name *n;
	char s[32];

	if (val_string(env, v, s, sizeof(s)) == 0 && (n = field_name_find(fd->names, s))) {
		t->num = n->set;
		return 0;
	}
	if (val_u32(env, v, &t->num) < 0 || t->num >= 32)
		return -1;
	t->num = 1u << t->num;
	for (n = fd->names; n->name; n++)
		if (n->set == t->num)
			return 0;
	return -1;
}

/* Comma-separated names, each once or more, every one must hold. */
static int flags_value(xmlrpc_env *env, const struct field *fd, xmlrpc_value *v, struct filter_term *t)
{
	char s[160], *tok, *save = NULL;
	const struct field_name *n;

	if (val_string(env, v, s, sizeof(s)) < 0)
		return -1;
	t->num = t->mask = 0;
	for (tok = strtok_r(s, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (!(n = field_name_find(fd->names, tok)))
			return -1;
		t->num |= n->set;
		t->mask |= n->clear;
	}
	return t->num | t->mask ? 0 : -1;
}

static int term_value(xmlrpc_env *env, const struct field *fd, xmlrpc_value *v, struct filter_term *t)
{
	char s[56];

	t->mask = UINT32_MAX;
	switch (fd->match) {
	case FM_MASKED:
		if (xmlrpc_value_type(v) == XMLRPC_TYPE_STRING && val_string(env, v, s, sizeof(s)) == 0 &&
		    (strchr(s, '/') || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))))
			return masked_value(s, &t->num, &t->mask);
		/* a plain number */
		__attribute__((fallthrough));
	case FM_EQ:
		return val_u32(env, v, &t->num) < 0 || t->num > fd->max ? -1 : 0;
	case FM_NAME:
		return name_value(env, fd, v, t);
	case FM_FLAGS:
		return flags_value(env, fd, v, t);
	case FM_TEXT:
		return val_string(env, v, t->text, sizeof(t->text));
	case FM_CIDR:
	case FM_ANYADDR:
		return addr_value(env, v, fd->family, &t->cidr);
	}
	return -1;
}

/* What a filter takes, for its fault: the vocabulary when it has one. */
static const char *value_hint(const struct field *fd, char *out, size_t len)
{
	const struct field_name *n;
	size_t o;

	if (fd->match == FM_MASKED)
		return " (a number, or a string \"VALUE/MASK\", each decimal or 0x hex)";
	if (!fd->names)
		return "";
	o = (size_t)snprintf(out, len, " (%s", fd->match == FM_FLAGS ? "comma-separated names of" : "one of");
	for (n = fd->names; n->name && o < len; n++)
		o += (size_t)snprintf(out + o, len - o, " %s", n->name);
	if (o < len)
		snprintf(out + o, len - o, ")");
	return out;
}

/* One member of the struct: its name must be a filter, its value fit it. */
static void parse_member(xmlrpc_env *env, xmlrpc_value *k, xmlrpc_value *val, void *arg)
{
	struct view_filter *f = arg;
	const struct field *fd = NULL;
	char key[64];

	if (val_string(env, k, key, sizeof(key)) < 0 || !(fd = field_by_name(key)) || fd->match == FM_NONE) {
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'filters': unknown filter '%.40s'",
			  val_string(env, k, key, sizeof(key)) == 0 ? key : "?");
		return;
	}
	if (f->n == FILTER_TERMS_MAX) {
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'filters': at most %u filters", FILTER_TERMS_MAX);
		return;
	}
	f->t[f->n].field = (uint16_t)field_index(fd);
	if (term_value(env, fd, val, &f->t[f->n]) < 0) {
		char hint[300];
		ctd_fault(env, CTD_F_PARAM,
			  "bad parameter 'filters.%s': value of the wrong kind or out of range%s", key,
			  value_hint(fd, hint, sizeof(hint)));
	} else {
		f->n++;
	}
}

int filter_parse(xmlrpc_env *env, xmlrpc_value *v, struct view_filter *f)
{
	memset(f, 0, sizeof(*f));
	if (!v)
		return 0;
	if (xmlrpc_value_type(v) == XMLRPC_TYPE_ARRAY) {
		/* PHP encodes an empty array() as <array>: no filter */
		if (xmlrpc_array_size(env, v) == 0)
			return 0;
		ctd_fault(env, CTD_F_PARAM,
			  "bad parameter 'filters': a struct of filters is expected, not an array");
		return -1;
	}
	if (xmlrpc_value_type(v) != XMLRPC_TYPE_STRUCT) {
		ctd_fault(env, CTD_F_PARAM, "bad parameter 'filters': a struct of filters is expected");
		return -1;
	}
	val_struct_each(env, v, parse_member, f);
	return env->fault_occurred ? -1 : 0;
}

static bool addr_in(const struct ctd_cidr *c, const struct ctd_record *r, const struct fval *v)
{
	return v->cls && cidr_match(c, r->l3proto, v->addr);
}

static bool term_match(const struct field_ctx *fc, const struct filter_term *t, const struct ctd_record *r)
{
	const struct field *fd = &ctd_fields[t->field];
	struct fval v = {0};
	unsigned i;

	if (fd->match == FM_ANYADDR) {
		/* the four address fields follow orig_src in the table */
		static const struct field *a;
		if (!a)
			a = field_by_name("orig_src");
		for (i = 0; i < 4; i++) {
			a[i].get(fc, r, &v);
			if (addr_in(&t->cidr, r, &v))
				return true;
		}
		return false;
	}
	fd->get(fc, r, &v);
	switch (fd->match) {
	case FM_EQ:
	case FM_MASKED:
		return v.cls && (v.num & t->mask) == t->num;
	case FM_NAME:
		return v.cls && v.num < 32 && (t->num >> v.num & 1u);
	case FM_FLAGS:
		return v.cls && (v.num & t->num) == t->num && (v.num & t->mask) == 0;
	case FM_TEXT:
		return v.text && strcmp(v.text, t->text) == 0;
	case FM_CIDR:
		return addr_in(&t->cidr, r, &v);
	}
	return false;
}

bool filter_match(const struct field_ctx *fc, const struct view_filter *f, const struct ctd_record *r)
{
	uint32_t i;

	for (i = 0; i < f->n; i++)
		if (!term_match(fc, &f->t[i], r))
			return false;
	return !hide_row(fc->cfg, r);
}
