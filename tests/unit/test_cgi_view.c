// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: view filters (forgiving inputs, CIDR, addr), hidden networks,
 * ordering and tie-breaks, and the integer/string input conversions. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "ctd_cgi.h"
#include "order.h"
#include "uname.h"

static struct ctd_record R[8];
static struct ctd_config cfg;

static void mk(int i, uint32_t id, int fam, const char *src, const char *dst, uint8_t l4, uint16_t sp,
	       uint16_t dp, uint32_t mark, uint64_t bytes, float rate)
{
	struct ctd_record *r = &R[i];

	memset(r, 0, sizeof(*r));
	r->id = id;
	r->l3proto = (uint8_t)fam;
	r->l4proto = l4;
	inet_pton(fam, src, r->orig.src);
	inet_pton(fam, dst, r->orig.dst);
	memcpy(r->repl.src, r->orig.dst, 16);
	memcpy(r->repl.dst, r->orig.src, 16);
	if (l4 == 6 || l4 == 17) {
		r->flags |= CTD_REC_HAS_PORTS;
		r->orig.sport = r->repl.dport = sp;
		r->orig.dport = r->repl.sport = dp;
	}
	if (l4 == 6) {
		r->flags |= CTD_REC_HAS_TCP_STATE;
		r->tcp_state = 3;
	}
	if (l4 == 1)
		r->flags |= CTD_REC_HAS_ICMP;
	r->mark = mark;
	r->orig_bytes = bytes;
	snap_rates(r)[0] = rate;
	snap_rates(r)[1] = 0;
}

/* ids of the view, comma separated */
static const char *ids(const struct view_filter *f, const char *order, bool desc)
{
	static char out[256];
	uint32_t *pos, n, i;
	size_t o = 0;

	out[0] = '\0';
	struct field_ctx fc = {&cfg, uname_new()};
	struct snap_table t = {0};
	int rc;

	for (i = 0; i < 8; i++)
		snap_append(&t, &R[i]);
	rc = view_order(&fc, f, view_order_index(order), desc, &t, &pos, &n);
	uname_free(fc.uc);
	snap_free(&t);
	if (rc < 0)
		return "ERR";
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%u", i ? "," : "", R[pos[i]].id);
	free(pos);
	return out;
}

static xmlrpc_env env;
static struct {
	int fault_code;
	char fault_string[256];
} last;

/* Parses v as filters; remembers the fault and leaves env clean, since
 * xmlrpc-c must not be handed an env with a fault set. */
static int filt(xmlrpc_value *v, struct view_filter *f)
{
	int rc;

	rc = filter_parse(&env, v, f);
	last.fault_code = env.fault_occurred ? env.fault_code : 0;
	snprintf(last.fault_string, sizeof(last.fault_string), "%s",
		 env.fault_occurred ? env.fault_string : "");
	xmlrpc_DECREF(v);
	xmlrpc_env_clean(&env);
	xmlrpc_env_init(&env);
	return rc;
}

/* Is filters {name: value} refused with fault 3 naming filters.<name>? */
static bool refused(const char *name, xmlrpc_value *v)
{
	struct view_filter f;
	char want[64];

	snprintf(want, sizeof(want), "filters.%s", name);
	xmlrpc_value *s = xmlrpc_struct_new(&env);
	xmlrpc_struct_set_value(&env, s, name, v);
	xmlrpc_DECREF(v);
	return filt(s, &f) < 0 && last.fault_code == CTD_F_PARAM && strstr(last.fault_string, want);
}

/* The filters of DESIGN §7 over a few entries given NAT, zones, flags and
 * states (the kernel's: tests/cgi/test-cgi-filters.py). */
