// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_nlmsg - libFuzzer target for the helper's netlink answer parser
 * (helper/nlparse.c): the input is one received buffer, fed both to the
 * dump parser (records), to the reply parser of a destroy/update
 * batch, to the statistics parser, to the event parser and to the
 * expectation dump parser.  Checks beyond "no crash": every
 * record and reply obeys what netlink.c relies on, and a refusal is
 * -EBADMSG or an errno.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Replies the target collects per input, as one batch of netlink.c. */
#define FUZZ_BATCH 16u

static int on_record(const struct ctd_record *r, void *data)
{
	unsigned *n = data;
	/* a value without its presence flag, or padding set, is a parser bug */
	if (r->pad1 || (!(r->flags & CTD_REC_HAS_ORIG_ZONE) && r->orig_zone) ||
	    (!(r->flags & CTD_REC_HAS_REPLY_ZONE) && r->reply_zone) ||
	    (!(r->flags & CTD_REC_HAS_SCTP_STATE) && r->sctp_state) ||
	    (!(r->flags & CTD_REC_HAS_TCP_STATE) && r->tcp_state))
		abort();
	/* a stop from the callback must end the parse: stop at the 100th */
	return ++*n >= 100;
}

static int on_event(const struct ctd_record *r, uint32_t type, void *data)
{
	unsigned *n = data;

	if (type < CTD_EVENT_NEW || type > CTD_EVENT_DESTROY || r->pad1)
		abort();
	return ++*n >= 100;
}

static int on_expect(const struct ctd_expect *x, void *data)
{
	unsigned *n = data;

	/* the helper's name is always a terminated string inside its field */
	if (memchr(x->helper, 0, sizeof(x->helper)) == NULL || x->pad[0] || x->pad[1] || x->pad[2])
		abort();
	return ++*n >= 100;
}

static void replies(const uint8_t *buf, size_t size)
{
	struct helper_nl_reply rep[FUZZ_BATCH];
	uint32_t base = 0, i;
	int n, answered = 0;

	/* the first message's sequence number as the batch's base, so that
	 * the replies in the input are "ours" */
	if (size >= 12)
		memcpy(&base, buf + 8, 4);
	for (i = 0; i < FUZZ_BATCH; i++)
		rep[i].err = -1;
	n = helper_nl_take_replies(buf, size, base, FUZZ_BATCH, rep);
	for (i = 0; i < FUZZ_BATCH; i++) {
		if (rep[i].err < -1 || rep[i].err > 4095)
			abort();
		answered += rep[i].err != -1;
	}
	if (n != -EBADMSG && (n < 0 || n != answered))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned records = 0;
	struct ctd_stats st;
	uint8_t *copy;
	int r;

	/* exact-size heap copy (malloc alignment, as the receive buffers)
	 * so ASan sees any read past the buffer */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	r = helper_nl_parse_dump(copy, size, 0, 0, on_record, &records);
	/* a stop from the callback ends the parse at once (the kernel can
	 * also answer ECANCELED itself: records tell the two apart) */
	if (r > 1 || records > 100 || (records == 100 && r != -ECANCELED) || r < -4095)
		abort();
	replies(copy, size);
	/* the statistics parser (stats request) reads the same kind of buffer */
	memset(&st, 0, sizeof(st));
	r = helper_nl_parse_stats(copy, size, 0, 0, &st);
	if (r > 1 || r < -4095 || st.pad)
		abort();
	records = 0;
	r = helper_nl_parse_events(copy, size, on_event, &records);
	if (r > 0 || records > 100 || (records == 100 && r != -ECANCELED) || r < -4095)
		abort();
	records = 0;
	r = helper_nl_parse_expects(copy, size, 0, 0, on_expect, &records);
	if (r > 1 || records > 100 || (records == 100 && r != -ECANCELED) || r < -4095)
		abort();
	free(copy);
	return 0;
}
