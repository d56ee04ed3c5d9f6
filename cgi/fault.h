/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fault.h - the stable fault codes of the API and how they are set (cgi/fault.c). */
#ifndef CTD_FAULT_H
#define CTD_FAULT_H

#include <xmlrpc-c/base.h>

enum ctd_fault {
	CTD_F_AUTH = 1,
	CTD_F_SESSION = 2,
	CTD_F_PARAM = 3,
	CTD_F_ROLE = 4,
	CTD_F_NOTFOUND = 5,
	CTD_F_HELPER = 6,
	CTD_F_KERNEL = 7,
	CTD_F_CONFIG = 8,
};

/* Sets env to fault `code` with a printf-style message (one line, no paths). */
void ctd_fault(xmlrpc_env *env, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds to the text of the fault already set (its code kept); no fault: nothing. */
void fault_append(xmlrpc_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fault 7 "kernel error: ..." for err during op. */
void ctd_kernel_fault(xmlrpc_env *env, int op, int err);
struct hc_error;
/* Fault 7 for a kernel refusal the helper reported, else fault 6. */
void ctd_helper_fault(xmlrpc_env *env, const struct hc_error *e, int op);

#endif /* CTD_FAULT_H */
