// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * session.c - sessions in SQLite.  The token is 256 random bits from
 * getrandom(2), given to the client as 64 hex characters; only its SHA-256
 * is stored, so a copy of the database does not hand out live sessions.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ctd_cgi.h"

#define TOKEN_BYTES 32
#define TOKEN_HEX   (2 * TOKEN_BYTES)

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int hex_token_hash(const char *token, uint8_t hash[32])
{
	size_t i;

	/* only our own format reaches SQLite; anything else is simply unknown */
	if (strlen(token) != TOKEN_HEX)
		return -1;
	for (i = 0; i < TOKEN_HEX; i++)
		if (!((token[i] >= '0' && token[i] <= '9') || (token[i] >= 'a' && token[i] <= 'f')))
			return -1;
	sha256(token, TOKEN_HEX, hash);
	return 0;
}

void db_purge(sqlite3 *db, unsigned idle, unsigned lifetime)
{
	sqlite3_stmt *st;
	double now = now_s();

	if (sqlite3_prepare_v2(db, "DELETE FROM sessions WHERE last_used < ?1 OR created < ?2", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	sqlite3_bind_double(st, 1, now - idle);
	sqlite3_bind_double(st, 2, now - lifetime);
	sqlite3_step(st);
	sqlite3_finalize(st);
	/* dumps no session reads any more, except the newest (rates base) */
	db_exec(db,
		"DELETE FROM dump_chunks WHERE dump_id NOT IN (SELECT dump_id FROM sessions WHERE dump_id "
		"IS NOT NULL) AND dump_id <> (SELECT max(id) FROM dumps)");
	db_exec(db, "DELETE FROM dumps WHERE id NOT IN (SELECT dump_id FROM sessions WHERE dump_id IS NOT "
		    "NULL) AND id <> (SELECT max(id) FROM dumps)");
}

void session_purge(struct ctd_ctx *ctx)
{
	db_purge(ctx->db, ctx->cfg.session_idle_timeout, ctx->cfg.session_lifetime);
}

int session_create(xmlrpc_env *env, struct ctd_ctx *ctx, const char *user, char token[65])
{
	uint8_t raw[TOKEN_BYTES], hash[32];
	sqlite3_stmt *st;
	double now = now_s();
	size_t i;
	int rc;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		ctd_fault(env, CTD_F_CONFIG, "server cannot get random bytes for a session");
		return -1;
	}
	for (i = 0; i < TOKEN_BYTES; i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	sha256(token, TOKEN_HEX, hash);
	if (db_begin(env, ctx->db) < 0)
		return -1;
	session_purge(ctx);
	rc = sqlite3_prepare_v2(
	    ctx->db,
	    "INSERT INTO sessions(token_hash, user, bound, created, last_used, refresh_after) "
	    "VALUES (?1,?2,?3,?4,?4,?4)",
	    -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, user, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 3, ctx->remote_user != NULL);
		sqlite3_bind_double(st, 4, now);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE) {
			/* checkpoints: db.c's WAL hook */
			return db_commit(env, ctx->db) < 0 ? -1 : 0;
		}
	}
	db_fault(env, ctx->db, rc, "creating a session");
	db_rollback(ctx->db);
	return -1;
}

int session_check(xmlrpc_env *env, struct ctd_ctx *ctx, const char *token)
{
	uint8_t hash[32];
	sqlite3_stmt *st;
	double now = now_s(), created, last;
	int rc, bound;

	if (hex_token_hash(token, hash) < 0) {
		ctd_fault(env, CTD_F_SESSION, "session unknown: log in again");
		return -1;
	}
	rc = sqlite3_prepare_v2(
	    ctx->db, "SELECT id, user, bound, created, last_used FROM sessions WHERE token_hash=?1", -1, &st,
	    NULL);
	if (rc != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "reading a session");
		return -1;
	}
	sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			db_fault(env, ctx->db, rc, "reading a session");
			return -1;
		}
		ctd_fault(env, CTD_F_SESSION, "session unknown or expired: log in again");
		return -1;
	}
	ctx->sid = sqlite3_column_int64(st, 0);
	snprintf(ctx->user, sizeof(ctx->user), "%s", (const char *)sqlite3_column_text(st, 1));
	bound = sqlite3_column_int(st, 2);
	created = sqlite3_column_double(st, 3);
	last = sqlite3_column_double(st, 4);
	sqlite3_finalize(st);
	if (now - last > ctx->cfg.session_idle_timeout || now - created > ctx->cfg.session_lifetime) {
		ctx->sid = 0;
		ctd_fault(env, CTD_F_SESSION, "session expired: log in again");
		return -1;
	}
	/*
	 * A token stolen from one authenticated user (log file, proxy) must not
	 * work under another user's Apache credentials, nor without any.
	 */
	if ((bound && (!ctx->remote_user || strcmp(ctx->remote_user, ctx->user) != 0)) ||
	    (!bound && ctx->remote_user && strcmp(ctx->remote_user, ctx->user) != 0)) {
		ctx->sid = 0;
		ctd_fault(env, CTD_F_SESSION, "session belongs to another user: log in again");
		return -1;
	}
	rc = sqlite3_prepare_v2(ctx->db, "UPDATE sessions SET last_used=?1 WHERE id=?2", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_double(st, 1, now);
		sqlite3_bind_int64(st, 2, ctx->sid);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_DONE) {
		ctx->sid = 0;
		db_fault(env, ctx->db, rc, "extending a session");
		return -1;
	}
	return 0;
}

int session_delete(xmlrpc_env *env, struct ctd_ctx *ctx)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(ctx->db, "DELETE FROM sessions WHERE id=?1", -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, ctx->sid);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_DONE) {
		db_fault(env, ctx->db, rc, "ending a session");
		return -1;
	}
	return 0;
}
