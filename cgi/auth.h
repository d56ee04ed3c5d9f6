/* SPDX-License-Identifier: GPL-2.0-or-later */
/* auth.h - password-file logins (cgi/auth.c). */
#ifndef CTD_AUTH_H
#define CTD_AUTH_H

#include <stddef.h>
#include <xmlrpc-c/base.h>

/* Checks user/password against the password file: 0 ok, -1 wrong (fault 1
 * set), reads the whole file each time (small). */
int auth_password(xmlrpc_env *env, const char *file, const char *user, const char *password);
/* The parser alone: user's hash and the first usable hash (for unknown
 * users), each CTD_HASH_MAX bytes, "" if none. */
#define CTD_HASH_MAX 512u
void auth_find_hash(const char *text, size_t len, const char *user, char *hash, char *dummy);
/* Same, on text already in memory (for tests and fuzzing). */
int auth_password_text(const char *text, size_t len, const char *user, const char *password);

#endif /* CTD_AUTH_H */
