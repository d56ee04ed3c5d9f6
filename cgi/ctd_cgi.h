/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctd_cgi.h - internals of ctd.cgi shared between its files: configuration,
 * faults, the per-request context, and the snapshot/view/action interfaces.
 * Nothing here runs with privilege.
 */
#ifndef CTD_CGI_H
#define CTD_CGI_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>
#include <xmlrpc-c/base.h>

#include "ctd_proto.h"

/* ---- limits ---------------------------------------------------------------- */
#define CTD_BODY_MAX	    (1024u * 1024u) /* request body, = xmlrpc-c size limit */
#define CTD_NESTING_MAX	    32u		    /* xmlrpc-c nesting limit */
#define CTD_CONF_MAX	    (256u * 1024u)  /* size of ctd.conf */
#define CTD_CONF_LINE_MAX   4096u	    /* one line of ctd.conf */
#define CTD_HIDE_MAX	    64u		    /* hide_networks entries */
#define CTD_ROLES_MAX	    256u	    /* roles entries */
#define CTD_USER_MAX	    128u	    /* user name length incl. NUL */
#define CTD_PASSWD_MAX	    (1024u * 1024u) /* size of the password file */
#define CTD_PASSWORD_MAX    1024u	    /* a password given to login */
#define CTD_TABLE_MAX	    4000000u	    /* entries one dump may hold */
#define CTD_CHUNK_RECS	    4096u	    /* records per snapshot blob */
#define CTD_AUTOREFRESH_MAX 86400	    /* seconds */

/* ---- faults (DESIGN §2) -------------------------------------------------- */
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

/* Conntrack operations, for errno sentences (cgi/fault.c). */
enum ct_op { CT_OP_ANY, CT_OP_DUMP, CT_OP_COUNT, CT_OP_DESTROY, CT_OP_MARK, CT_OP_TIMEOUT };
/* What err means for op, or NULL when strerror says it all. */
const char *ct_errtext(int op, int err);
/* "strerror: sentence" (or just strerror). */
void ct_errmsg(int op, int err, char *out, size_t outlen);
/* Fault 7 "kernel error: ..." for err during op. */
void ctd_kernel_fault(xmlrpc_env *env, int op, int err);
struct hc_error;
/* Fault 7 for a kernel refusal the helper reported, else fault 6. */
void ctd_helper_fault(xmlrpc_env *env, const struct hc_error *e, int op);

/* ---- configuration (cgi/config.c, contract: DESIGN.md §5 and apache/ctd.conf.example) --------- */
int ctd_read_small_file(const char *path, size_t max, char **out, size_t *len);
enum ctd_role { CTD_ROLE_NONE = 0, CTD_ROLE_VIEWER = 1, CTD_ROLE_OPERATOR = 2 };

struct ctd_cidr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefix; /* 0..32 or 0..128 */
	uint8_t addr[16];
};

struct ctd_role_entry {
	char user[CTD_USER_MAX];
	int role;
};

struct ctd_config {
	char database[PATH_MAX];
	char helper[PATH_MAX];
	unsigned helper_timeout;
	unsigned session_idle_timeout;
	unsigned session_lifetime;
	uint32_t uid_mask;
	struct ctd_cidr hide[CTD_HIDE_MAX];
	size_t nhide;
	unsigned max_page;
	char password_file[PATH_MAX]; /* "" = none */
	struct ctd_role_entry roles[CTD_ROLES_MAX];
	size_t nroles;
	int default_role;
	/* limits against hostile callers (README "Security model") */
	unsigned max_multicall;		/* calls in one system.multicall */
	unsigned max_sessions_per_user; /* live sessions; a new login evicts the oldest */
	unsigned max_dumps;		/* stored dumps */
};

void cfg_defaults(struct ctd_config *c);
/* Parse config text; `name` is the file's basename for messages.  Returns 0,
 * or -1 with err = "<name>:<line>: <what>". */
int cfg_parse(struct ctd_config *c, const char *text, size_t len, const char *name, char *err, size_t errlen);
/* Read and parse a file (defaults first).  err never holds the full path. */
int cfg_load(struct ctd_config *c, const char *path, char *err, size_t errlen);
int cfg_role_of(const struct ctd_config *c, const char *user);
const char *cfg_role_name(int role);

/* "a.b.c.d", "v6", optionally "/prefix".  Host bits beyond the prefix are
 * ignored (masked).  Returns 0 or -1. */
int cidr_parse(const char *s, struct ctd_cidr *out);
/* Whether a 16-byte address (IPv4 in the first 4 bytes) of `family` is inside. */
bool cidr_match(const struct ctd_cidr *c, int family, const uint8_t *addr);

