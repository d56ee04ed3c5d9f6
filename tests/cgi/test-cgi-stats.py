#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: stats (README, API) — count equals `conntrack -C`, max
nf_conntrack_max, the per-CPU counters equal `conntrack -S` summed over CPUs,
accounting / timestamps / events_sysctl follow the namespace's sysctls,
expect_count `conntrack -L expect`, and `drop` moves (in conntrack -S and in
stats alike) when the namespace's table is really full: filled to
nf_conntrack_max with ASSURED entries (never early-dropped), then pushed
with real traffic.  stats never dumps the table.  Oracle: conntrack -C/-S,
the sysctls."""
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import BUILD, T, Netns, need_root  # noqa: E402
from ctdcgi import Cgi, ct_add  # noqa: E402

t = T()
need_root(t)

COUNTERS = ["found", "invalid", "insert", "insert_failed", "drop", "early_drop", "error", "search_restart",
            "clash_resolve", "chaintoolong"]
MAX_PATH = "/proc/sys/net/netfilter/nf_conntrack_max"
CTGEN = os.path.join(BUILD, "tools", "ctgen")


def ct_S(ns):
    """conntrack -S: every key summed over the cpu= lines."""
    sums = {}
    for line in ns.ct("-S").stdout.splitlines():
        for tok in line.split():
            k, _, v = tok.partition("=")
            if k != "cpu" and v.isdigit():
                sums[k] = sums.get(k, 0) + int(v)
    return sums


def ct_C(ns):
    return int(ns.ct("-C").stdout.split()[0])


def agree(desc, st, ns):
    want = ct_S(ns)
    diff = {k: (st.get(k), float(want.get(k, -1))) for k in COUNTERS if st.get(k) != float(want.get(k, -1))}
    t.ok(f"{desc}: every counter equals conntrack -S summed over CPUs ({', '.join(COUNTERS)})", not diff, diff)
    return want


with Netns(track=True) as ns, Cgi(t, ns) as fx:
    fx.conf(roles="admin:operator, viewer:viewer")
    for i in range(25):
        ct_add(ns, f"10.7.0.{i + 1}", "10.7.1.1", "tcp", 1000 + i, 80)
    sid = fx.login()
    runs_helper, count_runs = fx.counting_helper()
    fx.conf(roles="admin:operator, viewer:viewer", helper=runs_helper)
    st = fx.expect_ok("stats(session)", "stats", sid, check=lambda v: isinstance(v, dict))
    if st is None:
        t.done()
    t.eq("stats ran the helper once", 1, count_runs())
    t.eq("result keys", {"count", "max", "fill", "accounting", "timestamps", "expect_count", "time",
                         "events_sysctl", *COUNTERS}, set(st))
    types = {k: type(v).__name__ for k, v in st.items()}
    t.eq("types: count, max, expect_count, events_sysctl int; fill, time, counters double; switches boolean",
         {**{k: "int" for k in ("count", "max", "expect_count", "events_sysctl")},
          **{k: "float" for k in ("fill", "time", *COUNTERS)}, "accounting": "bool", "timestamps": "bool"},
         types)
    t.eq("count equals conntrack -C (25 inserted)", (25, ct_C(ns)), (st["count"], 25))
    with open(MAX_PATH) as f:
        host_max = int(f.read())
    t.eq("max equals nf_conntrack_max", host_max, st["max"])
    t.ok("fill = count / max", abs(st["fill"] - 25 / host_max) < 1e-12, st["fill"])
    t.ok("time is now", abs(st["time"] - time.time()) < 30, st["time"])
    t.eq("accounting and timestamps on (as the namespace's sysctls say)", (True, True),
         (st["accounting"], st["timestamps"]))
    agree("25 inserts", st, ns)
    t.ok("insert counts the 25 inserts", st["insert"] >= 25, st["insert"])
    t.eq("no expectation: expect_count 0 (conntrack -L expect)", 0, st["expect_count"])

    # ---- the switches follow the namespace's sysctls ----
    ns.sysctl("net.netfilter.nf_conntrack_acct", 0)
    ns.sysctl("net.netfilter.nf_conntrack_timestamp", 0)
    ns.sysctl("net.netfilter.nf_conntrack_events", 1)
    st = fx.call("stats", sid)
    t.eq("accounting, timestamps off and events_sysctl 1 after sysctl -w", (False, False, 1),
         (st["accounting"], st["timestamps"], st["events_sysctl"]))
    ns.sysctl("net.netfilter.nf_conntrack_events", 2)
    ns.sysctl("net.netfilter.nf_conntrack_acct", 1)
    t.eq("events_sysctl 2 (the kernel's default)", 2, fx.call("stats", sid)["events_sysctl"])

    # ---- never a dump: stats leaves the session's snapshot alone ----
    fx.call("refresh", sid)
    before = fx.call("view", sid, {}, "id", "a", 0, 1)["snapshot_time"]
    ct_add(ns, "10.7.9.9", "10.7.1.1", "udp", 5, 53)
    st = fx.call("stats", sid)
    t.eq("a new entry shows in count at once (no snapshot involved)", 26, st["count"])
    t.eq("... while view's snapshot is unchanged", before, fx.call("view", sid, {}, "id", "a", 0, 1)["snapshot_time"])

    # ---- viewers may call it ----
    vsid = fx.login("viewer")
    fx.expect_ok("a viewer may call stats", "stats", vsid, remote_user="viewer",
                 check=lambda v: v["count"] == 26)
    fx.expect_fault("stats with an extra parameter: fault 3", 3, "stats", sid, {})

    # ---- a real expectation (ftp helper, passive mode reply) ----
    ns.run("nft", "-f", "-", input="table inet ftpt {\n ct helper ftph { type \"ftp\" protocol tcp; }\n"
           " chain out { type filter hook output priority 0; policy accept; tcp dport 2121 ct helper set \"ftph\"; }\n}\n",
           check=False)
    srv = ns.popen(sys.executable, "-c", (
        "import socket\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind(('127.0.0.1', 2121)); s.listen(1); print('ready', flush=True)\nc,_=s.accept()\n"
        # the ftp helper reads a line only after a newline it saw: a banner first
        "c.sendall(b'220 ok\\r\\n'); c.recv(100)\n"
        "c.sendall(b'227 Entering Passive Mode (127,0,0,1,39,16)\\r\\n'); c.recv(10)\n"), stdout=subprocess.PIPE,
        text=True)
    srv.stdout.readline()
    cli = ns.popen(sys.executable, "-c", (
        "import socket, time\nc=socket.create_connection(('127.0.0.1', 2121)); c.recv(100)\n"
        "c.sendall(b'PASV\\r\\n')\n"
        "c.recv(100); time.sleep(3)\n"))
    time.sleep(1)
    nexp = len([x for x in ns.ct("-L", "expect", check=False).stdout.splitlines() if x.strip()])
    st = fx.call("stats", sid)
    if nexp:
        t.eq(f"expect_count equals conntrack -L expect ({nexp})", nexp, st["expect_count"])
    else:
        t.skip("expect_count with a live expectation", "the ftp helper made no expectation here")
    cli.wait(timeout=10)
    srv.kill()
    srv.wait()

    # ---- a really full table: drop moves in conntrack -S and in stats alike ----
    with open(MAX_PATH) as f:
        cur_max = int(f.read())
    if cur_max > 1_200_000 or not os.access(CTGEN, os.X_OK):
        t.skip("a full table", f"nf_conntrack_max {cur_max} too large to fill here, or {CTGEN} not built")
    else:
        # only ASSURED entries from here on (the kernel early-drops the others)
        ns.ct("-F", check=False)
        before = agree("before filling", fx.call("stats", sid), ns)
        need = cur_max - ct_C(ns)
        # ASSURED (status 4) entries: the kernel never early-drops them, so a new
        # connection finds no room and its packet is dropped
        r = ns.run(CTGEN, str(need), "0", "0", "0", "4", check=False)
        full = ct_C(ns)
        st = fx.call("stats", sid)
        t.ok(f"filled with {need} ASSURED entries: count = max = {cur_max}, fill 1.0",
             full >= cur_max and st["count"] == full and st["fill"] >= 1.0, (r.stdout, r.stderr[-200:], full, st["count"]))
        r = ns.run(CTGEN, "10", "0", "0", "0", "4", check=False)
        t.ok("one more insert is refused by the kernel (table full)", r.returncode != 0, r.stdout + r.stderr)
        # real traffic: 40 UDP datagrams, each a new connection the kernel cannot track
        code = ("import socket\nfor i in range(40):\n"
                " s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                " try:\n  s.sendto(b'x', ('10.7.9.1', 9000 + i))\n except OSError:\n  pass\n s.close()\n")
        ns.run("ip", "addr", "add", "10.7.9.1/32", "dev", "lo")
        ns.run(sys.executable, "-c", code, check=False)
        st = fx.call("stats", sid)
        after = agree("table full, after real traffic", st, ns)
        t.ok(f"drop moved (conntrack -S: {before.get('drop')} -> {after.get('drop')}; stats {st['drop']:.0f})",
             after.get("drop", 0) >= before.get("drop", 0) + 40 and st["drop"] == after["drop"],
             (before.get("drop"), after.get("drop"), st["drop"]))
        t.eq("the table stays at its max", cur_max, st["count"])

t.done()