static void more_filters(struct view_filter *f)
{
	const char *id = "(refused)";

	/* 1: assured TCP; 2: SNAT'ed UDP in orig zone 2; 3: both NATs, reply
	 * zone 3; 2147483648: TCP in SYN_SENT2; 4294967280: SCTP ESTABLISHED */
	R[0].status = 0x6;
	R[1].status = 0x12;
	inet_pton(AF_INET, "203.0.113.5", R[1].repl.dst);
	R[1].flags |= CTD_REC_HAS_ORIG_ZONE;
	R[1].orig_zone = 2;
	R[2].status = 0x30;
	R[2].flags |= CTD_REC_HAS_REPLY_ZONE;
	R[2].reply_zone = 3;
	R[6].tcp_state = 9;
	R[7].l4proto = 132;
	R[7].flags = CTD_REC_HAS_PORTS | CTD_REC_HAS_SCTP_STATE;
	R[7].sctp_state = 4;

	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "mark", "0xfffffffe/0xffffffff"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "2"),
	      "mark VALUE/MASK, hex: %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "mark", "6/0x6"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "2,3,6"),
	      "mark (mark & 6) == 6: %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "mark", "7/6"), f) == 0 &&
		  !strcmp(ids(f, "id", false), ""),
	      "mark VALUE with bits outside MASK matches nothing (as conntrack -m)");
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "mark", "7"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "3,6"),
	      "mark as a plain numeric string still exact: %s", id);
	CHECK(refused("mark", xmlrpc_string_new(&env, "1/2/3")) &&
		  refused("mark", xmlrpc_string_new(&env, "x/1")) &&
		  refused("mark", xmlrpc_string_new(&env, "0x/1")) &&
		  refused("mark", xmlrpc_string_new(&env, "-1/2")) &&
		  refused("mark", xmlrpc_string_new(&env, "1/")) &&
		  refused("mark", xmlrpc_string_new(&env, "/1")) &&
		  refused("mark", xmlrpc_string_new(&env, "0x100000000/1")) &&
		  refused("mark", xmlrpc_string_new(&env, "1/ 2")),
	      "bad VALUE/MASK refused naming filters.mark: %s", last.fault_string);

	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "flags", "ASSURED"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "1"),
	      "flags ASSURED: %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "flags", "seen_reply"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "1,2"),
	      "flags SEEN_REPLY, case-insensitive: %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "flags", "UNREPLIED"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "3,6,2147483648,4294967280"),
	      "flags UNREPLIED = SEEN_REPLY clear: %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "flags", "SEEN_REPLY,SRC_NAT"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "2"),
	      "flags: all must be set: %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "flags", "ASSURED,UNREPLIED"), f) == 0 &&
		  !strcmp(ids(f, "id", false), ""),
	      "flags ASSURED,UNREPLIED: nothing");
	CHECK(refused("flags", xmlrpc_string_new(&env, "ASSURED,BOGUS")) &&
		  strstr(last.fault_string, "flags") && refused("flags", xmlrpc_string_new(&env, "")) &&
		  refused("flags", xmlrpc_string_new(&env, ",")) && refused("flags", xmlrpc_int_new(&env, 4)),
	      "unknown flag, empty list, a number: refused naming filters.flags: %s", last.fault_string);

	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "nat", "src"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "2,3"),
	      "nat src: %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "nat", "dst"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "3"),
	      "nat dst: %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "nat", "ANY"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "2,3"),
	      "nat any: %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "nat", "none"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "1,6,2147483648,4294967280"),
	      "nat none: %s", id);
	CHECK(refused("nat", xmlrpc_string_new(&env, "both")) && refused("nat", xmlrpc_int_new(&env, 7)),
	      "nat other than src/dst/any/none refused: %s", last.fault_string);

	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "repl_ipv4_dst", "203.0.113.0/24"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "2"),
	      "repl_ipv4_dst CIDR (the SNAT address): %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "repl_ipv6_src", "2001:db8::2"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "3"),
	      "repl_ipv6_src exact: %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:i}", "repl_port_src", 80), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "1"),
	      "repl_port_src: %s", id);
	CHECK(refused("repl_port_dst", xmlrpc_int_new(&env, 65536)) &&
		  refused("repl_ipv4_src", xmlrpc_string_new(&env, "2001:db8::1")) &&
		  refused("repl_ipv6_dst", xmlrpc_string_new(&env, "10.0.0.0/8")),
	      "reply-tuple filters of the wrong kind refused: %s", last.fault_string);

	CHECK(filt(xmlrpc_build_value(&env, "{s:i}", "orig_zone", 2), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "2"),
	      "orig_zone: %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:i}", "reply_zone", 3), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "3"),
	      "reply_zone: %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:i}", "orig_zone", 0), f) == 0 &&
		  !strcmp(ids(f, "id", false), ""),
	      "orig_zone 0 matches no entry without a directional zone");
	CHECK(refused("orig_zone", xmlrpc_int_new(&env, 65536)) &&
		  refused("reply_zone", xmlrpc_string_new(&env, "a")),
	      "zones out of range refused: %s", last.fault_string);

	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "tcp_state", "LISTEN"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "2147483648"),
	      "tcp_state LISTEN (conntrack's input name) = SYN_SENT2: %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:i}", "tcp_state", 9), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "2147483648"),
	      "tcp_state as its number: %s", id);
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "sctp_state", "established"), f) == 0 &&
		  !strcmp(id = ids(f, "id", false), "4294967280"),
	      "sctp_state: %s", id);
	CHECK(refused("sctp_state", xmlrpc_string_new(&env, "LISTEN")) &&
		  refused("tcp_state", xmlrpc_int_new(&env, 10)),
	      "states outside the protocol's vocabulary refused: %s", last.fault_string);

	memset(f, 0, sizeof(*f));
	CHECK(!strcmp(id = ids(f, "orig_zone", false), "1,3,6,2147483648,4294967280,2"),
	      "sort by orig_zone, absent first: %s", id);
	CHECK(!strcmp(id = ids(f, "reply_zone", true), "3,1,2,6,2147483648,4294967280"),
	      "sort by reply_zone descending: %s", id);
	CHECK(!strcmp(id = ids(f, "repl_ipv4_dst", false), "3,4294967280,2147483648,6,1,2"),
	      "sort by repl_ipv4_dst: %s", id);
	CHECK(!strcmp(id = ids(f, "sctp_state", false), "1,2,3,6,2147483648,4294967280"),
	      "sort by sctp_state: %s", id);
}

