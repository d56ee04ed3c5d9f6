/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctd_proto.h - the wire protocol between ctd.cgi (unprivileged) and
 * ctd-helper (CAP_NET_ADMIN).  Defined once here; both sides include it.
 *
 * Every message is a frame: a fixed 8-byte header followed by `len` bytes
 * of payload.  All header and payload integers are in host byte order (both
 * ends run on the same machine); addresses inside tuples are in network
 * byte order, as the kernel gives them.
 *
 * The receiver checks, in this order and before allocating anything:
 *   1. the header is complete (8 bytes),
 *   2. version == CTD_PROTO_VERSION,
 *   3. len <= CTD_FRAME_MAX,
 *   4. type is in the receiver's whitelist table,
 *   5. len matches the exact size rule of that type (see each type).
 * Anything else ends the conversation.
 *
 * Conversation: the CGI sends exactly one request frame; the helper answers
 * with zero or more data frames (RECORDS or RESULTS) and exactly one final
 * frame (END, COUNT or ERROR), then exits (one request per process, in
 * socketpair and socket modes).  An EVENTS request is the one the CGI
 * ends: it closes the connection when its window is over, and the helper
 * exits cleanly at its next send (EPIPE); else the duration ends it with
 * EVENTS_END.
 */
#ifndef CTD_PROTO_H
#define CTD_PROTO_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* 2: directional zones and the SCTP state in the record, directional zones
 * in the target (struct ctd_target grew to 64 bytes); 3: an EVENTS
 * request streams (EVENTS and EVENTS_TICK frames) until the CGI closes */
#define CTD_PROTO_VERSION 3u

/* Largest payload either side accepts.  A full RESULTS or target frame for
 * CTD_MAX_TARGETS entries must fit. */
#define CTD_FRAME_MAX (2u * 1024u * 1024u)

/* Most entries one destroy/update request may name (README API: kill takes at
 * most 10,000 ids per call). */
#define CTD_MAX_TARGETS 10000u

/* Most records the helper packs into one RECORDS frame. */
#define CTD_RECORDS_PER_FRAME 256u

/* Length of the text in an ERROR frame, NUL-terminated inside. */
#define CTD_ERRMSG_MAX 160u

struct ctd_frame_hdr {
	uint32_t len;	  /* payload bytes after this header */
	uint16_t version; /* CTD_PROTO_VERSION */
	uint16_t type;	  /* enum ctd_msg_type */
};

enum ctd_msg_type {
	/* requests: CGI -> helper */
	CTD_REQ_DUMP = 1,	    /* payload: struct ctd_dump_req, exact */
	CTD_REQ_COUNT = 2,	    /* payload: empty (len 0) */
	CTD_REQ_DESTROY = 3,	    /* payload: struct ctd_targets_hdr + n targets */
	CTD_REQ_UPDATE_MARK = 4,    /* same; target.value/mask = new mark, mask */
	CTD_REQ_UPDATE_TIMEOUT = 5, /* same; target.value = seconds, mask unused (0) */
	CTD_REQ_STATS = 6,	    /* payload: empty (len 0) */
	CTD_REQ_EVENTS = 7,	    /* payload: struct ctd_events_req, exact */
	CTD_REQ_EXPECT_DUMP = 8,    /* payload: empty (len 0) */
	CTD_REQ_EXPECT_DESTROY = 9, /* as DESTROY; target.orig = the expected tuple, id = expectation id */

