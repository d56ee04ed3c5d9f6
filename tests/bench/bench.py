#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd end-to-end benchmarks, run by tests/bench/run.sh (`make bench`).

Everything goes through the real demo Apache (tests/lib/ctddemo.py: TLS,
Basic auth, mod_cgid, setuid helper) inside a private network namespace whose
table is filled with .build/tools/ctgen.  Each figure is the median (min..max)
of BENCH_RUNS runs, printed next to a reference measured in the same run on
the same table, interleaved with it (ctd, reference, ctd, ...) so that noise
from other work on the machine hits both; the ratio is median/median.

The client is python's http.client over one kept-alive TLS connection per
endpoint (reopened, outside the timed part, after an idle gap the server may
have closed); a call's time runs from sending the request to having read the
whole response, XML parsing of the answer excluded.

    bench.py [--sizes 10000,100000,1000000] [--runs 5] [--profile N] [--only killmatch]
"""
import argparse
import base64
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from ctdtest import BUILD, OUT, TOP, Netns  # noqa: E402
from ctddemo import Demo, InNetns  # noqa: E402

WWW = 33
KILL_MAX = 10000  # ids per kill call (the API's maximum)
IDLE_REOPEN = 3.0  # Apache's KeepAliveTimeout is 5 s


def log(msg):
    print(msg, flush=True)


# ---- client -------------------------------------------------------------------
class Rpc:
    """XML-RPC over one kept-alive HTTPS connection, timing each call."""

    def __init__(self, demo, user="admin", port=None):
        self.demo, self.port = demo, port or demo.port
        self.ctx = demo.ssl_context()
        cred = f"{user}:{demo.password(user)}".encode()
        self.auth = "Basic " + base64.b64encode(cred).decode()
        self.conn, self.last = None, 0.0

    def _ready(self):
        if self.conn is None or time.monotonic() - self.last > IDLE_REOPEN:
            if self.conn is not None:
                self.conn.close()
            self.conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=600)
            self.conn.connect()

    def raw(self, body):
        """POST body; returns (seconds, status, response bytes)."""
        self._ready()
        hdr = {"Content-Type": "text/xml", "Authorization": self.auth, "Connection": "keep-alive"}
        t0 = time.perf_counter()
        self.conn.request("POST", "/RPC2", body=body, headers=hdr)
        r = self.conn.getresponse()
        data = r.read()
        secs = time.perf_counter() - t0
        self.last = time.monotonic()
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return secs, r.status, data

    def call(self, method, *params):
        """(seconds, value); a fault or HTTP error raises."""
        secs, status, data = self.raw(xmlrpc.client.dumps(params, method).encode())
        if status != 200:
            raise RuntimeError(f"{method}: HTTP {status}: {data[:300]!r}")
        vals, _ = xmlrpc.client.loads(data)
        return secs, vals[0]


# ---- figures ----------------------------------------------------------------------
class Fig:
    def __init__(self, num, name, target=None, unit="s"):
        self.num, self.name, self.target, self.unit = num, name, target, unit
        self.ctd, self.ref, self.note = [], [], ""

    @staticmethod
    def summary(xs, unit):
        if not xs:
            return "-"
        m = statistics.median(xs)
        if unit == "s":
            if m < 0.1:
                return f"{m * 1000:.1f} ms ({min(xs) * 1000:.1f}..{max(xs) * 1000:.1f})"
            return f"{m:.3f} s ({min(xs):.3f}..{max(xs):.3f})"
        return f"{m:.1f} {unit} ({min(xs):.1f}..{max(xs):.1f})"

    def verdict(self):
        """True (PASS), False (MISS) or None (no target)."""
        if self.target is None or not self.ctd:
            return None
        val = statistics.median(self.ctd) / statistics.median(self.ref) if self.ref else statistics.median(self.ctd)
        return val <= self.target

    def line(self):
        s = f"  {self.num:<3}{self.name:<44}{self.summary(self.ctd, self.unit):<30}"
        if self.ref:
            ratio = statistics.median(self.ctd) / statistics.median(self.ref)
            s += f"ref {self.summary(self.ref, self.unit):<30}ratio {ratio:6.3f}"
            val = ratio
        else:
            s += " " * 62
            val = statistics.median(self.ctd) if self.ctd else None
        if self.target is not None and val is not None:
            s += f"   target <= {self.target:g}  {'PASS' if val <= self.target else 'MISS'}"
        elif self.target is None:
            s += "   (no target at this size)"
        if self.note:
            s += f"   [{self.note}]"
        return s


def ref_list(ns):
    """The reference: the CLI lists the same table (ip netns exec included)."""
    t0 = time.perf_counter()
    subprocess.run(["ip", "netns", "exec", ns.name, "conntrack", "-L", "-o", "id"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def ct_count(ns):
    r = subprocess.run(["ip", "netns", "exec", ns.name, "conntrack", "-C"], capture_output=True, text=True)
    return int(r.stdout.strip() or 0)


def fill(ns, n, tries=3):
    """Empty the namespace's table and create n entries (30 % UDP).  On a
    loaded machine ctgen has been seen to fail once at 1M (its stderr says
    why): the table is then made again."""
    for attempt in range(1, tries + 1):
        subprocess.run(["ip", "netns", "exec", ns.name, "conntrack", "-F"], capture_output=True)
        for _ in range(50):
            if ct_count(ns) == 0:
                break
            time.sleep(0.1)
        r = subprocess.run(["ip", "netns", "exec", ns.name, os.path.join(BUILD, "tools", "ctgen"), str(n), "0",
                            "30"], capture_output=True, text=True) if n else None
        got = ct_count(ns)
        if got == n and (r is None or r.returncode == 0):
            return
        log(f"   fill {n}, attempt {attempt}: {got} entries; ctgen: {r.stderr.strip() if r else ''}")
    raise RuntimeError(f"table has {got} entries, wanted {n}")


def shared_ids(ns):
    """Ids that two or more entries of the table carry (CTA_ID is a 32-bit
    hash: ~100 pairs at 1M); kill and change refuse them (fault 3)."""
    out = subprocess.run(["ip", "netns", "exec", ns.name, "conntrack", "-L", "-o", "id"], capture_output=True,
                         text=True).stdout
    seen, shared = set(), set()
    for line in out.splitlines():
        if "id=" in line:
            i = line.rsplit("id=", 1)[1].strip()
            (shared if i in seen else seen).add(i)
    return shared


def zone_ids(ns, demo, zone):
    """Ids of the entries in one zone (kernel-side zone filter through the helper)."""
    r = subprocess.run(["ip", "netns", "exec", ns.name, os.path.join(BUILD, "tools", "ctd-hc"), "-s",
                        os.path.join(BUILD, "ctd-helper"), "dump", "-z", str(zone)],
                       capture_output=True, text=True, check=True)
    return [line.split()[0][3:] for line in r.stdout.splitlines() if line.startswith("id=")]


VIEW = ({}, "rate", "DESC")


def bench_size(ns, demo, rpc, n, runs, figs_out):
    log(f"\n== {n} entries ==")
    t0 = time.monotonic()
    fill(ns, n)
    log(f"   table filled in {time.monotonic() - t0:.1f} s")
    big = n >= 1000000
    mid = n >= 100000
    _, sid = rpc.call("login")
    rpc.call("set_autorefresh", sid, 0)

    # 1: a view that dumps the table afresh (refresh first, untimed)
    f1 = Fig(1, "view, fresh dump, rate DESC, 50 rows", 0.6 if big else 1.0 if mid else None)
    rows = None
    for _ in range(runs):
        rpc.call("refresh", sid)
        secs, v = rpc.call("view", sid, *VIEW, 0, 50)
        f1.ctd.append(secs)
        rows = v["table"]
        total = v["total"]
        f1.ref.append(ref_list(ns))
    f1.note = f"total {total}"
    log(f1.line())

    # 2: other pages of that snapshot (autorefresh 0, the same order)
    f2 = Fig(2, "view, another page of the snapshot", 0.1 if big else None)
    for k in range(runs):
        secs, v = rpc.call("view", sid, *VIEW, 50 * (k + 1), 50)
        if len(v["table"]) != min(50, max(0, total - 50 * (k + 1))):
            raise RuntimeError(f"page {k + 1}: {len(v['table'])} rows")
        f2.ctd.append(secs)
        f2.ref.append(ref_list(ns))
    log(f2.line())

    # 8: the stored snapshot on disk (the page above waited for its store)
    size, cnt = demo.sql("SELECT coalesce(sum(length(data)), 0), coalesce(sum(n), 0) FROM dump_chunks "
                         "WHERE dump_id = (SELECT max(id) FROM dumps)")[0]
    f8 = Fig(8, "stored snapshot (dump_chunks of one dump)", 64 if big else None, unit="MiB")
    f8.ctd = [size / 1048576]
    f8.note = f"{cnt} entries, {size / max(cnt, 1):.1f} bytes each"
    log(f8.line())

    # 9: summary of that snapshot by orig_src /24 (the top 20 of n/256
    # networks); 10: stats (sysctls and conntrack -S counters, no dump)
    f9 = Fig(9, "summary of the snapshot, orig_src /24", 0.15 if big else None)
    f10 = Fig(10, "stats (count, max, conntrack -S sums)", 0.01 if big else None)
    for _ in range(runs):
        secs, s = rpc.call("summary", sid, {}, {"group_by": "orig_src", "v4_prefix": 24})
        if s["total"] != total:
            raise RuntimeError(f"summary total {s['total']}, view total {total}")
        f9.ctd.append(secs)
        f9.ref.append(ref_list(ns))
        secs, st = rpc.call("stats", sid)
        f10.ctd.append(secs)
        f10.ref.append(ref_list(ns))
    f9.note = f"{s['groups_total']} groups"
    f10.note = f"count {st['count']}"
    log(f9.line())
    log(f10.line())

    # 3: kill one id, change one id (distinct rows of the first page)
    f3k = Fig("3a", "kill of one id", 0.05 if big else None)
    f3c = Fig("3b", "change of one id (mark)", 0.05 if big else None)
    shared = shared_ids(ns)
    ids = [r["id"] for r in rows if r["id"] not in shared]
    if len(ids) < 2 * runs:
        raise RuntimeError(f"first page: {len(ids)} ids that name one entry each")
    for k in range(runs):
        secs, killed = rpc.call("kill", sid, [ids[2 * k]])
        if killed != 1:
            raise RuntimeError(f"kill of {ids[2 * k]} destroyed {killed}")
        f3k.ctd.append(secs)
        f3k.ref.append(ref_list(ns))
        secs, ok = rpc.call("change", sid, "mark", ids[2 * k + 1], 1000 + k)
        if ok is not True:
            raise RuntimeError(f"change returned {ok!r}")
        f3c.ctd.append(secs)
        f3c.ref.append(ref_list(ns))
    log(f3k.line())
    log(f3c.line())

    # 4: kill of 10,000 ids in one call.  Each run adds 10,000 entries (and
    # a few spare) in a zone of their own (ctgen), takes a fresh snapshot
    # (untimed), kills 10,000 of them whose ids no other entry carries: the
    # table is back at its size, plus the spares, for the reference.
    f4 = Fig(4, f"kill of {KILL_MAX} ids in one call", 1.0 if big else None)
    spare = 50
    killed_counts = []
    for k in range(runs):
        zone = 100 + k
        base = ct_count(ns)
        subprocess.run(["ip", "netns", "exec", ns.name, os.path.join(BUILD, "tools", "ctgen"),
                        str(KILL_MAX + spare), "0", "30", str(zone)], check=True, capture_output=True)
        rpc.call("refresh", sid)
        rpc.call("view", sid, *VIEW, 0, 1)
        shared = shared_ids(ns)
        zids = [i for i in zone_ids(ns, demo, zone) if i not in shared][:KILL_MAX]
        if len(zids) != KILL_MAX:
            raise RuntimeError(f"zone {zone}: {len(zids)} entries with an id of their own")
        secs, killed = rpc.call("kill", sid, zids)
        killed_counts.append(killed)
        f4.ctd.append(secs)
        left = ct_count(ns)
        if left != base + spare:
            raise RuntimeError(f"after the kill the table has {left} entries, wanted {base + spare}")
        f4.ref.append(ref_list(ns))
    f4.note = f"destroyed {min(killed_counts)}..{max(killed_counts)} per call"
    log(f4.line())
    rpc.call("logout", sid)

    # 6: peak RSS of one fresh-dump view, ctd.cgi run directly as Apache would
    cgi_kib, helper_kib = peak_rss(ns, demo)
    f6c = Fig("6a", "peak RSS ctd.cgi, fresh-dump view", 128 if big else None, unit="MiB")
    f6c.ctd = [cgi_kib / 1024]
    f6h = Fig("6b", "peak RSS ctd-helper, same view", 16 if big else None, unit="MiB")
    f6h.ctd = [helper_kib / 1024]
    log(f6c.line())
    log(f6h.line())
    figs_out.setdefault(n, []).extend([f1, f2, f8, f9, f10, f3k, f3c, f4, f6c, f6h])


# ---- figures 11, 12: kill everything a filter matches --------------------------------
KM_FIRST = 0x200000  # ctgen's FIRST: entries from 10.32.0.0 on
KM_NET = "10.32.0.0/16"


def fill_km(ns, n, m):
    """n entries: n - m of ctgen's usual ones (sources from 10.0.0.0 on) and m
    whose sources are in KM_NET, the only ones there."""
    fill(ns, n - m)
    subprocess.run(["ip", "netns", "exec", ns.name, os.path.join(BUILD, "tools", "ctgen"), str(m), "0", "30", "0",
                    "0", str(KM_FIRST)], check=True, capture_output=True)
    got = ct_count(ns)
    if got != n:
        raise RuntimeError(f"table has {got} entries, wanted {n}")


def ref_kill_net(ns):
    """The reference: the CLI deletes every entry from that network."""
    t0 = time.perf_counter()
    subprocess.run(["ip", "netns", "exec", ns.name, "conntrack", "-D", "-s", KM_NET], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def bench_killmatch(ns, demo, rpc, n, runs, figs_out):
    """11: kill_preview of the n/20 entries of one source network (the table
    in the session's snapshot, taken untimed); 12: kill_matching of its
    token.  The reference for both, in the same run: `conntrack -D -s NET`
    on an identical table made afresh."""
    m = n // 20
    big = n >= 1000000
    f11 = Fig(11, f"kill_preview, {m} by source network", 0.2 if big else None)
    f12 = Fig(12, f"kill_matching of those {m}", 0.5 if big else None)
    amb = []
    for _ in range(runs):
        fill_km(ns, n, m)
        _, sid = rpc.call("login")
        rpc.call("set_autorefresh", sid, 0)
        rpc.call("view", sid, {}, "id", "A", 0, 1)  # the snapshot (a fresh dump)
        rpc.call("view", sid, {}, "id", "A", 1, 1)  # ... stored
        secs, p = rpc.call("kill_preview", sid, {"orig_ipv4_src": KM_NET})
        if p["matched"] != m:
            raise RuntimeError(f"kill_preview matched {p['matched']}, wanted {m}")
        f11.ctd.append(secs)
        secs, r = rpc.call("kill_matching", sid, p["token"])
        f12.ctd.append(secs)
        left = ct_count(ns)
        if r["destroyed"] + r["ambiguous"] != m or r["gone"] or left != n - r["destroyed"]:
            raise RuntimeError(f"kill_matching {r}, {left} entries left of {n}")
        amb.append(r["ambiguous"])
        rpc.call("logout", sid)
        fill_km(ns, n, m)
        ref = ref_kill_net(ns)
        if ct_count(ns) != n - m:
            raise RuntimeError(f"conntrack -D -s {KM_NET} left {ct_count(ns)} entries, wanted {n - m}")
        f11.ref.append(ref)
        f12.ref.append(ref)
    f11.note = f"conntrack -D -s {KM_NET} as reference"
    f12.note = f"ambiguous (left alone) {min(amb)}..{max(amb)}"
    log(f11.line())
    log(f12.line())
    figs_out.setdefault(n, []).extend([f11, f12])


# ---- figure 5: small table, ctd against a fixed-response CGI -----------------------
def bench_small(ns, demo, rpc, fixed, runs):
    log("\n== 100 entries: view through Apache against a fixed-response CGI on the same Apache ==")
    fill(ns, 100)
    _, sid = rpc.call("login")
    rpc.call("set_autorefresh", sid, 0)
    rpc.call("view", sid, *VIEW, 0, 50)
    body = xmlrpc.client.dumps((sid,) + VIEW + (0, 50), "view").encode()
    # many round trips per run: one is ~10 ms, a run is the median of 20
    per = 20
    f5 = Fig(5, "view (snapshot, 50 rows), 100 entries", 3.0)
    f5f = Fig("5'", "same, fresh dump each call", None)
    for _ in range(2):  # warm both paths (TLS session, page cache)
        rpc.raw(body)
        fixed.raw(body)
    for _ in range(runs):
        a, b, c = [], [], []
        for _ in range(per):
            a.append(rpc.raw(body)[0])
            b.append(fixed.raw(body)[0])
            rpc.call("refresh", sid)
            c.append(rpc.raw(body)[0])
        f5.ctd.append(statistics.median(a))
        f5.ref.append(statistics.median(b))
        f5f.ctd.append(statistics.median(c))
    f5f.ref = f5.ref
    size_ctd = len(rpc.raw(body)[2])
    size_fixed = len(fixed.raw(body)[2])
    f5.note = f"keep-alive; responses {size_ctd} vs {size_fixed} bytes"
    log(f5.line())
    log(f5f.line())
    rpc.call("logout", sid)
    return [f5, f5f]


def cgi_direct(ns, demo, conf, method, *params, info=None, rss_file=None):
    """One call of the installed ctd.cgi run as Apache's mod_cgi runs it: as
    www-data with the helper group, the CGI environment, CTD_CONFIG=conf,
    inside the namespace.  info: a dict that gets the CGI's pid.
    rss_file: run it under /usr/bin/time -f %M -o rss_file, which forks
    from a small process (ru_maxrss from our own wait4 would count this
    python process: subprocess uses vfork, and exec keeps the old high-water
    mark).  Returns (value, peak RSS in KiB of the CGI and its waited-for
    children when rss_file is given, else None)."""
    import grp
    gid = grp.getgrnam("ctd").gr_gid
    body = xmlrpc.client.dumps(params, method).encode()
    env = {"REQUEST_METHOD": "POST", "REMOTE_ADDR": "127.0.0.1", "GATEWAY_INTERFACE": "CGI/1.1",
           "SERVER_PROTOCOL": "HTTP/1.1", "SCRIPT_NAME": "/RPC2", "SERVER_NAME": "127.0.0.1",
           "SERVER_PORT": str(demo.port), "HTTPS": "on", "CTD_CONFIG": conf,
           "PATH": "/usr/bin:/bin", "CONTENT_TYPE": "text/xml", "CONTENT_LENGTH": str(len(body)),
           "REMOTE_USER": "admin", "AUTH_TYPE": "Basic"}
    argv = ["ip", "netns", "exec", ns.name, "/usr/bin/env", "-i",
            *[f"{k}={v}" for k, v in env.items()],
            *(("/usr/bin/time", "-f", "%M", "-o", rss_file) if rss_file else ()), "/usr/bin/setpriv", f"--reuid={WWW}",
            f"--regid={WWW}", f"--groups={gid}", demo.cgi]
    # ip netns exec, env and setpriv each exec the next: the child is the CGI
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if info is not None:
        info["pid"] = p.pid
    p.stdin.write(body)
    p.stdin.close()
    data = p.stdout.read()
    err = p.stderr.read()
    status = p.wait()
    if status != 0 or b"\r\n\r\n" not in data:
        raise RuntimeError(f"CGI {method}: status {status}: {err[-300:]!r}")
    vals, _ = xmlrpc.client.loads(data.split(b"\r\n\r\n", 1)[1])
    rss = None
    if rss_file:
        with open(rss_file) as f:
            rss = int(f.read().split()[-1])
    return vals[0], rss


# ---- figure 6: peak RSS ---------------------------------------------------------------
def peak_rss(ns, demo):
    """Runs ctd.cgi once (login, then a fresh-dump view) directly as Apache's
    mod_cgi would: as www-data with the helper group, the same CGI environment
    and configuration, in the namespace.  The CGI's peak is /usr/bin/time's
    %M (ru_maxrss from wait4: it covers its waited-for children too, which
    are smaller); the helper's own peak comes from /usr/bin/time run by a
    wrapper that the copy of ctd.conf names as the helper (time execs the
    setuid helper and waits for it, so %M is the helper alone)."""
    d = tempfile.mkdtemp(prefix="ctdbench.", dir="/var/tmp")
    try:
        os.chmod(d, 0o755)
        out = os.path.join(d, "helper-rss")
        open(out, "w").close()
        os.chown(out, WWW, WWW)
        wrap = os.path.join(d, "helper-wrapper")
        with open(wrap, "w") as f:
            f.write(f"#!/bin/sh\nexec /usr/bin/time -a -o {out} -f %M {demo.helper} \"$@\"\n")
        os.chmod(wrap, 0o755)
        conf = os.path.join(d, "ctd.conf")
        with open(demo.conf) as f:
            text = "".join(f"helper = {wrap}\n" if line.startswith("helper ") or line.startswith("helper=")
                           else line for line in f)
        with open(conf, "w") as f:
            f.write(text)
        os.chmod(conf, 0o644)
        def run(method, *params):
            return cgi_direct(ns, demo, conf, method, *params)

        sid, _ = run("login")
        open(out, "w").close()
        v, cgi_kib = cgi_direct(ns, demo, conf, "view", sid, *VIEW, 0, 50, rss_file=os.path.join(d, "cgi-rss"))
        with open(out) as f:
            peaks = [int(x) for x in f.read().split() if x.isdigit()]
        run("logout", sid)
        if not peaks:
            raise RuntimeError("the helper wrapper recorded nothing")
        return cgi_kib, max(peaks)
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- figure 7 ---------------------------------------------------------------------------
def bench_load(ns, demo, runs):
    log("\n== 32 concurrent clients x 50 calls on 10k entries (tests/lib/ctdload.py, mix bench) ==")
    try:
        from ctdload import run_load
    except ImportError as e:
        log(f"  7  SKIPPED: tests/lib/ctdload.py is not available ({e})")
        return None
    fill(ns, 10000)
    st = run_load(demo, clients=32, calls=50, mix="bench")
    unexpected = st.get("unexpected", [])
    log(f"  7  {st['calls']} calls in {st['seconds']:.1f} s: {st['calls_per_s']:.1f} calls/s, "
        f"p50 {st['p50_ms']:.0f} ms, p99 {st['p99_ms']:.0f} ms, max {st['max_ms']:.0f} ms; "
        f"faults {dict(st.get('faults', {}))}; unexpected {len(unexpected)}   target 0 unexpected  "
        f"{'PASS' if not unexpected else 'MISS'}")
    for u in unexpected[:5]:
        log(f"       unexpected: {u}")
    log(f"       by method: {dict(st.get('by_method', {}))}")
    return st


# ---- profile ----------------------------------------------------------------------------
def profile(ns, demo, rpc, n):
    """perf record -a -g while the installed ctd.cgi, run directly (as in
    peak_rss), answers one fresh-dump view of n entries; the report keeps
    only the CGI's process and its descendants (the setuid helpers: perf
    cannot follow a setuid exec, and other work on the machine is left
    out).  Then the top entries by process, dso and symbol, and the
    reference conntrack -L profiled the same way."""
    log(f"\n== profile: one fresh-dump view of {n} entries (ctd.cgi run directly, perf -a, its process tree) ==")
    fill(ns, n)
    data = os.path.join(OUT, "bench-perf.data")
    sid, _ = cgi_direct(ns, demo, demo.conf, "login")
    cgi_direct(ns, demo, demo.conf, "view", sid, *VIEW, 0, 50)  # a previous dump, as in steady use (rates)
    cgi_direct(ns, demo, demo.conf, "refresh", sid)

    def recorded(path, fn):
        p = subprocess.Popen(["perf", "record", "-q", "-a", "-g", "-F", "999", "-o", path, "--", "sleep", "900"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.5)
        t0 = time.perf_counter()
        try:
            pid = fn()
        finally:
            secs = time.perf_counter() - t0
            p.send_signal(2)
            p.wait()
        # the process tree under pid, from the FORK records
        r = subprocess.run(["perf", "script", "-i", path, "--show-task-events"], capture_output=True, text=True)
        tree = {pid}
        forks = re.findall(r"PERF_RECORD_FORK\((\d+):\d+\):\((\d+):\d+\)", r.stdout)
        changed = True
        while changed:
            changed = False
            for child, parent in forks:
                if int(parent) in tree and int(child) not in tree:
                    tree.add(int(child))
                    changed = True
        return secs, ",".join(str(x) for x in sorted(tree))

    def view():
        info = {}
        cgi_direct(ns, demo, demo.conf, "view", sid, *VIEW, 0, 50, info=info)
        return info["pid"]

    def ref():
        p = subprocess.Popen(["ip", "netns", "exec", ns.name, "conntrack", "-L", "-o", "id"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        p.wait()
        return p.pid

    def page():
        info = {}
        cgi_direct(ns, demo, demo.conf, "view", sid, *VIEW, 50, 50, info=info)
        return info["pid"]

    secs, pids = recorded(data, view)
    log(f"   the view took {secs:.3f} s under perf (pids {pids}); data: {data}")
    rsecs, rpids = recorded(data + ".ref", ref)
    log(f"   the reference conntrack -L took {rsecs:.3f} s under perf")
    psecs, ppids = recorded(data + ".page", page)
    log(f"   the next page of that snapshot (figure 2) took {psecs:.3f} s under perf")
    cgi_direct(ns, demo, demo.conf, "logout", sid)

    def report(title, keys, limit, path=data, pid=pids):
        """perf report sorted by pid + keys, only the lines of the process
        tree, merged by comm + keys, as shares of the tree's samples."""
        tree = set(pid.split(","))
        r = subprocess.run(["perf", "report", "-i", path, "--stdio", "-g", "none", "--no-children",
                            "--percent-limit", "0", "--sort", "pid," + keys], capture_output=True, text=True)
        agg = {}
        for line in r.stdout.splitlines():
            m = re.match(r"^\s*([\d.]+)%\s+(\d+):(\S+)\s+(.*?)\s*$", line)
            if m and m.group(2) in tree:
                k = re.sub(r"\s+", " ", m.group(4))
                agg[k] = agg.get(k, 0.0) + float(m.group(1))
        total = sum(agg.values()) or 1.0
        log(f"   {title} (share of the process tree's samples):")
        for k, v in sorted(agg.items(), key=lambda kv: -kv[1])[:limit]:
            log(f"     {100 * v / total:5.1f}%  {k}")

    report("by process", "comm", 6)
    report("by process and dso", "comm,dso", 12)
    report("top symbols, self time", "comm,dso,sym", 30)
    report("reference conntrack -L, by dso", "comm,dso", 6, path=data + ".ref", pid=rpids)
    report("reference conntrack -L, top symbols", "comm,dso,sym", 10, path=data + ".ref", pid=rpids)
    report("the next page from the snapshot, top symbols", "comm,dso,sym", 12, path=data + ".page", pid=ppids)


