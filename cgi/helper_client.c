// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * helper_client.c - the CGI's client of ctd-helper (see helper_client.h).
 * Spawns the helper over a socketpair (or connects to the socket-activated
 * service), sends one request, reads the answer frames with a deadline,
 * and always reaps the child.  Nothing here holds privilege.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctd_exit.h"
#include "helper_client.h"

#define HC_SOCKET_PREFIX "unix:"
/* Largest data frame we buffer: a RECORDS frame. */
#define HC_RECORDS_MAX (CTD_RECORDS_PER_FRAME * sizeof(struct ctd_record))

struct hc_conn {
	int fd;
	pid_t pid; /* -1 in socket mode */
	long long deadline_ms;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 4, 5))) static int fail(struct hc_error *e, int kind, int err, const char *fmt,
						      ...)
{
	va_list ap;

	e->kind = kind;
	e->err = err;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Child side of the spawn: fd 3 = our end, 0/1 = /dev/null, 2 kept
 * (Apache's error log), everything else closed, empty environment. */
static void exec_helper(const char *path, int sock)
{
	char *const argv[] = {"ctd-helper", NULL};
	char *const envp[] = {NULL};
	sigset_t none;
	int nul;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (sock == 3) {
		if (fcntl(3, F_SETFD, 0) != 0)
			_exit(127);
	} else if (dup2(sock, 3) != 3) {
		_exit(127);
	}
	nul = open("/dev/null", O_RDWR);
	if (nul < 0 || dup2(nul, 0) != 0 || dup2(nul, 1) != 1)
		_exit(127);
	if (fcntl(2, F_GETFD) < 0 && dup2(nul, 2) != 2)
		_exit(127);
	close_range(4, ~0u, 0);
	execve(path, argv, envp);
	/* as a shell does: 127 not found, 126 found but we may not run it */
	_exit(errno == ENOENT || errno == ENOTDIR ? 127 : 126);
}

static int hc_open(const struct hc_target *t, struct hc_conn *c, struct hc_error *e)
{
	int sv[2];

	c->fd = -1;
	c->pid = -1;
	c->deadline_ms = now_ms() + (long long)(t->timeout_s ? t->timeout_s : 30) * 1000;
	if (!t->spec || !*t->spec)
		return fail(e, HC_UNAVAILABLE, EINVAL, "no helper configured");

	if (strncmp(t->spec, HC_SOCKET_PREFIX, strlen(HC_SOCKET_PREFIX)) == 0) {
		const char *path = t->spec + strlen(HC_SOCKET_PREFIX);
		struct sockaddr_un sa;

		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		if (strlen(path) >= sizeof(sa.sun_path))
			return fail(e, HC_UNAVAILABLE, ENAMETOOLONG, "helper socket path too long");
		memcpy(sa.sun_path, path, strlen(path) + 1);
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			return fail(e, HC_UNAVAILABLE, errno, "cannot create a socket: %s", strerror(errno));
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			int err = errno;
			close(c->fd);
			c->fd = -1;
			return fail(e, HC_UNAVAILABLE, err, "cannot reach the helper service at %s: %s", path,
				    strerror(err));
		}
	} else {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
			return fail(e, HC_UNAVAILABLE, errno, "socketpair: %s", strerror(errno));
		c->pid = fork();
		if (c->pid < 0) {
			int err = errno;
			close(sv[0]);
			close(sv[1]);
			return fail(e, HC_UNAVAILABLE, err, "cannot fork the helper: %s", strerror(err));
		}
		if (c->pid == 0)
			exec_helper(t->spec, sv[1]);
		close(sv[1]);
		c->fd = sv[0];
	}
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

/* Close and reap: waits for the child until the deadline, then kills it.
 * Returns the child's wait status, or -1 (socket mode / unknown). */
static int hc_close(struct hc_conn *c, int kill_now)
{
	int status = -1;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->pid <= 0)
		return -1;
	if (kill_now)
		kill(c->pid, SIGKILL);
	for (;;) {
		pid_t w = waitpid(c->pid, &status, WNOHANG);
		if (w == c->pid)
			break;
		if (w < 0 && errno != EINTR) {
			status = -1; /* SIGCHLD ignored by our parent: reaped already */
			break;
		}
		if (w == 0 && now_ms() >= c->deadline_ms) {
			kill(c->pid, SIGKILL);
			while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		if (w == 0)
			usleep(1000);
	}
	c->pid = -1;
	return status;
}

/* Turn an early end of the conversation into a sentence. */
static int hc_gone(struct hc_conn *c, struct hc_error *e, const char *what)
{
	int st = hc_close(c, 0);

	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return fail(e, HC_UNAVAILABLE, ENOENT,
			    "cannot run the helper (exit 127: it is missing at the configured path)");
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 126)
		return fail(
		    e, HC_UNAVAILABLE, EACCES,
		    "cannot run the helper (exit 126: the web server user may not execute it; install "
		    "it root:%s 4750, or 0750 with setcap, and that user in group %s)",
		    CTD_HELPER_GROUP, CTD_HELPER_GROUP);
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) != 0)
		return fail(e, HC_UNAVAILABLE, 0, "helper refused: %s (exit %d)",
			    proto_exit_reason(WEXITSTATUS(st)), WEXITSTATUS(st));
	if (st != -1 && WIFSIGNALED(st))
		return fail(e, HC_UNAVAILABLE, 0, "helper died of signal %d while %s", WTERMSIG(st), what);
	return fail(e, HC_UNAVAILABLE, EPIPE, "helper closed the connection while %s", what);
}

