// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * helper_client.c - the CGI's client of ctd-helper (see helper_client.h).
 * Spawns the helper over a socketpair (or connects to the socket-activated
 * service), sends one request, reads the answer frames with a deadline,
 * and always reaps the child (the conversation, hc_talk.h); then one short
 * talk per request type.  The events window, which decides when an EVENTS
 * conversation ends, is events_window.c's.  Nothing here holds privilege.
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
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctd_errtext.h"
#include "ctd_exit.h"
#include "hc_talk.h"
#include "helper_client.h"

#define HC_SOCKET_PREFIX "unix:"

struct hc_conn {
	int fd;
	pid_t pid; /* -1 in socket mode */
	long long deadline_ms;
};

int hc_fail(struct hc_error *e, int kind, int err, const char *fmt, ...)
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
	c->deadline_ms = proto_now_ms() + (long long)(t->timeout_s ? t->timeout_s : 30) * 1000;
	if (!t->spec || !*t->spec)
		return hc_fail(e, HC_UNAVAILABLE, EINVAL, "no helper configured");

	if (strncmp(t->spec, HC_SOCKET_PREFIX, strlen(HC_SOCKET_PREFIX)) == 0) {
		const char *path = t->spec + strlen(HC_SOCKET_PREFIX);
		struct sockaddr_un sa;

		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		if (strlen(path) >= sizeof(sa.sun_path))
			return hc_fail(e, HC_UNAVAILABLE, ENAMETOOLONG, "helper socket path too long");
		memcpy(sa.sun_path, path, strlen(path) + 1);
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			return hc_fail(e, HC_UNAVAILABLE, errno, "cannot create a socket: %s",
				       strerror(errno));
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			int err = errno;
			close(c->fd);
			c->fd = -1;
			return hc_fail(e, HC_UNAVAILABLE, err, "cannot reach the helper service at %s: %s",
				       path, strerror(err));
		}
	} else {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
			return hc_fail(e, HC_UNAVAILABLE, errno, "socketpair: %s", strerror(errno));
		c->pid = fork();
		if (c->pid < 0) {
			int err = errno;
			close(sv[0]);
			close(sv[1]);
			return hc_fail(e, HC_UNAVAILABLE, err, "cannot fork the helper: %s", strerror(err));
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
int hc_close(struct hc_conn *c, int kill_now)
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
		if (w == 0 && proto_now_ms() >= c->deadline_ms) {
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
		return hc_fail(e, HC_UNAVAILABLE, ENOENT,
			       "cannot run the helper (exit 127: it is missing at the configured path)");
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 126)
		return hc_fail(
		    e, HC_UNAVAILABLE, EACCES,
		    "cannot run the helper (exit 126: the web server user may not execute it; install "
		    "it root:%s 4750, or 0750 with setcap, and that user in group %s)",
		    CTD_HELPER_GROUP, CTD_HELPER_GROUP);
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) != 0)
		return hc_fail(e, HC_UNAVAILABLE, 0, "helper refused: %s (exit %d)",
			       proto_exit_reason(WEXITSTATUS(st)), WEXITSTATUS(st));
	if (st != -1 && WIFSIGNALED(st))
		return hc_fail(e, HC_UNAVAILABLE, 0, "helper died of signal %d while %s", WTERMSIG(st), what);
	return hc_fail(e, HC_UNAVAILABLE, EPIPE, "helper closed the connection while %s", what);
}

static int hc_io_fail(struct hc_conn *c, struct hc_error *e, int r, const char *what)
{
	if (r == -ETIMEDOUT) {
		hc_close(c, 1);
		return hc_fail(e, HC_UNAVAILABLE, ETIMEDOUT, "helper timed out while %s", what);
	}
	return hc_gone(c, e, what);
}

/* Read n payload bytes of the current frame before the deadline. */
int hc_read(struct hc_conn *c, void *buf, size_t n, struct hc_error *e, const char *what)
{
	int r = proto_read_until(c->fd, buf, n, c->deadline_ms);

	return r ? hc_io_fail(c, e, r, what) : 0;
}

/* An ERROR frame ends any request: read it and turn it into *e. */
static int hc_error_frame(struct hc_conn *c, struct hc_error *e, int op)
{
	struct ctd_error er;
	char msg[256];

	if (hc_read(c, &er, sizeof(er), e, "sending an error") != 0)
		return -1;
	hc_close(c, 0);
	er.msg[sizeof(er.msg) - 1] = 0;
	if (er.code != CTD_ERR_KERNEL)
		return hc_fail(e, HC_PROTOCOL, er.err, "helper error %d: %s", er.code, er.msg);
	ct_errmsg(op, er.err, msg, sizeof(msg));
	return hc_fail(e, HC_KERNEL, er.err, "operation failed: %s", msg);
}

