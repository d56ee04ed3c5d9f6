#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: history and `ctd.cgi --sample` (README, API: history).
A fresh dump leaves a sample whose count is `conntrack -C`'s, whose
per-protocol counts are an independent grouping of `conntrack -L` (icmp =
ICMP + ICMPv6, other = the rest) and whose rate is the sum of the rows'
rates `view` shows for that dump; `--sample` (run as the web user inside
the namespace, no dump) leaves count, nf_conntrack_max and the counters of
/proc/net/stat/nf_conntrack summed over CPUs (the helper's STATS request,
compared here with the file).  Down-sampling is checked on samples written
into the database by hand (averages and deltas computed here), pruning
against history_days, and every bad option is fault 3 naming it.
Oracles: conntrack -C / -L, sysctl, /proc, arithmetic here."""
import math
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import T, Netns, need_root  # noqa: E402
from ctdcgi import WWW_GID, WWW_UID, Cgi, Flow, ct_add  # noqa: E402

t = T()
need_root(t)

DAY = 86400
COLS = "time, kind, count, max, rate, tcp, udp, icmp, other, insert_failed, drops, early_drop"
ALWAYS = {"time", "count", "max", "dumps", "counter_samples"}
DUMP = {"rate", "tcp", "udp", "icmp", "other"}          # only when the bucket has a dump sample
COUNTERS = {"insert_failed", "drop", "early_drop"}     # only when it has a counter delta


def sample(fx, ns, *args, env=None):
    """ctd.cgi --sample as cron/systemd would run it: the web user, empty environment."""
    e = {"CTD_CONFIG": fx.confpath, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    e.update(env or {})
    argv = ns.cmd("/usr/bin/env", "-i", *[f"{k}={v}" for k, v in e.items()], "/usr/bin/setpriv",
                  f"--reuid={WWW_UID}", f"--regid={WWW_GID}", f"--groups={fx.gid}", fx.cgi,
                  *(args or ("--sample",)))
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def rows(fx, where="1"):
    return [dict(zip([c.strip() for c in COLS.split(",")], r))
            for r in fx.sql(f"SELECT {COLS} FROM history WHERE {where} ORDER BY time, id")[0]]


def write(fx, q):
    """A write of our own, committed (fx.sql's connection would roll it back)."""
    fx.sql(q, "COMMIT")


def ct_count(ns):
    return int(ns.ct("-C").stdout.strip())


def ct_max(ns):
    return int(ns.run("sysctl", "-n", "net.netfilter.nf_conntrack_max").stdout.strip())


def ct_groups(ns):
    g = {"tcp": 0, "udp": 0, "icmp": 0, "other": 0}
    for line in ns.ct("-L", "-o", "extended").stdout.splitlines():
        tok = line.split()
        if len(tok) < 4 or not tok[1].isdigit():
            continue
        n = tok[2]
        g[n if n in ("tcp", "udp") else "icmp" if n in ("icmp", "icmpv6") else "other"] += 1
    return g


def proc_counters(ns):
    """/proc/net/stat/nf_conntrack inside the namespace, summed over CPU lines (hex)."""
    lines = ns.run("cat", "/proc/net/stat/nf_conntrack").stdout.split("\n")
    head = lines[0].split()
    tot = {k: 0 for k in ("insert_failed", "drop", "early_drop")}
    for line in lines[1:]:
        v = line.split()
        if len(v) == len(head):
            for k in tot:
                tot[k] += int(v[head.index(k)], 16)
    return tot


def close(a, b, rel=1e-6):
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-6)