/* Wait for fd to be ready for ev until the deadline; 0, or -ETIMEDOUT. */
static int hc_wait(struct hc_conn *c, short ev)
{
	for (;;) {
		long long left = c->deadline_ms - now_ms();
		struct pollfd p = {.fd = c->fd, .events = ev};
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

static int hc_send(struct hc_conn *c, uint16_t type, const void *payload, uint32_t len)
{
	struct ctd_frame_hdr h = {.len = len, .version = CTD_PROTO_VERSION, .type = type};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)payload, len}};
	struct msghdr m;
	size_t total = sizeof(h) + len, sent = 0;

	while (sent < total) {
		ssize_t w;
		int r;

		memset(&m, 0, sizeof(m));
		m.msg_iov = iov;
		m.msg_iovlen = len ? 2 : 1;
		/* MSG_NOSIGNAL: a dead helper must not SIGPIPE the CGI */
		w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			if ((r = hc_wait(c, POLLOUT)) != 0)
				return r;
			continue;
		}
		sent += (size_t)w;
		/* advance the iovecs */
		while (w > 0) {
			struct iovec *v = iov[0].iov_len ? &iov[0] : &iov[1];
			size_t step = (size_t)w < v->iov_len ? (size_t)w : v->iov_len;
			v->iov_base = (char *)v->iov_base + step;
			v->iov_len -= step;
			w -= (ssize_t)step;
		}
		if (iov[0].iov_len == 0 && len) {
			iov[0] = iov[1];
			iov[1].iov_len = 0;
			len = 0; /* only one iovec left */
		}
	}
	return 0;
}

/* Read exactly n bytes before the deadline; -EPIPE on EOF. */
static int hc_read(struct hc_conn *c, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(c->fd, (char *)buf + got, n - got);
		int w;

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if ((w = hc_wait(c, POLLIN)) != 0)
			return w;
	}
	return 0;
}

static int hc_io_fail(struct hc_conn *c, struct hc_error *e, int r, const char *what)
{
	if (r == -ETIMEDOUT) {
		hc_close(c, 1);
		return fail(e, HC_UNAVAILABLE, ETIMEDOUT, "helper timed out while %s", what);
	}
	return hc_gone(c, e, what);
}

/* Read one answer frame header, checked against the types valid here. */
static int hc_header(struct hc_conn *c, const struct proto_type_rule *rules, size_t n,
		     struct ctd_frame_hdr *h, struct hc_error *e)
{
	const struct proto_type_rule *rule;
	const char *why;
	int r;

