// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_frame - libFuzzer target for ctd-helper's frame decoder and request
 * validation (helper/request.c), the first code a caller's bytes reach.
 * The input is one frame as it would arrive on fd 3.  Checks beyond "no
 * crash": an accepted frame obeys every rule the handlers rely on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "helper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct helper_request rq;
	struct ctd_frame_hdr h;
	const char *why = NULL;
	uint8_t *copy;
	int r;

	/* exact-size heap copy so ASan sees any read past the frame */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	r = helper_decode_frame(copy, size, &rq, &why);
	if (r != 0) {
		if (!why || r < CTD_EXIT_SHORT || r > CTD_EXIT_VALUE)
			abort(); /* every refusal names its rule and has a protocol exit code */
		free(copy);
		return 0;
	}
	memcpy(&h, copy, sizeof(h));
	if (h.version != CTD_PROTO_VERSION || h.len > CTD_FRAME_MAX || size != sizeof(h) + h.len ||
	    rq.type != h.type)
		abort();
	/* accepted means: a row of the request table, and its size rule kept */
	if (!rq.def || rq.def->rule.type != rq.type || !rq.def->run ||
	    (rq.def->rule.elem == 0 && h.len != rq.def->rule.fixed))
		abort();
	switch (rq.type) {
	case CTD_REQ_DUMP:
		if (h.len != sizeof(struct ctd_dump_req) || (rq.dump.flags & ~CTD_DUMP_F_ALL) ||
		    ((rq.dump.flags & CTD_DUMP_F_FAMILY) && rq.dump.family != AF_INET &&
		     rq.dump.family != AF_INET6))
			abort();
		break;
	case CTD_REQ_DESTROY:
	case CTD_REQ_UPDATE_MARK:
	case CTD_REQ_UPDATE_TIMEOUT:
		if (rq.ntargets == 0 || rq.ntargets > CTD_MAX_TARGETS ||
		    h.len != sizeof(struct ctd_targets_hdr) + rq.ntargets * sizeof(struct ctd_target))
			abort();
		for (uint32_t i = 0; i < rq.ntargets; i++) {
			struct ctd_target t;
			memcpy(&t, (const uint8_t *)rq.targets + (size_t)i * sizeof(t), sizeof(t));
			if (t.l3proto != AF_INET && t.l3proto != AF_INET6)
				abort();
		}
		break;
	default:
		break; /* fixed-size requests: the rule above */
	}
	free(copy);
	return 0;
}
