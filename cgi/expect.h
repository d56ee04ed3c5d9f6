/* SPDX-License-Identifier: GPL-2.0-or-later */
/* expect.h - the expectations and kill_expectation methods (cgi/expect.c). */
#ifndef CTD_EXPECT_H
#define CTD_EXPECT_H

#include <xmlrpc-c/base.h>

xmlrpc_value *rpc_expectations(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call);
xmlrpc_value *rpc_kill_expectation(xmlrpc_env *env, xmlrpc_value *params, void *srv, void *call);

#endif /* CTD_EXPECT_H */
