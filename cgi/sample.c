// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sample.c - where history's samples come from (history.h): every fresh
 * dump leaves one (the table's size, every row's rate added up,
 * connections per protocol), and `ctd.cgi --sample`, run from a systemd
 * timer or the demo, leaves one without a dump (the size and the
 * kernel's insert_failed, drop and early_drop counters).
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "helper_client.h"
#include "history.h"
#include "store.h"
#include "util.h"

#define DAY_S 86400.0

/* ---- at every dump ---------------------------------------------------------------- */
int history_record_dump(sqlite3 *db, const struct snap_info *info, const struct snap_table *t,
			unsigned history_days)
{
	struct hist_sample s = {.time = info->time, .count = t->n, .max = info->max, .dump = true};
	struct ctd_record r;
	uint32_t i;
	int rc;

	/* hidden networks included: a count like conntrack -C's, never a row */
	for (i = 0; i < t->n; i++) {
		snap_get(t, i, &r);
		s.rate += (double)snap_rates_c(&r)[0] + (double)snap_rates_c(&r)[1];
		if (r.l4proto == IPPROTO_TCP)
			s.tcp++;
		else if (r.l4proto == IPPROTO_UDP)
			s.udp++;
		else if (r.l4proto == IPPROTO_ICMP || r.l4proto == IPPROTO_ICMPV6)
			s.icmp++;
		else
			s.other++;
	}
	rc = store_history_add(db, &s, s.time - history_days * DAY_S);
	if (rc != SQLITE_OK)
		fprintf(stderr, "ctd.cgi: database: storing a history sample: %s\n", sqlite3_errmsg(db));
	return rc;
}

/* ---- ctd.cgi --sample ------------------------------------------------------------- */
/* db_open() tells Apache's log what SQLite said, a line of its own; a
 * failed --sample says one line, with the path, itself. */
static sqlite3 *open_quietly(xmlrpc_env *env, const char *path)
{
	int saved, nul;
	sqlite3 *db;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved >= 0 && nul >= 0)
		dup2(nul, STDERR_FILENO);
	if (nul >= 0)
		close(nul);
	db = db_open(env, path);
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	return db;
}

/*
 * One sample without a dump: the helper's STATS (size, max, and the
 * kernel's insert_failed, drop and early_drop summed over CPUs as conntrack
 * -S does, in the helper's network namespace, the one the table is read
 * from), stored.  Run as the web user (the helper refuses anyone else),
 * with the configuration a request would have.
 */
static int sample_once(const struct ctd_config *cfg, char *err, size_t errlen)
{
	struct hc_target ht = {cfg->helper, cfg->helper_timeout};
	struct hist_sample s = {0};
	struct ctd_stats st;
	struct hc_error e;
	xmlrpc_env env;
	sqlite3 *db;
	int rc;

	memset(&e, 0, sizeof(e));
	if (hc_stats(&ht, &st, &e) < 0) {
		snprintf(err, errlen, "helper: %s", e.msg[0] ? e.msg : "no answer");
		return -1;
	}
	s.insert_failed = st.insert_failed;
	s.drop = st.drop;
	s.early_drop = st.early_drop;
	s.counters = true;
	s.time = now_s();
	s.count = st.table.count;
	s.max = st.table.max;
	xmlrpc_env_init(&env);
	if (!(db = open_quietly(&env, cfg->database))) {
		snprintf(err, errlen, "database %.1024s: %.400s", cfg->database,
			 env.fault_string ? env.fault_string : "cannot open");
		xmlrpc_env_clean(&env);
		return -1;
	}
	xmlrpc_env_clean(&env);
	rc = store_history_add(db, &s, s.time - cfg->history_days * DAY_S);
	if (rc != SQLITE_OK)
		snprintf(err, errlen, "database: storing the sample: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

int history_sample_main(int argc, char **argv)
{
	const char *path = getenv("CTD_CONFIG");
	static struct ctd_config cfg;
	char err[2048];

	if (argc != 2 || strcmp(argv[1], "--sample") != 0) {
		fprintf(stderr,
			"usage: ctd.cgi --sample   (otherwise ctd.cgi runs as a CGI, under a web server)\n");
		return 1;
	}
	if (!path || !*path)
		path = CTD_CONFIG_PATH;
	if (cfg_load(&cfg, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "ctd.cgi --sample: configuration %s: %s\n", path, err);
		return 1;
	}
	if (sample_once(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "ctd.cgi --sample: %s\n", err);
		return 1;
	}
	return 0;
}