/* ---- small utilities ------------------------------------------------------ */
void sha256(const void *data, size_t len, uint8_t out[32]);
/* Constant-time comparison of equal-length buffers: 1 if equal. */
int ct_equal(const void *a, const void *b, size_t n);
double now_s(void);

/* ---- forgiving XML-RPC conversions (cgi/value.c) --------------------------- */
/* Parameter i of a call (a new reference, caller decrefs), or NULL when the
 * call has fewer parameters. */
xmlrpc_value *rpc_param(xmlrpc_env *env, xmlrpc_value *params, int i);
/* Each returns 0 or -1 (no fault set; the caller names the parameter). */
int val_u32(xmlrpc_env *env, xmlrpc_value *v,
	    uint32_t *out); /* int, numeric string, integral double; negative i4 = unsigned */
int val_int(xmlrpc_env *env, xmlrpc_value *v, int64_t *out); /* signed, -2^31..2^32-1 */
int val_string(xmlrpc_env *env, xmlrpc_value *v, char *out, size_t outlen);

/* ---- database (cgi/db.c) ------------------------------------------------------ */
/* Opens (creating and migrating if needed).  On failure sets fault 8. */
sqlite3 *db_open(xmlrpc_env *env, const char *path);
/* Maps an SQLite error to fault 8 (or the given context) without SQL text. */
void db_fault(xmlrpc_env *env, sqlite3 *db, int rc, const char *what);
int db_exec(sqlite3 *db, const char *sql);
int db_begin(xmlrpc_env *env, sqlite3 *db);
int db_commit(xmlrpc_env *env, sqlite3 *db);
void db_rollback(sqlite3 *db);
extern const char ctd_sql_001[];
extern const char ctd_sql_002[];

/* ---- per-request context ------------------------------------------------------- */
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
};

sqlite3 *ctx_db(xmlrpc_env *env, struct ctd_ctx *ctx);

/* ---- sessions (cgi/session.c) ------------------------------------------------ */
/* Creates a session for user; writes the token (64 hex chars + NUL). */
int session_create(xmlrpc_env *env, struct ctd_ctx *ctx, const char *user, char token[65]);
/* Checks a token: sets ctx->sid/user, extends idle time.  Faults 2 on failure. */
int session_check(xmlrpc_env *env, struct ctd_ctx *ctx, const char *token);
int session_delete(xmlrpc_env *env, struct ctd_ctx *ctx);
void session_purge(struct ctd_ctx *ctx);
/* Expired sessions and unreferenced dumps (not the newest) go. */
void db_purge(sqlite3 *db, unsigned idle, unsigned lifetime);

/* ---- authentication (cgi/auth.c) ------------------------------------------- */
/* Checks user/password against the password file: 0 ok, -1 wrong (fault 1
 * set), reads the whole file each time (small). */
int auth_password(xmlrpc_env *env, const char *file, const char *user, const char *password);
/* The parser alone: user's hash and the first usable hash (for unknown
 * users), each CTD_HASH_MAX bytes, "" if none. */
#define CTD_HASH_MAX 512u
void auth_find_hash(const char *text, size_t len, const char *user, char *hash, char *dummy);
/* Same, on text already in memory (for tests and fuzzing). */
int auth_password_text(const char *text, size_t len, const char *user, const char *password);

/* ---- snapshots, filters, fields (their own headers) ------------------------------ */
#include "field.h"
#include "filter.h"
#include "snapshot.h"

/* ---- view (cgi/view.c) ---------------------------------------------------------- */
/* Index of an order_by name in ctd_fields, or -1. */
int view_order_index(const char *name);
xmlrpc_value *rpc_view_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params);

/* ---- actions (cgi/actions.c) ------------------------------------------------------ */
xmlrpc_value *rpc_kill_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params);
xmlrpc_value *rpc_change_impl(xmlrpc_env *env, struct ctd_ctx *ctx, xmlrpc_value *params);
/* Text form of a tuple for the audit log. */
void tuple_text(const struct ctd_record *r, char *out, size_t outlen);

/* ---- rpc (cgi/rpc.c) ---------------------------------------------------------------- */
struct xmlrpc_registry;
struct xmlrpc_registry *rpc_registry_new(xmlrpc_env *env, struct ctd_ctx *ctx);
/* Role each method needs; CTD_ROLE_NONE = no session needed; -1 unknown. */
int rpc_method_role(const char *name);

#endif /* CTD_CGI_H */
