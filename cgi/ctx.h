/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctx.h - the per-request context: configuration, database, caller, and what the request has spent. */
#ifndef CTD_CTX_H
#define CTD_CTX_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>
#include <xmlrpc-c/base.h>

#include "config.h"

struct snap_pending;

struct ctd_ctx {
	struct ctd_config cfg;
	bool cfg_ok;
	char cfg_err[320];
	const char *config_path;
	sqlite3 *db;
	const char *remote_user; /* NULL when Apache did not authenticate */
	const char *remote_addr;
	/* set by the preinvoke hook for the call being run */
	int64_t sid;
	char user[CTD_USER_MAX];
	int role;
	/* what this HTTP request has spent, over all calls of a multicall */
	unsigned logins;    /* login calls */
	uint32_t rows;	    /* rows returned (at most cfg.max_page) */
	int64_t fresh_dump; /* the one fresh dump it made or took, 0 if none */
	bool multicall;	    /* the request is a system.multicall */
	/* a fresh dump served from memory, stored after the response (snapshot.c) */
	struct snap_pending *pending;
};

sqlite3 *ctx_db(xmlrpc_env *env, struct ctd_ctx *ctx);

#endif /* CTD_CTX_H */
