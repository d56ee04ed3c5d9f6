#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark (not a test) of the helper's EVENTS request, run by `make bench`
in a private network namespace with nf_conntrack_events=1, through
.build/tools/ctd-hc (tests/tools/ctd-hc.c: the CGI's helper client, the
helper spawned as the CGI spawns it) and .build/tools/ctburst (inserts 256
to a netlink message: "as fast as the kernel takes them").

1. A 4,000-entry burst inside one window (max 5000): delivered + lost must
   be 4,000 exactly (lost 0 is the goal: the receive buffer is sized for
   it); the time from the last insert to the request's return (the 250 ms
   batching window is most of it); the helper's CPU per 10k events.
2. A 50,000-entry burst (max 5000): the request returns at max with more
   true, in under 1 s after the burst starts.

Each figure is the median (min..max) of RUNS runs.

    events.py [--runs 5]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from ctdtest import BUILD, Netns  # noqa: E402

HC = os.path.join(BUILD, "tools", "ctd-hc")
BURST = os.path.join(BUILD, "tools", "ctburst")
HELPER = os.path.join(BUILD, "ctd-helper")
EV_NEW = 1


def log(msg):
    print(msg, flush=True)


def listening(ns):
    """Whether a netfilter netlink socket of the namespace joined a group."""
    for line in ns.run("cat", "/proc/net/netlink").stdout.splitlines()[1:]:
        f = line.split()
        if len(f) > 3 and f[1] == "12" and int(f[3], 16):
            return True
    return False


def kv(line):
    return dict(x.split("=", 1) for x in line.split() if "=" in x)


def one(ns, n, mx, first):
    """One window: subscribe (max mx, new events), burst n entries from
    index first; returns (hc figures, burst output)."""
    p = ns.popen(HC, "-s", HELPER, "events", "10000", str(mx), str(EV_NEW), stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 10
    while not listening(ns) and time.monotonic() < end:
        time.sleep(0.01)
    b = ns.run(BURST, str(n), str(first)).stdout.strip()
    out, err = p.communicate(timeout=30)
    if p.returncode != 0:
        raise RuntimeError(f"ctd-hc events: {err.strip()}")
    return kv(out), b


def burst_times(b):
    # "created N in S s (first at F, last at T)"
    f = b.split("first at ")[1].split(",")[0]
    t = b.split("last at ")[1].rstrip(")")
    return float(f), float(t)


def med(xs, unit="", fmt="{:.3f}"):
    return f"{fmt.format(statistics.median(xs))}{unit} ({fmt.format(min(xs))}..{fmt.format(max(xs))})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    a = ap.parse_args()
    for x in (HC, BURST, HELPER):
        if not os.access(x, os.X_OK):
            sys.exit(f"events bench: {x} missing: make all tools")
    log(f"events bench: load average at start: {open('/proc/loadavg').read().split()[:3]}")
    with Netns() as ns:
        ns.sysctl("net.netfilter.nf_conntrack_events", 1)
        exact, lost, after, cpu, burst_s = [], [], [], [], []
        for r in range(a.runs):
            ns.ct("-F", check=False)
            h, b = one(ns, 4000, 5000, 0)
            f, last = burst_times(b)
            got, lo = int(h["events"]), int(h["lost"])
            exact.append(got + lo == 4000)
            lost.append(lo)
            after.append(float(h["returned"]) - last)
            cpu.append(float(h["helper_cpu"]) / max(got, 1) * 10000)
            burst_s.append(last - f)
            log(f"  4000-entry burst run {r + 1}: delivered {got} + lost {lo} = {got + lo}; burst took "
                f"{last - f:.3f} s; returned {float(h['returned']) - last:.3f} s after the last insert; "
                f"helper CPU {float(h['helper_cpu']):.3f} s")
        log(f"1. 4,000 entries in one window (max 5000): delivered + lost = 4000 in {sum(exact)}/{a.runs} runs; "
            f"lost {med(lost, '', '{:.0f}')}; burst {med(burst_s, ' s')}; last insert -> return "
            f"{med(after, ' s')}; helper CPU per 10k events {med(cpu, ' s')}")
        ok, within = [], []
        for r in range(a.runs):
            ns.ct("-F", check=False)
            h, b = one(ns, 50000, 5000, 0)
            f, last = burst_times(b)
            ok.append(int(h["events"]) == 5000 and h["more"] == "1")
            within.append(float(h["returned"]) - f)
            log(f"  50,000-entry burst run {r + 1}: {h['events']} events, more={h['more']}, lost {h['lost']}, "
                f"returned {float(h['returned']) - f:.3f} s after the burst began (burst took {last - f:.3f} s)")
        log(f"2. 50,000-entry burst (max 5000): at max with more true in {sum(ok)}/{a.runs} runs; returned "
            f"{med(within, ' s')} after the burst began (target < 1 s)")
        ns.ct("-F", check=False)
    log(f"events bench: load average at end: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
