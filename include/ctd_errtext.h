/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctd_errtext.h - what a kernel errno means for each conntrack operation
 * (after conntrack-tools' per-command sentences).  One table, read by the
 * CGI's faults, its audit rows and the helper client's messages.
 */
#ifndef CTD_ERRTEXT_H
#define CTD_ERRTEXT_H

#include <stddef.h>

/* Conntrack operations. */
enum ct_op { CT_OP_ANY, CT_OP_DUMP, CT_OP_COUNT, CT_OP_DESTROY, CT_OP_MARK, CT_OP_TIMEOUT };

/* What err means for op, or NULL when strerror says it all. */
const char *ct_errtext(int op, int err);
/* "strerror: sentence" (or just strerror) into out. */
void ct_errmsg(int op, int err, char *out, size_t outlen);

#endif /* CTD_ERRTEXT_H */
