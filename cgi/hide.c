// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hide.c - the hidden-networks policy (hide.h).  Applied to every row a
 * view, a kill or a change sees: loopback connections (the default) are
 * the web server talking to itself, and killing them cuts ctd's own feet.
 */
#include "config.h"
#include "hide.h"

bool hide_row(const struct ctd_config *cfg, const struct ctd_record *r)
{
	size_t i;

	for (i = 0; i < cfg->nhide; i++)
		if (cidr_match(&cfg->hide[i], r->l3proto, r->orig.src) ||
		    cidr_match(&cfg->hide[i], r->l3proto, r->orig.dst))
			return true;
	return false;
}