	if ((r = hc_read(c, h, sizeof(*h))) != 0)
		return hc_io_fail(c, e, r, "answering");
	if (proto_check_header(h, rules, n, &rule, &why) != 0) {
		hc_close(c, 1);
		return fail(e, HC_PROTOCOL, EPROTO, "malformed answer from the helper: %s", why);
	}
	return 0;
}

static const char *errno_sentence(int err)
{
	switch (err) {
	case EPERM:
		return "the helper lacks CAP_NET_ADMIN";
	case ENOENT:
		return "no such conntrack entry";
	case EPROTONOSUPPORT:
	case EAFNOSUPPORT:
		return "conntrack netlink is not available (module nf_conntrack_netlink not loaded?)";
	case ENOMEM:
	case ENOBUFS:
		return "the kernel ran out of memory";
	case EBUSY:
		return "the entry is busy";
	default:
		return strerror(err);
	}
}

/* An ERROR frame ends any request: read it and turn it into *e. */
static int hc_error_frame(struct hc_conn *c, struct hc_error *e)
{
	struct ctd_error er;
	int r;

	if ((r = hc_read(c, &er, sizeof(er))) != 0)
		return hc_io_fail(c, e, r, "sending an error");
	hc_close(c, 0);
	er.msg[sizeof(er.msg) - 1] = 0;
	if (er.code == CTD_ERR_KERNEL)
		return fail(e, HC_KERNEL, er.err, "operation failed: %s (%s)", errno_sentence(er.err),
			    strerror(er.err));
	return fail(e, HC_PROTOCOL, er.err, "helper error %d: %s", er.code, er.msg);
}

int hc_dump(const struct hc_target *t, const struct ctd_dump_req *req, hc_record_cb cb, void *arg,
	    struct hc_error *e)
{
	static const struct proto_type_rule rules[] = {
	    {CTD_RSP_RECORDS, 0, 0, sizeof(struct ctd_record), CTD_RECORDS_PER_FRAME},
	    {CTD_RSP_END, sizeof(struct ctd_end), 0, 0, 0},
	    {CTD_RSP_ERROR, sizeof(struct ctd_error), 0, 0, 0},
	};
	static struct ctd_record recs[CTD_RECORDS_PER_FRAME];
	struct hc_conn c;
	struct ctd_frame_hdr h;
	uint32_t seen = 0;
	int r;

	memset(e, 0, sizeof(*e));
	if (hc_open(t, &c, e) != 0)
		return -1;
	if ((r = hc_send(&c, CTD_REQ_DUMP, req, sizeof(*req))) != 0)
		return hc_io_fail(&c, e, r, "reading the dump request");
	for (;;) {
		if (hc_header(&c, rules, 3, &h, e) != 0)
			return -1;
		if (h.type == CTD_RSP_ERROR)
			return hc_error_frame(&c, e);
		if (h.type == CTD_RSP_END) {
			struct ctd_end end;
			if ((r = hc_read(&c, &end, sizeof(end))) != 0)
				return hc_io_fail(&c, e, r, "ending the dump");
			hc_close(&c, 0);
			if (end.err)
				return fail(e, HC_KERNEL, end.err, "dump stopped early: %s",
					    errno_sentence(end.err));
			if (end.count != seen)
				return fail(e, HC_PROTOCOL, EPROTO, "helper sent %u records but counted %u",
					    seen, end.count);
			return 0;
		}
		if ((r = hc_read(&c, recs, h.len)) != 0)
			return hc_io_fail(&c, e, r, "dumping");
		for (uint32_t i = 0; i < h.len / sizeof(struct ctd_record); i++) {
			seen++;
			if (cb && cb(&recs[i], arg) != 0) {
				hc_close(&c, 1);
				return fail(e, HC_ABORTED, 0, "dump stopped by the caller");
			}
		}
	}
}

