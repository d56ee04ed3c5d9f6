// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: ctd.conf parsing, CIDR parsing and matching, roles, and the
 * pre-parse nesting scan of request bodies (cgi/xmlscan.c). */
#include <arpa/inet.h>
#include <stdlib.h>

#include "check.h"
#include "ctd_cgi.h"
#include "xmlscan.h"

static struct ctd_config c;
static char err[320];

static int parse(const char *text)
{
	cfg_defaults(&c);
	err[0] = '\0';
	return cfg_parse(&c, text, strlen(text), "ctd.conf", err, sizeof(err));
}

static bool in(const char *cidr, const char *addr)
{
	struct ctd_cidr n;
	uint8_t a[16] = {0};
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;

	if (cidr_parse(cidr, &n) < 0 || inet_pton(fam, addr, a) != 1)
		return false;
	return cidr_match(&n, fam, a);
}

/* The scan's answer for s; *deepest through d. */
static enum xml_scan scan(const char *s, unsigned *d)
{
	return xml_scan_depth(s, strlen(s), CTD_XML_DEPTH_MAX, d);
}

/* n nested <v> elements, with `inner` in the innermost one, in a fresh buffer. */
static char *nested(unsigned n, const char *inner)
{
	size_t len = n * 7 + strlen(inner) + 1;
	char *b = malloc(len), *p = b;
	unsigned i;

	for (i = 0; i < n; i++)
		p = memcpy(p, "<v>", 3), p += 3;
	p += sprintf(p, "%s", inner);
	for (i = 0; i < n; i++)
		p = memcpy(p, "</v>", 4), p += 4;
	*p = '\0';
	return b;
}

