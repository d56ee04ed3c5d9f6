// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: database open/migration/refusals (real SQLite in a temp dir),
 * sessions (token format, hash-only storage, idle and absolute expiry,
 * REMOTE_USER binding), snapshot lookup by id (ids shared by entries). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "ctd_cgi.h"
#include "store.h"

static char dir[64], path[128];
static xmlrpc_env env;
static int code;

static void reset(void)
{
	code = env.fault_occurred ? env.fault_code : 0;
	xmlrpc_env_clean(&env);
	xmlrpc_env_init(&env);
}

static int scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A stored dump of 4100 records in two chunks, ids ascending; id 9000 is
 * carried by three entries, the run crossing the chunk end (CTA_ID is a
 * 32-bit hash: live entries can share one). */
static void lookup_checks(struct ctd_ctx *ctx)
{
	static struct ctd_record recs[4100];
	static const uint32_t want[] = {2, 7, 9000, 9004, 99999};
	struct ctd_record *out = NULL;
	uint32_t i, counts[5];
	size_t nout = 0;
	int64_t dump;
	bool ok = true;

	for (i = 0; i < 4100; i++) {
		recs[i].id = i < 4094 ? 2 * i : (uint32_t[]){9000, 9000, 9000, 9002, 9004, 9004}[i - 4094];
		recs[i].l3proto = AF_INET;
		recs[i].orig.src[0] = 10;
		recs[i].orig.src[2] = (uint8_t)(i >> 8);
		recs[i].orig.src[3] = (uint8_t)i;
	}
	{
		struct snap_info info = {.time = 1, .started = 1, .accounting = true};
		struct snap_table t = {0};

		for (i = 0; i < 4100; i++)
			snap_append(&t, &recs[i]);
		ok = store_dump_insert(ctx->db, &info, &t) == SQLITE_OK;
		snap_free(&t);
		dump = info.dump_id;
	}
	CHECK(ok && CTD_CHUNK_RECS == 4096, "a dump of 4100 records stored in two chunks");
	CHECK(store_dump_lookup(ctx->db, dump, want, 5, &out, &nout, counts) == SQLITE_OK, "lookup of 5 ids");
	CHECK(counts[0] == 1 && counts[1] == 0 && counts[2] == 3 && counts[3] == 2 && counts[4] == 0 &&
		  nout == 6,
	      "an id names every entry that carries it, across the chunk end: counts %u %u %u %u %u, %zu "
	      "records",
	      counts[0], counts[1], counts[2], counts[3], counts[4], nout);
	CHECK(nout == 6 && !memcmp(&out[0], &recs[1], sizeof(recs[0])) &&
		  !memcmp(&out[1], &recs[4094], 3 * sizeof(recs[0])) &&
		  !memcmp(&out[4], &recs[4098], 2 * sizeof(recs[0])),
	      "... whole records, in id order");
	free(out);
	CHECK(store_dump_lookup(ctx->db, dump, (const uint32_t[]){0}, 1, &out, &nout, counts) == SQLITE_OK &&
		  nout == 1 && counts[0] == 1 && out[0].orig.src[3] == 0,
	      "the first id of the first chunk");
	free(out);
	CHECK(store_dump_lookup(ctx->db, dump + 1, want, 5, &out, &nout, counts) == SQLITE_OK && nout == 0 &&
		  !out,
	      "a dump without chunks: nothing found");
	reset();
}

