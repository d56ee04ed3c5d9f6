// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * db.c - the SQLite database: open (creating it), WAL, busy timeout,
 * schema migrations by PRAGMA user_version.  Every error becomes fault 8
 * with a sentence for the administrator, never SQL text or a path.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "fault.h"

/* The numbered migrations in sql/, embedded at build time so the binary
 * and the files shipped in share/ctd/sql can never disagree. */
__asm__(".section .rodata\n"
	".global ctd_sql_001\n"
	".type ctd_sql_001, @object\n"
	"ctd_sql_001:\n"
	".incbin \"sql/001-initial.sql\"\n"
	".byte 0\n"
	".global ctd_sql_002\n"
	".type ctd_sql_002, @object\n"
	"ctd_sql_002:\n"
	".incbin \"sql/002-shared-dumps.sql\"\n"
	".byte 0\n"
	".global ctd_sql_003\n"
	".type ctd_sql_003, @object\n"
	"ctd_sql_003:\n"
	".incbin \"sql/003-compact-dumps.sql\"\n"
	".byte 0\n"
	".global ctd_sql_004\n"
	".type ctd_sql_004, @object\n"
	"ctd_sql_004:\n"
	".incbin \"sql/004-history.sql\"\n"
	".byte 0\n"
	".global ctd_sql_005\n"
	".type ctd_sql_005, @object\n"
	"ctd_sql_005:\n"
	".incbin \"sql/005-audit-read.sql\"\n"
	".byte 0\n"
	".global ctd_sql_006\n"
	".type ctd_sql_006, @object\n"
	"ctd_sql_006:\n"
	".incbin \"sql/006-kill-tokens.sql\"\n"
	".byte 0\n"
	".global ctd_sql_007\n"
	".type ctd_sql_007, @object\n"
	"ctd_sql_007:\n"
	".incbin \"sql/007-session-expect.sql\"\n"
	".byte 0\n"
	".previous\n");

static const char *const migrations[] = {ctd_sql_001, ctd_sql_002, ctd_sql_003, ctd_sql_004,
					 ctd_sql_005, ctd_sql_006, ctd_sql_007};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(SCHEMA_VERSION == DB_SCHEMA_VERSION, "db.h's DB_SCHEMA_VERSION counts sql/'s migrations");
/* Every call writes (its session's last use); a fresh view of a 100k table
 * holds the write lock while it stores ~14 MB, and 64 clients queue behind
 * such writers for more than 5 s: wait rather than fail the call (fault 8),
 * still well inside CGIDScriptTimeout (75 s in apache/ctd-site.conf) */
#define BUSY_TIMEOUT_MS 30000

void db_fault(xmlrpc_env *env, sqlite3 *db, int rc, const char *what)
{
	int prim = rc & 0xff;

	if (db)
		fprintf(stderr, "ctd.cgi: database: %s: %s\n", what, sqlite3_errmsg(db));
	switch (prim) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		ctd_fault(env, CTD_F_CONFIG,
			  "server database is busy (locked by another process); try again");
		break;
	case SQLITE_READONLY:
		ctd_fault(env, CTD_F_CONFIG,
			  "server misconfigured: the database is read-only; the web server user must be able "
			  "to write it "
			  "and its directory");
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		ctd_fault(env, CTD_F_CONFIG,
			  "server database is corrupt or not a database; the administrator must restore or "
			  "remove it");
		break;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		ctd_fault(env, CTD_F_CONFIG,
			  "server misconfigured: the database cannot be opened or created; check that its "
			  "directory "
			  "exists and is writable by the web server user");
		break;
	case SQLITE_FULL:
	case SQLITE_IOERR:
		ctd_fault(env, CTD_F_CONFIG, "server database I/O error (disk full?); see the server log");
		break;
	default:
		ctd_fault(env, CTD_F_CONFIG, "server database error (%s); see the server log", what);
		break;
	}
}

int db_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

int db_begin(xmlrpc_env *env, sqlite3 *db)
{
	int rc = db_exec(db, "BEGIN IMMEDIATE");

	if (rc != SQLITE_OK) {
		db_fault(env, db, rc, "begin");
		return -1;
	}
	return 0;
}

int db_commit(xmlrpc_env *env, sqlite3 *db)
{
	int rc = db_exec(db, "COMMIT");

	if (rc != SQLITE_OK) {
		db_fault(env, db, rc, "commit");
		db_rollback(db);
		return -1;
	}
	return 0;
}

void db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		db_exec(db, "ROLLBACK");
}

static int user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int quick_check(sqlite3 *db)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0 ? SQLITE_OK : SQLITE_CORRUPT;
	sqlite3_finalize(st);
	return rc;
}

/* A database made before auto_vacuum was set never gives space back:
 * convert it once (VACUUM rewrites the file; a busy database just waits
 * for the next call). */
static void vacuum_upgrade(sqlite3 *db)
{
	sqlite3_stmt *st;
	int mode = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA auto_vacuum", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		mode = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (mode == 0 && db_exec(db, "PRAGMA auto_vacuum=INCREMENTAL") == SQLITE_OK)
		db_exec(db, "VACUUM");
}

