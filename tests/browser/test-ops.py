#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The console's tabs and bulk actions end to end (issues 15 and 16): the
real demo (apache/demo.sh, DEMO_TRAFFIC=0) in a private network namespace
on a random port, entries made there with conntrack -I, a real FTP
expectation (tests/lib/ctdftp.py), and tests/browser/ops-test.js driving
Debian's headless Chromium from inside the namespace: "Kill all matching"
on one source (the dialog's count and sample, then conntrack -L: those
gone, the rest intact), the Audit tab listing it under the user's name,
the Live tab showing a TCP connection the test opens (within 2 s) and its
close with final bytes, the Expectations tab listing the FTP expectation
and leading to its master, the new filter fields, and a viewer seeing
neither the kill nor the Audit tab.  A step whose server method is
missing (an older ctd.cgi: fault -506) is skipped and says so.
Screenshots go to $CTD_TEST_OUT/ops/."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import BUILD, T, Netns, need_root  # noqa: E402
from ctdbrowser import BrowserDemo, add_doc_addresses, ct_insert, drivers_parse, need_browser, shots_dir  # noqa: E402
from ctdftp import FtpExpectation  # noqa: E402

t = T()
need_root(t)
need_browser(t, "console tabs", "nft")
OUT = shots_dir("ops")
drivers_parse(t, "ops-test.js")

# The kill target: 12 tcp entries from KILL_HOST; beside it 30 entries from
# 6 other sources (5 each), one of them with a reply tuple NAT'ed to
# 10.9.9.9:8080, marks 0..4, ports 443/80.
KILL_HOST, KILL_N = "198.51.100.66", 12
FIXTURE = {"kill_host": KILL_HOST, "kill_n": KILL_N, "others": 30, "nat_src": "198.51.100.71",
           "nat_to": "10.9.9.9", "nat_port": 8080}


def make_entries():
    for i in range(KILL_N):
        yield ["-I", "-s", KILL_HOST, "-d", f"203.0.113.{i % 3 + 1}", "-p", "tcp", "--sport", str(30000 + i),
               "--dport", "443", "--state", "ESTABLISHED", "--timeout", "1200", "--mark", str(i % 5)]
    for k in range(6):
        for i in range(5):
            src = f"198.51.100.{70 + k}"
            a = ["-I", "-s", src, "-d", "203.0.113.9", "-p", "tcp", "--sport", str(31000 + 10 * k + i),
                 "--dport", "443" if i % 2 == 0 else "80", "--state", "ESTABLISHED", "--timeout", "1200",
                 "--mark", str(i)]
            if src == FIXTURE["nat_src"]:
                a += ["--dst-nat", f"{FIXTURE['nat_to']}:{FIXTURE['nat_port']}"]
            yield a


ftp = None
try:
    with Netns(track=True) as ns:
        # the Live tab's connection runs between these (outside 127/8, hidden by ctd)
        add_doc_addresses(ns)
        lines = list(make_entries())
        t.eq(f"{len(lines)} entries made in the namespace", len(lines), ct_insert(ns, lines))
        ftp = FtpExpectation(ns)
        have_ftp = t.ok("an FTP expectation exists (conntrack -L expect)", ftp.wait())
        expect_line = (ftp.listed() or [""])[0]

        with BrowserDemo(t, ns, OUT) as demo:
            # ctgen (tests/tools/ctgen.c, make tools) makes the Live tab's burst
            ctgen = os.path.join(BUILD, "tools", "ctgen")
            out = demo.drive("ops-test.js", timeout=400, CTD_CTGEN=ctgen if os.access(ctgen, os.X_OK) else "",
                             CTD_FIXTURE=json.dumps(FIXTURE), CTD_CONF=demo.conf, CTD_FTP=json.dumps({
                                 "have": bool(have_ftp), "line": expect_line, "server": ftp.server,
                                 "client": ftp.client, "data_port": ftp.data_port}))
            if out is not None:
                killed = any(line.startswith("ok - kill_matching answered") for line in out)

                # ---- the kernel's table afterwards, checked once more from here ----
                host = ns.ct("-L", "-s", KILL_HOST, check=False).stdout.count("ESTABLISHED")
                other_lines = [line for k in range(6)
                               for line in ns.ct("-L", "-s", f"198.51.100.{70 + k}", check=False).stdout.splitlines()
                               if "src=" in line]
                if killed:
                    t.eq(f"afterwards: conntrack -L -s {KILL_HOST} lists none", 0, host)
                else:
                    t.skip("afterwards: the killed source", "the browser test did not kill (kill_matching missing?)")
                if not t.eq("afterwards: the 30 entries of the other sources remain", 30, len(other_lines)):
                    print("\n".join("#   " + line for line in other_lines))
            demo.check_error_logs()
        ftp.close()
        ftp = None
finally:
    if ftp:
        ftp.close()
t.done()
