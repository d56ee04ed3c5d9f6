// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: the compact chunk codec (cgi/reccodec.c).
 *
 * Oracle: the input records themselves.  A chunk decoded whole, by index,
 * piecewise (as a blob reader would) and by id must give back every byte of
 * every struct ctd_record that went in; a damaged blob must be refused or,
 * since the format is canonical, be exactly the encoding of what it decodes
 * to.  Also prints the stored size per entry (asserted for IPv4) and the
 * codec's speed.
 */
#include <errno.h>
#include <math.h> /* NAN, INFINITY: no libm call */
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "reccodec.h"

#define V4 2
#define V6 10

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible, no libc state */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

static int cmp_id(const void *a, const void *b)
{
	uint32_t x = ((const struct ctd_record *)a)->id, y = ((const struct ctd_record *)b)->id;

	return x < y ? -1 : x > y;
}

/* a value from each corner: zero, small, the type's top bit, all ones, random */
static uint64_t corner(unsigned bits)
{
	uint64_t mask = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;

	switch (below(5)) {
	case 0:
		return 0;
	case 1:
		return below(300);
	case 2:
		return (1ull << (bits - 1)) | (rnd() & mask >> 1);
	case 3:
		return mask;
	default:
		return rnd() & mask;
	}
}

static void rand_addr(uint8_t a[16], bool wide)
{
	uint64_t x = rnd(), y = rnd();

	memset(a, 0, 16);
	memcpy(a, &x, 4);
	if (wide) {
		memcpy(a + 4, &x, 4);
		memcpy(a + 8, &y, 8);
	}
}

static void wild_tuples(struct ctd_record *r)
{
	bool wide = r->l3proto == V6 ? below(8) != 0 : below(10) == 0;

	rand_addr(r->orig.src, wide);
	rand_addr(r->orig.dst, wide);
	r->orig.sport = (uint16_t)corner(16);
	r->orig.dport = (uint16_t)corner(16);
	memcpy(r->repl.src, r->orig.dst, 16);
	memcpy(r->repl.dst, r->orig.src, 16);
	r->repl.sport = r->orig.dport;
	r->repl.dport = r->orig.sport;
	if (below(3) == 0)
		rand_addr(r->repl.src, wide && below(2));
	if (below(3) == 0)
		rand_addr(r->repl.dst, wide && below(2));
	if (below(3) == 0)
		r->repl.sport = (uint16_t)corner(16);
	if (below(3) == 0)
		r->repl.dport = (uint16_t)corner(16);
}

/* Anything a struct ctd_record can hold, every field independently. */
static void wild(struct ctd_record *r)
{
	static const uint8_t l4[] = {6, 17, 1, 58, 132, 33, 136, 47, 0, 255};
	static const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, 1e-45f, 3.4e38f, 1.5f};
	float f[2];

	memset(r, 0, sizeof(*r));
	r->id = (uint32_t)rnd();
	r->zone = (uint16_t)corner(16);
	r->l3proto = below(4) == 0 ? (uint8_t)rnd() : below(2) ? V4 : V6;
	r->l4proto = l4[below(sizeof(l4))];
	wild_tuples(r);
	r->icmp_type = (uint8_t)corner(8);
	r->icmp_code = (uint8_t)corner(8);
	r->icmp_id = (uint16_t)corner(16);
	r->tcp_state = (uint8_t)corner(8);
	r->flags = (uint8_t)rnd();
	r->orig_zone = below(4) ? 0 : (uint16_t)corner(16);
	r->status = (uint32_t)corner(32);
	r->timeout = (uint32_t)corner(32);
	r->mark = (uint32_t)corner(32);
	r->reply_zone = below(4) ? 0 : (uint16_t)corner(16);
	r->sctp_state = below(4) ? 0 : (uint8_t)corner(8);
	r->pad1 = below(10) ? 0 : (uint8_t)corner(8);
	r->orig_packets = corner(64);
	r->orig_bytes = corner(64);
	r->repl_packets = corner(64);
	r->repl_bytes = corner(64);
	if (below(4) == 0) {
		r->start_ns = corner(64); /* any bits at all, NaNs included */
	} else {
		f[0] = special[below(sizeof(special) / sizeof(*special))];
		f[1] = (float)below(1000000) / 7.0f;
		memcpy(&r->start_ns, f, sizeof(f));
	}
}

