#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Budgets against a hostile viewer through the real Apache (README,
Security model: the per-request and per-user limits): the demo
(apache/demo.sh: setuid helper, TLS, Basic auth) in a private namespace
holding 100,000 entries made by tools/ctgen; every request is the viewer's.
The limits are the defaults: max_multicall 32, max_page 1000,
max_sessions_per_user 16, max_dumps 4.

a. The worst multicall a viewer can send: one body just under Apache's
   1 MiB of refresh + ~4,000 views (view(session) asks for the largest
   page): fault 3 naming max_multicall in under 2 s, nothing run (no
   session's last_used, refresh_after or dump moved, no dump row added).
   A multicall at the cap: 32 views of max_page rows, each another order,
   direction or filter (no cached order helps): the first page comes back,
   every later view gets fault 3 naming max_page, and the response is the
   size of one page.  ctd.cgi's peak RSS (a wrapper runs it under
   /usr/bin/time -f %M, its waited-for children included) stays under
   64 MiB in both.
b. One multicall of [refresh(s), view(s)] for each of 16 sessions: the
   dumps table gains at most one row and the helper ran at most twice
   (count + dump; a wrapper named as the helper in ctd.conf counts runs).
c. 20 logins, each followed by refresh and view: at most max_dumps dump
   rows, at most 16 sessions of the viewer, the 4 created first answer
   fault 2, the others still view a stored dump (no new one); the database
   file with its -wal stays under (max_dumps + 2) dumps' worth of records
   (144 bytes each, the uncompressed record): the size is printed.  This
   case runs first, on a new database, so the size is the scenario's own.
After each case: the conntrack table (ids, tuples, marks) is unchanged,
the audit log too (no row from the viewer), PRAGMA integrity_check is ok,
and Apache's error logs show no crash.

