/* SPDX-License-Identifier: GPL-2.0-or-later */
/* events.h - the `events` method (cgi/events.c): conntrack -E as a long poll. */
#ifndef CTD_EVENTS_H
#define CTD_EVENTS_H

#include <xmlrpc-c/base.h>

xmlrpc_value *rpc_events(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call);

#endif /* CTD_EVENTS_H */
