#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: connection ids that two live entries share.

CTA_ID is a 32-bit hash of the entry, so a big table holds pairs of live
entries with one id (about N^2 / 2^33 pairs: ~5 at 200k, ~100 at 1M).  An id
names every entry of the snapshot that carries it, as it does for
`conntrack -D --id`: view filters show them all, kill destroys them all
(and counts each), change changes them all, one audit row each.  Real
collisions, found with the independent `conntrack -L -o id` in a table of
200,000 entries made by tools/ctgen inside a private namespace."""
import os
import re
import sys
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
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
    return ids


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
         total == N and len(shared) >= 2, r.stderr.strip())
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

    # ---- change: every entry with the id ---------------------------------------------------------
    audit0 = len(fx.audit_rows())
    t.eq(f"change mark of shared id {X} -> true", True, fx.call("change", sid, "mark", str(X), 77))
    after = table(ns)
    t.eq("conntrack -L: both entries with that id now have mark 77", [77, 77], sorted(e[2] for e in after[X]))
    t.eq("conntrack -L: no other entry has mark 77", 2,
         sum(1 for e in after.values() for x in e if x[2] == 77))
    rows = fx.audit_rows()[audit0:]
    t.eq("audit: one 'done' row per entry changed, with its own tuple",
         sorted(("change", str(X), "done", f"src={s}") for s, _, _ in ct[X]),
         sorted((r["method"], r["conn_id"], r["result"], re.search(r"src=\S+", r["tuple"]).group(0))
                for r in rows))

    # ---- kill: a shared id and a unique one in one call ---------------------------------------------
    audit0 = len(fx.audit_rows())
    t.eq(f"kill [{X}, {U}] -> 3 (each entry destroyed counts)", 3, fx.call("kill", sid, [str(X), str(U)]))
    after = table(ns)
    t.ok("conntrack -L: both entries with the shared id and the unique one are gone",
         X not in after and U not in after, (after.get(X), after.get(U)))
    t.eq("conntrack -L: nothing else destroyed", N - 3, sum(len(e) for e in after.values()))
    t.eq("conntrack -L: the other shared id still has its two entries", sorted(ct[Y]), sorted(after[Y]))
    rows = fx.audit_rows()[audit0:]
    t.eq("audit: three 'done' kill rows, two for the shared id",
         sorted([("kill", str(X), "done")] * 2 + [("kill", str(U), "done")]),
         sorted((r["method"], r["conn_id"], r["result"]) for r in rows))
    t.eq(f"kill [{X}] again: in the snapshot, gone from the kernel -> 0", 0, fx.call("kill", sid, [str(X)]))
    t.eq(f"kill [{Y}] as an int (i4) -> 2", 2, fx.call("kill", sid, [Y - (1 << 32) if Y >= 1 << 31 else Y]))
    t.ok("conntrack -L: the second shared id is gone too", Y not in table(ns))
    t.eq("PRAGMA integrity_check", "ok", fx.integrity())
t.done()