/* A conntrack entry as a busy IPv4/IPv6 router holds it: mostly TCP,
 * established (timeouts up to 432000 s), status 0x18e, non-NAT with ~10%
 * SNAT, marks mostly 0, counters log-uniform from tens of packets to
 * millions (bytes to ~10^10), rates nonzero for ~60%. */
static void realistic(struct ctd_record *r, uint8_t family)
{
	unsigned p = (unsigned)below(100);
	double pk =
	    (double)(10 + below(90)) * (double)(uint64_t[]){1, 10, 100, 1000, 10000, 100000}[below(6)];
	float rate[2] = {0, 0};

	memset(r, 0, sizeof(*r));
	r->id = (uint32_t)rnd();
	r->l3proto = family;
	r->l4proto = p < 70 ? 6 : p < 95 ? 17 : family == V6 ? 58 : 1;
	rand_addr(r->orig.src, family == V6);
	rand_addr(r->orig.dst, family == V6);
	r->orig.src[0] = family == V6 ? 0x20 : 10;
	r->flags = CTD_REC_HAS_COUNTERS | CTD_REC_HAS_TIMESTAMP;
	if (r->l4proto == 1 || r->l4proto == 58) {
		r->icmp_type = family == V6 ? 128 : 8;
		r->icmp_id = (uint16_t)rnd();
		r->flags |= CTD_REC_HAS_ICMP;
		r->timeout = (uint32_t)below(30);
	} else {
		static const uint16_t svc[] = {443, 80, 53, 22, 123, 993, 8080};
		r->orig.sport = (uint16_t)(32768 + below(28232));
		r->orig.dport = below(5) ? svc[below(sizeof(svc) / sizeof(*svc))] : (uint16_t)rnd();
		r->flags |= CTD_REC_HAS_PORTS;
		r->timeout = (uint32_t)(r->l4proto == 6 ? below(432001) : below(181));
	}
	if (r->l4proto == 6) {
		r->tcp_state = below(10) ? 3 : (uint8_t)(1 + below(9));
		r->flags |= CTD_REC_HAS_TCP_STATE;
	}
	memcpy(r->repl.src, r->orig.dst, 16);
	memcpy(r->repl.dst, r->orig.src, 16);
	r->repl.sport = r->orig.dport;
	r->repl.dport = r->orig.sport;
	if (below(10) == 0) { /* SNAT to the router's address, port kept */
		rand_addr(r->repl.dst, family == V6);
		if (below(5) == 0)
			r->repl.dport = (uint16_t)rnd();
	}
	r->status = below(10) ? 0x18e : 0x188;
	r->mark = below(5) ? 0 : (uint32_t)below(256);
	r->zone = below(20) ? 0 : (uint16_t)below(16);
	r->orig_packets = (uint64_t)pk;
	r->orig_bytes = (uint64_t)(pk * (double)(60 + below(1441)));
	r->repl_packets = (uint64_t)(pk * (double)(1 + below(20)) / 10.0);
	r->repl_bytes = (uint64_t)((double)r->repl_packets * (double)(60 + below(1441)));
	if (below(10) < 6) {
		rate[0] = (float)(r->orig_bytes / (1 + below(3600)));
		rate[1] = (float)(r->repl_bytes / (1 + below(3600)));
	}
	memcpy(&r->start_ns, rate, sizeof(rate));
}

static void fill(struct ctd_record *r, uint32_t n, int kind)
{
	for (uint32_t i = 0; i < n; i++) {
		if (kind == 0)
			wild(&r[i]);
		else
			realistic(&r[i], kind == 4 ? V4 : V6);
		if (kind == 0 && i && below(8) == 0)
			r[i].id = r[i - 1].id; /* shared ids (CTA_ID is a hash) */
	}
	qsort(r, n, sizeof(*r), cmp_id);
}

static struct ctd_record in[RECCODEC_MAX_RECS], out[RECCODEC_MAX_RECS];
static uint8_t blob[RECCODEC_HDR + 4 * (RECCODEC_MAX_RECS + 1) + RECCODEC_REC_MAX * RECCODEC_MAX_RECS];

/* Record k read as a blob reader would: header, two offsets, the record. */
static int piecewise(const uint8_t *b, size_t len, uint32_t k, struct ctd_record *r, uint32_t *id)
{
	uint32_t n, s, e;
	int err;

	if ((err = reccodec_header(b, len, &n)) != 0 ||
	    (err = reccodec_span(b + reccodec_span_pos(k), n, len, k, &s, &e)) != 0)
		return err;
	*id = reccodec_rec_id(b + s);
	return reccodec_decode_one(b + s, e - s, r);
}

