// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctd-hc - test driver for cgi/helper_client.c: runs one helper request
 * and prints the answer as text, one line per record or result.
 *
 *   ctd-hc [-s SPEC] [-t SECONDS] dump [-m VAL/MASK] [-f 4|6] [-z ZONE] [-S VAL/MASK] [-q]
 *   ctd-hc [-s SPEC] [-t SECONDS] count
 *   ctd-hc [-s SPEC] [-t SECONDS] events WAIT_MS MAX [TYPES]
 *   ctd-hc [-s SPEC] [-t SECONDS] destroy | mark VAL[/MASK] | timeout SECONDS   < targets
 *
 * SPEC is a helper path or unix:/socket (default: CTD_HELPER_PATH).
 * Targets are read from stdin in dump's own line format (id, zone, l3, l4,
 * src, dst, sport, dport, type, code, icmpid, ozone, rzone are used), so a test can
 * dump, edit (e.g. an id) and feed lines back.  -q: print only the record
 * count (benchmarks).  -T (first option): print "elapsed S s" for the hc_*
 * call alone on stderr; -Z: print "children=[PIDS]" (what is left unreaped
 * or running) on stderr after the call.  events (TYPES: the CTD_EV_* bits,
 * default new+destroy) prints "events=N lost=L more=M window=START..END
 * returned=T helper_cpu=S" (times unix s; helper_cpu: the reaped helper's
 * user+system CPU), for the benchmarks.  Exit 0, or 1 with "error: kind=K err=E msg" on stderr.
 *
 *   ctd-hc --proto-json
 *
 * prints the protocol's constants as one JSON object, values as the
 * compiler sees them in include/ctd_proto.h and include/ctd_exit.h, for
 * the python tests (tests/lib/ctdtest.py, proto()):
 *   {"constants": {"CTD_PROTO_VERSION": 1, "CTD_FRAME_MAX": ..., ...},
 *    "msg_types": {"CTD_REQ_DUMP": 1, ..., "CTD_RSP_RECORDS": 64, ...},
 *    "record_flags", "dump_flags", "result_status", "error_codes",
 *    "exit_codes": {"CTD_EXIT_OK": 0, ...}   (name -> value, each),
 *    "sizes": {"ctd_record": 144, ...}       (sizeof each struct),
 *    "exit_reasons": {"13": "caller not allowed", ...}}
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctd_exit.h"
#include "ctd_proto.h"
#include "helper_client.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* --proto-json.  proto_names.h is made by the Makefile from the two
 * headers: K(name) for each CTD_* constant, S(name) for each struct. */
struct proto_row {
	const char *name;
	long long value;
};

static const struct proto_row proto_consts[] = {
#define K(n) {#n, (long long)(n)},
#define S(n)
#include "proto_names.h"
#undef K
#undef S
};

static const struct proto_row proto_sizes[] = {
#define K(n)
#define S(n) {#n, (long long)sizeof(struct n)},
#include "proto_names.h"
#undef K
#undef S
};

/* The JSON object a constant goes to: the first prefix it starts with. */
static const struct {
	const char *prefix, *group;
} proto_groups[] = {
    {"CTD_REQ_", "msg_types"},	   {"CTD_RSP_", "msg_types"},	  {"CTD_REC_", "record_flags"},
    {"CTD_DUMP_F_", "dump_flags"}, {"CTD_RES_", "result_status"}, {"CTD_ERR_", "error_codes"},
    {"CTD_EXIT_", "exit_codes"},   {"CTD_", "constants"},
};