	/* answers: helper -> CGI */
	CTD_RSP_RECORDS = 64,	  /* payload: k * struct ctd_record, 1 <= k <= CTD_RECORDS_PER_FRAME */
	CTD_RSP_RESULTS = 65,	  /* payload: k * struct ctd_result, 1 <= k <= CTD_MAX_TARGETS */
	CTD_RSP_END = 66,	  /* payload: struct ctd_end, exact; ends a DUMP or a target request */
	CTD_RSP_COUNT = 67,	  /* payload: struct ctd_count, exact; ends a COUNT */
	CTD_RSP_ERROR = 68,	  /* payload: struct ctd_error, exact; ends any request */
	CTD_RSP_STATS = 69,	  /* payload: struct ctd_stats, exact; ends a STATS */
	CTD_RSP_EVENTS = 70,	  /* payload: k * struct ctd_event, 1 <= k <= CTD_RECORDS_PER_FRAME */
	CTD_RSP_EVENTS_END = 71,  /* payload: struct ctd_events_end, exact; ends an EVENTS */
	CTD_RSP_EXPECTS = 72,	  /* payload: k * struct ctd_expect, 1 <= k <= CTD_RECORDS_PER_FRAME */
	CTD_RSP_EVENTS_TICK = 73, /* payload: struct ctd_events_tick, exact; inside an EVENTS stream */
};

/* A conntrack tuple.  For IPv4, the address is in the first 4 bytes of
 * src/dst and the other 12 are zero.  Ports in host order.  For ICMP and
 * ICMPv6 the ports are 0 and the ICMP fields of the owning struct apply. */
struct ctd_tuple {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
};

/* ICMP or ICMPv6: the tuple carries type/code/id, not ports. */
static inline int proto_is_icmp(uint8_t l3proto, uint8_t l4proto)
{
	return (l3proto == AF_INET && l4proto == IPPROTO_ICMP) ||
	       (l3proto == AF_INET6 && l4proto == IPPROTO_ICMPV6);
}

/* Whether addr, of family fam, lies in the network net/prefix of family
 * nfam (prefix already checked against nfam's length; net's host bits are
 * ignored): the one rule for the CGI's filters and hidden networks and the
 * helper's events filters. */
static inline int proto_prefix_has(uint8_t nfam, uint8_t prefix, const uint8_t *net, uint8_t fam,
				   const uint8_t *addr)
{
	unsigned full = prefix / 8u, rem = prefix % 8u;

	if (nfam != fam || memcmp(net, addr, full) != 0)
		return 0;
	return !rem || ((addr[full] ^ net[full]) & (uint8_t)(0xff00u >> rem)) == 0;
}

/* Protocols whose tuple carries ports (TCP, UDP, UDPLite, SCTP, DCCP). */
static inline int proto_has_ports(uint8_t l4proto)
{
	return l4proto == IPPROTO_TCP || l4proto == IPPROTO_UDP || l4proto == IPPROTO_UDPLITE ||
	       l4proto == IPPROTO_SCTP || l4proto == IPPROTO_DCCP;
}

/* ctd_record.flags */
#define CTD_REC_HAS_COUNTERS   0x01u /* kernel sent CTA_COUNTERS_* */
#define CTD_REC_HAS_TIMESTAMP  0x02u /* kernel sent CTA_TIMESTAMP_START */
#define CTD_REC_HAS_TCP_STATE  0x04u /* tcp_state is meaningful */
#define CTD_REC_HAS_ICMP       0x08u /* icmp_* are meaningful */
#define CTD_REC_HAS_PORTS      0x10u /* ports are meaningful (TCP, UDP, UDPLite, SCTP, DCCP) */
#define CTD_REC_HAS_ORIG_ZONE  0x20u /* orig_zone: CTA_TUPLE_ZONE inside CTA_TUPLE_ORIG */
#define CTD_REC_HAS_REPLY_ZONE 0x40u /* reply_zone: CTA_TUPLE_ZONE inside CTA_TUPLE_REPLY */
#define CTD_REC_HAS_SCTP_STATE 0x80u /* sctp_state is meaningful */