int hc_converse(const struct hc_target *t, uint16_t type, const void *payload, uint32_t len,
		const struct hc_talk *k, struct hc_error *e)
{
	const struct proto_type_rule *rule;
	struct ctd_frame_hdr h;
	struct hc_conn c;
	const char *why;
	int r;

	memset(e, 0, sizeof(*e));
	if (hc_open(t, &c, e) != 0)
		return -1;
	if ((r = proto_send_until(c.fd, type, payload, len, c.deadline_ms)) != 0)
		return hc_io_fail(&c, e, r, "reading the request");
	for (;;) {
		if (hc_read(&c, &h, sizeof(h), e, k->what) != 0)
			return -1;
		if (proto_check_header(&h, k->rules, k->nrules, &rule, &why) != 0) {
			hc_close(&c, 1);
			return hc_fail(e, HC_PROTOCOL, EPROTO, "malformed answer from the helper: %s", why);
		}
		if (h.type == CTD_RSP_ERROR)
			return hc_error_frame(&c, e, k->op);
		if (h.type == k->fin_type) {
			if (hc_read(&c, k->fin, k->fin_len, e, k->what) != 0)
				return -1;
			hc_close(&c, 0);
			return 0;
		}
		if ((r = k->on_data(&c, &h, k->arg, e)) < 0)
			return -1;
		if (r > 0) {
			/* the caller ended the conversation (an events window
			 * is over): the helper leaves at its next send */
			hc_close(&c, 0);
			return 0;
		}
	}
}

struct dump_talk {
	hc_record_cb cb;
	void *arg;
	uint32_t seen;
};

static int dump_data(struct hc_conn *c, const struct ctd_frame_hdr *h, void *arg, struct hc_error *e)
{
	static struct ctd_record recs[CTD_RECORDS_PER_FRAME];
	struct dump_talk *d = arg;
	uint32_t i;

	if (hc_read(c, recs, h->len, e, "dumping") != 0)
		return -1;
	for (i = 0; i < h->len / sizeof(struct ctd_record); i++) {
		d->seen++;
		if (d->cb && d->cb(&recs[i], d->arg) != 0) {
			hc_close(c, 1);
			return hc_fail(e, HC_ABORTED, 0, "dump stopped by the caller");
		}
	}
	return 0;
}

int hc_dump(const struct hc_target *t, const struct ctd_dump_req *req, hc_record_cb cb, void *arg,
	    struct hc_error *e)
{
	static const struct proto_type_rule rules[] = {
	    {CTD_RSP_RECORDS, 0, 0, sizeof(struct ctd_record), CTD_RECORDS_PER_FRAME},
	    HC_END_RULE,
	    HC_ERROR_RULE,
	};
	struct dump_talk d = {cb, arg, 0};
	struct ctd_end end;
	struct hc_talk k = {CT_OP_DUMP, rules, 3, CTD_RSP_END, &end, sizeof(end), dump_data, &d, "dumping"};
	char msg[256];

	if (hc_converse(t, CTD_REQ_DUMP, req, sizeof(*req), &k, e) != 0)
		return -1;
	if (end.err) {
		ct_errmsg(CT_OP_DUMP, end.err, msg, sizeof(msg));
		return hc_fail(e, HC_KERNEL, end.err, "dump stopped early: %s", msg);
	}
	if (end.count != d.seen)
		return hc_fail(e, HC_PROTOCOL, EPROTO, "helper sent %u records but counted %u", d.seen,
			       end.count);
	return 0;
}

int hc_count(const struct hc_target *t, struct ctd_count *out, struct hc_error *e)
{
	static const struct proto_type_rule rules[] = {
	    {CTD_RSP_COUNT, sizeof(struct ctd_count), 0, 0, 0},
	    HC_ERROR_RULE,
	};
	struct hc_talk k = {CT_OP_COUNT, rules, 2, CTD_RSP_COUNT, out, sizeof(*out), NULL, NULL, "counting"};

	return hc_converse(t, CTD_REQ_COUNT, NULL, 0, &k, e);
}

int hc_stats(const struct hc_target *t, struct ctd_stats *out, struct hc_error *e)
{
	static const struct proto_type_rule rules[] = {
	    {CTD_RSP_STATS, sizeof(struct ctd_stats), 0, 0, 0},
	    HC_ERROR_RULE,
	};
	struct hc_talk k = {CT_OP_COUNT, rules, 2, CTD_RSP_STATS, out, sizeof(*out), NULL, NULL, "counting"};

	return hc_converse(t, CTD_REQ_STATS, NULL, 0, &k, e);
}

struct targets_talk {
	const struct ctd_target *targets;
	struct ctd_result *results;
	uint32_t n, got;
};

static int targets_data(struct hc_conn *c, const struct ctd_frame_hdr *h, void *arg, struct hc_error *e)
{
	struct targets_talk *tt = arg;
	uint32_t i, k = h->len / sizeof(struct ctd_result);

	/* bounded by what we asked for: never write past results[n] */
	if (k > tt->n - tt->got) {
		hc_close(c, 1);
		return hc_fail(e, HC_PROTOCOL, EPROTO, "helper sent more results than targets");
	}
	if (hc_read(c, tt->results + tt->got, h->len, e, "answering") != 0)
		return -1;
	for (i = tt->got; i < tt->got + k; i++)
		if (tt->results[i].id != tt->targets[i].id || tt->results[i].status > CTD_RES_ERROR) {
			hc_close(c, 1);
			return hc_fail(e, HC_PROTOCOL, EPROTO, "helper result %u does not match its target",
				       i);
		}
	tt->got += k;
	return 0;
}