static int migrate(xmlrpc_env *env, sqlite3 *db)
{
	char sql[64];
	int v = 0, rc;

	if ((rc = user_version(db, &v)) != SQLITE_OK) {
		db_fault(env, db, rc, "reading the schema version");
		return -1;
	}
	if (v == SCHEMA_VERSION)
		return 0;
	if (v > SCHEMA_VERSION || v < 0) {
		ctd_fault(
		    env, CTD_F_CONFIG,
		    "server misconfigured: the database schema (version %d) is newer than this ctd.cgi (%d)",
		    v, SCHEMA_VERSION);
		return -1;
	}
	if (db_begin(env, db) < 0)
		return -1;
	/* re-read inside the write lock: another CGI may have migrated meanwhile */
	if ((rc = user_version(db, &v)) != SQLITE_OK)
		goto fail;
	if (v > 0 && (rc = quick_check(db)) != SQLITE_OK)
		goto fail;
	for (; v < SCHEMA_VERSION; v++) {
		if ((rc = db_exec(db, migrations[v])) != SQLITE_OK)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((rc = db_exec(db, sql)) != SQLITE_OK)
			goto fail;
	}
	if (db_commit(env, db) < 0)
		return -1;
	/* only when the schema moved: not a query on every CGI start */
	vacuum_upgrade(db);
	return 0;
fail:
	db_fault(env, db, rc, "migrating the schema");
	db_rollback(db);
	return -1;
}

/*
 * Every CGI is the database's first connection, so SQLite rebuilds its WAL
 * index by reading the whole WAL at open, and forgets what was already
 * checkpointed: a PASSIVE checkpoint never lets the WAL restart.  A 1M
 * snapshot left there (~150 MB) cost every later call ~50 ms, and each
 * call's own 64 KiB frame piled up between dumps.  So once a commit leaves
 * CTD_WAL_FRAMES_MAX frames, checkpoint everything and truncate the WAL:
 * in the call that stored a snapshot (it already took seconds), else in
 * the small commit that crosses the line.  Readers still on an older
 * snapshot make it wait at most briefly; then it is left for a later call.
 */
#define CTD_WAL_FRAMES_MAX   256
#define CTD_WAL_CKPT_WAIT_MS 200

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)arg;
	if (frames >= CTD_WAL_FRAMES_MAX) {
		sqlite3_busy_timeout(db, CTD_WAL_CKPT_WAIT_MS);
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	}
	return SQLITE_OK;
}

int db_connect(const char *path, int flags, sqlite3 **out)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOFOLLOW, NULL);

	*out = db;
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_extended_result_codes(db, 1);
	/* the last connection to close would checkpoint and delete the WAL on
	 * every call while Apache waits for us to exit; checkpoints happen in
	 * wal_hook above and in the dump's background housekeeping instead */
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	/* Snapshots are large blobs: 64 KiB pages make their overflow chains
	 * 16 times shorter to write, read and free.  Only takes effect on a
	 * new file (before WAL).  journal_mode answers a row; WAL stays once
	 * set.  A read-only or corrupt file fails here first. */
	if ((rc = db_exec(db, "PRAGMA page_size=65536")) != SQLITE_OK ||
	    /* dumps come and go by the hundred megabytes: give the space
	     * back (housekeeping runs incremental_vacuum); a new file only,
	     * an older one is converted once below */
	    (rc = db_exec(db, "PRAGMA auto_vacuum=INCREMENTAL")) != SQLITE_OK ||
	    (rc = db_exec(db, "PRAGMA journal_mode=WAL")) != SQLITE_OK ||
	    (rc = db_exec(db, "PRAGMA journal_size_limit=67108864")) != SQLITE_OK ||
	    (rc = db_exec(db, "PRAGMA synchronous=NORMAL")) != SQLITE_OK ||
	    /* ON DELETE CASCADE (a session's tokens and lists go with it) */
	    (rc = db_exec(db, "PRAGMA foreign_keys=ON")) != SQLITE_OK ||
	    (rc = db_exec(db, "PRAGMA cache_size=-2048")) != SQLITE_OK ||
	    /* checkpoints: wal_hook instead */
	    (rc = db_exec(db, "PRAGMA wal_autocheckpoint=0")) != SQLITE_OK)
		return rc;
	sqlite3_wal_hook(db, wal_hook, NULL);
	return SQLITE_OK;
}

sqlite3 *db_open(xmlrpc_env *env, const char *path)
{
	sqlite3 *db = NULL;
	int rc = db_connect(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db);

	if (rc != SQLITE_OK) {
		fprintf(stderr, "ctd.cgi: cannot open database %s: %s\n", path,
			db ? sqlite3_errmsg(db) : "no memory");
		db_fault(env, db, rc, "open");
		sqlite3_close(db);
		return NULL;
	}
	if (migrate(env, db) < 0) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}