/*
 * view_order_top on a table in arrival order against view_order on the same
 * records sorted by id: the same records (tagged by their arrival index in
 * orig_packets) in the same order, for every sortable field, both
 * directions, with and without a filter, at several depths.  Few distinct
 * values and ids make ties (and ids shared by two records) common.
 */
#define TOPN 3000u

static uint32_t rnd(void)
{
	static uint64_t x = 88172645463325252ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (uint32_t)x;
}

static void mk_random(struct ctd_record *r, uint32_t k)
{
	static const char *const v4[] = {"10.0.0.1", "10.0.0.2", "192.168.1.9", "127.0.0.5"};
	static const char *const v6[] = {"2001:db8::1", "2001:db8::2", "fe80::9", "::1"};
	static const uint8_t l4[] = {6, 17, 1, 58, 132};
	int fam = rnd() % 3 ? AF_INET : AF_INET6;
	const char *const *a = fam == AF_INET ? v4 : v6;
	uint8_t p = l4[rnd() % 5];

	struct ctd_record keep = R[0];

	mk(0, rnd() % (TOPN / 2), fam, a[rnd() % 4], a[rnd() % 4], p, (uint16_t)(rnd() % 5), 80,
	   rnd() % 3 ? 0 : rnd() % 4, rnd() % 7, (float)(rnd() % 4));
	*r = R[0];
	R[0] = keep;
	r->orig_packets = k;
	r->timeout = rnd() % 5;
	r->zone = (uint16_t)(rnd() % 3);
	r->status = rnd() % 16;
	if (!(rnd() % 7))
		r->orig_zone = (uint16_t)(1 + rnd() % 2);
}