/* One conntrack entry as the dump streams it: fixed layout, no pointers. */
struct ctd_record {
	uint32_t id;	 /* CTA_ID */
	uint16_t zone;	 /* CTA_ZONE (both directions), 0 if none */
	uint8_t l3proto; /* AF_INET (2) or AF_INET6 (10) */
	uint8_t l4proto; /* IPPROTO_* */
	struct ctd_tuple orig;
	struct ctd_tuple repl;
	uint8_t icmp_type; /* original direction */
	uint8_t icmp_code;
	uint16_t icmp_id;
	uint8_t tcp_state; /* TCP_CONNTRACK_* as in linux/netfilter/nf_conntrack_tcp.h */
	uint8_t flags;	   /* CTD_REC_* */
	/* A zone of one direction only (conntrack -I --orig-zone/--reply-zone):
	 * the kernel sends it inside that direction's tuple, not as CTA_ZONE,
	 * and finds the entry by its original tuple only with orig_zone. */
	uint16_t orig_zone; /* when CTD_REC_HAS_ORIG_ZONE, else 0 */
	uint32_t status;    /* IPS_* bits */
	uint32_t timeout;   /* seconds left */
	uint32_t mark;
	uint16_t reply_zone; /* when CTD_REC_HAS_REPLY_ZONE, else 0 */
	uint8_t sctp_state;  /* SCTP_CONNTRACK_* (linux/netfilter/nf_conntrack_sctp.h), when HAS_SCTP_STATE */
	uint8_t pad1;	     /* zero */
	uint64_t orig_packets;
	uint64_t orig_bytes;
	uint64_t repl_packets;
	uint64_t repl_bytes;
	uint64_t start_ns; /* CTA_TIMESTAMP_START, ns since epoch, 0 if none */
};

/* ctd_dump_req.flags: which kernel-side filters apply */
#define CTD_DUMP_F_MARK	  0x01u /* (ct.mark & mark_mask) == mark */
#define CTD_DUMP_F_FAMILY 0x02u /* l3proto == family */
#define CTD_DUMP_F_ZONE	  0x04u /* zone == zone */
#define CTD_DUMP_F_STATUS 0x08u /* (ct.status & status_mask) == status */
#define CTD_DUMP_F_ALL	  0x0fu

struct ctd_dump_req {
	uint32_t flags;
	uint32_t mark;
	uint32_t mark_mask;
	uint32_t status;
	uint32_t status_mask;
	uint16_t zone;
	uint8_t family; /* AF_INET, AF_INET6; 0 only if !(flags & F_FAMILY) */
	uint8_t pad;	/* zero */
};

/* ctd_target.zflags: which directional zones the entry has */
#define CTD_TGT_ORIG_ZONE  0x01u /* orig_zone is the original tuple's CTA_TUPLE_ZONE */
#define CTD_TGT_REPLY_ZONE 0x02u /* reply_zone is the reply tuple's CTA_TUPLE_ZONE */
#define CTD_TGT_ZONES	   0x03u

/* The entry a destroy/update acts on: identified by tuple, zones and id, so
 * that a stale id never touches a newer connection with the same tuple.
 * Built from a dump's record in one place (cgi/actions.c, record_target). */
struct ctd_target {
	uint32_t id;
	uint16_t zone;
	uint8_t l3proto;
	uint8_t l4proto;
	struct ctd_tuple orig;
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint16_t icmp_id;
	uint32_t value;	     /* new mark, or new timeout in seconds */
	uint32_t mask;	     /* mark mask (0xffffffff to set the whole mark) */
	uint16_t orig_zone;  /* with CTD_TGT_ORIG_ZONE, else 0 */
	uint16_t reply_zone; /* with CTD_TGT_REPLY_ZONE, else 0 */
	uint8_t zflags;	     /* CTD_TGT_* */
	uint8_t pad[3];	     /* zero */
};

/* Header of a target request; followed by exactly `count` struct
 * ctd_target.  Exact size: sizeof(hdr) + count * sizeof(target), with
 * 1 <= count <= CTD_MAX_TARGETS. */
struct ctd_targets_hdr {
	uint32_t count;
	uint32_t pad; /* zero */
};

