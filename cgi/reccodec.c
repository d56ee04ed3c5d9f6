// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reccodec.c - compact chunks of conntrack records (layout: reccodec.h).
 *
 * A 1M-entry dump is encoded on every fresh view and decoded for sorting,
 * so both directions work in place over caller buffers: no allocation, one
 * pass, byte-wise little-endian access (the compiler folds it into plain
 * loads and stores on x86).
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "reccodec.h"

/* f1: which optional fields follow */
#define RC_F1_ZONE     0x01u
#define RC_F1_MARK     0x02u
#define RC_F1_TCP      0x04u /* tcp_state */
#define RC_F1_ICMP     0x08u /* icmp_type, icmp_code, icmp_id */
#define RC_F1_ADDR16   0x10u /* addresses take 16 bytes, not 4 */
#define RC_F1_PORTS    0x20u /* orig.sport, orig.dport */
#define RC_F1_COUNTERS 0x40u
#define RC_F1_RATES    0x80u /* the start_ns slot */

/* f2: the reply tuple's fields that differ from the swapped original, the
 * rare fields (directional zones, SCTP state, padding), and the layer-3
 * protocol in two bits; 0x80 is never set */
#define RC_F2_RSRC   0x01u
#define RC_F2_RDST   0x02u
#define RC_F2_RSPORT 0x04u
#define RC_F2_RDPORT 0x08u
#define RC_F2_RARE   0x10u /* orig_zone, reply_zone, sctp_state, pad1 */
#define RC_F2_L3     0x60u
#define RC_L3_INET   0x00u
#define RC_L3_INET6  0x20u
#define RC_L3_RAW    0x40u /* l3proto follows as a byte */
#define RC_AF_INET   2u	   /* AF_INET, AF_INET6 as the kernel numbers them */
#define RC_AF_INET6  10u

#define RC_MAGIC0 'c'
#define RC_MAGIC1 'r'

/* every offset, and the blob length, fit the u32 offset table */
_Static_assert(1ull * RECCODEC_REC_MAX * RECCODEC_MAX_RECS + 4u * (RECCODEC_MAX_RECS + 1) + RECCODEC_HDR <
		   UINT32_MAX,
	       "offsets fit in 32 bits");

static inline uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint8_t *put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	return p + 4;
}