# ---- main -------------------------------------------------------------------------------
def fixed_vhost_conf(d, fixed_cgi, demo_port):
    """A second vhost on the same Apache: the shipped site again (same TLS,
    auth, rewrite checks, headers), its ScriptAlias pointing at the fixed CGI."""
    port = demo_port + 1 if demo_port < 65000 else demo_port - 1
    conf = os.path.join(d, "bench-fixed.conf")
    with open(conf, "w") as f:
        f.write(f"Listen 127.0.0.1:{port} https\n"
                f"UnDefine CTD_VHOST\nDefine CTD_VHOST 127.0.0.1:{port}\n"
                f"UnDefine CTD_CGI\nDefine CTD_CGI {fixed_cgi}\n"
                f"Include {TOP}/apache/ctd-site.conf\n")
    os.chmod(conf, 0o644)
    return conf, port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "10000,100000,1000000"))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    ap.add_argument("--profile", type=int, default=0, help="only profile a fresh view of N entries")
    ap.add_argument("--only", choices=["killmatch"], help="only figures 11 and 12 (kill_preview, kill_matching)")
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.replace(",", " ").split()]
    t_start = time.monotonic()
    for x in ("ctd.cgi", "ctd-helper", "tools/ctgen", "tools/ctd-hc", "tools/ctd-fixed-cgi"):
        if not os.path.exists(os.path.join(BUILD, x)):
            sys.exit(f"bench: {BUILD}/{x} missing: run make")
    d = tempfile.mkdtemp(prefix="ctdbench.", dir="/var/tmp")
    os.chmod(d, 0o755)
    fixed_cgi = os.path.join(d, "fixed.cgi")
    shutil.copy(os.path.join(BUILD, "tools", "ctd-fixed-cgi"), fixed_cgi)
    os.chmod(fixed_cgi, 0o755)
    try:
        with Netns(track=False) as ns:
            demo = Demo(ns, mode="setuid", log_name="bench-demo")
            conf, fport = fixed_vhost_conf(d, fixed_cgi, demo.port)
            demo.env["DEMO_EXTRA_CONF"] = conf
            t0 = time.monotonic()
            demo.start()
            # figure 7's 32 clients log in as one user: room for a session
            # each (the default, 16, evicts the oldest at the 17th login)
            with open(demo.conf, "a") as f:
                f.write("max_sessions_per_user = 64\n")
            log(f"bench: demo up in {time.monotonic() - t0:.0f} s (build + install + Apache), "
                f"namespace {ns.name}, runs {a.runs}; client: http.client, keep-alive TLS")
            try:
                with InNetns(ns.name):
                    rpc = Rpc(demo)
                    if a.profile:
                        profile(ns, demo, rpc, a.profile)
                        return 0
                    fixed = Rpc(demo, port=fport)
                    small = bench_small(ns, demo, rpc, fixed, a.runs) if not a.only else []
                    figs = {}
                    for n in sizes:
                        if not a.only:
                            bench_size(ns, demo, rpc, n, a.runs, figs)
                        log(f"\n== {n} entries: kill everything a filter matches ==")
                        bench_killmatch(ns, demo, rpc, n, a.runs, figs)
                    st = bench_load(ns, demo, a.runs) if not a.only else None
                    allf = small + [f for n in sizes for f in figs[n]]
                    miss = [f"{f.num} at {n}" for n in sizes for f in figs[n] if f.verdict() is False]
                    miss += [f"{f.num}" for f in small if f.verdict() is False]
                    npass = sum(1 for f in allf if f.verdict())
                    if st is not None:
                        if st.get("unexpected"):
                            miss.append("7")
                        else:
                            npass += 1
                    log(f"\ntargets: {npass} PASS, {len(miss)} MISS" + (f" ({', '.join(miss)})" if miss else ""))
                    err = open(demo.error_log, errors="replace").read()
                    bad = [w for w in ("Segmentation", "AddressSanitizer", "premature end of script",
                                       "core dumped") if w in err]
                    log(f"\nApache error log: {'clean' if not bad else 'contains ' + ', '.join(bad)}")
            finally:
                demo.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    log(f"bench: {time.monotonic() - t_start:.0f} s in all; nproc {os.cpu_count()}, kernel {os.uname().release}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        sys.exit(130)