CTD_DEMO_TOP=<checkout> runs the same against another checkout, e.g. the
code before the fix (`git worktree add DIR feaada9`): there every
case fails, and the figures printed are the "before".  The wrapper also
sets `ulimit -v` 1 GiB, so such a run cannot take the host's memory.
"""
import importlib.util
import os
import shutil
import sys
import time
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from ctdtest import BUILD, T, Netns, need_root, raise_conntrack_max  # noqa: E402
from ctdload import CgiPeak  # noqa: E402

N = 100000
CTGEN = os.path.join(BUILD, "tools", "ctgen")
MAX_MULTICALL, MAX_PAGE, MAX_SESSIONS, MAX_DUMPS = 32, 1000, 16, 4
RSS_LIMIT_KIB = 64 * 1024
BODY_LIMIT = 1048576          # LimitRequestBody in apache/ctd-site.conf
RECORD = 144                  # bytes of a struct ctd_record: a stored dump is at most this per entry


def hostile_viewers():
    """tests/stack/test-hostile-viewers.py as a module: its Site (requests with
    exact bodies, the state checks after each case), fault_of, value_of."""
    spec = importlib.util.spec_from_file_location("hostile_viewers", os.path.join(HERE, "test-hostile-viewers.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


HV = hostile_viewers()
fault_of, value_of = HV.fault_of, HV.value_of


def counting_helper(d):
    """ctd.conf names a wrapper that logs each helper run, then execs the
    real helper (ctdcgi.Cgi.counting_helper, on the demo's directory)."""
    from ctdcgi import Cgi
    path, count = Cgi.counting_helper(d)
    with open(d.conf) as f:
        text = "".join(f"helper = {path}\n" if line.split("=")[0].strip() == "helper" else line for line in f)
    with open(d.conf, "w") as f:
        f.write(text)
    return count


def mc_body(calls):
    """A system.multicall body without the pretty-printing newlines."""
    return xmlrpc.client.dumps((calls,), "system.multicall").replace("\n", "").encode()


def view_call(sid, *args):
    return {"methodName": "view", "params": [sid, *args]}


def main():
    t = T()
    need_root(t)
    if not os.access("/usr/sbin/apache2", os.X_OK):
        t.skip("test-hostile-budget", "apache2 missing: run make deps")
        t.done()
    if not os.access(CTGEN, os.X_OK):
        t.skip("test-hostile-budget", f"{CTGEN} missing: run make tools")
        t.done()
    from ctddemo import Demo, InNetns
    raise_conntrack_max(N + 20000)
    with Netns(track=False) as ns:
        r = ns.run(CTGEN, str(N), "0", "30", check=False)
        t.eq(f"ctgen filled the namespace with {N} entries", 0, r.returncode)
        print(f"# {r.stdout.strip()}", flush=True)
        d = Demo(ns, mode="setuid", log_name="test-hostile-budget-demo")
        if d.top != HV.TOP:
            print(f"# CTD_DEMO_TOP: the demo runs the checkout {d.top}", flush=True)
        with d, InNetns(ns.name):
            peak = CgiPeak(d)
            try:
                run(t, d, ns, peak, counting_helper(d))
            finally:
                peak.restore()
    t.done()


def run(t, d, ns, peak, helper_runs):
    d.client("viewer").login()    # the database exists from the first login on
    S = HV.Site(t, d, ns)
    t.eq(f"conntrack -L shows the {N} entries", N, len(S.tab))

    def post(body, timeout=120):
        return S.post(body, user="viewer", timeout=timeout)

    def call(method, *params):
        st, body, _, _ = post(xmlrpc.client.dumps(params, method).encode())
        return (st, fault_of(body), value_of(body) if st == 200 and fault_of(body) is None else body)

    def login():
        st, f, v = call("login")
        return v if st == 200 and f is None else None

    def after(desc):
        S.after(desc)
        t.eq(f"{desc}: no audit row from the viewer", 0, d.sql("SELECT count(*) FROM audit WHERE user='viewer'")[0][0])

    def dumps():
        return d.sql("SELECT count(*), coalesce(max(id), 0) FROM dumps")[0]

    def db_size():
        """(database, -wal) in bytes."""
        return tuple(os.path.getsize(p) if os.path.exists(p) else 0 for p in (d.db, d.db + "-wal"))

    def mib(kib):
        return "none recorded" if kib is None else f"{kib / 1024:.1f} MiB"

    # ---- c. 20 logins x (refresh + view) --------------------------------------------------------
    size0 = sum(db_size())
    m = peak.mark()
    sc = []
    for i in range(20):
        s = login()
        sc.append(s)
        r1, r2 = call("refresh", s), call("view", s, {}, "id", "A", 0, 10)
        if r1[1] is not None or r2[1] is not None:
            t.ok(f"login {i + 1}: refresh and view answered", False, f"{r1[:2]} {r2[:2]}")
    parts = db_size()
    size = sum(parts)
    kib = peak.peak_since(m)
    nd = dumps()
    nsess = d.sql("SELECT count(*) FROM sessions WHERE user='viewer'")[0][0]
    print(f"# 20 logins x (refresh + view) on {N} entries: database {size} bytes with -wal "
          f"({parts[0] / 1048576:.1f} + {parts[1] / 1048576:.1f} MiB; {size0 / 1048576:.1f} MiB before), {nd[0]} dump rows, "
          f"{nsess} sessions of the viewer; ctd.cgi peak RSS {mib(kib)}", flush=True)
    t.ok("20 logins of the viewer, each followed by refresh and view", None not in sc)
    t.ok(f"... at most max_dumps ({MAX_DUMPS}) dump rows: {nd[0]}", nd[0] <= MAX_DUMPS)
    t.ok(f"... at most max_sessions_per_user ({MAX_SESSIONS}) sessions of the viewer: {nsess}",
         nsess <= MAX_SESSIONS)
    bound = (MAX_DUMPS + 2) * N * RECORD
    t.ok(f"... the database with -wal, {size / 1048576:.1f} MiB, is under (max_dumps + 2) dumps' worth "
         f"({bound / 1048576:.1f} MiB)", size <= bound)
    gone = [call("view", s, {}, "id", "A", 0, 1)[1] for s in sc[:20 - MAX_SESSIONS]]
    t.eq(f"... the {20 - MAX_SESSIONS} sessions created first answer fault 2", [2] * (20 - MAX_SESSIONS), gone)
    dumps0, runs0 = dumps(), helper_runs()
    live = [call("view", s, {}, "id", "A", 0, 1) for s in sc[20 - MAX_SESSIONS:]]
    t.eq(f"... the {MAX_SESSIONS} newest sessions still view the table",
         [(200, None, N)] * MAX_SESSIONS, [(st, f, v.get("total") if isinstance(v, dict) else v) for st, f, v in live])
    t.ok("... from stored dumps (no dump, no helper run)", dumps() == dumps0 and helper_runs() == runs0,
         f"dumps {dumps0} -> {dumps()}, helper runs {helper_runs() - runs0}")
    times = {v.get("snapshot_time") for _, _, v in live if isinstance(v, dict)}
    t.ok(f"... at most {MAX_DUMPS} snapshot_times among them (a dropped dump's sessions moved to the newest): "
         f"{len(times)}", len(times) <= MAX_DUMPS)
    S.sess = S.sessions()
    after("20 logins x (refresh + view)")

    sid = login()
    t.ok("one more login of the viewer", sid is not None)
    S.sess = S.sessions()

    # ---- a. the worst multicall a viewer can send ------------------------------------------------
    before = d.sql("SELECT id, last_used, refresh_after, dump_id FROM sessions ORDER BY id")
    dumps0, runs0 = dumps(), helper_runs()
    head = mc_body([{"methodName": "refresh", "params": [sid]}])
    per_call = len(mc_body([view_call(sid)])) - len(mc_body([]))
    n = 1 + (BODY_LIMIT - len(head)) // per_call
    body = mc_body([{"methodName": "refresh", "params": [sid]}] + [view_call(sid)] * (n - 1))
    while len(body) > BODY_LIMIT:
        n -= 1
        body = mc_body([{"methodName": "refresh", "params": [sid]}] + [view_call(sid)] * (n - 1))
    m = peak.mark()
    st, out, secs, _ = post(body)
    kib = peak.peak_since(m)
    f = fault_of(out)
    text = out.decode(errors="replace")
    print(f"# worst multicall: {n} calls in {len(body)} bytes: HTTP {st} in {secs:.2f} s, "
          f"{len(out)} bytes back, ctd.cgi peak RSS {mib(kib)}", flush=True)
    t.ok(f"system.multicall of refresh + {n - 1} views ({len(body)} bytes): HTTP 200, fault 3 naming max_multicall",
         st == 200 and f == 3 and "max_multicall" in text, f"HTTP {st}, fault {f}: {text[:300]!r}")
    t.ok(f"... answered in under 2 s ({secs:.2f} s)", secs < 2)
    t.ok(f"... ctd.cgi's peak RSS under 64 MiB ({mib(kib)})", kib is not None and kib < RSS_LIMIT_KIB)
    t.eq("... nothing ran: every session's last_used, refresh_after, dump as before", before,
         d.sql("SELECT id, last_used, refresh_after, dump_id FROM sessions ORDER BY id"))
    t.eq("... nothing ran: no dump row added", dumps0, dumps())
    t.eq("... nothing ran: the helper never ran", runs0, helper_runs())
    after("worst multicall")

    # one page alone, the measure of the next response
    st, f, one = call("view", sid, {}, "orig_dst", "D", 0, MAX_PAGE)
    page = len(post(xmlrpc.client.dumps((sid, {}, "orig_dst", "D", 0, MAX_PAGE), "view").encode())[1])
    t.ok(f"one view of {MAX_PAGE} rows: {page} bytes", f is None and isinstance(one, dict) and
         len(one.get("table", ())) == MAX_PAGE, f"fault {f}")
    combos = [(flt, order, direction) for flt in ({}, {"orig_l4proto": 6})
              for order in ("id", "orig_src", "orig_dst", "timeout", "mark", "orig_port_src", "tcp_state",
                            "repl_port_src")
              for direction in ("A", "D")]
    calls = [view_call(sid, flt, order, direction, 0, MAX_PAGE) for flt, order, direction in combos]
    m = peak.mark()
    st, out, secs, _ = post(mc_body(calls))
    kib = peak.peak_since(m)
    try:
        res = value_of(out) if st == 200 and fault_of(out) is None else None
    except Exception:  # noqa: BLE001 - reported below
        res = None
    print(f"# multicall at the cap: {len(calls)} views of {MAX_PAGE} rows: HTTP {st} in {secs:.2f} s, "
          f"{len(out)} bytes back (one page: {page}), ctd.cgi peak RSS {mib(kib)}", flush=True)
    ok = isinstance(res, list) and len(res) == len(calls)
    t.ok(f"system.multicall of {len(calls)} views of {MAX_PAGE} rows, other orders and filters: HTTP 200, "
         f"{len(calls)} answers", ok, f"HTTP {st}: {out[:300]!r}")
    if ok:
        first = res[0][0] if isinstance(res[0], list) else res[0]
        t.ok(f"... the first view returns its {MAX_PAGE} rows",
             isinstance(first, dict) and len(first.get("table", ())) == MAX_PAGE, str(first)[:200])
        rest = [(x.get("faultCode"), "max_page" in x.get("faultString", "")) if isinstance(x, dict) else "answered"
                for x in res[1:]]
        t.eq(f"... the {len(calls) - 1} later views: fault 3 naming max_page (the row budget is spent)",
             [(3, True)] * (len(calls) - 1), rest)
    t.ok(f"... the response is one page's size ({len(out)} bytes <= 1.25 x {page} + {len(calls)} KiB)",
         len(out) <= 1.25 * page + len(calls) * 1024)
    t.ok(f"... ctd.cgi's peak RSS under 64 MiB ({mib(kib)})", kib is not None and kib < RSS_LIMIT_KIB)
    after("multicall at the cap")

    # ---- b. [refresh(s), view(s)] x 16 in one request --------------------------------------------
    sids = [login() for _ in range(MAX_SESSIONS)]
    t.ok(f"{MAX_SESSIONS} more logins of the viewer", None not in sids)
    S.sess = S.sessions()
    dumps0, runs0 = dumps(), helper_runs()
    calls = []
    for s in sids:
        calls += [{"methodName": "refresh", "params": [s]}, view_call(s, {}, "id", "A", 0, 10)]
    m = peak.mark()
    st, out, secs, _ = post(mc_body(calls))
    kib = peak.peak_since(m)
    res = value_of(out) if st == 200 and fault_of(out) is None else None
    dumps1, runs1 = dumps(), helper_runs()
    print(f"# [refresh, view] x {len(sids)}: HTTP {st} in {secs:.2f} s, dump rows {dumps0[0]} -> {dumps1[0]}, "
          f"helper runs {runs1 - runs0}, ctd.cgi peak RSS {mib(kib)}", flush=True)
    answered = isinstance(res, list) and all(isinstance(x, list) for x in res)
    t.ok(f"one multicall of [refresh(s), view(s, 10 rows)] for {len(sids)} sessions: every call answered",
         answered, f"HTTP {st}: {out[:300]!r}")
    if answered:
        times = {x[0]["snapshot_time"] for x in res[1::2] if isinstance(x[0], dict)}
        t.eq("... every view shows one snapshot_time", 1, len(times))
    t.ok(f"... the dumps table gained at most one row ({dumps1[1] - dumps0[1]} new)", dumps1[1] - dumps0[1] <= 1)
    t.ok(f"... the helper ran at most twice (count + dump): {runs1 - runs0}", runs1 - runs0 <= 2)
    after("[refresh, view] x 16")

if __name__ == "__main__":
    main()
