#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: the `audit` method (README, API).

Kills and changes made by two operators on entries made with
`conntrack -I` in a private namespace; the oracle is what each call did
(and `conntrack -L`, which says which entries were still there when it was
killed), never ctd's own answer: the method must list exactly those rows,
newest first, with user, role, address, action, id, tuple, field, value,
result and message; filter them by user, action, result, since/until and
address; page them as view pages; and refuse a viewer (fault 4)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import T, Netns, need_root  # noqa: E402
from ctdcgi import Cgi, ct_add, ct_ext, ct_del  # noqa: E402

t = T()
need_root(t)

with Netns() as ns, Cgi(t, ns) as fx:
    fx.conf(roles="admin:operator, op2:operator, bob:viewer", default_role="viewer")
    ct_add(ns, "192.0.2.1", "198.51.100.1", sport=1001, dport=80)
    ct_add(ns, "192.0.2.2", "198.51.100.2", sport=1002, dport=80)
    ct_add(ns, "192.0.2.3", "198.51.100.3", proto="udp", sport=1003, dport=53)
    ct_add(ns, "2001:db8::4", "2001:db8::99", sport=1004, dport=443)
    flows = {f["orig_src"]: f for f in ct_ext(ns).values()}
    ids = {src: str(f["id"]) for src, f in flows.items()}

    admin = fx.login("admin")
    op2 = fx.login("op2")
    bob = fx.login("bob")
    for s in (admin, op2):
        fx.call("view", s, {}, remote_user="admin" if s == admin else "op2")

    t0 = time.time()
    # what was done, in order: (user, action, id, src, field, value, result)
    done = []
    t.eq("admin kills 192.0.2.1", 1, fx.call("kill", admin, [ids["192.0.2.1"]]))
    done.append(("admin", "kill", ids["192.0.2.1"], "192.0.2.1", "", "", "done"))
    time.sleep(0.05)
    fx.call("change", op2, "mark", ids["192.0.2.2"], 42, remote_user="op2")
    done.append(("op2", "change", ids["192.0.2.2"], "192.0.2.2", "mark", "42", "done"))
    time.sleep(0.05)
    t_mid = time.time()
    # 192.0.2.3 leaves the kernel (conntrack -D) before op2 kills it: gone
    ct_del(ns, flows["192.0.2.3"])
    t.eq("conntrack -L: 192.0.2.3 deleted behind ctd's back", False,
         any(f["orig_src"] == "192.0.2.3" for f in ct_ext(ns).values()))
    t.eq("op2 kills the entry already gone -> 0", 0, fx.call("kill", op2, [ids["192.0.2.3"]], remote_user="op2"))
    done.append(("op2", "kill", ids["192.0.2.3"], "192.0.2.3", "", "", "gone"))
    time.sleep(0.05)
    fx.call("change", admin, "timeout", ids["2001:db8::4"], 77)
    done.append(("admin", "change", ids["2001:db8::4"], "2001:db8::4", "timeout", "77", "done"))
    t1 = time.time()
    newest = list(reversed(done))

    r = fx.expect_ok("audit as an operator", "audit", admin, {})
    got = [(e["user"], e["action"], e["id"], e["field"], e["value"], e["result"]) for e in r["entries"]]
    t.eq("every row, newest first: user, action, id, field, value, result",
         [(u, a, i, f, v, res) for u, a, i, _, f, v, res in newest], got)
    t.eq("total and start", (4, 0), (r["total"], r["start"]))
    e = r["entries"][-1]
    t.ok("the first row: time within the call, role, remote_addr, empty message",
         t0 - 1 <= e["time"] <= t1 + 1 and e["role"] == "operator" and e["remote_addr"] == "127.0.0.1"
         and e["message"] == "", e)
    t.eq("its tuple, as conntrack -L spells it",
         "tcp 6 src=192.0.2.1 dst=198.51.100.1 sport=1001 dport=80 zone=0", e["tuple"])
    t.ok("the IPv6 row's tuple", r["entries"][0]["tuple"].startswith("tcp 6 src=2001:db8::4 dst=2001:db8::99 "),
         r["entries"][0]["tuple"])
    t.eq("every value is a string or the time double",
         set(), {k for x in r["entries"] for k, v in x.items() if not isinstance(v, float if k == "time" else str)})

    def sel(desc, filters, want, **kw):
        r = fx.expect_ok(f"audit {filters}", "audit", admin, filters, **kw)
        if r:
            t.eq(f"... {desc}", [(u, a, i) for u, a, i, *_ in want],
                 [(x["user"], x["action"], x["id"]) for x in r["entries"]])
            t.eq("... total", len(want), r["total"])

    sel("op2's rows", {"user": "op2"}, [d for d in newest if d[0] == "op2"])
    sel("the kills", {"action": "kill"}, [d for d in newest if d[1] == "kill"])
    sel("the kills of op2", {"action": "kill", "user": "op2"}, [d for d in newest if d[:2] == ("op2", "kill")])
    sel("result gone", {"result": "gone"}, [d for d in newest if d[6] == "gone"])
    sel("result done", {"result": "done"}, [d for d in newest if d[6] == "done"])
    sel("since (double)", {"since": t_mid}, newest[:2])
    sel("since as an int", {"since": int(t0) - 1}, newest)
    sel("until (double)", {"until": t_mid}, newest[2:])
    sel("since and until", {"since": t_mid, "until": t1 + 1}, newest[:2])
    sel("addr: the original source", {"addr": "192.0.2.2"}, [d for d in newest if d[3] == "192.0.2.2"])
    sel("addr: the original destination", {"addr": "198.51.100.3"}, [d for d in newest if d[3] == "192.0.2.3"])
    sel("addr: IPv6, spelled long", {"addr": "2001:0db8:0:0::4"}, [d for d in newest if d[3] == "2001:db8::4"])
    sel("addr: no such address", {"addr": "203.0.113.9"}, [])
    sel("an empty array as filters (PHP)", [], newest)
    sel("a user nobody is", {"user": "nobody"}, [])

    # paging as view
    p = fx.call("audit", admin, {}, 1, 2)
    t.eq("start 1, length 2: the second and third newest",
         [d[2] for d in newest[1:3]], [x["id"] for x in p["entries"]])
    t.eq("... total is every row", (4, 1), (p["total"], p["start"]))
    p = fx.call("audit", admin, {}, 10, 2)
    t.eq("start past the end: no entries, the true total", ([], 4), (p["entries"], p["total"]))
    p = fx.call("audit", admin, {}, "2", 0)
    t.eq("start as a string, length 0 = the maximum page", [d[2] for d in newest[2:]],
         [x["id"] for x in p["entries"]])
    fx.conf(roles="admin:operator, op2:operator, bob:viewer", default_role="viewer", max_page=3)
    p = fx.call("audit", admin, {}, 0, 100)
    t.eq("length above max_page (3) gives max_page rows", 3, len(p["entries"]))
    fx.conf(roles="admin:operator, op2:operator, bob:viewer", default_role="viewer")

    # refusals
    fx.expect_fault("a viewer -> fault 4", 4, "audit", bob, {}, remote_user="bob")
    for bad, name in (({"user": 5}, "filters.user"), ({"since": "yesterday"}, "filters.since"),
                      ({"until": -1}, "filters.until"), ({"result": "ok"}, "filters.result"),
                      ({"addr": "10.0.0.0/8x"}, "filters.addr"), ({"color": "red"}, "filters"),
                      ("x", "filters")):
        f = fx.expect_fault(f"filters {bad!r} -> fault 3", 3, "audit", admin, bad)
        t.ok(f"... naming '{name}'", f is not None and f"'{name}'" in f.faultString,
             getattr(f, "faultString", None))
    f = fx.expect_fault("start -1 -> fault 3", 3, "audit", admin, {}, -1)
    fx.expect_fault("five parameters -> fault 3", 3, "audit", admin, {}, 0, 10, 1)
    t.eq("the refusals wrote no audit row", 4, len(fx.audit_rows()))
    t.eq("PRAGMA integrity_check", "ok", fx.integrity())
t.done()