int hc_count(const struct hc_target *t, struct ctd_count *out, struct hc_error *e)
{
	static const struct proto_type_rule rules[] = {
	    {CTD_RSP_COUNT, sizeof(struct ctd_count), 0, 0, 0},
	    {CTD_RSP_ERROR, sizeof(struct ctd_error), 0, 0, 0},
	};
	struct hc_conn c;
	struct ctd_frame_hdr h;
	int r;

	memset(e, 0, sizeof(*e));
	if (hc_open(t, &c, e) != 0)
		return -1;
	if ((r = hc_send(&c, CTD_REQ_COUNT, NULL, 0)) != 0)
		return hc_io_fail(&c, e, r, "reading the count request");
	if (hc_header(&c, rules, 2, &h, e) != 0)
		return -1;
	if (h.type == CTD_RSP_ERROR)
		return hc_error_frame(&c, e);
	if ((r = hc_read(&c, out, sizeof(*out))) != 0)
		return hc_io_fail(&c, e, r, "counting");
	hc_close(&c, 0);
	return 0;
}

int hc_targets(const struct hc_target *t, uint16_t type, const struct ctd_target *targets, uint32_t n,
	       struct ctd_result *results, struct hc_error *e)
{
	static const struct proto_type_rule rules[] = {
	    {CTD_RSP_RESULTS, 0, 0, sizeof(struct ctd_result), CTD_MAX_TARGETS},
	    {CTD_RSP_END, sizeof(struct ctd_end), 0, 0, 0},
	    {CTD_RSP_ERROR, sizeof(struct ctd_error), 0, 0, 0},
	};
	struct ctd_targets_hdr th = {.count = n, .pad = 0};
	struct hc_conn c;
	struct ctd_frame_hdr h;
	uint32_t got = 0;
	size_t len;
	char *buf;
	int r;

	memset(e, 0, sizeof(*e));
	if (type != CTD_REQ_DESTROY && type != CTD_REQ_UPDATE_MARK && type != CTD_REQ_UPDATE_TIMEOUT)
		return fail(e, HC_PROTOCOL, EINVAL, "not a target request type: %u", (unsigned)type);
	if (n == 0 || n > CTD_MAX_TARGETS)
		return fail(e, HC_PROTOCOL, EINVAL, "between 1 and %u targets per request", CTD_MAX_TARGETS);
	len = sizeof(th) + (size_t)n * sizeof(*targets);
	buf = malloc(len);
	if (!buf)
		return fail(e, HC_UNAVAILABLE, ENOMEM, "out of memory");
	memcpy(buf, &th, sizeof(th));
	memcpy(buf + sizeof(th), targets, (size_t)n * sizeof(*targets));
	if (hc_open(t, &c, e) != 0) {
		free(buf);
		return -1;
	}
	r = hc_send(&c, type, buf, (uint32_t)len);
	free(buf);
	if (r != 0)
		return hc_io_fail(&c, e, r, "reading the request");
	for (;;) {
		if (hc_header(&c, rules, 3, &h, e) != 0)
			return -1;
		if (h.type == CTD_RSP_ERROR)
			return hc_error_frame(&c, e);
		if (h.type == CTD_RSP_END) {
			struct ctd_end end;
			if ((r = hc_read(&c, &end, sizeof(end))) != 0)
				return hc_io_fail(&c, e, r, "ending the request");
			hc_close(&c, 0);
			if (end.count != n || got != n)
				return fail(e, HC_PROTOCOL, EPROTO, "helper answered %u of %u targets", got,
					    n);
			return 0;
		}
		/* bounded by what we asked for: never write past results[n] */
		if (h.len / sizeof(struct ctd_result) > n - got) {
			hc_close(&c, 1);
			return fail(e, HC_PROTOCOL, EPROTO, "helper sent more results than targets");
		}
		if ((r = hc_read(&c, results + got, h.len)) != 0)
			return hc_io_fail(&c, e, r, "answering");
		for (uint32_t i = got; i < got + h.len / sizeof(struct ctd_result); i++)
			if (results[i].id != targets[i].id || results[i].status > CTD_RES_ERROR) {
				hc_close(&c, 1);
				return fail(e, HC_PROTOCOL, EPROTO,
					    "helper result %u does not match its target", i);
			}
		got += h.len / sizeof(struct ctd_result);
	}
}
