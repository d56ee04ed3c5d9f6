// SPDX-License-Identifier: GPL-2.0-or-later
/* proto.c - framing shared by ctd.cgi and ctd-helper (see ctd_proto.h). */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ctd_proto.h"

int proto_send(int fd, uint16_t type, const void *payload, uint32_t len)
{
	struct ctd_frame_hdr h = {.len = len, .version = CTD_PROTO_VERSION, .type = type};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)payload, len}};
	int n = len ? 2 : 1;
	struct iovec *v = iov;

	if (len > CTD_FRAME_MAX)
		return -EMSGSIZE;
	while (n > 0) {
		ssize_t w = writev(fd, v, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* advance past what was written, across iovecs */
		while (n > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n > 0) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int proto_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return got == 0 ? -EPIPE : -EPROTO;
		got += (size_t)r;
	}
	return 0;
}

int proto_check_header(const struct ctd_frame_hdr *h, const struct proto_type_rule *rules, size_t nrules,
		       const struct proto_type_rule **rule, const char **why)
{
	const struct proto_type_rule *r = NULL;
	size_t i;

	*rule = NULL;
	if (h->version != CTD_PROTO_VERSION) {
		*why = "protocol version mismatch";
		return -EPROTO;
	}
	/* bound the length before anyone allocates or reads the payload */
	if (h->len > CTD_FRAME_MAX) {
		*why = "frame longer than CTD_FRAME_MAX";
		return -EMSGSIZE;
	}
	for (i = 0; i < nrules; i++)
		if (rules[i].type == h->type)
			r = &rules[i];
	if (!r) {
		*why = "frame type not in whitelist";
		return -EPROTO;
	}
	if (r->elem == 0) {
		if (h->len != r->fixed) {
			*why = "frame size wrong for its type";
			return -EBADMSG;
		}
	} else {
		uint32_t body, count;
		if (h->len <= r->base) {
			*why = "variable frame without elements";
			return -EBADMSG;
		}
		body = h->len - r->base;
		if (body % r->elem != 0) {
			*why = "frame size not a whole number of elements";
			return -EBADMSG;
		}
		count = body / r->elem;
		if (count > r->max_elem) {
			*why = "too many elements in frame";
			return -EBADMSG;
		}
	}
	*rule = r;
	*why = NULL;
	return 0;
}