static int tags_agree(const struct view_filter *f, int field, bool desc, struct snap_table *arr,
		      struct snap_table *byid, uint32_t limit)
{
	struct field_ctx fa = {&cfg, uname_new()}, fb = {&cfg, uname_new()};
	uint32_t *top = NULL, ntop = 0, total = 0, *pos = NULL, npos = 0, i;
	struct ctd_record a, b;
	int ok = view_order_top(&fa, f, field, desc, arr, limit, &top, &ntop, &total) == 0 &&
		 view_order(&fb, f, field, desc, byid, &pos, &npos) == 0 && total == npos &&
		 ntop == (limit < npos ? limit : npos);

	for (i = 0; ok && i < ntop; i++) {
		snap_get(arr, top[i], &a);
		snap_get(byid, pos[i], &b);
		ok = a.orig_packets == b.orig_packets;
	}
	free(top);
	free(pos);
	uname_free(fa.uc);
	uname_free(fb.uc);
	return ok;
}

static void top_against_full(void)
{
	struct snap_table arr = {0}, byid = {0};
	struct ctd_record r;
	struct view_filter none, some;
	static const uint32_t limits[] = {1, 50, 1000, TOPN + 5};
	unsigned fi, li, bad = 0, runs = 0;
	uint32_t k, mask;

	CHECK(snap_rates_begin(&arr) == 0 && snap_rates_begin(&byid) == 0, "rates kept beside the records");
	for (k = 0; k < TOPN; k++) {
		mk_random(&r, k);
		snap_append(&arr, &r);
		snap_append(&byid, &r);
		arr.rates[2 * k] = byid.rates[2 * k] = (float)(rnd() % 4);
		arr.rates[2 * k + 1] = byid.rates[2 * k + 1] = (float)(rnd() % 3);
	}
	arr.unsorted = byid.unsorted = true;
	CHECK(snap_sort_by_id(&byid) == 0 && !byid.unsorted, "a copy sorted by id");
	memset(&none, 0, sizeof(none));
	CHECK(filt(xmlrpc_build_value(&env, "{s:i}", "orig_l4proto", 6), &some) == 0, "a filter");
	for (mask = 0; mask <= 3; mask += 3) {
		cfg.uid_mask = mask;
		for (fi = 0; fi < ctd_nfields; fi++) {
			if (!(ctd_fields[fi].flags & FL_SORT))
				continue;
			for (li = 0; li < sizeof(limits) / sizeof(limits[0]); li++)
				for (k = 0; k < 4; k++, runs++)
					if (!tags_agree(k & 2 ? &some : &none, (int)fi, k & 1, &arr, &byid,
							limits[li])) {
						bad++;
						printf("# differs: %s %s, limit %u, %s, uid_mask %u\n",
						       ctd_fields[fi].name, k & 1 ? "DESC" : "ASC",
						       limits[li], k & 2 ? "filtered" : "all", mask);
					}
		}
	}
	cfg.uid_mask = 0;
	CHECK(runs > 100 && bad == 0,
	      "view_order_top = the first entries of view_order, every sortable field (%u runs, %u differ)",
	      runs, bad);
	snap_free(&arr);
	snap_free(&byid);
}