static const char *proto_group_of(const char *name)
{
	for (size_t g = 0; g < N_OF(proto_groups); g++)
		if (!strncmp(name, proto_groups[g].prefix, strlen(proto_groups[g].prefix)))
			return proto_groups[g].group;
	return "constants";
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* "key": {"NAME": value, ...} for the rows in group (NULL: all rows) */
static void json_rows(const char *key, const struct proto_row *rows, size_t n, const char *group)
{
	const char *sep = "";

	printf("\"%s\": {", key);
	for (size_t i = 0; i < n; i++) {
		if (group && strcmp(proto_group_of(rows[i].name), group))
			continue;
		printf("%s", sep);
		json_string(rows[i].name);
		printf(": %lld", rows[i].value);
		sep = ", ";
	}
	printf("}, ");
}

static int proto_json(void)
{
	const char *sep = "";

	printf("{");
	for (size_t g = 0; g < N_OF(proto_groups); g++) {
		size_t first = 0;

		while (strcmp(proto_groups[first].group, proto_groups[g].group))
			first++;
		if (first == g) /* each group once, at its first prefix */
			json_rows(proto_groups[g].group, proto_consts, N_OF(proto_consts),
				  proto_groups[g].group);
	}
	json_rows("sizes", proto_sizes, N_OF(proto_sizes), NULL);
	printf("\"exit_reasons\": {");
	for (size_t i = 0; i < N_OF(proto_consts); i++) {
		if (strcmp(proto_group_of(proto_consts[i].name), "exit_codes"))
			continue;
		printf("%s\"%lld\": ", sep, proto_consts[i].value);
		json_string(proto_exit_reason((int)proto_consts[i].value));
		sep = ", ";
	}
	printf("}}\n");
	return fflush(stdout) ? 1 : 0;
}

static const char *const tcp_states[] = {"NONE",       "SYN_SENT", "SYN_RECV",	"ESTABLISHED", "FIN_WAIT",
					 "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",       "SYN_SENT2"};

static void usage(void)
{
	fprintf(stderr,
		"usage: ctd-hc [-s SPEC] [-t SECONDS] dump [-m V/M] [-f 4|6] [-z Z] [-S V/M] [-q] | count | "
		"destroy | mark V[/M] | timeout S | events WAIT_MS MAX [TYPES]\n"
		"       ctd-hc --proto-json\n");
	exit(2);
}

static uint32_t num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > UINT32_MAX) {
		fprintf(stderr, "bad number: %s\n", s);
		exit(2);
	}
	return (uint32_t)v;
}

static void pair(const char *s, uint32_t *v, uint32_t *m)
{
	char buf[64], *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	*v = num(buf);
	*m = slash ? num(slash + 1) : 0xffffffffu;
}

static void addr(char *out, size_t n, uint8_t l3, const uint8_t *a)
{
	if (!inet_ntop(l3 == AF_INET6 ? AF_INET6 : AF_INET, a, out, (socklen_t)n))
		snprintf(out, n, "?");
}

static int quiet;
static unsigned long long nrec;

static int print_rec(const struct ctd_record *r, void *arg)
{
	char s[64], d[64], rs[64], rd[64];

	(void)arg;
	nrec++;
	if (quiet)
		return 0;
	addr(s, sizeof(s), r->l3proto, r->orig.src);
	addr(d, sizeof(d), r->l3proto, r->orig.dst);
	addr(rs, sizeof(rs), r->l3proto, r->repl.src);
	addr(rd, sizeof(rd), r->l3proto, r->repl.dst);
	printf(
	    "id=%u zone=%u l3=%u l4=%u src=%s dst=%s sport=%u dport=%u rsrc=%s rdst=%s rsport=%u rdport=%u "
	    "type=%u code=%u icmpid=%u state=%s status=%u timeout=%u mark=%u opkts=%llu obytes=%llu "
	    "rpkts=%llu "
	    "rbytes=%llu start=%llu flags=%u",
	    r->id, r->zone, r->l3proto, r->l4proto, s, d, r->orig.sport, r->orig.dport, rs, rd, r->repl.sport,
	    r->repl.dport, r->icmp_type, r->icmp_code, r->icmp_id,
	    (r->flags & CTD_REC_HAS_TCP_STATE) && r->tcp_state < 10 ? tcp_states[r->tcp_state] : "-",
	    r->status, r->timeout, r->mark, (unsigned long long)r->orig_packets,
	    (unsigned long long)r->orig_bytes, (unsigned long long)r->repl_packets,
	    (unsigned long long)r->repl_bytes, (unsigned long long)r->start_ns, r->flags);
	/* directional zones (conntrack -L's zone-orig= / zone-reply=) only when the entry has them */
	if (r->flags & CTD_REC_HAS_ORIG_ZONE)
		printf(" ozone=%u", r->orig_zone);
	if (r->flags & CTD_REC_HAS_REPLY_ZONE)
		printf(" rzone=%u", r->reply_zone);
	if (r->flags & CTD_REC_HAS_SCTP_STATE)
		printf(" sctp=%u", r->sctp_state);
	putchar('\n');
	return 0;
}