int main(void)
{
	struct ctd_ctx ctx;
	sqlite3 *db;
	char tok[65], tok2[65], cmd[256];
	FILE *f;

	xmlrpc_env_init(&env);
	snprintf(dir, sizeof(dir), "/tmp/ctd-unit-db.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/ctd.db", dir);

	db = db_open(&env, path);
	reset();
	CHECK(db && !code, "new database created");
	CHECK(scalar(db, "PRAGMA user_version") == DB_SCHEMA_VERSION, "schema version: every migration");
	CHECK(
	    scalar(db, "SELECT count(*) FROM pragma_table_info('dumps') WHERE name='started'") == 1 &&
		scalar(db, "SELECT count(*) FROM pragma_table_info('sessions') WHERE name='refresh_after'") ==
		    1,
	    "columns from sql/002-shared-dumps.sql");
	CHECK(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
			 "('sessions','dumps','dump_chunks','audit')") == 4,
	      "tables from sql/001-initial.sql");
	CHECK(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('history','history_time')") == 2,
	      "table and index from sql/004-history.sql");
	CHECK(strstr(ctd_sql_001, "CREATE TABLE audit") != NULL, "embedded SQL is the sql/ file");
	CHECK(scalar(db, "PRAGMA page_size") == 65536, "64 KiB pages");
	CHECK(scalar(db, "PRAGMA auto_vacuum") == 2, "incremental auto_vacuum: freed dumps give space back");
	sqlite3_close(db);
	db = db_open(&env, path);
	reset();
	CHECK(db && !code && scalar(db, "PRAGMA user_version") == DB_SCHEMA_VERSION,
	      "reopen: no second migration");

	/* sessions */
	memset(&ctx, 0, sizeof(ctx));
	cfg_defaults(&ctx.cfg);
	ctx.db = db;
	ctx.remote_user = "alice";
	CHECK(session_create(&env, &ctx, "alice", tok) == 0 && strlen(tok) == 64,
	      "session token: 64 hex chars");
	reset();
	CHECK(scalar(db, "SELECT count(*) FROM sessions WHERE user='alice' AND length(token_hash)=32") == 1,
	      "only a 32-byte hash stored");
	snprintf(cmd, sizeof(cmd), "SELECT count(*) FROM sessions WHERE token_hash LIKE '%%%s%%'", tok);
	CHECK(scalar(db, cmd) == 0, "token itself not stored");
	CHECK(session_check(&env, &ctx, tok) == 0 && !strcmp(ctx.user, "alice"), "valid session");
	reset();
	ctx.remote_user = "bob";
	CHECK(session_check(&env, &ctx, tok) < 0, "other REMOTE_USER refused");
	reset();
	CHECK(code == CTD_F_SESSION, "... with fault 2");
	ctx.remote_user = NULL;
	CHECK(session_check(&env, &ctx, tok) < 0, "bound session without REMOTE_USER refused");
	reset();
	ctx.remote_user = "alice";
	tok[0] = tok[0] == 'a' ? 'b' : 'a';
	CHECK(session_check(&env, &ctx, tok) < 0 && (reset(), code == CTD_F_SESSION),
	      "altered token unknown");
	CHECK(session_check(&env, &ctx, "../../etc") < 0 && (reset(), code == CTD_F_SESSION),
	      "junk token unknown");
	tok[0] = tok[0] == 'a' ? 'b' : 'a';
	db_exec(db, "UPDATE sessions SET last_used = last_used - 301");
	CHECK(session_check(&env, &ctx, tok) < 0 && (reset(), code == CTD_F_SESSION), "idle timeout");
	ctx.remote_user = NULL;
	CHECK(session_create(&env, &ctx, "carol", tok2) == 0, "unbound session (password login)");
	reset();
	CHECK(session_check(&env, &ctx, tok2) == 0, "unbound session without REMOTE_USER ok");
	reset();
	db_exec(db, "UPDATE sessions SET created = created - 28801");
	CHECK(session_check(&env, &ctx, tok2) < 0 && (reset(), code == CTD_F_SESSION), "absolute lifetime");
	session_purge(&ctx);
	CHECK(scalar(db, "SELECT count(*) FROM sessions") == 0, "expired sessions purged");
	lookup_checks(&ctx);
	sqlite3_close(db);

	/* refusals: newer schema, not a database */
	db = db_open(&env, path);
	reset();
	db_exec(db, "PRAGMA user_version = 99");
	sqlite3_close(db);
	db = db_open(&env, path);
	CHECK(!db && env.fault_occurred && env.fault_code == CTD_F_CONFIG &&
		  strstr(env.fault_string, "newer"),
	      "newer schema: fault 8 (%s)", env.fault_occurred ? env.fault_string : "");
	CHECK(!env.fault_occurred || !strstr(env.fault_string, dir), "no path in the fault");
	reset();
	snprintf(cmd, sizeof(cmd), "%s/garbage.db", dir);
	f = fopen(cmd, "w");
	fputs("this is not a database, just some text that is long enough to have a header......", f);
	fclose(f);
	db = db_open(&env, cmd);
	CHECK(!db && env.fault_occurred && env.fault_code == CTD_F_CONFIG &&
		  strstr(env.fault_string, "corrupt"),
	      "garbage file: fault 8 corrupt (%s)", env.fault_occurred ? env.fault_string : "");
	reset();
	db = db_open(&env, "/nonexistent-dir/ctd.db");
	CHECK(!db && env.fault_occurred && env.fault_code == CTD_F_CONFIG &&
		  !strstr(env.fault_string, "nonexistent"),
	      "missing directory: fault 8 without the path (%s)", env.fault_occurred ? env.fault_string : "");
	reset();

	/* a database of schema version 1 (the first release) is migrated in
	 * place; its dumps are in the old record form, which migration 3
	 * drops (sessions take a fresh dump), its other rows stay */
	snprintf(cmd, sizeof(cmd), "%s/v1.db", dir);
	CHECK(sqlite3_open(cmd, &db) == SQLITE_OK &&
		  sqlite3_exec(db, ctd_sql_001, NULL, NULL, NULL) == SQLITE_OK &&
		  sqlite3_exec(
		      db,
		      "PRAGMA user_version = 1; INSERT INTO dumps(time, interval, accounting, count) "
		      "VALUES (1, 0, 1, 0); INSERT INTO audit(time, user, method, conn_id, tuple, result) "
		      "VALUES (1, 'alice', 'kill', '1', 't', 'done')",
		      NULL, NULL, NULL) == SQLITE_OK,
	      "a version-1 database made from sql/001 alone");
	sqlite3_close(db);
	db = db_open(&env, cmd);
	CHECK(db && !env.fault_occurred && scalar(db, "PRAGMA user_version") == DB_SCHEMA_VERSION &&
		  scalar(db, "SELECT count(*) FROM dumps") == 0 &&
		  scalar(db, "SELECT count(*) FROM audit WHERE user = 'alice'") == 1,
	      "version 1 -> the latest on open: the old-form dump dropped, the audit row kept (%s)",
	      env.fault_occurred ? env.fault_string : "");
	CHECK(db && scalar(db, "PRAGMA auto_vacuum") == 2, "... and converted to incremental auto_vacuum");
	sqlite3_close(db);
	reset();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "cleanup");
	xmlrpc_env_clean(&env);
	return CHECK_DONE();
}
