#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: rates.  A real TCP flow inside the namespace sends at a
known steady rate (paced sender, 2 MB/s); two views some seconds apart (with a
refresh between) must give `rate` and `orig_rate` within +-20 % of the true
rate; `interval` is the time between the dumps; counters match conntrack -L;
`accounting` follows net.netfilter.nf_conntrack_acct."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import T, Netns, need_root  # noqa: E402
from ctdcgi import Cgi, Flow, ct_ext  # noqa: E402

t = T()
need_root(t)

RATE = 2_000_000.0
PORT = 5101
flow = None
flows2 = []


def within(desc, want, got, tol=0.20):
    ok = isinstance(got, float) and abs(got - want) <= tol * want
    return t.ok(f"{desc}: {got if not isinstance(got, float) else round(got)} within +-{int(tol * 100)}% of "
                f"{int(want)}", ok, f"got {got!r}")


with Netns(track=True) as ns, Cgi(t, ns) as fx:
    try:
        ns.run("ip", "addr", "add", "10.78.0.1/32", "dev", "lo")
        flow = Flow(ns, "10.78.0.1", PORT, rate=RATE, secs=60)
        sid = fx.login()
        fx.call("set_autorefresh", sid, 0)
        time.sleep(1.5)  # past TCP slow start and the first pacing jitter
        flt = {"orig_port_dst": PORT}
        fx.call("refresh", sid)
        v1 = fx.call("view", sid, flt)
        c1 = time.monotonic()
        t.eq("the flow is in the view (1 row)", 1, v1["total"])
        flow2 = Flow(ns, "10.78.0.1", PORT + 1, rate=RATE / 2, secs=30)   # first seen by the next dump
        flows2.append(flow2)
        time.sleep(4)
        fx.expect_ok("refresh -> true", "refresh", sid, check=lambda v: v is True)
        v2 = fx.call("view", sid, flt)
        n2 = fx.call("view", sid, {"orig_port_dst": PORT + 1})
        within("a connection first seen in this dump: average since its start (timestamps on)", RATE / 2,
               (n2["table"] or [{}])[0].get("rate"), tol=0.25)
        c2 = time.monotonic()
        ctf = [f for f in ct_ext(ns).values() if f.get("orig_dport") == PORT]
        r1 = v1["table"][0] if v1["table"] else {}
        r2 = v2["table"][0] if v2["table"] else {}
        print(f"# row after 4 s: {r2}", flush=True)
        t.eq("same connection id in both views", r1.get("id"), r2.get("id"))
        t.ok("interval ~ seconds between the two dumps (4 s +- 1)", abs(v2["interval"] - (c2 - c1)) < 1.0
             and 3.0 <= v2["interval"] <= 5.5, (v2["interval"], c2 - c1))
        t.ok("snapshot_time advanced by ~ the interval",
             abs((v2["snapshot_time"] - v1["snapshot_time"]) - v2["interval"]) < 0.5,
             (v1["snapshot_time"], v2["snapshot_time"], v2["interval"]))
        within("orig_rate (bytes/s, sender's direction)", RATE, r2.get("orig_rate"))
        within("rate (the connection's total)", RATE, r2.get("rate"))
        t.ok("repl_rate small (ACKs only) and a double", isinstance(r2.get("repl_rate"), float)
             and 0 < r2["repl_rate"] < 0.1 * RATE, r2.get("repl_rate"))
        delta = r2.get("orig_counter_bytes", 0) - r1.get("orig_counter_bytes", 0)
        t.ok("orig_rate == counter delta / interval", v2["interval"] > 0 and
             abs(r2.get("orig_rate", 0) - delta / v2["interval"]) <= 0.02 * RATE,
             (r2.get("orig_rate"), delta, v2["interval"]))
        t.ok("counters are doubles and grew", isinstance(r2.get("orig_counter_bytes"), float)
             and delta > 0.5 * RATE * 4, delta)
        t.ok("orig_counter_bytes <= conntrack -L bytes read just after (same counter)",
             ctf and r2.get("orig_counter_bytes", 1e18) <= ctf[0].get("orig_bytes", 0)
             and ctf[0]["orig_bytes"] - r2["orig_counter_bytes"] < RATE * 2,
             (r2.get("orig_counter_bytes"), ctf and ctf[0].get("orig_bytes")))
        t.eq("accounting true (nf_conntrack_acct=1)", True, v2["accounting"])

        # the snapshot keeps its rates: a second view without refresh is identical
        v3 = fx.call("view", sid, flt)
        t.eq("without refresh the rates stay as they were at snapshot_time", r2, (v3["table"] or [{}])[0])

        # a session's first view: rate from the previous dump, or the average since the
        # start (conntrack timestamps on): either way near the true rate
        time.sleep(2)
        s2 = fx.login()
        fx.call("set_autorefresh", s2, 0)
        w = fx.call("view", s2, flt)
        within("a new session's first view gives a rate too (previous dump / timestamps)", RATE,
               (w["table"] or [{}])[0].get("rate"), tol=0.25)

        # autorefresh N: the re-dump computes a new rate
        fx.call("set_autorefresh", sid, 1)
        time.sleep(2.2)
        v4 = fx.call("view", sid, flt)
        within("autorefresh 1: a view 2 s later re-dumps with a fresh rate", RATE,
               (v4["table"] or [{}])[0].get("rate"), tol=0.25)
        t.ok("autorefresh 1: the interval is the time since the previous dump (>= 1 s)",
             v4["interval"] >= 1.0 and v4["snapshot_time"] > v2["snapshot_time"], v4["interval"])
    finally:
        for f in [flow] + flows2:
            if f:
                f.stop()
    t.eq("integrity_check", "ok", fx.integrity())

