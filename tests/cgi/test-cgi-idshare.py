#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: connection ids that two live entries share.

CTA_ID is a 32-bit hash of the entry, so a big table holds pairs of live
entries with one id (about N^2 / 2^33 pairs: ~5 at 200k, ~100 at 1M).  A
view shows both rows; kill and change cannot tell which one the client
means, so they refuse such an id (fault 3, listing the ids) and touch
nothing, instead of acting on a connection nobody chose.  Real collisions,
found with the independent `conntrack -L -o id` in a table of 200,000
entries made by tools/ctgen inside a private namespace."""
import os
import re
import sys
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import BUILD, T, Netns, need_root, raise_conntrack_max  # noqa: E402
from ctdcgi import Cgi  # noqa: E402

t = T()
need_root(t)

N = 200000
CTGEN = os.path.join(BUILD, "tools", "ctgen")
LINE = re.compile(r"src=(\S+) dst=\S+ sport=(\d+) .*?mark=(\d+) .*?id=(\d+)")

if not os.access(CTGEN, os.X_OK):
    t.skip("shared ids", f"{CTGEN} missing: run make")
    t.done()


def table(ns, *args):
    """id -> [(orig src, orig sport, mark)] from conntrack -L -o id (the oracle)."""
    out = ns.ct("-L", "-o", "id", *args, check=False).stdout
    ids = defaultdict(list)
    for line in out.splitlines():
        m = LINE.search(line)
        if m:
            ids[int(m.group(4))].append((m.group(1), int(m.group(2)), int(m.group(3))))
    # the dump's order is the kernel's; a dump that runs while other
    # namespaces change the (global) hash may repeat an entry
    return {i: sorted(set(e)) for i, e in ids.items()}


def count(ns):
    """conntrack -C: the namespace's entry counter, exact."""
    return int(ns.ct("-C", check=False).stdout.strip() or -1)


raise_conntrack_max(N + 20000)
with Netns(track=False) as ns, Cgi(t, ns) as fx:
    # a fresh table until it holds at least two shared ids (>99% at once)
    for attempt in range(1, 5):
        ns.ct("-F", check=False)
        r = ns.run(CTGEN, str(N), "0", "0", check=False)
        ct = table(ns)
        shared = sorted(i for i, e in ct.items() if len(e) == 2)
        if r.returncode == 0 and len(shared) >= 2:
            break
    total = sum(len(e) for e in ct.values())
    t.ok(f"test data: {total} entries, {len(shared)} ids carried by two entries each (attempt {attempt})",
         total == N == count(ns) and len(shared) >= 2, r.stderr.strip())
    if len(shared) < 2:
        t.done()
    X, Y = shared[0], shared[1]
    U = next(i for i, e in ct.items() if len(e) == 1)
    print(f"# shared ids {X}: {ct[X]}, {Y}: {ct[Y]}; unique {U}: {ct[U]}", flush=True)

    sid = fx.login()
    fx.call("set_autorefresh", sid, 0)
    fx.call("refresh", sid)

    def rows_of(i):
        v = fx.call("view", sid, {"id": str(i)}, "id", "A", 0, 10)
        return v["total"], sorted((r["orig_ipv4_src"], r["orig_port_src"]) for r in v["table"])

    t.eq(f"view, filter id {X}: both entries that carry it", (2, sorted(e[:2] for e in ct[X])), rows_of(X))
    full = fx.call("view", sid, {}, "id", "A", 0, 1)
    t.eq("view without a filter: every entry of the table", N, full["total"])

    def refused(desc, method, *params, ids=()):
        """fault 3 naming every shared id, and nothing done: table and audit log as before."""
        audit0 = len(fx.audit_rows())
        code = fx.fault(method, sid, *params)
        msg = getattr(fx.last_fault, "faultString", "")
        t.ok(f"{desc} -> fault 3 naming {' '.join(map(str, ids))}",
             code == 3 and "two or more connections" in msg and all(str(i) in msg for i in ids), (code, msg))
        after = table(ns)
        t.eq("... conntrack: the named entries as they were, the table's size too",
             ([ct[X], ct[Y], ct[U]], N), ([after.get(X), after.get(Y), after.get(U)], count(ns)))
        t.eq("... conntrack -L -m 77 (kernel-side filter): no entry has the mark a change asked for", "",
             ns.ct("-L", "-m", "77", check=False).stdout.strip())
        t.eq("... no audit row", audit0, len(fx.audit_rows()))

    refused(f"change mark of shared id {X}", "change", "mark", str(X), 77, ids=[X])
    refused(f"kill [{U}, {X}] (one unique id, one shared)", "kill", [str(U), str(X)], ids=[X])
    refused(f"kill [{X}, {Y}, {U}] as ints", "kill", [i - (1 << 32) if i >= 1 << 31 else i for i in (X, Y, U)],
            ids=[X, Y])
    t.eq(f"kill [{U}] alone -> 1", 1, fx.call("kill", sid, [str(U)]))
    after = table(ns)
    t.ok("conntrack -L: that entry is gone, both entries of each shared id are still there",
         U not in after and after.get(X) == ct[X] and after.get(Y) == ct[Y])
    t.eq("conntrack -C: nothing else destroyed", N - 1, count(ns))

    # kill_matching leaves an entry alone when another visible entry carries its id
    src = ct[X][0][0]
    p = fx.call("kill_preview", sid, {"orig_ipv4_src": src})
    want = sum(1 for e in ct.values() for s, _, _ in e if s == src)
    t.eq(f"kill_preview {{orig_ipv4_src: {src}}}: matched as conntrack -L counts, 1 ambiguous (id {X})",
         (want, 1), (p["matched"], p["ambiguous"]))
    t.eq("kill_matching: destroys the others, leaves the shared id's entry",
         {"destroyed": want - 1, "gone": 0, "ambiguous": 1}, fx.call("kill_matching", sid, p["token"]))
    after = table(ns)
    t.ok("conntrack -L: both entries of the shared id still there", after.get(X) == ct[X])
    t.eq("conntrack -C: only the unambiguous matches destroyed", N - 1 - (want - 1), count(ns))
    t.eq("PRAGMA integrity_check", "ok", fx.integrity())
t.done()