/* Every way of reading the chunk gives back recs[0..n) byte for byte. */
static bool all_paths_equal(const struct ctd_record *recs, uint32_t n, const uint8_t *b, size_t len)
{
	struct ctd_record one;
	uint32_t got, id;

	if (reccodec_decode_all(b, len, out, RECCODEC_MAX_RECS, &got) != 0 || got != n ||
	    (n && memcmp(out, recs, n * sizeof(*recs)) != 0))
		return false;
	if (reccodec_count(b, len, &got) != 0 || got != n)
		return false;
	for (uint32_t k = 0; k < n; k++) {
		if (reccodec_rec_at(b, len, k, &one) != 0 || memcmp(&one, &recs[k], sizeof(one)) != 0)
			return false;
		if (reccodec_id_at(b, len, k, &id) != 0 || id != recs[k].id)
			return false;
		if (piecewise(b, len, k, &one, &id) != 0 || id != recs[k].id ||
		    memcmp(&one, &recs[k], sizeof(one)) != 0)
			return false;
	}
	return reccodec_rec_at(b, len, n, &one) == -EINVAL && reccodec_id_at(b, len, n, &id) == -EINVAL;
}

static void test_round_trip(void)
{
	static const uint32_t sizes[] = {0, 1, 2, 3, 17, 255, 1000, RECCODEC_MAX_RECS, RECCODEC_MAX_RECS};
	unsigned bad = 0, chunks = 0, recs = 0;
	size_t len;

	for (int round = 0; round < 40; round++) {
		uint32_t n = round < 9 ? sizes[round] : (uint32_t)below(RECCODEC_MAX_RECS + 1);
		int kind = round % 3 == 0 ? 0 : round % 3 == 1 ? 4 : 6;

		fill(in, n, round < 9 ? 0 : kind);
		if (reccodec_encode(in, n, blob, sizeof(blob), &len) != 0 || len > reccodec_bound(n) ||
		    !all_paths_equal(in, n, blob, len))
			bad++;
		chunks++;
		recs += n;
	}
	CHECK(bad == 0,
	      "%u chunks, %u records (any field value, IPv4/IPv6/other l3, TCP/UDP/ICMP/ICMPv6/other, "
	      "NAT and not, shared ids): whole, by index, by id and piecewise equal the input, "
	      "%u differ",
	      chunks, recs, bad);
}

static size_t one_len(const struct ctd_record *r)
{
	size_t len = 0;

	if (reccodec_encode(r, 1, blob, sizeof(blob), &len) != 0)
		return 0;
	return len - RECCODEC_HDR - 8;
}

static void test_extremes(void)
{
	struct ctd_record r, got;
	float f[2] = {NAN, -0.0f};
	uint32_t nan_bits = 0x7fa5a5a5u;
	size_t len;

	/* every optional field present, at its widest */
	memset(&r, 0xff, sizeof(r));
	r.l3proto = 77;
	r.orig.sport = 1;
	r.repl.sport = 2;
	r.repl.src[0] = 1;
	r.repl.dst[0] = 2;
	CHECK(one_len(&r) == RECCODEC_REC_MAX, "widest record is RECCODEC_REC_MAX (%zu bytes)", one_len(&r));
	CHECK(reccodec_rec_at(blob, RECCODEC_HDR + 8 + RECCODEC_REC_MAX, 0, &got) == 0 &&
		  memcmp(&got, &r, sizeof(r)) == 0,
	      "all-ones record (counters 2^64-1, mark 2^32-1, zone 65535) round trips");
	memset(&r, 0, sizeof(r));
	r.l3proto = V4;
	CHECK(one_len(&r) == RECCODEC_REC_MIN, "narrowest record is RECCODEC_REC_MIN (%zu bytes)",
	      one_len(&r));

	/* the rate floats are bits, not numbers: a NaN payload survives */
	memcpy(&f[0], &nan_bits, 4);
	memcpy(&r.start_ns, f, sizeof(f));
	r.mark = 0x80000001u;
	reccodec_encode(&r, 1, blob, sizeof(blob), &len);
	CHECK(reccodec_rec_at(blob, len, 0, &got) == 0 && memcmp(&got.start_ns, f, 8) == 0 &&
		  got.mark == r.mark,
	      "rates slot bit-exact (NaN payload, -0.0), mark >= 2^31");
}

