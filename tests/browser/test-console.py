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
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import BUILD, OUT as TEST_OUT, TOP, T, Netns, need_root  # noqa: E402

t = T()
need_root(t)
BROWSER_DIR = os.path.join(TOP, "tests", "browser")
OUT = os.path.join(TEST_OUT, "console")
DEMO = os.path.join(TOP, "apache", "demo.sh")
if not os.access("/usr/bin/chromium", os.X_OK):
    t.skip("web console", "Debian's chromium is not installed (make deps)")
    t.done()
if not shutil.which("node") or not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
    t.skip("web console", "node or playwright-core missing (make deps runs npm ci in tests/browser)")
    t.done()
for c in ("apache2", "htpasswd", "openssl", "python3", "curl"):
    if not shutil.which(c) and not os.access(f"/usr/sbin/{c}", os.X_OK):
        t.skip("web console", f"{c} missing (make deps)")
        t.done()
shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
for f in sorted(glob.glob(os.path.join(TOP, "apache", "console", "*.js"))) + [os.path.join(BROWSER_DIR,
                                                                                          "console-test.js")]:
    t.ok(f"{os.path.basename(f)} parses", subprocess.run(["node", "--check", f], capture_output=True).returncode == 0)


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

demo_dir = tempfile.mkdtemp(prefix="ctd-console.", dir="/var/tmp")
os.chmod(demo_dir, 0o755)
demo_env = None
try:
    with Netns(track=True) as ns:
        # addresses for the live connection: the documentation range, on this
        # namespace's own loopback (traffic never leaves it), and outside
        # 127.0.0.0/8, which ctd hides by default
        ns.run("ip", "addr", "add", "192.0.2.1/32", "dev", "lo")
        ns.run("ip", "addr", "add", "192.0.2.2/32", "dev", "lo")
        # one shell inside the namespace runs the 1,004 conntrack -I
        made = ns.run("bash", "-c", 'n=0; while read -r a; do conntrack $a 2>/dev/null && n=$((n + 1)); done; echo $n',
                      input="".join(" ".join(a) + "\n" for a in make_entries()), check=False).stdout.strip()
        t.eq("1,004 entries made in the namespace", "1004", made)

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
        port = 20000 + random.randrange(20000)
        admin_pw, viewer_pw = secrets.token_hex(12), secrets.token_hex(12)
        demo_env = dict(os.environ, DEMO_DIR=demo_dir, DEMO_NETNS=ns.name, DEMO_PORT=str(port), DEMO_TRAFFIC="0",
                        DEMO_ADMIN_PASSWORD=admin_pw, DEMO_VIEWER_PASSWORD=viewer_pw)
        with open(os.path.join(OUT, "demo-start.log"), "w") as log:
            started = subprocess.run([DEMO, "start"], env=demo_env, stdout=log, stderr=subprocess.STDOUT).returncode
        if not t.ok(f"demo starts in {ns.name} on port {port}", started == 0):
            tail = open(os.path.join(OUT, "demo-start.log"), errors="replace").read().splitlines()[-20:]
            print("\n".join("#   " + line for line in tail))
            t.done()  # the namespace and the demo are removed on the way out

        # ---- the browser test, inside the namespace ----
        # ctgen (tests/tools/ctgen.c) adds 100,000 entries for the last admin step
        ctgen = os.path.join(BUILD, "tools", "ctgen")
        ctgen = ctgen if os.access(ctgen, os.X_OK) else ""
        # the demo's database (from its generated ctd.conf), to expire sessions
        m = re.search(r"^database *= *(.*)$", open(os.path.join(demo_dir, "etc", "ctd.conf")).read(), re.M)
        db = m.group(1).strip() if m and shutil.which("sqlite3") else ""
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
        env.update(NODE_PATH=os.path.join(BROWSER_DIR, "node_modules"), CTD_URL=f"https://127.0.0.1:{port}/ctd/",
                   CTD_ADMIN_PASSWORD=admin_pw, CTD_VIEWER_PASSWORD=viewer_pw, CTD_SHOT_DIR=OUT, CTD_CTGEN=ctgen,
                   CTD_DB=db, CTD_LIVE_SPORT=str(LIVE_SPORT), CTD_LIVE_DPORT=str(LIVE_DPORT),
                   CTD_FIXTURE=json.dumps(FIXTURE))
        start = time.monotonic()
        browser_log = os.path.join(OUT, "browser.log")
        with open(browser_log, "w") as log:
            rc = subprocess.run(ns.cmd("timeout", "600", "node", os.path.join(BROWSER_DIR, "console-test.js")),
                                env=env, stdout=log, stderr=subprocess.STDOUT).returncode
        print(f"# browser test: exit {rc}, {time.monotonic() - start:.0f} s (log: {browser_log})")
        lines = open(browser_log, errors="replace").read().splitlines()
        print("\n".join(line for line in lines if not re.match(r"^[0-9]+ passed, [0-9]+ failed", line)), flush=True)
        sums = [m for m in (re.match(r"^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$", x) for x in lines) if m]
        if not sums:
            t.ok(f"browser test ran to its summary (exit {rc})", False)
        else:
            bp, bf, bs = (int(x) for x in sums[-1].groups())
            t.passed, t.failed, t.skipped = t.passed + bp, t.failed + bf, t.skipped + bs
            t.eq("browser test exit status matches its failures", 0 if bf == 0 else 1, rc)

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
        errlogs = glob.glob(os.path.join(demo_dir, "log", "*error.log"))
        t.ok("afterwards: Apache's error log has no CGI crash",
             not any(re.search(r"segfault|premature end of script", open(f, errors="replace").read(), re.I)
                     for f in errlogs))
        for f in errlogs:
            shutil.copy(f, OUT)
finally:
    if demo_env:
        subprocess.run([DEMO, "stop"], env=demo_env, capture_output=True)
    shutil.rmtree(demo_dir, ignore_errors=True)
t.done()