int main(void)
{
	struct view_filter f;
	uint32_t u;
	int64_t x;
	xmlrpc_value *v;

	xmlrpc_env_init(&env);
	cfg_defaults(&cfg);
	/* records are sorted by id, as snapshots are */
	mk(0, 1, AF_INET, "10.0.0.1", "10.0.0.2", 6, 1000, 80, 0, 500, 5);
	mk(1, 2, AF_INET, "10.0.1.1", "192.168.0.1", 17, 53, 53, 0xfffffffe, 100, 50);
	mk(2, 3, AF_INET6, "2001:db8::1", "2001:db8::2", 6, 2000, 443, 7, 900, 5);
	mk(3, 4, AF_INET, "127.0.0.1", "10.0.0.9", 6, 1, 2, 0, 0, 0); /* hidden */
	mk(4, 5, AF_INET6, "::1", "2001:db8::9", 17, 1, 2, 0, 0, 0);  /* hidden */
	mk(5, 6, AF_INET, "9.9.9.9", "10.0.0.1", 1, 0, 0, 7, 300, 1);
	mk(6, 0x80000000u, AF_INET, "1.1.1.1", "2.2.2.2", 6, 3, 4, 0, 1, 7);
	mk(7, 0xfffffff0u, AF_INET6, "fe80::1", "::2", 58, 0, 0, 0, 2, 0);

	memset(&f, 0, sizeof(f));
	CHECK(!strcmp(ids(&f, "id", false), "1,2,3,6,2147483648,4294967280"),
	      "hidden rows gone, ids unsigned: %s", ids(&f, "id", false));
	CHECK(!strcmp(ids(&f, "id", true), "4294967280,2147483648,6,3,2,1"), "descending");
	CHECK(!strcmp(ids(&f, "rate", true), "2,2147483648,1,3,6,4294967280"), "rate desc, ties by id: %s",
	      ids(&f, "rate", true));
	CHECK(!strcmp(ids(&f, "orig_src", false), "2147483648,6,1,2,3,4294967280"),
	      "orig_src: v4 before v6: %s", ids(&f, "orig_src", false));
	CHECK(!strcmp(ids(&f, "orig_ipv4_src", false), "3,4294967280,2147483648,6,1,2"),
	      "orig_ipv4_src: rows without it first: %s", ids(&f, "orig_ipv4_src", false));
	CHECK(!strcmp(ids(&f, "mark", true), "2,3,6,1,2147483648,4294967280"), "mark compares unsigned: %s",
	      ids(&f, "mark", true));
	CHECK(!strcmp(ids(&f, "orig_port_dst", false), "6,4294967280,2147483648,2,1,3"),
	      "ports, absent first: %s", ids(&f, "orig_port_dst", false));
	CHECK(!strcmp(ids(&f, "orig_counter_bytes", false), "2147483648,4294967280,2,6,1,3"), "counters");
	CHECK(view_order_index("nope") < 0 && view_order_index("repl_dst") >= 0 &&
		  view_order_index("username") >= 0,
	      "order_by names");

	CHECK(filt(xmlrpc_array_new(&env), &f) == 0 && f.n == 0, "empty array = no filter");
	v = xmlrpc_build_value(&env, "(i)", 1);
	CHECK(filt(v, &f) < 0 && last.fault_code == CTD_F_PARAM, "non-empty array refused");
	CHECK(filt(xmlrpc_string_new(&env, "x"), &f) < 0, "string refused");
	CHECK(filt(xmlrpc_build_value(&env, "{s:i}", "bogus", 1), &f) < 0 &&
		  strstr(last.fault_string, "bogus"),
	      "unknown filter named: %s", last.fault_string);
	CHECK(filt(xmlrpc_build_value(&env, "{s:i}", "mark", -2), &f) == 0 && f.t[0].num == 0xfffffffeu,
	      "negative i4 mark");
	CHECK(!strcmp(ids(&f, "id", false), "2"), "mark filter");
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "mark", "4294967294"), &f) == 0 &&
		  f.t[0].num == 0xfffffffeu,
	      "numeric string mark");
	CHECK(filt(xmlrpc_build_value(&env, "{s:d}", "mark", 7.0), &f) == 0 &&
		  !strcmp(ids(&f, "id", false), "3,6"),
	      "integral double");
	CHECK(filt(xmlrpc_build_value(&env, "{s:d}", "mark", 7.5), &f) < 0 &&
		  strstr(last.fault_string, "filters.mark"),
	      "fractional double refused: %s", last.fault_string);
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "id", "2147483648"), &f) == 0 &&
		  !strcmp(ids(&f, "id", false), "2147483648"),
	      "id as string");
	CHECK(filt(xmlrpc_build_value(&env, "{s:i}", "orig_port_dst", 70000), &f) < 0, "port out of range");
	CHECK(filt(xmlrpc_build_value(&env, "{s:i,s:i}", "orig_l4proto", 6, "orig_port_dst", 443), &f) == 0 &&
		  !strcmp(ids(&f, "id", false), "3"),
	      "filters are ANDed");
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "tcp_state", "established"), &f) == 0 &&
		  !strcmp(ids(&f, "id", false), "1,3,2147483648"),
	      "tcp_state name, case-insensitive: %s", ids(&f, "id", false));
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "tcp_state", "OPEN"), &f) < 0, "unknown state");
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "orig_ipv4_src", "10.0.0.0/16"), &f) == 0 &&
		  !strcmp(ids(&f, "id", false), "1,2"),
	      "CIDR");
	CHECK(filt(xmlrpc_build_value(&env, "{s:i}", "orig_ipv4_src", 0x0a000001), &f) == 0 &&
		  !strcmp(ids(&f, "id", false), "1"),
	      "int address in host order");
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "orig_ipv4_src", "2001:db8::1"), &f) < 0,
	      "v6 in a v4 filter");
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "orig_ipv6_dst", "2001:db8::/32"), &f) == 0 &&
		  !strcmp(ids(&f, "id", false), "3"),
	      "v6 CIDR (hidden ::1 row stays hidden)");
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "addr", "10.0.0.1"), &f) == 0 &&
		  !strcmp(ids(&f, "id", false), "1,6"),
	      "addr matches any of the four: %s", ids(&f, "id", false));
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "orig_ipv4_src", "127.0.0.1"), &f) == 0 &&
		  !strcmp(ids(&f, "id", false), ""),
	      "hidden whatever the filters say");
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "addr", "not-an-addr"), &f) < 0, "bad address");
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "username", "root"), &f) == 0 &&
		  !strcmp(ids(&f, "id", false), ""),
	      "username without uid_mask matches nothing");
	cfg.uid_mask = 0xff;
	CHECK(filt(xmlrpc_build_value(&env, "{s:s}", "username", "root"), &f) == 0 &&
		  !strcmp(ids(&f, "id", false), "1,2147483648,4294967280"),
	      "username via uid_mask + getpwuid: %s", ids(&f, "id", false));
	cfg.uid_mask = 0;
	more_filters(&f);
	top_against_full();
	cfg.nhide = 0;
	memset(&f, 0, sizeof(f));
	CHECK(!strcmp(ids(&f, "id", false), "1,2,3,4,5,6,2147483648,4294967280"),
	      "empty hide_networks hides nothing");

	CHECK(val_u32(&env, v = xmlrpc_int_new(&env, -1), &u) == 0 && u == 0xffffffffu, "-1 -> 0xffffffff");
	xmlrpc_DECREF(v);
	CHECK(val_u32(&env, v = xmlrpc_string_new(&env, " 42 "), &u) == 0 && u == 42, "blank-padded string");
	xmlrpc_DECREF(v);
	CHECK(val_int(&env, v = xmlrpc_string_new(&env, "4294967296"), &x) < 0, "string beyond u32");
	xmlrpc_DECREF(v);
	CHECK(val_int(&env, v = xmlrpc_string_new(&env, "12x"), &x) < 0, "junk string");
	xmlrpc_DECREF(v);
	CHECK(val_int(&env, v = xmlrpc_string_new(&env, ""), &x) < 0, "empty string");
	xmlrpc_DECREF(v);
	CHECK(val_int(&env, v = xmlrpc_bool_new(&env, 1), &x) < 0, "boolean refused");
	xmlrpc_DECREF(v);
	CHECK(val_int(&env, v = xmlrpc_double_new(&env, 1e300), &x) < 0, "huge double refused");
	xmlrpc_DECREF(v);
	CHECK(field_name_find(ctd_tcp_states, "SYN_SENT2")->set == 1u << 9 &&
		  field_name_find(ctd_tcp_states, "listen")->set == 1u << 9 &&
		  !strcmp(field_name_of(ctd_tcp_states, 9), "SYN_SENT2") &&
		  !strcmp(field_name_of(ctd_tcp_states, 7), "TIME_WAIT") &&
		  !strcmp(field_name_of(ctd_tcp_states, 200), "UNKNOWN") &&
		  !strcmp(field_name_of(ctd_sctp_states, 4), "ESTABLISHED"),
	      "state names as conntrack -L");
	xmlrpc_env_clean(&env);
	return CHECK_DONE();
}