static void test_encode_refusals(void)
{
	size_t len;

	fill(in, 4, 4);
	CHECK(reccodec_encode(in, RECCODEC_MAX_RECS + 1, blob, sizeof(blob), &len) == -EINVAL,
	      "more than RECCODEC_MAX_RECS refused");
	CHECK(reccodec_encode(in, 4, blob, reccodec_bound(4) - 1, &len) == -ENOSPC,
	      "output below reccodec_bound refused");
	in[2].id = in[1].id - 1;
	CHECK(in[1].id > 0 && reccodec_encode(in, 4, blob, sizeof(blob), &len) == -EINVAL,
	      "unsorted ids refused");
}

/* Is this blob refused by every reader? */
static bool refused(const uint8_t *b, size_t len)
{
	struct ctd_record r;
	uint32_t n, id;

	if (reccodec_decode_all(b, len, out, RECCODEC_MAX_RECS, &n) == 0 || reccodec_count(b, len, &n) == 0)
		return false;
	for (uint32_t k = 0; k < 20; k++)
		if (reccodec_rec_at(b, len, k, &r) == 0 || reccodec_id_at(b, len, k, &id) == 0)
			return false;
	return true;
}

static void test_truncated(void)
{
	static uint8_t cut[4096];
	unsigned accepted = 0;
	size_t len, l;

	fill(in, 16, 0);
	reccodec_encode(in, 16, blob, sizeof(blob), &len);
	for (l = 0; l < len; l++) {
		/* exact-size heap copy: a read past the end shows under ASan */
		uint8_t *p = malloc(l ? l : 1);
		memcpy(p, blob, l);
		accepted += !refused(p, l);
		free(p);
	}
	CHECK(len < sizeof(cut) && accepted == 0,
	      "all %zu truncations of a 16-record blob refused (%u accepted)", len, accepted);
	memcpy(cut, blob, len);
	cut[len] = 0;
	CHECK(refused(cut, len + 1), "a trailing byte refused");
}

/* Random damage: either refused, or (the format being canonical) exactly
 * the encoding of what it decodes to. */
static void test_random_damage(void)
{
	static uint8_t copy[8192], again[sizeof(blob)];
	unsigned refusals = 0, odd = 0, tries = 20000;
	size_t len, len2;
	uint32_t n, k;

	fill(in, 24, 0);
	reccodec_encode(in, 24, blob, sizeof(blob), &len);
	for (unsigned t = 0; t < tries; t++) {
		memcpy(copy, blob, len);
		for (unsigned j = 1 + (unsigned)below(3); j; j--) {
			size_t at = below(len);
			copy[at] = below(2) ? copy[at] ^ (uint8_t)(1u << below(8)) : (uint8_t)rnd();
		}
		if (reccodec_decode_all(copy, len, out, RECCODEC_MAX_RECS, &n) != 0) {
			refusals++;
			continue;
		}
		if (reccodec_encode(out, n, again, sizeof(again), &len2) != 0 || len2 != len ||
		    memcmp(again, copy, len) != 0)
			odd++;
		for (k = 0; k < n; k++) {
			struct ctd_record r;
			if (reccodec_rec_at(copy, len, k, &r) != 0 || memcmp(&r, &out[k], sizeof(r)) != 0)
				odd++;
		}
	}
	CHECK(odd == 0, "%u random damages: %u refused, the rest re-encode to the same bytes (%u did not)",
	      tries, refusals, odd);
}

/* A hand-made record: id 7, presence bits f1 f2, l3proto as a raw byte if
 * l3 >= 0, TCP, `vars` (status, timeout and the varints the bits call
 * for), 10.0.0.1 -> 10.0.0.2, then `tail`. */
static size_t craft(uint8_t *p, uint8_t f1, uint8_t f2, int l3, const char *vars, size_t vlen,
		    const char *tail, size_t tlen)
{
	static const uint8_t addrs[] = {10, 0, 0, 1, 10, 0, 0, 2};
	size_t n = 0;

	p[n++] = 7;
	p[n++] = 0;
	p[n++] = 0;
	p[n++] = 0;
	p[n++] = f1;
	p[n++] = f2;
	if (l3 >= 0)
		p[n++] = (uint8_t)l3;
	p[n++] = 6; /* l4proto */
	p[n++] = 0; /* flags */
	memcpy(p + n, vars, vlen);
	n += vlen;
	memcpy(p + n, addrs, sizeof(addrs));
	n += sizeof(addrs);
	memcpy(p + n, tail, tlen);
	return n + tlen;
}