static void test_xmlscan(void)
{
	char *b;
	unsigned d;

	/* what sits in the innermost of 64 nested elements, and whether the body passes */
	static const struct {
		const char *inner;
		enum xml_scan want;
		const char *what;
	} cases[] = {
	    {"1", XML_SCAN_OK, "64 nested elements pass"},
	    {"<x>", XML_SCAN_DEEP, "65 nested elements refused"},
	    {"<x/>", XML_SCAN_OK, "<x/> inside 64 opens nothing"},
	    {"<x a='/'/>", XML_SCAN_OK, "self-closing with '/' in an attribute value"},
	    {"<x a=\"/\">", XML_SCAN_DEEP, "'/' at the end of a value does not close the tag"},
	    {"<x a='>'>", XML_SCAN_DEEP, "'>' in an attribute value does not end the tag"},
	    {"<x/ >", XML_SCAN_DEEP, "'/ >' counts as opening (the safe side)"},
	    {"<!-- <a><b><c> --><![CDATA[<a><b>]]><?pi <a><b>?>", XML_SCAN_OK,
	     "tags inside comments, CDATA, PIs are not counted"},
	    {"</v></v><v><v><v>", XML_SCAN_DEEP, "closing early and reopening is counted"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b = nested(64, cases[i].inner);
		CHECK(scan(b, &d) == cases[i].want && d == (cases[i].want == XML_SCAN_OK ? 64u : 65u),
		      "%s (deepest %u)", cases[i].what, d);
		free(b);
	}
	CHECK(scan("</a></a></a><a><a>", &d) == XML_SCAN_OK && d == 2,
	      "end tags with nothing open are ignored, not counted below zero (deepest %u)", d);
	{
		char *inner = nested(65, "1"), *pre = malloc(strlen(inner) + 4 * 100 + 1);

		memset(pre, 0, 4 * 100 + 1);
		for (d = 0; d < 100; d++)
			memcpy(pre + 4 * d, "</v>", 4);
		strcat(pre, inner);
		CHECK(scan(pre, &d) == XML_SCAN_DEEP && d == 65, "100 stray end tags first cannot buy depth");
		free(inner);
		free(pre);
	}
	CHECK(scan("<a b\"c\"><d><e>", &d) == XML_SCAN_BAD, "a quote outside a value refused");
	CHECK(scan("<a b='<c>'>", &d) == XML_SCAN_BAD, "'<' in a value refused");
	CHECK(scan("<a <b>", &d) == XML_SCAN_BAD, "'<' in a tag refused");
	CHECK(scan("<!ELEMENT a ANY>", &d) == XML_SCAN_BAD, "a declaration refused");
	CHECK(scan("<a><b><!-- never closed <c><d>", &d) == XML_SCAN_OK && d == 2,
	      "unterminated comment ends the scan");
	CHECK(scan("<a><b", &d) == XML_SCAN_OK && d == 1, "truncated tag ends the scan");
	CHECK(scan("1 < 2 <= 3 <", &d) == XML_SCAN_OK && d == 0, "'<' before a non-name is text");
	CHECK(scan("", &d) == XML_SCAN_OK && d == 0, "empty body");
	{
		/* ~349,000 levels fit 1 MiB: xmlrpc-c crashed freeing such a tree */
		size_t len = 1024 * 1024, k;
		char *big = malloc(len);

		for (k = 0; k + 3 <= len; k += 3)
			memcpy(big + k, "<a>", 3);
		CHECK(xml_scan_depth(big, k, CTD_XML_DEPTH_MAX, &d) == XML_SCAN_DEEP && d == 65,
		      "1 MiB of nested <a> refused at 65");
		free(big);
	}
}

int main(void)
{
	struct ctd_cidr n;

	CHECK(parse("") == 0 && c.helper_timeout == 60 && c.session_idle_timeout == 300 &&
		  c.session_lifetime == 28800 && c.max_page == 1000 && c.uid_mask == 0 && c.nhide == 2 &&
		  c.default_role == CTD_ROLE_VIEWER && !c.password_file[0],
	      "defaults (default_role viewer: fail closed)");
	CHECK(parse("roles = bob:viewer, alice:operator\n") == 0 &&
		  cfg_role_of(&c, "alice") == CTD_ROLE_OPERATOR &&
		  cfg_role_of(&c, "BOB") == CTD_ROLE_VIEWER && cfg_role_of(&c, "bob ") == CTD_ROLE_VIEWER &&
		  cfg_role_of(&c, "ALICE") == CTD_ROLE_VIEWER,
	      "a name roles does not list exactly (BOB, 'bob ', ALICE) is a viewer by default");
	CHECK(parse("default_role = operator\n") == 0 && cfg_role_of(&c, "eve") == CTD_ROLE_OPERATOR,
	      "default_role = operator restores pyctd's behaviour");
	CHECK(!strcmp(c.database, CTD_STATEDIR "/ctd.db") && !strcmp(c.helper, CTD_HELPER_PATH),
	      "default paths");
	CHECK(
	    parse(
		"# comment\n\n  database = /var/lib/x/ctd.db   # trailing\nhelper=unix:/run/ctd/h.sock\n"
		"helper_timeout = 5\nsession_idle_timeout=10\nsession_lifetime = 20\nuid_mask = 0xffff0000\n"
		"hide_networks = 10.0.0.0/8 fd00::/8,192.168.1.1\nmax_page = 50\npassword_file = "
		"/etc/ctd/passwd\n"
		"roles = admin:operator, bob:viewer\ndefault_role = viewer\n") == 0,
	    "all keys parse: %s", err);
	CHECK(!strcmp(c.database, "/var/lib/x/ctd.db"), "database value trimmed");
	CHECK(!strcmp(c.helper, "unix:/run/ctd/h.sock"), "helper socket form");
	CHECK(c.helper_timeout == 5 && c.session_idle_timeout == 10 && c.session_lifetime == 20, "timeouts");
	CHECK(c.uid_mask == 0xffff0000u, "hex uid_mask");
	CHECK(c.nhide == 3 && c.hide[1].family == AF_INET6 && c.hide[2].prefix == 32, "hide list");
	CHECK(c.max_page == 50 && !strcmp(c.password_file, "/etc/ctd/passwd"), "max_page, password_file");
	CHECK(cfg_role_of(&c, "admin") == CTD_ROLE_OPERATOR && cfg_role_of(&c, "bob") == CTD_ROLE_VIEWER &&
		  cfg_role_of(&c, "eve") == CTD_ROLE_VIEWER,
	      "roles and default_role");
	CHECK(parse("uid_mask = 255\n") == 0 && c.uid_mask == 255, "decimal uid_mask");
	CHECK(parse("hide_networks =\n") == 0 && c.nhide == 0, "empty hide_networks hides nothing");
	CHECK(parse("a#b = 1\n") < 0, "'#' inside a word is not a comment: key 'a#b' unknown");
	CHECK(parse("database = /x#y\n") == 0 && !strcmp(c.database, "/x#y"), "'#' not after blank stays");

	CHECK(parse("\n\nbogus = 1\n") < 0 && !strcmp(err, "ctd.conf:3: unknown key 'bogus'"),
	      "unknown key: %s", err);
	CHECK(parse("max_page = 5\nmax_page = 6\n") < 0 && strstr(err, "ctd.conf:2: duplicate"),
	      "duplicate: %s", err);
	CHECK(parse("max_page = 0\n") < 0 && strstr(err, ":1:"), "max_page 0");
	CHECK(parse("max_page = 100001\n") < 0, "max_page too big");
	CHECK(parse("max_page = 12abc\n") < 0, "trailing junk in number");
	CHECK(parse("max_page = -1\n") < 0, "negative number");
	CHECK(parse("helper_timeout = 0\n") < 0, "zero timeout");
	CHECK(parse("uid_mask = 0x100000000\n") < 0, "uid_mask over 32 bits");
	CHECK(parse("database = relative.db\n") < 0 && strstr(err, "absolute"), "relative database path");
	CHECK(parse("hide_networks = 10.0.0.0/33\n") < 0 && strstr(err, "hide_networks"), "bad prefix: %s",
	      err);
	CHECK(parse("hide_networks = banana\n") < 0, "bad network");
	CHECK(parse("roles = admin\n") < 0, "role without colon");
	CHECK(parse("roles = admin:root\n") < 0, "unknown role");
	CHECK(parse("roles = a:viewer a:operator\n") < 0, "user twice in roles");
	CHECK(parse("default_role = god\n") < 0, "bad default_role");
	CHECK(parse("just a line\n") < 0 && strstr(err, ":1:"), "no '='");
	CHECK(parse("database =\n") < 0, "empty value");
	{
		char big[CTD_CONF_LINE_MAX + 64];
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		CHECK(parse(big) < 0 && strstr(err, "longer"), "overlong line");
	}
	CHECK(cfg_parse(&c, "max_page = 5\0x", 14, "ctd.conf", err, sizeof(err)) < 0, "NUL byte");
	CHECK(cfg_load(&c, "/nonexistent/dir/ctd.conf", err, sizeof(err)) < 0 && !strstr(err, "/nonexistent"),
	      "missing file: message has no path: %s", err);

	CHECK(cidr_parse("10.1.2.3/8", &n) == 0 && n.addr[0] == 10 && n.addr[1] == 0 && n.prefix == 8,
	      "host bits masked");
	CHECK(cidr_parse("", &n) < 0 && cidr_parse("10.0.0.0/", &n) < 0 && cidr_parse("10.0.0.0/x", &n) < 0 &&
		  cidr_parse("::1/129", &n) < 0 && cidr_parse("1.2.3", &n) < 0,
	      "bad CIDRs refused");
	CHECK(in("10.0.0.0/8", "10.255.1.1") && !in("10.0.0.0/8", "11.0.0.1"), "v4 /8");
	CHECK(in("10.0.0.0/9", "10.127.0.1") && !in("10.0.0.0/9", "10.128.0.1"), "v4 /9 partial byte");
	CHECK(in("0.0.0.0/0", "1.2.3.4") && !in("0.0.0.0/0", "::1"), "/0 matches its family only");
	CHECK(in("::1/128", "::1") && !in("::1/128", "::2"), "v6 host");
	CHECK(in("2001:db8::/32", "2001:db8:ffff::1") && !in("2001:db8::/32", "2001:db9::1"), "v6 /32");
	CHECK(!in("127.0.0.0/8", "::ffff:127.0.0.1"), "v4 net does not match v6 address");
	test_xmlscan();
	/* the limits of the security model: defaults, bounds, a line each */
	CHECK(parse("") == 0 && c.max_multicall == 32 && c.max_sessions_per_user == 16 && c.max_dumps == 4,
	      "limit defaults: 32 calls, 16 sessions, 4 dumps");
	CHECK(parse("max_multicall = 5\nmax_sessions_per_user = 2\nmax_dumps = 1\n") == 0 &&
		  c.max_multicall == 5 && c.max_sessions_per_user == 2 && c.max_dumps == 1,
	      "limits set");
	CHECK(parse("max_multicall = 0\n") < 0 &&
		  !strcmp(err, "ctd.conf:1: max_multicall must be a number of calls, 1..1000"),
	      "max_multicall 0 refused: %s", err);
	CHECK(parse("\nmax_dumps = 101\n") < 0 && strstr(err, "ctd.conf:2: max_dumps must be"),
	      "max_dumps above 100: %s", err);
	CHECK(parse("max_sessions_per_user = -1\n") < 0 && strstr(err, "max_sessions_per_user must be"),
	      "negative: %s", err);
	CHECK(parse("") == 0 && c.history_days == 7, "history_days defaults to 7");
	CHECK(parse("history_days = 3650\n") == 0 && c.history_days == 3650, "history_days 3650 (ten years)");
	CHECK(parse("history_days = 0\n") < 0 &&
		  !strcmp(err, "ctd.conf:1: history_days must be a number of days, 1..3650"),
	      "history_days 0 refused: %s", err);
	CHECK(parse("history_days = 3651\n") < 0 && strstr(err, "history_days must be"),
	      "history_days above 3650: %s", err);
	return CHECK_DONE();
}
