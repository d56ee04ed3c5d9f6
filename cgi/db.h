/* SPDX-License-Identifier: GPL-2.0-or-later */
/* db.h - the SQLite database: open, migrate, transactions, faults (cgi/db.c). */
#ifndef CTD_DB_H
#define CTD_DB_H

#include <sqlite3.h>
#include <xmlrpc-c/base.h>

/* Opens (creating and migrating if needed).  On failure sets fault 8. */
sqlite3 *db_open(xmlrpc_env *env, const char *path);
/* A connection set up as every one of ctd.cgi's is (pragmas, foreign
 * keys, the WAL hook), not migrated: db_open's, and the dump's background
 * thread's.  SQLITE_OK, or an error with *out to close (NULL: no memory). */
int db_connect(const char *path, int flags, sqlite3 **out);
/* Maps an SQLite error to fault 8 (or the given context) without SQL text. */
void db_fault(xmlrpc_env *env, sqlite3 *db, int rc, const char *what);
int db_exec(sqlite3 *db, const char *sql);
int db_begin(xmlrpc_env *env, sqlite3 *db);
int db_commit(xmlrpc_env *env, sqlite3 *db);
void db_rollback(sqlite3 *db);
/* The schema version after every migration of sql/ (db.c checks the count). */
#define DB_SCHEMA_VERSION 7
extern const char ctd_sql_001[];
extern const char ctd_sql_002[];
extern const char ctd_sql_003[];
extern const char ctd_sql_004[];
extern const char ctd_sql_005[];
extern const char ctd_sql_006[];
extern const char ctd_sql_007[];

#endif /* CTD_DB_H */