with Netns(track=True) as ns, Cgi(t, ns) as fx:
    fx.conf(roles="viewer:viewer")
    ns.run("ip", "addr", "add", "10.79.0.1/32", "dev", "lo")
    for i in range(5):
        ct_add(ns, "10.1.0.1", "10.1.0.2", "tcp", 1000 + i, 80)
    for i in range(3):
        ct_add(ns, "10.1.0.1", "10.1.0.3", "udp", 2000 + i, 53)
    ct_add(ns, "10.1.0.1", "10.1.0.4", "icmp", icmp=(8, 0, 11))
    ct_add(ns, "2001:db8::1", "2001:db8::2", "icmpv6", icmp=(128, 0, 12))
    ns.ct("-I", "-s", "10.1.0.1", "-d", "10.1.0.5", "-p", "gre", "--srckey", "1", "--dstkey", "2",
          "--timeout", "600")
    ns.ct("-I", "-s", "10.1.0.1", "-d", "10.1.0.6", "-p", "udplite", "--sport", "7", "--dport", "8",
          "--timeout", "600")
    ct_add(ns, "127.0.0.1", "127.0.0.2", "tcp", 3001, 80)   # hidden from rows, not from counts

    # ---- a sample at every dump -------------------------------------------------------------
    sid = fx.login()
    t0 = time.time()
    h = fx.expect_ok("history before any dump: no samples, the last hour by default", "history", sid,
                     check=lambda v: v["samples"] == [] and abs(v["until"] - t0) < 5 and
                     abs(v["until"] - v["since"] - 3600) < 1e-6)
    want_count, want_groups, want_max = ct_count(ns), ct_groups(ns), ct_max(ns)
    fx.call("view", sid, {}, "id", "asc", 0, 1000)
    r = rows(fx)
    t.ok("a view's fresh dump leaves one sample (kind 1)", len(r) == 1 and r[0]["kind"] == 1, r)
    d = r[0] if r else {}
    t.eq("its count is conntrack -C's (hidden connections counted too)", want_count, d.get("count"))
    t.eq("its per-protocol counts are conntrack -L's grouped (icmp = ICMP + ICMPv6, gre and udplite other)",
         want_groups, {k: d.get(k) for k in want_groups})
    t.eq("its max is net.netfilter.nf_conntrack_max", want_max, d.get("max"))
    t.ok("a dump sample carries no kernel counters", d.get("insert_failed") is None, d)
    h = fx.call("history", sid)
    s = h["samples"][0] if len(h["samples"]) == 1 else {}
    t.ok("history returns it: one point with the dump's fields, no counters (absent, not 0)",
         len(h["samples"]) == 1 and set(s) == ALWAYS | DUMP, h)
    t.ok("... with the stored values (count, max, protocols, rate, time)",
         s.get("count") == want_count and s.get("max") == want_max and s.get("tcp") == 6 and
         s.get("udp") == 3 and s.get("icmp") == 2 and s.get("other") == 2 and
         close(s.get("rate", -1), d.get("rate")) and close(s.get("time", 0), d.get("time")) and
         s.get("dumps") == 1, s)
    fx.call("view", sid, {}, "id", "asc", 0, 1000)
    t.eq("a view of the same snapshot leaves no second sample", 1, len(rows(fx)))
    fx.expect_ok("a viewer may call history", "history", fx.login("viewer"), remote_user="viewer",
                 check=lambda v: len(v["samples"]) == 1)

    # ---- rate: the sum of every row's rate of that dump -------------------------------------
    flow = Flow(ns, "10.79.0.1", 5077, rate=300000, secs=30)
    try:
        fx.call("refresh", sid)
        fx.call("view", sid, {}, "id", "asc", 0, 1000)
        time.sleep(1.5)
        fx.call("refresh", sid)
        v = fx.call("view", sid, {}, "id", "asc", 0, 1000)
    finally:
        flow.stop()
    last = rows(fx, "kind = 1")[-1]
    vsum = sum(row["rate"] for row in v["table"])
    t.ok("a dump's rate is the sum of its rows' rates in view (live flow, hidden rows idle)",
         vsum > 100000 and close(last["rate"], vsum, 1e-4) and close(last["time"], v["snapshot_time"]),
         f"sample {last['rate']} view {vsum}")

    n0 = len(rows(fx, "kind = 1"))
    fx.call("system.multicall", [{"methodName": "refresh", "params": [sid]},
                                 {"methodName": "view", "params": [sid, {}, "id", "asc", 0, 10]}])
    r = rows(fx, "kind = 1")
    t.ok("a dump inside a multicall (stored before the answer) leaves its sample too",
         len(r) == n0 + 1 and r[-1]["count"] == ct_count(ns), r[-1:])

    # ---- ctd.cgi --sample ---------------------------------------------------------------------
    for i in range(4):
        ct_add(ns, "10.1.0.7", "10.1.0.8", "tcp", 4000 + i, 443)
    n0 = len(rows(fx))
    p = sample(fx, ns)
    want_count, want_ctr = ct_count(ns), proc_counters(ns)
    t.ok("--sample as the web user: exit 0, nothing on stderr", p.returncode == 0 and not p.stderr,
         f"rc {p.returncode} {p.stderr!r}")
    r = rows(fx)
    s = r[-1] if len(r) == n0 + 1 else {}
    t.ok("--sample leaves one sample (kind 2) and no dump", s.get("kind") == 2 and
         fx.sql("SELECT count(*) FROM dumps")[0][0][0] <= 2, s)
    t.eq("its count is conntrack -C's", want_count, s.get("count"))
    t.eq("its max is nf_conntrack_max", ct_max(ns), s.get("max"))
    t.eq("its counters are /proc/net/stat/nf_conntrack's summed over CPUs (the namespace's)",
         want_ctr, {"insert_failed": s.get("insert_failed"), "drop": s.get("drops"),
                    "early_drop": s.get("early_drop")})
    t.ok("... and no rate or protocols", s.get("rate") is None and s.get("tcp") is None, s)
    h = fx.call("history", sid, {"since": s["time"] - 1e-3, "until": s["time"] + 1e-3, "points": 1})
    p1 = h["samples"][0] if h["samples"] else {}
    t.ok("history shows it: its count and max; no rate or protocols (dumps 0), no counters "
         "(no sample before it to take a delta from)",
         p1.get("count") == want_count and p1.get("max") == ct_max(ns) and p1.get("dumps") == 0 and
         set(p1) == ALWAYS, p1)
    p2 = sample(fx, ns)
    h = fx.call("history", sid, {"since": s["time"] - 1e-3, "points": 1})
    t.ok("two --sample samples: their counters' delta (0 in a quiet table), counter_samples 1",
         p2.returncode == 0 and len(h["samples"]) == 1 and h["samples"][0]["counter_samples"] == 1 and
         set(h["samples"][0]) == ALWAYS | COUNTERS and h["samples"][0]["drop"] == 0, h)

    # the command line only: a request's query string must never run it
    n0 = len(rows(fx))
    body = b"<?xml version='1.0'?><methodCall><methodName>login</methodName><params/></methodCall>"
    cp = subprocess.run(fx.argv(len(body)) + ["--sample"], input=body, capture_output=True)
    t.ok("as a CGI (GATEWAY_INTERFACE set), an argument --sample (ISINDEX query) is ignored: "
         "the request is answered, no sample", b"<methodResponse>" in cp.stdout and len(rows(fx)) == n0,
         cp.stdout[:300])
    p = sample(fx, ns, "--sample", "extra")
    t.ok("--sample with more arguments: exit 1, one line of usage",
         p.returncode == 1 and p.stderr.count("\n") == 1 and "usage" in p.stderr, p.stderr)
    p = sample(fx, ns, env={"CTD_CONFIG": fx.confpath + ".missing"})
    t.ok("--sample with an unreadable configuration: exit 1, one line naming it",
         p.returncode == 1 and p.stderr.count("\n") == 1 and "configuration" in p.stderr, p.stderr)
    fx.conf(roles="viewer:viewer", helper=fx.hanging_helper(0))
    p = sample(fx, ns)
    t.ok("--sample when the helper does not answer: exit 1, one line", p.returncode == 1 and
         p.stderr.count("\n") == 1 and "helper" in p.stderr, p.stderr)
    fx.conf(roles="viewer:viewer", database="/nonexistent-dir/ctd.db")
    p = sample(fx, ns)
    t.ok("--sample when the database cannot be opened: exit 1, one line naming it",
         p.returncode == 1 and p.stderr.count("\n") == 1 and "/nonexistent-dir/ctd.db" in p.stderr, p.stderr)
    fx.conf(roles="viewer:viewer")
    t.eq("... and failed runs left no sample", n0, len(rows(fx)))

    # ---- down-sampling, on samples written by hand ----------------------------------------------
    T0 = float(int(time.time()) - 2 * DAY)
    ins = []
    for i in range(100):   # dumps at T0 + i, count 10 + i, rate 2i
        ins.append(f"({T0 + i}, 1, {10 + i}, 1000, {2.0 * i}, {i}, 1, 0, 0, NULL, NULL, NULL)")
    for i in range(10):    # --sample at T0 + 10i + 5: drops grows by i each time
        drops = sum(range(i + 1))
        ins.append(f"({T0 + 10 * i + 5}, 2, 50, 1000, NULL, NULL, NULL, NULL, NULL, 7, {drops}, 3)")
    write(fx, f"INSERT INTO history({COLS}) VALUES " + ",".join(ins))
    h = fx.call("history", sid, {"since": T0, "until": T0 + 100, "points": 10})
    S = h["samples"]
    t.ok("points = 10 over 100 s of samples: 10 points", len(S) == 10, len(S))
    ok = len(S) == 10
    for b in range(min(10, len(S))):
        dts = [T0 + 10 * b + k for k in range(10)] + [T0 + 10 * b + 5]
        counts = [10 + 10 * b + k for k in range(10)] + [50]
        want = {"time": sum(dts) / 11, "count": sum(counts) / 11, "rate": sum(2.0 * (10 * b + k)
                for k in range(10)) / 10, "tcp": sum(10 * b + k for k in range(10)) / 10, "udp": 1,
                "max": 1000, "dumps": 10, "counter_samples": 1 if b else 0}
        if b:   # bucket 0 has the first --sample ever: no delta, no counters
            want.update({"drop": b, "insert_failed": 0, "early_drop": 0})
        if set(S[b]) != set(want) | {"icmp", "other"}:
            ok = t.ok(f"bucket {b} fields", False, sorted(S[b]))
        for k, w in want.items():
            if not close(S[b].get(k, -1), w):
                ok = t.ok(f"bucket {b} {k}", False, f"want {w} got {S[b].get(k)}")
    t.ok("each point: time and count the mean of its 11 samples, rate and protocols of its 10 dumps, "
         "drop the delta from the previous --sample (absent in the first bucket)", ok)
    h = fx.call("history", sid, {"since": T0, "until": T0 + 100, "points": 1})
    S = h["samples"]
    t.ok("points = 1: one point, the mean of all 110 and the counters' whole change (drop 45)",
         len(S) == 1 and close(S[0]["count"], (sum(range(10, 110)) + 500) / 110) and
         close(S[0]["drop"], 45) and S[0]["counter_samples"] == 9, S)
    h = fx.call("history", sid, {"since": T0, "until": T0 + 100, "points": 2000})
    t.ok("points = 2000 over 100 s: one point per sample second (<= points), 100 of them",
         len(h["samples"]) == 100, len(h["samples"]))
    h = fx.call("history", sid, {"since": T0 + 20.0, "until": T0 + 40.0, "points": 7})
    t.ok("since/until as doubles narrow it: 7 buckets, every time inside",
         0 < len(h["samples"]) <= 7 and all(T0 + 20 <= s["time"] <= T0 + 40 for s in h["samples"]) and
         h["since"] == T0 + 20 and h["until"] == T0 + 40, h["samples"][:2])
    h = fx.call("history", sid, {"since": int(T0) + 50, "until": str(int(T0) + 60), "points": "3"})
    t.ok("forgiving inputs: since as int, until and points as numeric strings",
         len(h["samples"]) == 3 and h["until"] == T0 + 60, h)
    fx.expect_ok("options as an empty array (PHP's array()) are no options", "history", sid, [],
                 check=lambda v: abs(v["until"] - v["since"] - 3600) < 1e-6)

    # ---- bad options: fault 3 naming the option -----------------------------------------------
    for opts, name in (({"points": 0}, "points"), ({"points": 2001}, "points"), ({"points": "x"}, "points"),
                       ({"points": 2.5}, "points"), ({"since": "yesterday"}, "since"),
                       ({"until": -5}, "until"), ({"since": 1e300}, "since"),
                       ({"since": T0 + 10, "until": T0}, "since"), ({"since": T0, "until": T0}, "since"),
                       ({"bogus": 1}, "bogus"), ({"since": [1]}, "since")):
        f = fx.expect_fault(f"history {opts}: fault 3", 3, "history", sid, opts)
        t.ok(f"... naming '{name}'", f is not None and f"'{name}'" in f.faultString,
             getattr(f, "faultString", f))
    f = fx.expect_fault("history with options not a struct: fault 3", 3, "history", sid, 42)
    t.ok("... naming 'options'", f is not None and "'options'" in f.faultString, f)
    fx.expect_fault("history with a third parameter: fault 3", 3, "history", sid, {}, 1)

    # ---- pruning: history_days ------------------------------------------------------------------
    now = time.time()
    write(fx, f"INSERT INTO history({COLS}) VALUES ({now - 3 * DAY}, 2, 1, 1, NULL, NULL, NULL, NULL, "
           f"NULL, 0, 0, 0), ({now - 0.5 * DAY}, 2, 2, 1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0)")
    p = sample(fx, ns)
    t.ok("history_days = 7 (default): a sample keeps 3-day-old ones",
         p.returncode == 0 and len(rows(fx, f"time < {now - 2.5 * DAY}")) == 1, rows(fx, f"time < {now - DAY}"))
    fx.conf(roles="viewer:viewer", history_days=1)
    p = sample(fx, ns)
    t.ok("history_days = 1: the next --sample prunes every sample older than a day, keeps the rest",
         p.returncode == 0 and rows(fx, f"time < {now - DAY}") == [] and
         len(rows(fx, f"time >= {now - DAY} AND time < {now - 0.4 * DAY}")) == 1, rows(fx, f"time < {now}")[:3])
    write(fx, f"INSERT INTO history({COLS}) VALUES ({now - 2 * DAY}, 2, 1, 1, NULL, NULL, NULL, NULL, "
           f"NULL, 0, 0, 0)")
    fx.call("refresh", sid)
    fx.call("view", sid, {}, "id", "asc", 0, 10)
    t.ok("... and so does a dump's sample", rows(fx, f"time < {now - DAY}") == [], rows(fx, f"time < {now - DAY}"))
    fx.expect_fault("history_days = 0 is a configuration error (fault 8)", 8, "history", sid) \
        if fx.conf(roles="viewer:viewer", history_days=0) else None
    fx.conf(roles="viewer:viewer", history_days=3651)
    fx.expect_fault("history_days = 3651 too", 8, "history", sid)
    fx.conf(roles="viewer:viewer")
t.done()