/* ctd_result.status */
enum ctd_result_status {
	CTD_RES_DONE = 0,      /* destroyed / updated */
	CTD_RES_NOT_FOUND = 1, /* no entry with that tuple+zone+id (gone, or id reused) */
	CTD_RES_ERROR = 2,     /* kernel refused: err holds the errno */
};

/* One result per target, in request order. */
struct ctd_result {
	uint32_t id;
	uint16_t status; /* enum ctd_result_status */
	uint16_t pad;
	int32_t err; /* errno when status == CTD_RES_ERROR, else 0 */
};

struct ctd_end {
	uint32_t count; /* records sent (dump) or results sent (targets) */
	int32_t err;	/* 0, or errno if the dump stopped early */
};

struct ctd_count {
	uint32_t count;	     /* entries in the table (nf_conntrack_count of the netns) */
	uint32_t max;	     /* nf_conntrack_max, 0 if unknown */
	uint32_t accounting; /* 1 if net.netfilter.nf_conntrack_acct is on */
	uint32_t timestamp;  /* 1 if net.netfilter.nf_conntrack_timestamp is on */
};

/* The table's health without a dump (the `stats` method): the sysctls of
 * COUNT, and the per-CPU counters `conntrack -S` prints (ctnetlink
 * IPCTNL_MSG_CT_GET_STATS_CPU), summed over CPUs.  All as the helper's
 * network namespace sees them. */
struct ctd_stats {
	struct ctd_count table;
	uint32_t events;	 /* net.netfilter.nf_conntrack_events (0 if unknown) */
	uint32_t cpus;		 /* CPUs whose counters were summed */
	uint64_t found;		 /* CTA_STATS_FOUND */
	uint64_t invalid;	 /* CTA_STATS_INVALID */
	uint64_t insert;	 /* CTA_STATS_INSERT */
	uint64_t insert_failed;	 /* CTA_STATS_INSERT_FAILED */
	uint64_t drop;		 /* CTA_STATS_DROP */
	uint64_t early_drop;	 /* CTA_STATS_EARLY_DROP */
	uint64_t error;		 /* CTA_STATS_ERROR (conntrack -S: error; the kernel's icmp_error) */
	uint64_t search_restart; /* CTA_STATS_SEARCH_RESTART */
	uint64_t clash_resolve;	 /* CTA_STATS_CLASH_RESOLVE */
	uint64_t chaintoolong;	 /* CTA_STATS_CHAIN_TOOLONG */
	uint32_t expect_count;	 /* expectations: sum of expect_create - expect_delete */
	uint32_t pad;		 /* zero */
};

/* ---- events (conntrack -E) ---- */

/* ctd_events_req.types: the event groups to subscribe to */
#define CTD_EV_NEW     0x01u
#define CTD_EV_UPDATE  0x02u
#define CTD_EV_DESTROY 0x04u
#define CTD_EV_ALL     0x07u

/* Longest subscription one request may ask for (the API's `wait` is at
 * most 25 s), and most events one call returns (the helper sizes its
 * receive buffer from the request's max). */
#define CTD_EVENTS_DURATION_MAX_MS 26000u
#define CTD_EVENTS_MAX		   5000u
/* After the first event the caller sees, the CGI keeps the window open
 * this long (or to max). */
#define CTD_EVENTS_BATCH_MS 250u
/* Longest the helper goes without a frame while it streams: a TICK at
 * least this often, and one each time it has read all the kernel queued. */
#define CTD_EVENTS_TICK_MS 25u
/* Hidden networks an events request names for the helper and the
 * kernel's filter to leave out (the CGI checks all of them anyway). */
#define CTD_EVENTS_EXCLUDE_MAX 8u

/* ctd_events_req.flags: filters the helper applies (the kernel too, where
 * its BPF socket filter can) */
#define CTD_EVF_L4PROTO 0x01u /* l4proto == l4proto */
#define CTD_EVF_SRC4	0x02u /* IPv4, original source in src/src_prefix */
#define CTD_EVF_DST4	0x04u /* IPv4, original destination in dst/dst_prefix */
#define CTD_EVF_ALL	0x07u

