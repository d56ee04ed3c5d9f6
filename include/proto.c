// SPDX-License-Identifier: GPL-2.0-or-later
/* proto.c - framing shared by ctd.cgi and ctd-helper (see ctd_proto.h). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ctd_proto.h"

/* No deadline: block as long as it takes. */
#define PROTO_FOREVER (-1LL)

long long proto_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for ev, or the deadline passes: 0 or -errno. */
static int wait_ready(int fd, short ev, long long deadline_ms)
{
	for (;;) {
		long long left = deadline_ms == PROTO_FOREVER ? 60000 : deadline_ms - proto_now_ms();
		struct pollfd p = {.fd = fd, .events = ev};
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* One write of what is left; MSG_NOSIGNAL on sockets: a dead peer must
 * not kill the writer with SIGPIPE. */
static ssize_t write_some(int fd, struct iovec *v, int n)
{
	struct msghdr m = {.msg_iov = v, .msg_iovlen = (size_t)n};
	ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);

	return w < 0 && errno == ENOTSOCK ? writev(fd, v, n) : w;
}

int proto_send_until(int fd, uint16_t type, const void *payload, uint32_t len, long long deadline_ms)
{
	struct ctd_frame_hdr h = {.len = len, .version = CTD_PROTO_VERSION, .type = type};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)payload, len}};
	int n = len ? 2 : 1, r;
	struct iovec *v = iov;

	if (len > CTD_FRAME_MAX)
		return -EMSGSIZE;
	while (n > 0) {
		ssize_t w = write_some(fd, v, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			if ((r = wait_ready(fd, POLLOUT, deadline_ms)) != 0)
				return r;
			continue;
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

int proto_send(int fd, uint16_t type, const void *payload, uint32_t len)
{
	return proto_send_until(fd, type, payload, len, PROTO_FOREVER);
}

int proto_read_until(int fd, void *buf, size_t n, long long deadline_ms)
{
	size_t got = 0;
	int r;

	while (got < n) {
		ssize_t k = read(fd, (char *)buf + got, n - got);
		if (k > 0) {
			got += (size_t)k;
			continue;
		}
		if (k == 0)
			return got == 0 ? -EPIPE : -EPROTO;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if ((r = wait_ready(fd, POLLIN, deadline_ms)) != 0)
			return r;
	}
	return 0;
}

int proto_read_full(int fd, void *buf, size_t n)
{
	return proto_read_until(fd, buf, n, PROTO_FOREVER);
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
