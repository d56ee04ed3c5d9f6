// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - ctd.cgi's entry: the HTTP checks a CGI must do itself (method,
 * content type, length), reading the body, refusing DTDs, then one
 * XML-RPC call (or multicall) through the registry, and the response.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xmlrpc-c/server.h>

#include "bounds.h"
#include "config.h"
#include "ctx.h"
#include "history.h"
#include "rpc.h"
#include "snapshot.h"
#include "xmlscan.h"

static void http_error(int code, const char *reason, const char *extra_hdr, const char *text)
{
	printf("Status: %d %s\r\n%sContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n\r\n%s",
	       code, reason, extra_hdr ? extra_hdr : "", strlen(text), text);
	fflush(stdout);
}

/*
 * The answer is complete: let Apache send it while we store and clean up.
 * mod_cgid gives a CGI one socket as both stdin and stdout, so Apache sees
 * the end of the answer only when neither refers to it any more (closing
 * stdout alone kept a 1M-entry view's client waiting for the deferred
 * store).  Both become /dev/null, so no later open() takes fd 0 or 1.
 * Once the answer is out, Apache's cleanup sends SIGTERM and, 3 s later,
 * SIGKILL (mod_cgi and mod_cgid alike): SIGTERM is held back from here on,
 * so a deferred store commits and the process ends by itself (a store
 * still running at SIGKILL rolls back; the next view dumps again).
 */
static void answer_sent(void)
{
	sigset_t term;
	int fd;

	fflush(stdout);
	/* Apache sees the end (and may send SIGTERM) only at the dup2s below */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDIN_FILENO) < 0) {
		close(STDOUT_FILENO);
		close(STDIN_FILENO);
	}
	if (fd > STDOUT_FILENO)
		close(fd);
}

