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
from ctdftp import FtpExpectation  # noqa: E402

t = T()
need_root(t)
BROWSER_DIR = os.path.join(TOP, "tests", "browser")
OUT = os.path.join(TEST_OUT, "ops")
DEMO = os.path.join(TOP, "apache", "demo.sh")
if not os.access("/usr/bin/chromium", os.X_OK):
    t.skip("console tabs", "Debian's chromium is not installed (make deps)")
    t.done()
if not shutil.which("node") or not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
    t.skip("console tabs", "node or playwright-core missing (make deps runs npm ci in tests/browser)")
    t.done()
for c in ("apache2", "htpasswd", "openssl", "python3", "curl", "nft"):
    if not shutil.which(c) and not os.access(f"/usr/sbin/{c}", os.X_OK):
        t.skip("console tabs", f"{c} missing (make deps)")
        t.done()
shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
t.ok("ops-test.js parses", subprocess.run(["node", "--check", os.path.join(BROWSER_DIR, "ops-test.js")],
                                          capture_output=True).returncode == 0)

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


demo_dir = tempfile.mkdtemp(prefix="ctd-ops.", dir="/var/tmp")
os.chmod(demo_dir, 0o755)
demo_env = None
ftp = None
try:
    with Netns(track=True) as ns:
        # the Live tab's connection runs between these (outside 127/8, hidden by ctd)
        ns.run("ip", "addr", "add", "192.0.2.1/32", "dev", "lo")
        ns.run("ip", "addr", "add", "192.0.2.2/32", "dev", "lo")
        lines = list(make_entries())
        made = ns.run("bash", "-c", 'n=0; while read -r a; do conntrack $a 2>/dev/null && n=$((n + 1)); done; echo $n',
                      input="".join(" ".join(a) + "\n" for a in lines), check=False).stdout.strip()
        t.eq(f"{len(lines)} entries made in the namespace", str(len(lines)), made)
        ftp = FtpExpectation(ns)
        have_ftp = t.ok("an FTP expectation exists (conntrack -L expect)", ftp.wait())
        expect_line = (ftp.listed() or [""])[0]

        port = 20000 + random.randrange(20000)
        admin_pw, viewer_pw = secrets.token_hex(12), secrets.token_hex(12)
        demo_env = dict(os.environ, DEMO_DIR=demo_dir, DEMO_NETNS=ns.name, DEMO_PORT=str(port), DEMO_TRAFFIC="0",
                        DEMO_ADMIN_PASSWORD=admin_pw, DEMO_VIEWER_PASSWORD=viewer_pw)
        with open(os.path.join(OUT, "demo-start.log"), "w") as log:
            started = subprocess.run([DEMO, "start"], env=demo_env, stdout=log, stderr=subprocess.STDOUT).returncode
        if not t.ok(f"demo starts in {ns.name} on port {port}", started == 0):
            tail = open(os.path.join(OUT, "demo-start.log"), errors="replace").read().splitlines()[-20:]
            print("\n".join("#   " + line for line in tail))
            t.done()
        before = ns.ct("-L", check=False).stdout

        # ctgen (tests/tools/ctgen.c, make tools) makes the Live tab's burst
        ctgen = os.path.join(BUILD, "tools", "ctgen")
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
        env.update(NODE_PATH=os.path.join(BROWSER_DIR, "node_modules"), CTD_URL=f"https://127.0.0.1:{port}/ctd/",
                   CTD_ADMIN_PASSWORD=admin_pw, CTD_VIEWER_PASSWORD=viewer_pw, CTD_SHOT_DIR=OUT,
                   CTD_CTGEN=ctgen if os.access(ctgen, os.X_OK) else "", CTD_FIXTURE=json.dumps(FIXTURE), CTD_CONF=os.path.join(demo_dir, "etc", "ctd.conf"), CTD_FTP=json.dumps({
                       "have": bool(have_ftp), "line": expect_line, "server": ftp.server, "client": ftp.client,
                       "data_port": ftp.data_port}))
        start = time.monotonic()
        browser_log = os.path.join(OUT, "browser.log")
        with open(browser_log, "w") as log:
            rc = subprocess.run(ns.cmd("timeout", "400", "node", os.path.join(BROWSER_DIR, "ops-test.js")),
                                env=env, stdout=log, stderr=subprocess.STDOUT).returncode
        print(f"# browser test: exit {rc}, {time.monotonic() - start:.0f} s (log: {browser_log})")
        out = open(browser_log, errors="replace").read().splitlines()
        print("\n".join(line for line in out if not re.match(r"^[0-9]+ passed, [0-9]+ failed", line)), flush=True)
        sums = [m for m in (re.match(r"^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$", x) for x in out) if m]
        if not sums:
            t.ok(f"browser test ran to its summary (exit {rc})", False)
        else:
            bp, bf, bs = (int(x) for x in sums[-1].groups())
            t.passed, t.failed, t.skipped = t.passed + bp, t.failed + bf, t.skipped + bs
            t.eq("browser test exit status matches its failures", 0 if bf == 0 else 1, rc)
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
        errlogs = glob.glob(os.path.join(demo_dir, "log", "*error.log"))
        t.ok("afterwards: Apache's error log has no CGI crash",
             not any(re.search(r"segfault|premature end of script", open(f, errors="replace").read(), re.I)
                     for f in errlogs))
        for f in errlogs:
            shutil.copy(f, OUT)
        ftp.close()
        ftp = None
finally:
    if ftp:
        ftp.close()
    if demo_env:
        subprocess.run([DEMO, "stop"], env=demo_env, capture_output=True)
    shutil.rmtree(demo_dir, ignore_errors=True)
t.done()