static int dec(const uint8_t *p, size_t n)
{
	struct ctd_record r;

	return reccodec_decode_one(p, n, &r);
}

/* Hand-made records and what the decoder must say of each. */
static const struct crafted {
	uint8_t f1, f2;
	int l3;
	const char *vars;
	size_t vlen;
	const char *tail;
	size_t tlen;
	int want;
	const char *what;
} crafted[] = {
    {0, 0, -1, "\x8e\x03\x00", 3, "", 0, 0, "hand-made record decodes"},
    {0, 0, -1, "\x8e\x03\x00", 3, "\0", 1, -EBADMSG, "record with a spare byte refused"},
    {0, 0, -1, "\x80\x00\x00", 3, "", 0, -EBADMSG, "non-minimal varint refused"},
    {0, 0, -1, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00\x00", 12, "", 0, -EBADMSG,
     "11-byte varint refused"},
    {0, 0, -1, "\x80\x80\x80\x80\x10\x00", 6, "", 0, -EBADMSG, "status 2^32 refused (the field is 32 bits)"},
    {1, 0, -1, "\x01\x00", 2, "", 0, -EBADMSG, "zone bit without its varint refused"},
    {1, 0, -1, "\x01\x00\x00", 3, "", 0, -EBADMSG, "presence bit over a zero value refused (not canonical)"},
    {1, 0, -1, "\x01\x00\x05", 3, "", 0, 0, "... and over zone 5 accepted"},
    {0, 2, -1, "\x01\x00", 2, "\x0a\x00\x00\x01", 4, -EBADMSG,
     "reply address equal to the swapped one, stored anyway, refused"},
    {0, 0x80, -1, "\x01\x00", 2, "", 0, -EBADMSG, "reserved flag bit refused"},
    {0, 0x40, 2, "\x01\x00", 2, "", 0, -EBADMSG, "l3proto AF_INET spelled as a raw byte refused"},
    {0, 0x40, 99, "\x01\x00", 2, "", 0, 0, "l3proto 99 as a raw byte accepted"},
};