with Netns(accounting=False, track=True) as ns, Cgi(t, ns) as fx:
    ns.run("ip", "addr", "add", "10.78.0.1/32", "dev", "lo")
    flow = Flow(ns, "10.78.0.1", PORT, rate=200000, secs=20)
    try:
        sid = fx.login()
        fx.call("set_autorefresh", sid, 0)
        time.sleep(1)
        fx.call("refresh", sid)
        v1 = fx.call("view", sid, {"orig_port_dst": PORT})
        time.sleep(2)
        fx.call("refresh", sid)
        v2 = fx.call("view", sid, {"orig_port_dst": PORT})
        t.eq("accounting false with nf_conntrack_acct=0", False, v2["accounting"])
        r = (v2["table"] or [{}])[0]
        t.ok("without accounting: counters and rates are 0 (unknown), still doubles",
             r.get("rate") == 0.0 and r.get("orig_counter_bytes") == 0.0 and isinstance(r.get("rate"), float), r)
    finally:
        flow.stop()

with Netns(timestamps=False, track=True) as ns, Cgi(t, ns) as fx:
    ns.run("ip", "addr", "add", "10.78.0.1/32", "dev", "lo")
    flows = [Flow(ns, "10.78.0.1", PORT, rate=RATE / 2, secs=20)]
    try:
        sid = fx.login()
        fx.call("set_autorefresh", sid, 0)
        time.sleep(1)
        fx.call("refresh", sid)
        fx.call("view", sid)
        flows.append(Flow(ns, "10.78.0.1", PORT + 1, rate=RATE / 2, secs=20))
        time.sleep(3)
        fx.call("refresh", sid)
        old = (fx.call("view", sid, {"orig_port_dst": PORT})["table"] or [{}])[0]
        new = (fx.call("view", sid, {"orig_port_dst": PORT + 1})["table"] or [{}])[0]
        within("timestamps off: a connection seen in both dumps has its rate", RATE / 2, old.get("rate"))
        t.ok("timestamps off: a connection first seen in this dump has rate 0", new.get("rate") == 0.0
             and new.get("orig_counter_bytes", 0) > 0, new)
    finally:
        for f in flows:
            f.stop()

t.done()
