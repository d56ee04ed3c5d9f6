/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctd_cgi.h - every header of ctd.cgi at once, for the tests and fuzz
 * targets that reach into several modules.  The modules themselves
 * include just what they use; nothing here runs with privilege.
 */
#ifndef CTD_CGI_H
#define CTD_CGI_H

#include "actions.h"
#include "auth.h"
#include "config.h"
#include "ctd_errtext.h"
#include "ctd_proto.h"
#include "ctx.h"
#include "db.h"
#include "fault.h"
#include "field.h"
#include "filter.h"
#include "bounds.h"
#include "rpc.h"
#include "session.h"
#include "snapshot.h"
#include "util.h"
#include "value.h"
#include "view.h"

#endif /* CTD_CGI_H */