static void test_crafted_records(void)
{
	uint8_t p[64];
	size_t n;

	for (size_t i = 0; i < sizeof(crafted) / sizeof(*crafted); i++) {
		const struct crafted *c = &crafted[i];
		n = craft(p, c->f1, c->f2, c->l3, c->vars, c->vlen, c->tail, c->tlen);
		CHECK(dec(p, n) == c->want, "%s (%zu bytes)", c->what, n);
	}
	n = craft(p, 0, 0, -1, "\x8e\x03\x00", 3, "", 0);
	CHECK(dec(p, n - 1) == -EBADMSG && dec(p, 5) == -EBADMSG && dec(p, 0) == -EBADMSG,
	      "record short of its fields refused");
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#define OFF(k) (b + reccodec_span_pos(k))

static void test_crafted_blobs(void)
{
	static uint8_t b[sizeof(blob)];
	struct ctd_record r;
	uint32_t n;
	size_t len;

	fill(in, 4, 4);
	reccodec_encode(in, 4, blob, sizeof(blob), &len);
#define DAMAGE(what, ...)                                                                                    \
	do {                                                                                                 \
		memcpy(b, blob, len);                                                                        \
		__VA_ARGS__;                                                                                 \
		CHECK(refused(b, len), what);                                                                \
	} while (0)
#define LOCAL(what, ...)                                                                                     \
	do {                                                                                                 \
		memcpy(b, blob, len);                                                                        \
		__VA_ARGS__;                                                                                 \
		CHECK(reccodec_decode_all(b, len, out, RECCODEC_MAX_RECS, &n) == -EBADMSG &&                 \
			  reccodec_rec_at(b, len, 1, &r) == -EBADMSG && reccodec_rec_at(b, len, 0, &r) == 0, \
		      what);                                                                                 \
	} while (0)
	DAMAGE("bad magic refused", b[0] = 'x');
	DAMAGE("reserved header byte refused", b[3] = 1);
	DAMAGE("count above RECCODEC_MAX_RECS refused", put32(b + 4, RECCODEC_MAX_RECS + 1));
	DAMAGE("count above what the table holds refused", put32(b + 4, 5));
	DAMAGE("count below what the table holds refused", put32(b + 4, 3));
	DAMAGE("offset into the offset table refused", put32(OFF(0), 8));
	/* damage inside the table: the records on either side of it, and the
	 * whole decode, refuse (the others still read: random access checks
	 * what it touches) */
	LOCAL("offset past the end refused", put32(OFF(2), (uint32_t)len + 1));
	LOCAL("offsets out of order refused", put32(OFF(2), get32(OFF(1)) - 1));
	LOCAL("record cut short by the next offset refused", put32(OFF(2), get32(OFF(2)) - 1));
	LOCAL("record running into the next refused", put32(OFF(2), get32(OFF(2)) + 1));
	DAMAGE("last offset short of the length refused", put32(OFF(4), (uint32_t)len - 1));
#undef DAMAGE
#undef LOCAL
	memcpy(b, blob, len);
	put32(b + get32(OFF(3)), 0);
	CHECK(reccodec_decode_all(b, len, out, RECCODEC_MAX_RECS, &n) == -EBADMSG &&
		  reccodec_rec_at(b, len, 3, &r) == 0 && r.id == 0,
	      "ids out of order refused by the whole decode (record 3 alone still reads)");
	memcpy(b, blob, len);
	b[2] = 2;
	CHECK(reccodec_decode_all(b, len, out, RECCODEC_MAX_RECS, &n) == -EPROTONOSUPPORT,
	      "unknown version: -EPROTONOSUPPORT");
	CHECK(reccodec_decode_all(blob, len, out, 3, &n) == -ENOSPC, "output short of the count: -ENOSPC");
	memset(b, 0, 12);
	b[0] = 'c';
	b[1] = 'r';
	b[2] = 1;
	put32(b + 8, 12);
	CHECK(reccodec_decode_all(b, 12, out, 0, &n) == 0 && n == 0, "empty chunk (12 bytes) accepted");
}

static double per_entry(uint32_t n, int kind)
{
	size_t len = 0;

	fill(in, n, kind);
	if (reccodec_encode(in, n, blob, sizeof(blob), &len) != 0 || !all_paths_equal(in, n, blob, len))
		return 1e9;
	return (double)len / n;
}

static void test_sizes(void)
{
	double v4 = per_entry(RECCODEC_MAX_RECS, 4), v6 = per_entry(RECCODEC_MAX_RECS, 6);

	/* the stored-size goal: a 1M IPv4 dump in at most 64 MiB */
	CHECK(v4 <= 64.0,
	      "realistic IPv4 chunk of %u: %.1f bytes/entry with header and offsets (<= 64; was %zu)",
	      RECCODEC_MAX_RECS, v4, sizeof(struct ctd_record));
	CHECK(v6 <= 96.0, "realistic IPv6 chunk of %u: %.1f bytes/entry (<= 96)", RECCODEC_MAX_RECS, v6);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Speed, printed not asserted (the sanitizer build runs this too). */
static void test_speed(void)
{
	const unsigned rounds = 64, n = RECCODEC_MAX_RECS;
	double t0, t1, t2, t3;
	uint32_t got = 0, id, sum = 0;
	size_t len = 0;
	int err = 0;

	fill(in, n, 4);
	t0 = now_ns();
	for (unsigned i = 0; i < rounds; i++)
		err |= reccodec_encode(in, n, blob, sizeof(blob), &len);
	t1 = now_ns();
	for (unsigned i = 0; i < rounds; i++)
		err |= reccodec_decode_all(blob, len, out, RECCODEC_MAX_RECS, &got);
	t2 = now_ns();
	for (unsigned i = 0; i < rounds * n; i++) {
		err |= reccodec_id_at(blob, len, (uint32_t)below(n), &id);
		sum += id;
	}
	t3 = now_ns();
	CHECK(
	    err == 0 && got == n,
	    "speed (%u x %u IPv4 records): encode %.1f ns/record, decode %.1f ns/record, id_at %.1f ns (%u)",
	    rounds, n, (t1 - t0) / (rounds * n), (t2 - t1) / (rounds * n), (t3 - t2) / (rounds * n), sum & 1);
}

int main(void)
{
	test_round_trip();
	test_extremes();
	test_encode_refusals();
	test_truncated();
	test_random_damage();
	test_crafted_records();
	test_crafted_blobs();
	test_sizes();
	test_speed();
	return CHECK_DONE();
}
