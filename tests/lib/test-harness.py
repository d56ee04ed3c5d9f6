#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The test harness itself (tests/lib/ctdtest.py): namespaces are private
and always removed, even when a test fails.  Oracle: conntrack -L and
ip netns in each namespace."""
import os
import subprocess
import sys

LIB = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, LIB)
from ctdtest import T, Netns, need_root  # noqa: E402

t = T()
need_root(t)


def count(ns, word):
    return sum(word in line for line in ns.ct("-L", check=False).stdout.splitlines())


with Netns() as a, Netns() as b:
    t.ok(f"namespace {a.name} exists", a.run("true", check=False).returncode == 0)
    t.ok(f"insert a TCP entry in {a.name}", a.ct("-I", "-s", "10.9.0.1", "-d", "10.9.0.2", "-p", "tcp", "--sport",
                                                  "1234", "--dport", "80", "--state", "ESTABLISHED", "--timeout",
                                                  "100", "--mark", "5", check=False).returncode == 0)
    t.eq(f"the entry is in {a.name}", 1, count(a, "sport=1234"))
    t.eq(f"and not in {b.name} (private tables)", 0, count(b, "sport=1234"))
    t.eq("accounting switched on in the namespace", "1",
         a.run("sysctl", "-n", "net.netfilter.nf_conntrack_acct").stdout.strip())

# a failing child test still cleans up: one that leaves its namespace open
# and fails, then a look afterwards
CHILD = f"""
import sys
sys.path.insert(0, {LIB!r})
from ctdtest import T, Netns
t = T()
ns = Netns().__enter__()
print(ns.name, flush=True)
t.ok("fails on purpose", False)
t.done()
"""
r = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True)
child = r.stdout.splitlines()[0] if r.stdout else ""
t.ok(f"child made namespace {child} and failed", child.startswith("ctdt-") and r.returncode == 1, r.stdout)
t.ok("child's namespace removed at its exit",
     subprocess.run(["ip", "netns", "exec", child or "none", "true"], capture_output=True).returncode != 0)
t.done()
