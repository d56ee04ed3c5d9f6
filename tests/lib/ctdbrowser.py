# SPDX-License-Identifier: GPL-2.0-or-later
"""What the browser tests (tests/browser/test-*) share: the checks that they
can run at all, their output folder, the demo (tests/lib/ctddemo.py,
DEMO_TRAFFIC=0) in their private namespace, and one of their JS drivers
(tests/browser/*-test.js on tests/browser/driver.js) run in Debian's
headless Chromium inside that namespace, its checks counted in the harness.

    t = T()
    need_root(t)
    need_browser(t, "console tabs", "nft")    # skips the file without chromium, node, ...
    out = shots_dir("ops")                    # $CTD_TEST_OUT/ops/, emptied
    drivers_parse(t, "ops-test.js")
    with Netns(track=True) as ns:
        ...                                   # the namespace's table, as the test needs it
        with BrowserDemo(t, ns, out) as demo: # one check: it starts; stopped on the way out
            lines = demo.drive("ops-test.js", timeout=400, CTD_FIXTURE=...)
            ...                               # the kernel's table afterwards
            demo.check_error_logs()
    t.done()
"""
import glob
import os
import re
import shutil
import subprocess
import time

from ctddemo import Demo, DemoError
from ctdtest import OUT, TOP

BROWSER_DIR = os.path.join(TOP, "tests", "browser")
CHROMIUM = "/usr/bin/chromium"  # the path the drivers launch (driver.js)
# what the demo (apache/demo.sh) and the namespace's set-up need
DEMO_TOOLS = ("apache2", "htpasswd", "openssl", "python3", "curl")
SUMMARY = re.compile(r"^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$")


def need_browser(t, what, *tools):
    """Skips the whole test file (as `what`, with the reason) unless Debian's
    chromium, node with playwright-core, and DEMO_TOOLS + tools are here."""
    if not os.access(CHROMIUM, os.X_OK):
        t.skip(what, "Debian's chromium is not installed (make deps)")
        t.done()
    if not shutil.which("node") or not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        t.skip(what, "node or playwright-core missing (make deps runs npm ci in tests/browser)")
        t.done()
    for c in DEMO_TOOLS + tools:
        if not shutil.which(c) and not os.access(f"/usr/sbin/{c}", os.X_OK):
            t.skip(what, f"{c} missing (make deps)")
            t.done()


def shots_dir(name):
    """$CTD_TEST_OUT/name/, empty: the screenshots, logs and files of one test."""
    out = os.path.join(OUT, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    return out


def drivers_parse(t, *files):
    """One check a file: node --check parses it (a name alone is in
    tests/browser/); driver.js, which every driver loads, comes first."""
    for f in (os.path.join(BROWSER_DIR, "driver.js"),) + files:
        f = os.path.join(BROWSER_DIR, f)
        t.ok(f"{os.path.basename(f)} parses", subprocess.run(["node", "--check", f], capture_output=True).returncode == 0)


def add_doc_addresses(ns):
    """192.0.2.1 and 192.0.2.2 (the documentation range) on the namespace's
    loopback, for live TCP connections: traffic never leaves it, and they
    are outside 127.0.0.0/8, which ctd hides by default."""
    ns.run("ip", "addr", "add", "192.0.2.1/32", "dev", "lo")
    ns.run("ip", "addr", "add", "192.0.2.2/32", "dev", "lo")


def ct_insert(ns, entries):
    """conntrack with each argument list of entries, in one shell inside the
    namespace; returns how many succeeded."""
    made = ns.run("bash", "-c", 'n=0; while read -r a; do conntrack $a 2>/dev/null && n=$((n + 1)); done; echo $n',
                  input="".join(" ".join(a) + "\n" for a in entries), check=False).stdout.strip()
    return int(made) if made.isdigit() else -1


class BrowserDemo(Demo):
    """The demo in ns for one browser test whose files go to out
    (ctddemo.Demo: its own directory, random port and passwords,
    DEMO_TRAFFIC=0; its log out/demo.log).  Entering starts it, one check
    of t; if it does not start, the tail of its output is printed and the
    test ends there (t.done(): the demo is stopped, and the namespace
    removed on the way out)."""

    def __init__(self, t, ns, out, **extra):
        super().__init__(ns, log_name=os.path.relpath(os.path.join(out, "demo"), OUT), **extra)
        self.t, self.out = t, out
        self.ui_url = f"https://127.0.0.1:{self.port}/ctd/"

    def __enter__(self):
        desc = f"demo starts in {self.ns.name} on port {self.port}"
        try:
            self.start()
        except DemoError as e:
            self.t.ok(desc, False)
            print("\n".join("#   " + line for line in str(e).splitlines()[-20:]))
            self.stop()
            self.t.done()
        except BaseException:
            self.stop()
            raise
        self.t.ok(desc, True)
        return self

    def drive(self, driver, timeout=600, **env):
        """Runs tests/browser/<driver> with node inside the namespace (no
        proxy; CTD_URL, CTD_ADMIN_PASSWORD, CTD_VIEWER_PASSWORD and
        CTD_SHOT_DIR=out set, then env), its output in out/browser.log.
        Prints its check lines and adds its summary to t, with one check
        more: its exit status matches its failures (or one failed check if
        it printed no summary).  Returns its output lines, or None without
        a summary."""
        t = self.t
        penv = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
        penv.update(NODE_PATH=os.path.join(BROWSER_DIR, "node_modules"), CTD_URL=self.ui_url,
                    CTD_ADMIN_PASSWORD=self.admin_pw, CTD_VIEWER_PASSWORD=self.viewer_pw, CTD_SHOT_DIR=self.out,
                    **env)
        start = time.monotonic()
        browser_log = os.path.join(self.out, "browser.log")
        with open(browser_log, "w") as log:
            rc = subprocess.run(self.ns.cmd("timeout", str(timeout), "node", os.path.join(BROWSER_DIR, driver)),
                                env=penv, stdout=log, stderr=subprocess.STDOUT).returncode
        print(f"# browser test: exit {rc}, {time.monotonic() - start:.0f} s (log: {browser_log})")
        lines = open(browser_log, errors="replace").read().splitlines()
        print("\n".join(line for line in lines if not SUMMARY.match(line)), flush=True)
        sums = [m for m in map(SUMMARY.match, lines) if m]
        if not sums:
            t.ok(f"browser test ran to its summary (exit {rc})", False)
            return None
        bp, bf, bs = (int(x) for x in sums[-1].groups())
        t.passed, t.failed, t.skipped = t.passed + bp, t.failed + bf, t.skipped + bs
        t.eq("browser test exit status matches its failures", 0 if bf == 0 else 1, rc)
        return lines

    def check_error_logs(self):
        """One check: no CGI crash in Apache's error logs, which are copied
        to out."""
        errlogs = glob.glob(os.path.join(self.dir, "log", "*error.log"))
        self.t.ok("afterwards: Apache's error log has no CGI crash",
                  not any(re.search(r"segfault|premature end of script", open(f, errors="replace").read(), re.I)
                          for f in errlogs))
        for f in errlogs:
            shutil.copy(f, self.out)