static inline uint8_t *put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static inline uint8_t *put_var(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline size_t table_end(uint32_t n)
{
	return RECCODEC_HDR + 4u * ((size_t)n + 1);
}

/* 16-byte compares as two word loads: memcmp here was a libc call */
static inline bool differ16(const uint8_t *a, const uint8_t *b)
{
	uint64_t x[2], y[2];

	memcpy(x, a, 16);
	memcpy(y, b, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) != 0;
}

/* an address that needs more than its first four bytes */
static inline bool wide(const uint8_t *a)
{
	uint32_t lo;
	uint64_t hi;

	memcpy(&lo, a + 4, 4);
	memcpy(&hi, a + 8, 8);
	return (lo | hi) != 0;
}

/* The presence bits a record encodes with.  The decoder recomputes them
 * from what it decoded and refuses a mismatch: that one comparison makes
 * the encoding canonical.  narrow: the decoder knows that no address has a
 * byte past its fourth, so 4-byte compares suffice (a 16-byte load over a
 * fresh 4-byte store would stall store forwarding). */
static void rec_shape(const struct ctd_record *r, bool narrow, uint8_t *f1p, uint8_t *f2p)
{
	unsigned f1 = 0, f2 = 0;

	if (narrow) {
		f2 |= memcmp(r->repl.src, r->orig.dst, 4) ? RC_F2_RSRC : 0;
		f2 |= memcmp(r->repl.dst, r->orig.src, 4) ? RC_F2_RDST : 0;
	} else {
		f1 |= (wide(r->orig.src) || wide(r->orig.dst) || wide(r->repl.src) || wide(r->repl.dst))
			  ? RC_F1_ADDR16
			  : 0;
		f2 |= differ16(r->repl.src, r->orig.dst) ? RC_F2_RSRC : 0;
		f2 |= differ16(r->repl.dst, r->orig.src) ? RC_F2_RDST : 0;
	}

	f1 |= r->zone ? RC_F1_ZONE : 0;
	f1 |= r->mark ? RC_F1_MARK : 0;
	f1 |= r->tcp_state ? RC_F1_TCP : 0;
	f1 |= (r->icmp_type | r->icmp_code | r->icmp_id) ? RC_F1_ICMP : 0;
	f1 |= (r->orig.sport | r->orig.dport) ? RC_F1_PORTS : 0;
	f1 |= (r->orig_packets | r->orig_bytes | r->repl_packets | r->repl_bytes) ? RC_F1_COUNTERS : 0;
	f1 |= r->start_ns ? RC_F1_RATES : 0;
	f2 |= r->repl.sport != r->orig.dport ? RC_F2_RSPORT : 0;
	f2 |= r->repl.dport != r->orig.sport ? RC_F2_RDPORT : 0;
	f2 |= (r->orig_zone | r->reply_zone | r->sctp_state | r->pad1) ? RC_F2_RARE : 0;
	f2 |= r->l3proto == RC_AF_INET ? RC_L3_INET : r->l3proto == RC_AF_INET6 ? RC_L3_INET6 : RC_L3_RAW;
	*f1p = (uint8_t)f1;
	*f2p = (uint8_t)f2;
}

/* ---- encode ---- */

static uint8_t *enc_tuples(uint8_t *p, const struct ctd_record *r, unsigned f1, unsigned f2)
{
	size_t al = (f1 & RC_F1_ADDR16) ? 16 : 4;

	memcpy(p, r->orig.src, al);
	p += al;
	memcpy(p, r->orig.dst, al);
	p += al;
	if (f1 & RC_F1_PORTS) {
		p = put_u16(p, r->orig.sport);
		p = put_u16(p, r->orig.dport);
	}
	if (f2 & RC_F2_RSRC) {
		memcpy(p, r->repl.src, al);
		p += al;
	}
	if (f2 & RC_F2_RDST) {
		memcpy(p, r->repl.dst, al);
		p += al;
	}
	if (f2 & RC_F2_RSPORT)
		p = put_u16(p, r->repl.sport);
	if (f2 & RC_F2_RDPORT)
		p = put_u16(p, r->repl.dport);
	return p;
}

static uint8_t *enc_rec(uint8_t *p, const struct ctd_record *r)
{
	uint8_t f1, f2;
	uint32_t w[2];

	rec_shape(r, false, &f1, &f2);
	p = put_u32(p, r->id);
	*p++ = f1;
	*p++ = f2;
	if ((f2 & RC_F2_L3) == RC_L3_RAW)
		*p++ = r->l3proto;
	*p++ = r->l4proto;
	*p++ = r->flags;
	p = put_var(p, r->status);
	p = put_var(p, r->timeout);
	if (f1 & RC_F1_ZONE)
		p = put_var(p, r->zone);
	if (f1 & RC_F1_MARK)
		p = put_var(p, r->mark);
	if (f1 & RC_F1_TCP)
		*p++ = r->tcp_state;
	if (f1 & RC_F1_ICMP) {
		*p++ = r->icmp_type;
		*p++ = r->icmp_code;
		p = put_u16(p, r->icmp_id);
	}
	p = enc_tuples(p, r, f1, f2);
	if (f1 & RC_F1_COUNTERS) {
		p = put_var(p, r->orig_packets);
		p = put_var(p, r->orig_bytes);
		p = put_var(p, r->repl_packets);
		p = put_var(p, r->repl_bytes);
	}
	if (f1 & RC_F1_RATES) {
		/* two words of the slot's own bytes: the floats' bits, exactly */
		memcpy(w, &r->start_ns, sizeof(w));
		p = put_u32(p, w[0]);
		p = put_u32(p, w[1]);
	}
	if (f2 & RC_F2_RARE) {
		p = put_var(p, r->orig_zone);
		p = put_var(p, r->reply_zone);
		*p++ = r->sctp_state;
		*p++ = r->pad1;
	}
	return p;
}

size_t reccodec_encode_one(const struct ctd_record *r, void *out)
{
	return (size_t)(enc_rec(out, r) - (uint8_t *)out);
}

int reccodec_encode(const struct ctd_record *recs, uint32_t n, void *out, size_t cap, size_t *len)
{
	uint8_t *base = out, *p;
	uint32_t k;

	if (n > RECCODEC_MAX_RECS || (n && !recs))
		return -EINVAL;
	/* sized for the worst case up front: no bounds check per field */
	if (!out || cap < reccodec_bound(n))
		return -ENOSPC;
	for (k = 1; k < n; k++)
		if (recs[k - 1].id > recs[k].id)
			return -EINVAL; /* a chunk is binary-searched by id */
	base[0] = RC_MAGIC0;
	base[1] = RC_MAGIC1;
	base[2] = RECCODEC_VERSION;
	base[3] = 0;
	put_u32(base + 4, n);
	p = base + table_end(n);
	for (k = 0; k < n; k++) {
		put_u32(base + reccodec_span_pos(k), (uint32_t)(p - base));
		p = enc_rec(p, &recs[k]);
	}
	put_u32(base + reccodec_span_pos(n), (uint32_t)(p - base));
	*len = (size_t)(p - base);
	return 0;
}

/* ---- decode: a cursor that never moves past its end ---- */

/* end: the record's end; lim >= end: how far reading is safe (the blob's
 * end), so a varint near the end of a record still takes the fast path */
struct cur {
	const uint8_t *p, *end, *lim;
};

static inline const uint8_t *take(struct cur *c, size_t n)
{
	const uint8_t *q = c->p;

	if ((size_t)(c->end - c->p) < n)
		return NULL;
	c->p += n;
	return q;
}

/* Byte-at-a-time LEB128, for the last bytes of a record and for values
 * of 2^56 and up. */
static bool get_var_slow(struct cur *c, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	unsigned s = 0;
	uint8_t b;

	do {
		if (c->p == c->end || s > 63)
			return false;
		b = *c->p++;
		if (s == 63 && b > 1)
			return false; /* bits past 64, or an 11th byte */
		x |= (uint64_t)(b & 0x7f) << s;
		s += 7;
	} while (b & 0x80);
	if (b == 0 && s > 7)
		return false;
	*v = x;
	return x <= max;
}

/* LEB128, at most 10 bytes, minimal (no trailing zero byte), <= max.
 * Counters have unpredictable lengths: with 8 bytes at hand, find the last
 * byte from the word's high bits and gather the groups without a loop. */
static inline bool get_var(struct cur *c, uint64_t max, uint64_t *v)
{
	uint64_t w, stop, x;
	unsigned n;

	if ((size_t)(c->lim - c->p) < 8)
		return get_var_slow(c, max, v);
	memcpy(&w, c->p, 8);
	w = le64toh(w);
	stop = ~w & 0x8080808080808080ull;
	if (!stop)
		return get_var_slow(c, max, v);
	n = ((unsigned)__builtin_ctzll(stop) + 1) / 8; /* bytes used, 1..8 */
	if ((size_t)(c->end - c->p) < n)
		return false;
	if (n < 8)
		w &= (1ull << (8 * n)) - 1;
	if (n > 1 && (w >> (8 * (n - 1))) == 0)
		return false; /* trailing zero byte: not minimal */
	x = (w & 0x7f) | (w >> 1 & 0x7full << 7) | (w >> 2 & 0x7full << 14) | (w >> 3 & 0x7full << 21) |
	    (w >> 4 & 0x7full << 28) | (w >> 5 & 0x7full << 35) | (w >> 6 & 0x7full << 42) |
	    (w >> 7 & 0x7full << 49);
	c->p += n;
	*v = x;
	return x <= max;
}

static bool dec_addr(struct cur *c, size_t al, uint8_t dst[16])
{
	const uint8_t *q = take(c, al);

	if (!q)
		return false;
	memcpy(dst, q, al);
	return true;
}

static bool dec_port(struct cur *c, uint16_t *port)
{
	const uint8_t *q = take(c, 2);

	if (!q)
		return false;
	*port = get_u16(q);
	return true;
}

static inline bool var32(struct cur *c, uint32_t *v)
{
	uint64_t x;

	if (!get_var(c, UINT32_MAX, &x))
		return false;
	*v = (uint32_t)x;
	return true;
}

static inline bool var16(struct cur *c, uint16_t *v)
{
	uint64_t x;

	if (!get_var(c, UINT16_MAX, &x))
		return false;
	*v = (uint16_t)x;
	return true;
}

/* id .. icmp fields; *f1, *f2 as read */
static bool dec_head(struct cur *c, struct ctd_record *r, uint8_t *f1, uint8_t *f2)
{
	const uint8_t *q = take(c, 6);
	unsigned l3;

	if (!q)
		return false;
	r->id = get_u32(q);
	*f1 = q[4];
	*f2 = q[5];
	l3 = *f2 & RC_F2_L3;
	r->l3proto = l3 == RC_L3_INET ? RC_AF_INET : RC_AF_INET6;
	if (l3 >= RC_L3_RAW) {
		if (!(q = take(c, 1)))
			return false;
		r->l3proto = q[0];
	}
	if (!(q = take(c, 2)))
		return false;
	r->l4proto = q[0];
	r->flags = q[1];
	if (!var32(c, &r->status) || !var32(c, &r->timeout))
		return false;
	if ((*f1 & RC_F1_ZONE) && !var16(c, &r->zone))
		return false;
	if ((*f1 & RC_F1_MARK) && !var32(c, &r->mark))
		return false;
	if (*f1 & RC_F1_TCP) {
		if (!(q = take(c, 1)))
			return false;
		r->tcp_state = q[0];
	}
	if (*f1 & RC_F1_ICMP) {
		if (!(q = take(c, 4)))
			return false;
		r->icmp_type = q[0];
		r->icmp_code = q[1];
		r->icmp_id = get_u16(q + 2);
	}
	return true;
}

static bool dec_tuples(struct cur *c, struct ctd_record *r, unsigned f1, unsigned f2)
{
	size_t al = (f1 & RC_F1_ADDR16) ? 16 : 4;
	const uint8_t *src = take(c, al), *dst = take(c, al);

	if (!src || !dst)
		return false;
	/* what is not stored is the swapped original; copied from the blob,
	 * not from the record just written (see rec_shape on narrow) */
	memcpy(r->orig.src, src, al);
	memcpy(r->orig.dst, dst, al);
	memcpy(r->repl.src, dst, al);
	memcpy(r->repl.dst, src, al);
	if ((f1 & RC_F1_PORTS) && (!dec_port(c, &r->orig.sport) || !dec_port(c, &r->orig.dport)))
		return false;
	r->repl.sport = r->orig.dport;
	r->repl.dport = r->orig.sport;
	if ((f2 & RC_F2_RSRC) && !dec_addr(c, al, r->repl.src))
		return false;
	if ((f2 & RC_F2_RDST) && !dec_addr(c, al, r->repl.dst))
		return false;
	if ((f2 & RC_F2_RSPORT) && !dec_port(c, &r->repl.sport))
		return false;
	return !(f2 & RC_F2_RDPORT) || dec_port(c, &r->repl.dport);
}

static bool dec_tail(struct cur *c, struct ctd_record *r, unsigned f1, unsigned f2)
{
	const uint8_t *q;
	uint32_t w[2];

	if ((f1 & RC_F1_COUNTERS) &&
	    (!get_var(c, UINT64_MAX, &r->orig_packets) || !get_var(c, UINT64_MAX, &r->orig_bytes) ||
	     !get_var(c, UINT64_MAX, &r->repl_packets) || !get_var(c, UINT64_MAX, &r->repl_bytes)))
		return false;
	if (f1 & RC_F1_RATES) {
		if (!(q = take(c, 8)))
			return false;
		w[0] = get_u32(q);
		w[1] = get_u32(q + 4);
		memcpy(&r->start_ns, w, sizeof(w));
	}
	if (!(f2 & RC_F2_RARE))
		return true;
	if (!var16(c, &r->orig_zone) || !var16(c, &r->reply_zone) || !(q = take(c, 2)))
		return false;
	r->sctp_state = q[0];
	r->pad1 = q[1];
	return true;
}

static int dec_one(const uint8_t *rec, size_t reclen, const uint8_t *lim, struct ctd_record *out)
{
	static const struct ctd_record zero;
	struct cur c = {rec, rec + reclen, lim};
	uint8_t f1, f2, s1, s2;

	*out = zero; /* vector stores; a memset of 144 bytes became rep stos */
	if (!dec_head(&c, out, &f1, &f2) || !dec_tuples(&c, out, f1, f2) || !dec_tail(&c, out, f1, f2))
		return -EBADMSG;
	/* every byte used, and the bits are those the encoder would set */
	rec_shape(out, !(f1 & RC_F1_ADDR16), &s1, &s2);
	if (c.p != c.end || s1 != f1 || s2 != f2)
		return -EBADMSG;
	return 0;
}

int reccodec_decode_one(const void *rec, size_t reclen, struct ctd_record *out)
{
	if (!rec)
		return -EBADMSG;
	return dec_one(rec, reclen, (const uint8_t *)rec + reclen, out);
}

/* ---- locating records ---- */

int reccodec_header(const void *hdr, size_t len, uint32_t *n)
{
	const uint8_t *b = hdr;
	uint32_t v;

	if (!b || len < RECCODEC_HDR || b[0] != RC_MAGIC0 || b[1] != RC_MAGIC1 || b[3] != 0)
		return -EBADMSG;
	if (b[2] != RECCODEC_VERSION)
		return -EPROTONOSUPPORT;
	v = get_u32(b + 4);
	/* a count past the maximum, or one the length cannot hold, is damage */
	if (v > RECCODEC_MAX_RECS || len < table_end(v) + (size_t)v * RECCODEC_REC_MIN ||
	    len > table_end(v) + (size_t)v * RECCODEC_REC_MAX)
		return -EBADMSG;
	*n = v;
	return 0;
}

int reccodec_span(const void *two, uint32_t n, size_t len, uint32_t k, uint32_t *start, uint32_t *end)
{
	const uint8_t *p = two;
	uint32_t s, e;

	if (n > RECCODEC_MAX_RECS || k >= n)
		return -EINVAL;
	s = get_u32(p);
	e = get_u32(p + 4);
	if (s < table_end(n) || s > e || e - s < RECCODEC_REC_MIN || e - s > RECCODEC_REC_MAX || e > len)
		return -EBADMSG;
	*start = s;
	*end = e;
	return 0;
}

int reccodec_count(const void *blob, size_t len, uint32_t *n)
{
	const uint8_t *b = blob;
	uint32_t v;
	int r;

	if ((r = reccodec_header(b, len, &v)) != 0)
		return r;
	/* both ends of the offset table: a truncated blob is refused here */
	if (get_u32(b + reccodec_span_pos(0)) != table_end(v) || get_u32(b + reccodec_span_pos(v)) != len)
		return -EBADMSG;
	*n = v;
	return 0;
}

/* Record k of a whole blob: [*s, *e). */
static int locate(const void *blob, size_t len, uint32_t k, uint32_t *s, uint32_t *e)
{
	uint32_t n;
	int r;

	if ((r = reccodec_count(blob, len, &n)) != 0)
		return r;
	if (k >= n)
		return -EINVAL;
	return reccodec_span((const uint8_t *)blob + reccodec_span_pos(k), n, len, k, s, e);
}

int reccodec_id_at(const void *blob, size_t len, uint32_t k, uint32_t *id)
{
	uint32_t s, e;
	int r;

	if ((r = locate(blob, len, k, &s, &e)) != 0)
		return r;
	*id = reccodec_rec_id((const uint8_t *)blob + s);
	return 0;
}

int reccodec_rec_at(const void *blob, size_t len, uint32_t k, struct ctd_record *out)
{
	uint32_t s, e;
	int r;

	if ((r = locate(blob, len, k, &s, &e)) != 0)
		return r;
	return dec_one((const uint8_t *)blob + s, e - s, (const uint8_t *)blob + len, out);
}

int reccodec_decode_all(const void *blob, size_t len, struct ctd_record *out, uint32_t cap, uint32_t *n)
{
	const uint8_t *b = blob;
	uint32_t cnt, k, pos, e;
	int r;

	if ((r = reccodec_header(b, len, &cnt)) != 0)
		return r;
	if (cnt > cap || (cnt && !out))
		return -ENOSPC;
	pos = (uint32_t)table_end(cnt);
	if (get_u32(b + reccodec_span_pos(0)) != pos)
		return -EBADMSG;
	for (k = 0; k < cnt; k++) {
		/* record k starts where k-1 ended: contiguous by construction */
		e = get_u32(b + reccodec_span_pos(k + 1));
		if (e < pos || e - pos < RECCODEC_REC_MIN || e - pos > RECCODEC_REC_MAX || e > len)
			return -EBADMSG;
		if ((r = dec_one(b + pos, e - pos, b + len, &out[k])) != 0)
			return r;
		if (k && out[k - 1].id > out[k].id)
			return -EBADMSG;
		pos = e;
	}
	if (pos != len)
		return -EBADMSG;
	*n = cnt;
	return 0;
}