/* A network: family AF_INET (first 4 bytes of addr) or AF_INET6. */
struct ctd_net {
	uint8_t family;
	uint8_t prefix; /* <= 32 or <= 128 */
	uint8_t pad[2]; /* zero */
	uint8_t addr[16];
};

struct ctd_events_req {
	uint32_t types;	      /* CTD_EV_*, at least one */
	uint32_t duration_ms; /* <= CTD_EVENTS_DURATION_MAX_MS */
	uint32_t max;	      /* 1..CTD_EVENTS_MAX */
	uint32_t flags;	      /* CTD_EVF_* */
	uint8_t l4proto;
	uint8_t src_prefix; /* <= 32 */
	uint8_t dst_prefix; /* <= 32 */
	uint8_t nexclude;   /* <= CTD_EVENTS_EXCLUDE_MAX */
	uint8_t src[4];	    /* network order */
	uint8_t dst[4];
	struct ctd_net exclude[CTD_EVENTS_EXCLUDE_MAX]; /* an event whose original source or
							 * destination is in one is left out;
							 * unused entries zero */
};

/* ctd_event.type */
enum ctd_event_type { CTD_EVENT_NEW = 1, CTD_EVENT_UPDATE = 2, CTD_EVENT_DESTROY = 3 };

struct ctd_event {
	struct ctd_record rec; /* a destroy carries the final counters */
	uint64_t time_ns;      /* CLOCK_REALTIME when the helper received it */
	uint32_t type;	       /* enum ctd_event_type */
	uint32_t pad;	       /* zero */
};

/* Sent right after subscribing, then whenever the helper found the
 * kernel's queue empty, and at least every CTD_EVENTS_TICK_MS: every event
 * the kernel queued for us before now_ns is in an earlier EVENTS frame,
 * left out by the request's filters, or counted in lost. */
struct ctd_events_tick {
	uint64_t start_ns; /* CLOCK_REALTIME when the subscription began */
	uint64_t now_ns;   /* CLOCK_REALTIME when the queue was found empty */
	uint32_t lost;	   /* events the kernel dropped for this socket so far (SK_MEMINFO_DROPS) */
	uint32_t sent;	   /* events sent so far */
};

/* Ends an EVENTS stream the duration ended (the CGI closes earlier when
 * its window is over): the same figures as a last tick. */
struct ctd_events_end {
	uint32_t count;	   /* events sent */
	uint32_t lost;	   /* events the kernel dropped for this socket (SK_MEMINFO_DROPS) */
	uint32_t pad;	   /* zero */
	int32_t err;	   /* 0, or errno if the subscription failed midway */
	uint64_t start_ns; /* CLOCK_REALTIME when the subscription began */
	uint64_t end_ns;   /* ... and when it ended */
};

/* ---- expectations (conntrack -L expect) ---- */

#define CTD_HELPER_NAME_MAX 16u /* NF_CT_HELPER_NAME_LEN, NUL included */

/* One expectation.  Tuples as in ctd_record (ports host order); the
 * master tuple is the master connection's original tuple. */
struct ctd_expect {
	uint32_t id;	    /* CTA_EXPECT_ID */
	uint32_t master_id; /* CTA_ID of the master connection, 0 if not found */
	uint32_t timeout;   /* seconds left */
	uint32_t flags;	    /* CTA_EXPECT_FLAGS (NF_CT_EXPECT_*) */
	uint32_t class_;    /* CTA_EXPECT_CLASS */
	uint16_t zone;	    /* CTA_EXPECT_ZONE */
	uint8_t l3proto;
	uint8_t l4proto;	 /* of the expected tuple */
	struct ctd_tuple tuple;	 /* the expected connection */
	struct ctd_tuple mask;	 /* which bits of it must match */
	struct ctd_tuple master; /* the master's original tuple */
	uint8_t master_l4proto;
	uint8_t pad[3];			  /* zero */
	char helper[CTD_HELPER_NAME_MAX]; /* NUL-terminated, "" if none */
};

