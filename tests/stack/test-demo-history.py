#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The demo's history sampling (apache/demo.sh, README: What the demo
shows): while the demo runs, `ctd.cgi --sample` stores a sample every 10 s
as the web user inside the demo's namespace; `history` over HTTPS shows
them; `demo.sh stop` ends the loop (no process left, no new samples).
Once per helper mode (setuid, socket; CTD_E2E_MODES overrides).
Oracle: `conntrack -C` inside the namespace, ps, the database's rows."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import T, Netns, need_root  # noqa: E402
from ctddemo import Demo, InNetns  # noqa: E402

t = T()
need_root(t)
MODES = os.environ.get("CTD_E2E_MODES", "setuid socket").split()


def samplers(cgi):
    """Processes running the demo's ctd.cgi --sample loop (its bash or a run of it)."""
    out = subprocess.run(["ps", "-eo", "pid=,user=,args="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if cgi in line and "--sample" in line]


for mode in MODES:
    with Netns(track=False) as ns:
        for k in range(3):
            ns.ct("-I", "-s", "10.5.0.1", "-d", "10.5.0.2", "-p", "udp", "--sport", str(100 + k),
                  "--dport", "53", "--timeout", "600")
        d = Demo(ns, mode=mode, log_name=f"demo-history-{mode}")
        d.start()
        try:
            deadline, web = time.time() + 5, False
            while not web and time.time() < deadline:   # it execs from root to www-data
                web = any(line.split()[1] == "www-data" for line in samplers(d.cgi))
                time.sleep(0.2)
            t.ok(f"{mode}: a sampling loop runs as the web user while the demo runs", web, samplers(d.cgi))
            deadline, rows = time.time() + 30, []
            while time.time() < deadline and len(rows) < 2:
                time.sleep(1)
                try:
                    rows = d.sql("SELECT time, count FROM history WHERE kind = 2 ORDER BY time")
                except Exception:  # noqa: BLE001 - the database may not exist yet
                    rows = []
            want = int(ns.ct("-C").stdout.strip())
            gaps = [b[0] - a[0] for a, b in zip(rows, rows[1:])]
            t.ok(f"{mode}: --sample samples every ~10 s, count = the namespace's conntrack -C",
                 len(rows) >= 2 and all(8 <= g <= 13 for g in gaps) and rows[-1][1] == want,
                 f"{rows} gaps {gaps} want {want}")
            with InNetns(ns.name):
                c = d.client("viewer")
                sid = c.login()
                h = c.history(sid, {"points": 2000})
            t.ok(f"{mode}: history over HTTPS (viewer) shows them", len(h["samples"]) >= 2 and
                 h["samples"][-1]["count"] == want, h["samples"][-2:])
            err = os.path.join(d.dir, "log", "sample.log")
            t.ok(f"{mode}: nothing in log/sample.log", not os.path.exists(err) or os.path.getsize(err) == 0,
                 open(err).read()[-500:] if os.path.exists(err) else "")
        finally:
            d.run("stop")
        time.sleep(0.5)
        t.ok(f"{mode}: demo.sh stop ends the loop", samplers(d.cgi) == [], samplers(d.cgi))
        n = d.sql("SELECT count(*) FROM history WHERE kind = 2")[0][0]
        time.sleep(11)
        t.eq(f"{mode}: no sample after stop", n, d.sql("SELECT count(*) FROM history WHERE kind = 2")[0][0])
        d.stop()
t.done()
