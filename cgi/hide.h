/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hide.h - the hidden-networks policy (config hide_networks): a connection
 * whose original source or destination lies in one of those networks is
 * never shown nor acted on, whatever the filters say.
 */
#ifndef CTD_HIDE_H
#define CTD_HIDE_H

#include <stdbool.h>

#include "ctd_proto.h"

struct ctd_config;

bool hide_row(const struct ctd_config *cfg, const struct ctd_record *r);

#endif /* CTD_HIDE_H */