/* ctd_error.code */
enum ctd_error_code {
	CTD_ERR_PROTO = 1,  /* malformed request */
	CTD_ERR_KERNEL = 2, /* netlink failed; err holds errno */
	CTD_ERR_TIMEOUT = 3,
	CTD_ERR_INTERNAL = 4,
};

struct ctd_error {
	int32_t code;		  /* enum ctd_error_code */
	int32_t err;		  /* errno, 0 if none */
	char msg[CTD_ERRMSG_MAX]; /* NUL-terminated, for logs; never parsed */
};

/* Layout is part of the protocol: catch accidental changes at build time. */
_Static_assert(sizeof(struct ctd_frame_hdr) == 8, "frame header layout");
_Static_assert(sizeof(struct ctd_tuple) == 36, "tuple layout");
_Static_assert(sizeof(struct ctd_record) == 144, "record layout");
_Static_assert(sizeof(struct ctd_dump_req) == 24, "dump request layout");
_Static_assert(sizeof(struct ctd_target) == 64, "target layout");
_Static_assert(sizeof(struct ctd_result) == 12, "result layout");
_Static_assert(sizeof(struct ctd_stats) == 112, "stats layout");
_Static_assert(sizeof(struct ctd_events_req) == 188, "events request layout");
_Static_assert(sizeof(struct ctd_event) == 160, "event layout");
_Static_assert(sizeof(struct ctd_events_end) == 32, "events end layout");
_Static_assert(sizeof(struct ctd_events_tick) == 24, "events tick layout");
_Static_assert(sizeof(struct ctd_expect) == 152, "expectation layout");
_Static_assert(CTD_MAX_TARGETS * sizeof(struct ctd_result) <= CTD_FRAME_MAX, "results fit");
_Static_assert(sizeof(struct ctd_targets_hdr) + CTD_MAX_TARGETS * sizeof(struct ctd_target) <= CTD_FRAME_MAX,
	       "targets fit");

/* ---- shared framing helpers (include/proto.c), used by both sides ---- */

/* proto_* return 0 on success or a negative errno; they never allocate. */

/* Write one whole frame (header + payload), retrying short writes and
 * EINTR; on a socket without SIGPIPE (a dead peer is -EPIPE, not a signal). */
int proto_send(int fd, uint16_t type, const void *payload, uint32_t len);

/* Read exactly n bytes; -EPIPE on clean EOF before the first byte,
 * -EPROTO on EOF in the middle. */
int proto_read_full(int fd, void *buf, size_t n);

/* The same on a non-blocking fd, waiting at most until deadline_ms
 * (proto_now_ms() clock; -ETIMEDOUT past it).  The CGI's side uses these:
 * a stalled helper must not hold a request past its timeout. */
int proto_send_until(int fd, uint16_t type, const void *payload, uint32_t len, long long deadline_ms);
int proto_read_until(int fd, void *buf, size_t n, long long deadline_ms);
long long proto_now_ms(void); /* CLOCK_MONOTONIC, ms */

/* Check a received header against the rules above, given the table of
 * types this side accepts.  Returns 0 or -EPROTO / -EMSGSIZE / -EBADMSG and
 * sets *why to a static string naming the failed rule. */
struct proto_type_rule {
	uint16_t type;
	uint32_t fixed;	   /* exact payload size, or 0 with elem != 0 */
	uint32_t base;	   /* variable frames: leading header size */
	uint32_t elem;	   /* variable frames: element size */
	uint32_t max_elem; /* variable frames: most elements; at least 1 */
};
int proto_check_header(const struct ctd_frame_hdr *h, const struct proto_type_rule *rules, size_t nrules,
		       const struct proto_type_rule **rule, const char **why);

#endif /* CTD_PROTO_H */