static int target_op(uint16_t type)
{
	return type == CTD_REQ_DESTROY || type == CTD_REQ_EXPECT_DESTROY ? CT_OP_DESTROY
	       : type == CTD_REQ_UPDATE_MARK				 ? CT_OP_MARK
									 : CT_OP_TIMEOUT;
}

int hc_targets(const struct hc_target *t, uint16_t type, const struct ctd_target *targets, uint32_t n,
	       struct ctd_result *results, struct hc_error *e)
{
	static const struct proto_type_rule rules[] = {
	    {CTD_RSP_RESULTS, 0, 0, sizeof(struct ctd_result), CTD_MAX_TARGETS},
	    HC_END_RULE,
	    HC_ERROR_RULE,
	};
	struct ctd_targets_hdr th = {.count = n, .pad = 0};
	struct targets_talk tt = {targets, results, n, 0};
	struct ctd_end end;
	struct hc_talk k = {target_op(type), rules,	   3,	CTD_RSP_END, &end,
			    sizeof(end),     targets_data, &tt, "answering"};
	size_t len;
	char *buf;
	int r;

	memset(e, 0, sizeof(*e));
	if (type != CTD_REQ_DESTROY && type != CTD_REQ_UPDATE_MARK && type != CTD_REQ_UPDATE_TIMEOUT &&
	    type != CTD_REQ_EXPECT_DESTROY)
		return hc_fail(e, HC_PROTOCOL, EINVAL, "not a target request type: %u", (unsigned)type);
	if (n == 0 || n > CTD_MAX_TARGETS)
		return hc_fail(e, HC_PROTOCOL, EINVAL, "between 1 and %u targets per request",
			       CTD_MAX_TARGETS);
	len = sizeof(th) + (size_t)n * sizeof(*targets);
	if (!(buf = malloc(len)))
		return hc_fail(e, HC_UNAVAILABLE, ENOMEM, "out of memory");
	memcpy(buf, &th, sizeof(th));
	memcpy(buf + sizeof(th), targets, (size_t)n * sizeof(*targets));
	r = hc_converse(t, type, buf, (uint32_t)len, &k, e);
	free(buf);
	if (r != 0)
		return -1;
	if (end.count != n || tt.got != n)
		return hc_fail(e, HC_PROTOCOL, EPROTO, "helper answered %u of %u targets", tt.got, n);
	return 0;
}

struct expect_talk {
	struct ctd_expect *v;
	uint32_t n, cap;
};

static int expect_data(struct hc_conn *c, const struct ctd_frame_hdr *h, void *arg, struct hc_error *e)
{
	struct expect_talk *x = arg;
	uint32_t k = h->len / sizeof(struct ctd_expect);

	if (x->n + k > x->cap) {
		uint32_t cap = x->cap ? x->cap : 256;
		struct ctd_expect *v;
		while (cap < x->n + k)
			cap *= 2;
		if (!(v = realloc(x->v, (size_t)cap * sizeof(*v)))) {
			hc_close(c, 1);
			return hc_fail(e, HC_UNAVAILABLE, ENOMEM, "out of memory");
		}
		x->v = v;
		x->cap = cap;
	}
	if (hc_read(c, x->v + x->n, h->len, e, "dumping expectations") != 0)
		return -1;
	x->n += k;
	return 0;
}

int hc_expect_dump(const struct hc_target *t, struct ctd_expect **out, uint32_t *n, struct hc_error *e)
{
	static const struct proto_type_rule rules[] = {
	    {CTD_RSP_EXPECTS, 0, 0, sizeof(struct ctd_expect), CTD_RECORDS_PER_FRAME},
	    HC_END_RULE,
	    HC_ERROR_RULE,
	};
	struct expect_talk x = {NULL, 0, 0};
	struct ctd_end end;
	struct hc_talk k = {CT_OP_DUMP,	 rules,	      3,  CTD_RSP_END,		 &end,
			    sizeof(end), expect_data, &x, "dumping expectations"};
	uint32_t i;

	*out = NULL;
	*n = 0;
	if (hc_converse(t, CTD_REQ_EXPECT_DUMP, NULL, 0, &k, e) != 0) {
		free(x.v);
		return -1;
	}
	if (end.count != x.n) {
		free(x.v);
		return hc_fail(e, HC_PROTOCOL, EPROTO, "helper sent %u expectations but counted %u", x.n,
			       end.count);
	}
	/* the helper's name is used as a C string: terminate it whatever came */
	for (i = 0; i < x.n; i++)
		x.v[i].helper[CTD_HELPER_NAME_MAX - 1] = 0;
	*out = x.v;
	*n = x.n;
	return 0;
}
