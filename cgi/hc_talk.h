/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hc_talk.h - inside helper_client: one conversation with the helper
 * (helper_client.c), shared with the talks that live in files of their
 * own (events_window.c).  Not for the rest of the CGI: it calls the
 * hc_* requests of helper_client.h.
 */
#ifndef CTD_HC_TALK_H
#define CTD_HC_TALK_H

#include <stddef.h>
#include <stdint.h>

#include "helper_client.h"

struct hc_conn; /* an open helper and its deadline */

/* Sets *e; returns -1. */
int hc_fail(struct hc_error *e, int kind, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Read n payload bytes of the current frame before the deadline: 0, or -1
 * with *e set (the helper reaped). */
int hc_read(struct hc_conn *c, void *buf, size_t n, struct hc_error *e, const char *what);
/* Close and reap (kill_now: do not wait for it to exit). */
int hc_close(struct hc_conn *c, int kill_now);

/*
 * One conversation, the same for every request: send the request frame,
 * then read answer frames (each checked against `rules`, which name the
 * data frame, the final frame and ERROR) until the final one, whose
 * payload goes to fin.  Data frames go to on_data, which reads their
 * payload and returns 0 (go on), 1 (done: close before the final frame)
 * or -1.  0, or -1 with *e set; the helper is always reaped.
 */
struct hc_talk {
	int op; /* CT_OP_*: for the errno's sentence */
	const struct proto_type_rule *rules;
	size_t nrules;
	uint16_t fin_type;
	void *fin;
	size_t fin_len;
	int (*on_data)(struct hc_conn *c, const struct ctd_frame_hdr *h, void *arg, struct hc_error *e);
	void *arg;
	const char *what; /* "dumping", "answering" */
};

int hc_converse(const struct hc_target *t, uint16_t type, const void *payload, uint32_t len,
		const struct hc_talk *k, struct hc_error *e);

#define HC_ERROR_RULE                                                                                        \
	{                                                                                                    \
		CTD_RSP_ERROR, sizeof(struct ctd_error), 0, 0, 0                                             \
	}
#define HC_END_RULE                                                                                          \
	{                                                                                                    \
		CTD_RSP_END, sizeof(struct ctd_end), 0, 0, 0                                                 \
	}

#endif /* CTD_HC_TALK_H */
