/* SPDX-License-Identifier: GPL-2.0-or-later */
/* session.h - session policy: tokens, expiry, binding (cgi/session.c; SQL in store_session.c). */
#ifndef CTD_SESSION_H
#define CTD_SESSION_H

#include <stdint.h>

#include <sqlite3.h>
#include <xmlrpc-c/base.h>

#include "ctx.h"

/* A new token: 256 random bits as 64 hex characters, and its SHA-256 (what
 * is stored).  0, or -1 with fault 8.  Sessions and kill tokens use it. */
int token_new(xmlrpc_env *env, char token[65], uint8_t hash[32]);
/* The SHA-256 of a token of that form; -1 for any other string. */
int token_hash(const char *token, uint8_t hash[32]);
/* Creates a session for user; writes the token (64 hex chars + NUL). */
int session_create(xmlrpc_env *env, struct ctd_ctx *ctx, const char *user, char token[65]);
/* Checks a token: sets ctx->sid/user, extends idle time.  Faults 2 on failure. */
int session_check(xmlrpc_env *env, struct ctd_ctx *ctx, const char *token);
int session_delete(xmlrpc_env *env, struct ctd_ctx *ctx);
void session_purge(struct ctd_ctx *ctx);
/* Expired sessions and unreferenced dumps (not the newest) go. */
void db_purge(sqlite3 *db, unsigned idle, unsigned lifetime);

#endif /* CTD_SESSION_H */
