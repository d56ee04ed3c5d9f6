// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctd-fixed-cgi - the trivial CGI of benchmark figure 5: reads the request
 * body as any CGI must (CONTENT_LENGTH bytes, at most 1 MiB like ctd.cgi),
 * then prints one fixed XML-RPC response (a view-shaped struct with an empty
 * table).  Served by the same Apache, site configuration and client as
 * ctd.cgi, it measures what Apache + mod_cgid + TLS + auth cost on their own,
 * so the ratio shows ctd's own share of a small view.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIXED_BODY_MAX (1024 * 1024)

static const char response[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
    "<methodResponse><params><param><value><struct>"
    "<member><name>total</name><value><i4>100</i4></value></member>"
    "<member><name>start</name><value><i4>0</i4></value></member>"
    "<member><name>table</name><value><array><data></data></array></value></member>"
    "<member><name>snapshot_time</name><value><double>0</double></value></member>"
    "<member><name>interval</name><value><double>0</double></value></member>"
    "<member><name>accounting</name><value><boolean>1</boolean></value></member>"
    "</struct></value></param></params></methodResponse>\r\n";

int main(void)
{
	const char *cl = getenv("CONTENT_LENGTH");
	unsigned long want = 0, got = 0;
	char buf[65536];
	char *end;

	if (cl) {
		errno = 0;
		want = strtoul(cl, &end, 10);
		if (errno || end == cl || *end || want > FIXED_BODY_MAX)
			want = 0;
	}
	/* drain the body so that Apache never sees a broken pipe */
	while (got < want) {
		size_t chunk = want - got < sizeof(buf) ? want - got : sizeof(buf);
		ssize_t r = read(0, buf, chunk);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (unsigned long)r;
	}
	printf("Status: 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %zu\r\n\r\n%s", sizeof(response) - 1,
	       response);
	return fflush(stdout) == 0 ? 0 : 1;
}