/* -Z: after the call, report the children this process still has (a
 * helper left running or unreaped would show here). */
static int zcheck;

static void report_children(void)
{
	char path[64], buf[256] = "";
	FILE *f;

	if (!zcheck)
		return;
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	fprintf(stderr, "children=[%s]\n", buf);
}

static int die(const struct hc_error *e)
{
	report_children();
	fprintf(stderr, "error: kind=%d err=%d %s\n", e->kind, e->err, e->msg);
	return 1;
}

/* Parse one line of dump output into a target. */
static int parse_target(char *line, struct ctd_target *t)
{
	char *tok, *save = NULL, src[64] = "", dst[64] = "";
	int have_id = 0;

	memset(t, 0, sizeof(*t));
	for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq++ = 0;
		if (!strcmp(tok, "id"))
			t->id = num(eq), have_id = 1;
		else if (!strcmp(tok, "zone"))
			t->zone = (uint16_t)num(eq);
		else if (!strcmp(tok, "ozone"))
			t->orig_zone = (uint16_t)num(eq), t->zflags |= CTD_TGT_ORIG_ZONE;
		else if (!strcmp(tok, "rzone"))
			t->reply_zone = (uint16_t)num(eq), t->zflags |= CTD_TGT_REPLY_ZONE;
		else if (!strcmp(tok, "l3"))
			t->l3proto = (uint8_t)num(eq);
		else if (!strcmp(tok, "l4"))
			t->l4proto = (uint8_t)num(eq);
		else if (!strcmp(tok, "src"))
			snprintf(src, sizeof(src), "%s", eq);
		else if (!strcmp(tok, "dst"))
			snprintf(dst, sizeof(dst), "%s", eq);
		else if (!strcmp(tok, "sport"))
			t->orig.sport = (uint16_t)num(eq);
		else if (!strcmp(tok, "dport"))
			t->orig.dport = (uint16_t)num(eq);
		else if (!strcmp(tok, "type"))
			t->icmp_type = (uint8_t)num(eq);
		else if (!strcmp(tok, "code"))
			t->icmp_code = (uint8_t)num(eq);
		else if (!strcmp(tok, "icmpid"))
			t->icmp_id = (uint16_t)num(eq);
	}
	if (!have_id)
		return -1;
	if (inet_pton(t->l3proto == AF_INET6 ? AF_INET6 : AF_INET, src, t->orig.src) != 1 ||
	    inet_pton(t->l3proto == AF_INET6 ? AF_INET6 : AF_INET, dst, t->orig.dst) != 1)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct hc_target tg = {.spec = CTD_HELPER_PATH, .timeout_s = 30};
	struct hc_error e;
	int i = 1, timed = 0;
	struct timespec c0, c1;

	if (argc == 2 && !strcmp(argv[1], "--proto-json"))
		return proto_json();
	for (; i < argc && (!strcmp(argv[i], "-T") || !strcmp(argv[i], "-Z")); i++) {
		if (argv[i][1] == 'T')
			timed = 1;
		else
			zcheck = 1;
	}
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-s") && i + 1 < argc)
			tg.spec = argv[i + 1];
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			tg.timeout_s = num(argv[i + 1]);
		else
			usage();
		i += 2;
	}
	if (i >= argc)
		usage();

	if (!strcmp(argv[i], "dump")) {
		struct ctd_dump_req q;
		struct timespec a, b;
		memset(&q, 0, sizeof(q));
		for (i++; i < argc; i++) {
			if (!strcmp(argv[i], "-q")) {
				quiet = 1;
				continue;
			}
			if (i + 1 >= argc)
				usage();
			if (!strcmp(argv[i], "-m")) {
				pair(argv[++i], &q.mark, &q.mark_mask);
				q.flags |= CTD_DUMP_F_MARK;
			} else if (!strcmp(argv[i], "-S")) {
				pair(argv[++i], &q.status, &q.status_mask);
				q.flags |= CTD_DUMP_F_STATUS;
			} else if (!strcmp(argv[i], "-f")) {
				q.family = num(argv[++i]) == 6 ? AF_INET6 : AF_INET;
				q.flags |= CTD_DUMP_F_FAMILY;
			} else if (!strcmp(argv[i], "-z")) {
				q.zone = (uint16_t)num(argv[++i]);
				q.flags |= CTD_DUMP_F_ZONE;
			} else {
				usage();
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (hc_dump(&tg, &q, print_rec, NULL, &e) != 0)
			return die(&e);
		clock_gettime(CLOCK_MONOTONIC, &b);
		report_children();
		if (quiet)
			printf("%llu records in %.3f s\n", nrec,
			       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
		return 0;
	}
	if (!strcmp(argv[i], "events") && (i + 3 == argc || i + 4 == argc)) {
		struct ctd_events_req q;
		struct hc_events_result end;
		struct rusage ru;
		struct timespec rt;

		memset(&q, 0, sizeof(q));
		q.duration_ms = num(argv[i + 1]);
		q.max = num(argv[i + 2]);
		q.types = i + 4 == argc ? num(argv[i + 3]) : CTD_EV_NEW | CTD_EV_DESTROY;
		if (q.duration_ms / 1000 + 3 > tg.timeout_s)
			tg.timeout_s = q.duration_ms / 1000 + 3;
		if (hc_events(&tg, &q, NULL, NULL, &end, &e) != 0)
			return die(&e);
		clock_gettime(CLOCK_REALTIME, &rt);
		report_children();
		/* the helper was reaped by hc_events: its CPU is our children's */
		getrusage(RUSAGE_CHILDREN, &ru);
		printf("events=%u lost=%u more=%u window=%.6f..%.6f returned=%.6f helper_cpu=%.6f\n",
		       end.count, end.lost, end.more, (double)end.start_ns / 1e9, (double)end.end_ns / 1e9,
		       (double)rt.tv_sec + (double)rt.tv_nsec / 1e9,
		       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
		return 0;
	}
	if (!strcmp(argv[i], "count")) {
		struct ctd_count c;
		if (hc_count(&tg, &c, &e) != 0)
			return die(&e);
		report_children();
		printf("count=%u max=%u accounting=%u timestamp=%u\n", c.count, c.max, c.accounting,
		       c.timestamp);
		return 0;
	}
	{
		uint16_t type;
		uint32_t value = 0, mask = 0, n = 0, k;
		struct ctd_target *ts = calloc(CTD_MAX_TARGETS + 1, sizeof(*ts));
		struct ctd_result *rs = calloc(CTD_MAX_TARGETS + 1, sizeof(*rs));
		char line[1024];

		if (!ts || !rs)
			return 1;
		if (!strcmp(argv[i], "destroy") && i + 1 == argc) {
			type = CTD_REQ_DESTROY;
		} else if (!strcmp(argv[i], "mark") && i + 2 == argc) {
			type = CTD_REQ_UPDATE_MARK;
			pair(argv[i + 1], &value, &mask);
		} else if (!strcmp(argv[i], "timeout") && i + 2 == argc) {
			type = CTD_REQ_UPDATE_TIMEOUT;
			value = num(argv[i + 1]);
		} else {
			usage();
		}
		while (fgets(line, sizeof(line), stdin)) {
			if (n > CTD_MAX_TARGETS) {
				fprintf(stderr, "too many targets\n");
				return 2;
			}
			if (parse_target(line, &ts[n]) != 0)
				continue;
			ts[n].value = value;
			ts[n].mask = mask;
			n++;
		}
		if (n == 0) {
			fprintf(stderr, "no targets on stdin\n");
			return 2;
		}
		clock_gettime(CLOCK_MONOTONIC, &c0);
		if (hc_targets(&tg, type, ts, n, rs, &e) != 0)
			return die(&e);
		clock_gettime(CLOCK_MONOTONIC, &c1);
		report_children();
		if (timed)
			fprintf(stderr, "elapsed %.6f s\n",
				(double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9);
		for (k = 0; k < n; k++)
			printf("id=%u result=%s err=%d\n", rs[k].id,
			       rs[k].status == CTD_RES_DONE	   ? "done"
			       : rs[k].status == CTD_RES_NOT_FOUND ? "not_found"
								   : "error",
			       rs[k].err);
		free(ts);
		free(rs);
		return 0;
	}
}
