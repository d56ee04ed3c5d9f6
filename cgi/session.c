// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * session.c - session policy: tokens, expiry, binding to REMOTE_USER.
 * The token is 256 random bits from getrandom(2), given to the client as
 * 64 hex characters; only its SHA-256 is stored (store_session.c), so a
 * copy of the database does not hand out live sessions.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ctx.h"
#include "db.h"
#include "fault.h"
#include "session.h"
#include "store.h"
#include "util.h"

#define TOKEN_BYTES 32
#define TOKEN_HEX   (2 * TOKEN_BYTES)

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int token_hash(const char *token, uint8_t hash[32])
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
	double now = now_s();

	store_session_purge(db, now - idle, now - lifetime);
	store_killtoken_purge(db, now);
	store_expect_purge(db);
	store_dump_purge(db);
}

void session_purge(struct ctd_ctx *ctx)
{
	db_purge(ctx->db, ctx->cfg.session_idle_timeout, ctx->cfg.session_lifetime);
}

int token_new(xmlrpc_env *env, char token[65], uint8_t hash[32])
{
	uint8_t raw[TOKEN_BYTES];
	size_t i;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		ctd_fault(env, CTD_F_CONFIG, "server cannot get random bytes for a token");
		return -1;
	}
	for (i = 0; i < TOKEN_BYTES; i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	sha256(token, TOKEN_HEX, hash);
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

int session_create(xmlrpc_env *env, struct ctd_ctx *ctx, const char *user, char token[65])
{
	uint8_t hash[32];
	int rc;

	if (token_new(env, token, hash) < 0)
		return -1;
	if (db_begin(env, ctx->db) < 0)
		return -1;
	session_purge(ctx);
	/* K logins could otherwise pin K snapshots (disk) and K sessions: a
	 * new login evicts the user's session created longest ago */
	rc = store_session_evict(ctx->db, user, ctx->cfg.max_sessions_per_user - 1);
	if (rc == SQLITE_OK)
		rc = store_session_insert(ctx->db, hash, user, ctx->remote_user != NULL, now_s());
	if (rc == SQLITE_OK)
		return db_commit(env, ctx->db) < 0 ? -1 : 0; /* checkpoints: db.c's WAL hook */
	db_fault(env, ctx->db, rc, "creating a session");
	db_rollback(ctx->db);
	return -1;
}

/* A token stolen from one authenticated user (log file, proxy) must not
 * work under another user's Apache credentials, nor without any. */
static bool wrong_user(const struct ctd_ctx *ctx, const struct session_row *s)
{
	if (s->bound)
		return !ctx->remote_user || strcmp(ctx->remote_user, s->user) != 0;
	return ctx->remote_user && strcmp(ctx->remote_user, s->user) != 0;
}

int session_check(xmlrpc_env *env, struct ctd_ctx *ctx, const char *token)
{
	struct session_row s;
	uint8_t hash[32];
	double now = now_s();
	int rc;

	if (token_hash(token, hash) < 0) {
		ctd_fault(env, CTD_F_SESSION, "session unknown: log in again");
		return -1;
	}
	rc = store_session_find(ctx->db, hash, &s);
	if (rc == SQLITE_DONE) {
		ctd_fault(env, CTD_F_SESSION, "session unknown or expired: log in again");
		return -1;
	}
	if (rc != SQLITE_ROW) {
		db_fault(env, ctx->db, rc, "reading a session");
		return -1;
	}
	if (now - s.last_used > ctx->cfg.session_idle_timeout ||
	    now - s.created > ctx->cfg.session_lifetime) {
		ctd_fault(env, CTD_F_SESSION, "session expired: log in again");
		return -1;
	}
	if (wrong_user(ctx, &s)) {
		ctd_fault(env, CTD_F_SESSION, "session belongs to another user: log in again");
		return -1;
	}
	if ((rc = store_session_touch(ctx->db, s.id, now)) != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "extending a session");
		return -1;
	}
	ctx->sid = s.id;
	snprintf(ctx->user, sizeof(ctx->user), "%s", s.user);
	return 0;
}

int session_delete(xmlrpc_env *env, struct ctd_ctx *ctx)
{
	int rc = store_session_delete(ctx->db, ctx->sid);

	if (rc != SQLITE_OK) {
		db_fault(env, ctx->db, rc, "ending a session");
		return -1;
	}
	return 0;
}