static int read_body(char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(STDIN_FILENO, buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static bool has_ci(const char *buf, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (buf[i] == '<' && strncasecmp(buf + i, needle, n) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *method = getenv("REQUEST_METHOD"), *ctype = getenv("CONTENT_TYPE");
	const char *clen = getenv("CONTENT_LENGTH"), *cfgpath = getenv("CTD_CONFIG");
	static struct ctd_ctx ctx;
	xmlrpc_mem_block *out = NULL;
	xmlrpc_registry *reg;
	xmlrpc_env env;
	unsigned long long n;
	char *body, *end;
	unsigned depth;

	/*
	 * The database (sessions' token hashes, the audit log, stored dumps of
	 * the whole table) is created by this process: Apache's umask (often
	 * 022) would leave it and its -wal/-shm files readable by every local
	 * user.  077 keeps them to the user the CGI runs as.
	 */
	umask(077);
	/*
	 * `ctd.cgi --sample` is for the command line (a timer, the demo), never
	 * for a request: Apache passes a query string without '=' (ISINDEX,
	 * /RPC2?--sample) to a CGI as its arguments, so they count only when
	 * no web server runs us.
	 */
	if (argc > 1 && !getenv("GATEWAY_INTERFACE") && !method)
		return history_sample_main(argc, argv);
	if (!method || strcmp(method, "POST") != 0) {
		http_error(405, "Method Not Allowed", "Allow: POST\r\n", "XML-RPC needs POST\n");
		return 0;
	}
	/*
	 * Only text/xml: an HTML form on another site can POST
	 * x-www-form-urlencoded, multipart or text/plain with the victim's
	 * Basic-auth credentials, but not text/xml without a CORS preflight,
	 * which Apache does not answer.  This stops cross-site request forgery.
	 */
	if (!ctype || strncasecmp(ctype, "text/xml", 8) != 0 ||
	    (ctype[8] && ctype[8] != ';' && ctype[8] != ' ')) {
		http_error(415, "Unsupported Media Type", NULL, "XML-RPC needs Content-Type: text/xml\n");
		return 0;
	}
	if (!clen || !*clen) {
		http_error(411, "Length Required", NULL, "Content-Length required\n");
		return 0;
	}
	errno = 0;
	n = strtoull(clen, &end, 10);
	if (errno || *end || clen[0] == '-' || clen[0] == '+') {
		http_error(400, "Bad Request", NULL, "bad Content-Length\n");
		return 0;
	}
	/* bounds first: never read (or allocate for) more than the limit */
	if (n > CTD_BODY_MAX) {
		http_error(413, "Payload Too Large", NULL, "request body larger than 1 MiB\n");
		return 0;
	}
	body = malloc((size_t)n + 1);
	if (!body || read_body(body, (size_t)n) < 0) {
		http_error(400, "Bad Request", NULL, "request body shorter than Content-Length\n");
		free(body);
		return 0;
	}
	body[n] = '\0';
	/*
	 * Debian 12's xmlrpc-c expands entities: a billion-laughs body costs
	 * ~40 s of CPU inside the parser, and external entities could read
	 * files.  XML-RPC never needs a DTD, so any DOCTYPE or ENTITY is
	 * refused before parsing.  A NUL byte means UTF-16/32 (which could hide
	 * those declarations from this scan) or garbage: refused too.
	 */
	if (memchr(body, '\0', (size_t)n) || has_ci(body, (size_t)n, "<!DOCTYPE") ||
	    has_ci(body, (size_t)n, "<!ENTITY")) {
		http_error(400, "Bad Request", NULL,
			   "DTDs, entities and non-UTF-8/Latin-1 encodings are refused\n");
		free(body);
		return 0;
	}
	/*
	 * xmlrpc-c builds the whole tree before its own nesting limit applies
	 * and frees it recursively: ~200,000 nested elements crash ctd.cgi
	 * (stack overflow) before any session is checked.  Count the nesting
	 * first, in one flat pass (cgi/xmlscan.c).
	 */
	switch (xml_scan_depth(body, (size_t)n, CTD_XML_DEPTH_MAX, &depth)) {
	case XML_SCAN_OK:
		break;
	case XML_SCAN_DEEP:
		http_error(400, "Bad Request", NULL, "XML nested deeper than 64 elements is refused\n");
		free(body);
		return 0;
	case XML_SCAN_BAD:
		http_error(400, "Bad Request", NULL, "malformed XML markup is refused\n");
		free(body);
		return 0;
	}

	/* CTD_CONFIG comes from Apache's SetEnv only: a client's headers reach a
	 * CGI as HTTP_* variables, so no request can point us at another file. */
	ctx.config_path = cfgpath && *cfgpath ? cfgpath : CTD_CONFIG_PATH;
	ctx.remote_user = getenv("REMOTE_USER");
	if (ctx.remote_user && !*ctx.remote_user)
		ctx.remote_user = NULL;
	ctx.remote_addr = getenv("REMOTE_ADDR");
	if (cfg_load(&ctx.cfg, ctx.config_path, ctx.cfg_err, sizeof(ctx.cfg_err)) == 0) {
		ctx.cfg_ok = true;
	} else {
		/* the full path only goes to Apache's error log */
		fprintf(stderr, "ctd.cgi: configuration %s: %s\n", ctx.config_path, ctx.cfg_err);
	}

	xmlrpc_limit_set(XMLRPC_NESTING_LIMIT_ID, CTD_NESTING_MAX);
	xmlrpc_limit_set(XMLRPC_XML_SIZE_LIMIT_ID, CTD_BODY_MAX);
	xmlrpc_env_init(&env);
	reg = rpc_registry_new(&env, &ctx);
	if (reg)
		xmlrpc_registry_process_call2(&env, reg, body, (size_t)n, NULL, &out);
	free(body);
	if (env.fault_occurred || !out) {
		fprintf(stderr, "ctd.cgi: %s\n", env.fault_string ? env.fault_string : "no response");
		http_error(500, "Internal Server Error", NULL, "ctd.cgi could not answer\n");
	} else {
		size_t len = XMLRPC_MEMBLOCK_SIZE(char, out);
		printf(
		    "Status: 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: %zu\r\n\r\n",
		    len);
		fwrite(XMLRPC_MEMBLOCK_CONTENTS(char, out), 1, len, stdout);
		XMLRPC_MEMBLOCK_FREE(char, out);
	}
	answer_sent();
	/* a fresh dump that answered from memory is stored now, off the
	 * client's clock */
	snap_finish(&ctx);
	if (reg)
		xmlrpc_registry_free(reg);
	if (ctx.db)
		sqlite3_close(ctx.db);
	xmlrpc_env_clean(&env);
	return 0;
}
