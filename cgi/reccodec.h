/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reccodec.h - the compact on-disk form of one chunk of a stored dump: up
 * to RECCODEC_MAX_RECS struct ctd_record, sorted by id, in one byte blob.
 * Pure code over buffers (no SQLite, no allocation), so the storage layer
 * and a fuzzer drive the same functions.
 *
 * Blob layout (all integers little-endian, whatever the host):
 *
 *   header   8 bytes   'c' 'r' version(1) 0  u32 n (records, <= MAX_RECS)
 *   offsets  4*(n+1)   u32 off[0..n]: record k is bytes [off[k], off[k+1]);
 *                      off[0] = 8 + 4*(n+1), off[n] = blob length
 *   records  contiguous, in id order (equal ids allowed: CTA_ID is a hash)
 *
 * One record ([x] only when its presence bit says so; var = LEB128):
 *
 *   u32 id                 first, so an id is read with no decoding
 *   u8  f1, u8 f2          presence bits (RC_F1_*, RC_F2_* in reccodec.c)
 *   [u8 l3proto]           only if neither AF_INET nor AF_INET6
 *   u8  l4proto, u8 flags  (struct ctd_record.flags)
 *   var status, var timeout, [var zone], [var mark], [u8 tcp_state],
 *   [u8 icmp_type, u8 icmp_code, u16 icmp_id]
 *   orig.src, orig.dst     4 bytes each, or 16 if any address has a
 *                          nonzero byte past the fourth
 *   [u16 orig.sport, u16 orig.dport]
 *   [repl.src] [repl.dst] [u16 repl.sport] [u16 repl.dport], each only
 *                          where it differs from the swapped original
 *                          (no NAT: none; SNAT: repl.dst alone)
 *   [4 var counters: orig packets, orig bytes, repl packets, repl bytes]
 *   [u32 rate0 bits, u32 rate1 bits]   the start_ns slot (see below)
 *   [var orig_zone, var reply_zone, u8 sctp_state, u8 pad1]
 *                          when any is nonzero (version 1 blobs written
 *                          before these fields had two zero pads there,
 *                          so this bit was never set in them)
 *
 * The start_ns slot is carried as two 32-bit words: the bits of the two
 * rate floats that snap_rates() puts there, stored and restored
 * bit-exactly (NaN payloads and -0.0 included).  A raw start_ns survives
 * too, but the storage layer only ever passes rates.
 *
 * The encoding is canonical: a presence bit is set exactly when its field
 * is nonzero (or differs, for the reply tuple), varints are minimal, and the
 * decoder refuses anything else.  So encode(decode(blob)) == blob for every
 * blob that decodes, and a damaged blob is refused rather than misread.
 *
 * Every function returns 0 or a negative errno:
 *   -EINVAL     bad argument (n > RECCODEC_MAX_RECS, ids not ascending,
 *               k >= n)
 *   -ENOSPC     output buffer too small
 *   -EBADMSG    the blob is damaged (bad magic, offset out of range or out
 *               of order, record overrunning its end or not filling it,
 *               overlong or non-minimal varint, non-canonical presence bits)
 *   -EPROTONOSUPPORT  a version this code does not know
 * and never reads outside [blob, blob + len), whatever the bytes are.
 */
#ifndef CTD_RECCODEC_H
#define CTD_RECCODEC_H

#include <stddef.h>
#include <stdint.h>

#include "ctd_proto.h"

/* Most records in one chunk; the storage layer's chunk size must not exceed
 * it (a damaged header claiming more is refused before any offset is read). */
#define RECCODEC_MAX_RECS 4096u

#define RECCODEC_VERSION 1u
#define RECCODEC_HDR	 8u   /* header bytes before the offset table */
#define RECCODEC_REC_MIN 18u  /* smallest record: IPv4, no optional field */
#define RECCODEC_REC_MAX 160u /* largest record: 16-byte addresses, every field */

/* Bytes an encoded chunk of n records can take at most: size the output
 * buffer of reccodec_encode() with it (once, for the largest chunk). */
static inline size_t reccodec_bound(uint32_t n)
{
	return RECCODEC_HDR + 4u * ((size_t)n + 1) + (size_t)RECCODEC_REC_MAX * n;
}

/* Encode recs[0..n) (ids ascending) into out[0..cap); *len = bytes used.
 * cap must be at least reccodec_bound(n): then no field needs a check. */
int reccodec_encode(const struct ctd_record *recs, uint32_t n, void *out, size_t cap, size_t *len);

/* One record alone (no header, no offset table) into out, which has room
 * for RECCODEC_REC_MAX bytes; returns its length.  reccodec_decode_one()
 * reads it back.  (The CGI keeps a fresh dump in memory this way.) */
size_t reccodec_encode_one(const struct ctd_record *r, void *out);

/* ---- whole blob in memory: every call checks the header and both ends
 * of the offset table (so a truncated blob is refused at any k), then the
 * span of the record it touches ---- */

/* Number of records in the blob. */
int reccodec_count(const void *blob, size_t len, uint32_t *n);

/* The id of record k: one offset and four bytes read, nothing decoded
 * (a binary search by id inside a chunk), so damage inside the record is
 * found only when it is decoded. */
int reccodec_id_at(const void *blob, size_t len, uint32_t k, uint32_t *id);

/* Record k, decoded. */
int reccodec_rec_at(const void *blob, size_t len, uint32_t k, struct ctd_record *out);

/* Every record, in order, into out[0..cap); *n = how many.  Also checks
 * that the records are contiguous and their ids ascending. */
int reccodec_decode_all(const void *blob, size_t len, struct ctd_record *out, uint32_t cap, uint32_t *n);

/* ---- piecewise, for a reader that fetches byte ranges of a stored blob
 * (sqlite3_blob_read) instead of loading it whole:
 *   1. read RECCODEC_HDR bytes at 0            -> reccodec_header()
 *   2. read 8 bytes at reccodec_span_pos(k)    -> reccodec_span()
 *   3. read [start, end)                       -> reccodec_decode_one(),
 *      or its first 4 bytes                    -> reccodec_rec_id()
 * These checks are local to record k (enough for memory safety and for
 * the record's own integrity); a whole-blob check is reccodec_decode_all. */

/* hdr: the first RECCODEC_HDR bytes of a blob of len bytes. */
int reccodec_header(const void *hdr, size_t len, uint32_t *n);

/* Where the 8 bytes off[k], off[k+1] of record k sit in the blob. */
static inline size_t reccodec_span_pos(uint32_t k)
{
	return RECCODEC_HDR + 4u * (size_t)k;
}

/* two: the 8 bytes at reccodec_span_pos(k) of a blob of len bytes holding
 * n records; [*start, *end) = the bytes of record k. */
int reccodec_span(const void *two, uint32_t n, size_t len, uint32_t k, uint32_t *start, uint32_t *end);

/* Decode one record that fills rec[0..reclen) exactly. */
int reccodec_decode_one(const void *rec, size_t reclen, struct ctd_record *out);

/* The id of an encoded record, given its first 4 bytes. */
static inline uint32_t reccodec_rec_id(const void *rec)
{
	const uint8_t *p = rec;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif /* CTD_RECCODEC_H */
