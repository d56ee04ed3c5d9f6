#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The web console (apache/console/) end to end: the real demo (apache/demo.sh:
Apache + ctd.cgi + setuid ctd-helper) in a private network namespace on a
random port, 1,004 made entries and one live TCP connection in that
namespace's conntrack table, and tests/browser/console-test.js driving
Debian's headless Chromium (playwright-core) against it from inside the
namespace.  Effects are checked in the kernel table with conntrack -L, by
the browser test as it goes and here once more at the end; the Top panel,
the health gauge and the History chart are checked against conntrack -L,
conntrack -C and nf_conntrack_max (the browser test makes and removes the
entries it needs for them).  Screenshots go to $CTD_TEST_OUT/console/."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import BUILD, TOP, T, Netns, need_root  # noqa: E402
from ctdbrowser import BrowserDemo, add_doc_addresses, ct_insert, drivers_parse, need_browser, shots_dir  # noqa: E402

t = T()
need_root(t)
need_browser(t, "web console")
OUT = shots_dir("console")
drivers_parse(t, *sorted(glob.glob(os.path.join(TOP, "apache", "console", "*.js"))), "console-test.js")

def make_entries():
    """1,000 IPv4 (700 tcp, 200 udp, 100 icmp) + 4 IPv6 udp.  Entry i: src
    198.51.100.(i%100+1), dst 203.0.113.(i/100+1), mark i%8, sport 20000+i;
    tcp and udp to ports 443 and 53, icmp echo with id i."""
    for i in range(1000):
        src, dst, m = f"198.51.100.{i % 100 + 1}", f"203.0.113.{i // 100 + 1}", i % 10
        base = ["-I", "-s", src, "-d", dst]
        tail = ["--timeout", str(1200 + i), "--mark", str(i % 8)]
        if m < 7:
            yield base + ["-p", "tcp", "--sport", str(20000 + i), "--dport", "443", "--state", "ESTABLISHED"] + tail
        elif m < 9:
            yield base + ["-p", "udp", "--sport", str(20000 + i), "--dport", "53"] + tail
        else:
            yield base + ["-p", "icmp", "--icmp-type", "8", "--icmp-code", "0", "--icmp-id", str(i)] + tail
    for i in range(4):
        yield ["-I", "-s", "2001:db8::1", "-d", "2001:db8::2", "-p", "udp", "--sport", str(21000 + i), "--dport", "53",
               "--timeout", "1200", "--mark", str(i)]


# A live TCP connection carrying 3 MiB, then idle: no packet re-creates the
# entry once it is killed.
LIVE_PY = r"""
import socket, sys, threading, time
ready, sport, dport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("192.0.2.1", dport)); srv.listen(1)
got = []
def serve():
    c, _ = srv.accept(); n = 0
    while n < 3 * 1048576:
        b = c.recv(65536)
        if not b: break
        n += len(b)
    c.sendall(b"ok"); got.append(c)
threading.Thread(target=serve, daemon=True).start()
cli = socket.socket(); cli.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
cli.bind(("192.0.2.2", sport)); cli.connect(("192.0.2.1", dport))
cli.sendall(b"x" * (3 * 1048576))
assert cli.recv(2) == b"ok"
open(ready, "w").write("ready\n")
time.sleep(900)
"""
LIVE_SPORT, LIVE_DPORT = 45678, 5555
FIXTURE = {"synthetic": 1004, "tcp": 700, "tcp_443": 700, "udp": 204, "ipv6": 4,
           "cidr": "203.0.113.0/30", "cidr_count": 300, "host": "198.51.100.7", "host_count": 10, "edit_sport": 20006,
           "kill_host": "198.51.100.4", "kill_host_count": 10, "mark5": 125, "first_sport": 20000,
           "auto_host": "198.51.100.250", "top_host": "198.51.100.222", "top_count": 1200}

with Netns(track=True) as ns:
    # addresses for the live connection, on the namespace's own loopback
    add_doc_addresses(ns)
    # one shell inside the namespace runs the 1,004 conntrack -I
    t.eq("1,004 entries made in the namespace", 1004, ct_insert(ns, make_entries()))

    ready = os.path.join(OUT, "live-ready")
    with open(os.path.join(OUT, "live.log"), "w") as log:
        ns.popen("python3", "-c", LIVE_PY, ready, str(LIVE_SPORT), str(LIVE_DPORT), stdout=log,
                 stderr=subprocess.STDOUT)  # killed with the namespace
    for _ in range(100):
        if os.path.exists(ready) and os.path.getsize(ready):
            break
        time.sleep(0.1)
    t.ok("live TCP connection established and 3 MiB sent", os.path.exists(ready) and os.path.getsize(ready))
    t.ok("conntrack -L shows it ESTABLISHED",
         "ESTABLISHED" in ns.ct("-L", "-p", "tcp", "--sport", str(LIVE_SPORT), check=False).stdout)

    # ---- the demo, private: own directory, random port and passwords ----
    with BrowserDemo(t, ns, OUT) as demo:
        # ---- the browser test, inside the namespace ----
        # ctgen (tests/tools/ctgen.c) adds 100,000 entries for the last admin step
        ctgen = os.path.join(BUILD, "tools", "ctgen")
        # the demo's database (from its generated ctd.conf), to expire sessions
        m = re.search(r"^database *= *(.*)$", open(demo.conf).read(), re.M)
        demo.drive("console-test.js", CTD_CTGEN=ctgen if os.access(ctgen, os.X_OK) else "",
                   CTD_DB=m.group(1).strip() if m and shutil.which("sqlite3") else "",
                   CTD_LIVE_SPORT=str(LIVE_SPORT), CTD_LIVE_DPORT=str(LIVE_DPORT), CTD_FIXTURE=json.dumps(FIXTURE))

        # ---- the kernel table afterwards, checked once more from here ----
        # by address too: ctgen's 100k entries reuse these ports
        def ct_entry(src, sport):
            return ns.ct("-L", "-p", "tcp", "-s", src, "--sport", str(sport), check=False).stdout.strip()

        t.eq("afterwards: the live connection is not in conntrack -L", "", ct_entry("192.0.2.2", LIVE_SPORT))
        t.eq("afterwards: the edited entry carries mark 4294967280", ["mark=4294967280"],
             re.findall(r"mark=[0-9]*", ct_entry("198.51.100.7", 20006)))
        t.eq("afterwards: the 3 killed entries are gone", "",
             "".join(ct_entry("198.51.100.4", p) for p in (20003, 20103, 20203)))
        t.eq("afterwards: the other 7 of that host remain", 7,
             ns.ct("-L", "-p", "tcp", "-s", "198.51.100.4", check=False).stdout.count("ESTABLISHED"))
        demo.check_error_logs()
t.done()
