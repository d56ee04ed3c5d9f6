// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * events_window.c - when an events window ends (helper_client.h,
 * hc_events).  The helper streams every event its filters pass, with a
 * tick that vouches for all the kernel queued before it; the window is
 * decided here, from the events the caller's own filters want: 250 ms
 * after the first (once a tick says the helper has read all queued before
 * then), at max of them (`more` if another wanted one follows), or when
 * the helper's duration ends.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ctd_errtext.h"
#include "hc_talk.h"
#include "helper_client.h"

struct events_talk {
	hc_event_cb cb;
	void *arg;
	uint32_t max;
	struct hc_events_result *res;
	int ticked;	   /* the first tick came (subscribed) */
	uint64_t close_ns; /* window: CTD_EVENTS_BATCH_MS after the first wanted event, 0 before */
	uint64_t max_ns;   /* the max-th wanted event's time, 0 before */
	long long give_up; /* proto_now_ms: stop waiting for the helper to catch up */
};

/* 1: the window is over (close), 0: go on, -1: error. */
static int events_one(struct events_talk *d, const struct ctd_event *ev)
{
	struct hc_events_result *res = d->res;
	int keep = res->count < d->max, w;

	if ((w = d->cb ? d->cb(ev, keep, d->arg) : 1) < 0)
		return -1;
	if (!w)
		return 0;
	if (!keep) {
		res->more = 1; /* a wanted event past max */
		return 1;
	}
	if (++res->count == 1) {
		d->close_ns = ev->time_ns + (uint64_t)CTD_EVENTS_BATCH_MS * 1000000u;
		/* a flood that never lets the helper's queue empty: the
		 * window still ends, its end what the last tick vouches for */
		d->give_up = proto_now_ms() + 2 * CTD_EVENTS_BATCH_MS;
	}
	if (res->count == d->max) {
		d->max_ns = ev->time_ns;
		d->give_up = proto_now_ms() + HC_EVENTS_MORE_MS + 2 * CTD_EVENTS_TICK_MS;
	}
	return 0;
}

static int events_data(struct hc_conn *c, const struct ctd_frame_hdr *h, void *arg, struct hc_error *e)
{
	static struct ctd_event evs[CTD_RECORDS_PER_FRAME];
	struct events_talk *d = arg;
	struct hc_events_result *res = d->res;
	uint32_t i, k;
	int r;

	if (h->type == CTD_RSP_EVENTS_TICK) {
		struct ctd_events_tick tk;
		if (hc_read(c, &tk, sizeof(tk), e, "following events") != 0)
			return -1;
		if (tk.sent != res->streamed || (d->ticked && tk.start_ns != res->start_ns)) {
			hc_close(c, 1);
			return hc_fail(e, HC_PROTOCOL, EPROTO, "helper's tick says %u events, %u came",
				       tk.sent, res->streamed);
		}
		d->ticked = 1;
		res->start_ns = tk.start_ns;
		res->end_ns = tk.now_ns;
		res->lost = tk.lost;
		/* everything queued before now_ns has come: past the window's
		 * close, or 50 ms past max with nothing more we want */
		if ((d->max_ns && tk.now_ns >= d->max_ns + (uint64_t)HC_EVENTS_MORE_MS * 1000000u) ||
		    (d->close_ns && !d->max_ns && tk.now_ns >= d->close_ns))
			return 1;
		return d->close_ns && proto_now_ms() >= d->give_up ? 1 : 0;
	}
	k = h->len / sizeof(struct ctd_event);
	if (!d->ticked) {
		hc_close(c, 1);
		return hc_fail(e, HC_PROTOCOL, EPROTO, "helper sent events before subscribing");
	}
	if (hc_read(c, evs, h->len, e, "following events") != 0)
		return -1;
	for (i = 0; i < k; i++) {
		res->streamed++;
		if ((r = events_one(d, &evs[i])) < 0) {
			hc_close(c, 1);
			return hc_fail(e, HC_ABORTED, 0, "events stopped by the caller");
		}
		if (r > 0)
			return 1;
	}
	return d->close_ns && proto_now_ms() >= d->give_up ? 1 : 0;
}

int hc_events(const struct hc_target *t, const struct ctd_events_req *req, hc_event_cb cb, void *arg,
	      struct hc_events_result *res, struct hc_error *e)
{
	static const struct proto_type_rule rules[] = {
	    {CTD_RSP_EVENTS, 0, 0, sizeof(struct ctd_event), CTD_RECORDS_PER_FRAME},
	    {CTD_RSP_EVENTS_TICK, sizeof(struct ctd_events_tick), 0, 0, 0},
	    {CTD_RSP_EVENTS_END, sizeof(struct ctd_events_end), 0, 0, 0},
	    HC_ERROR_RULE,
	};
	struct ctd_events_end end;
	struct events_talk d = {cb, arg, req->max, res, 0, 0, 0, 0};
	struct hc_talk k = {CT_OP_DUMP,	 rules,	      4,  CTD_RSP_EVENTS_END, &end,
			    sizeof(end), events_data, &d, "following events"};
	char msg[256];

	memset(res, 0, sizeof(*res));
	memset(&end, 0, sizeof(end));
	end.count = UINT32_MAX; /* stays so when we end the window */
	if (hc_converse(t, CTD_REQ_EVENTS, req, sizeof(*req), &k, e) != 0)
		return -1;
	if (end.count != UINT32_MAX) {
		/* the helper's duration ended it */
		if (end.count != res->streamed)
			return hc_fail(e, HC_PROTOCOL, EPROTO, "helper sent %u events but counted %u",
				       res->streamed, end.count);
		if (end.err) {
			ct_errmsg(CT_OP_DUMP, end.err, msg, sizeof(msg));
			return hc_fail(e, HC_KERNEL, end.err, "event subscription failed: %s", msg);
		}
		res->start_ns = end.start_ns;
		res->end_ns = end.end_ns;
		res->lost = end.lost;
	} else if (res->more && d.max_ns) {
		/* the window ended at max: what followed was not delivered */
		res->end_ns = d.max_ns;
	}
	return 0;
}
