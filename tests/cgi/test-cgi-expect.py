#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: expectations and kill_expectation (README API) on a
real FTP expectation: the kernel's nf_conntrack_ftp through an nftables
`ct helper` rule in a private namespace and a PASV exchange between two
addresses of its lo (tests/lib/ctdftp.py).  `expectations` matches
`conntrack -L expect` field by field (its master id is the id `conntrack
-L -o id` gives the control connection); `kill_expectation` removes it
(conntrack -L expect agrees) with an audit row; an id the session's last
expectations call did not list is fault 5 and kills nothing; a viewer may
list but not kill; filters and hidden networks apply.  Oracle: conntrack
-L expect, conntrack -L -o id."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import T, Netns, need_root  # noqa: E402
from ctdcgi import Cgi, ct_ext  # noqa: E402
from ctdftp import CLIENT, DATA_PORT, SERVER, FtpExpectation  # noqa: E402

t = T()
need_root(t)


def ct_expect(ns):
    """`conntrack -L expect` lines parsed: timeout, proto, the expected
    tuple, the mask (mask-src/mask-dst and the ports after them), the
    master tuple (master-src/master-dst and the ports after them),
    class, helper, flags."""
    out = []
    for line in ns.ct("-L", "expect", check=False).stdout.splitlines():
        tok = line.split()
        if not tok or not tok[0].isdigit():
            continue
        d = {"timeout": int(tok[0]), "flags": set()}
        part = "orig"
        for x in tok[1:]:
            if "=" not in x:
                d["flags"].update(x.split(","))
                continue
            k, v = x.split("=", 1)
            if k in ("mask-src", "master-src"):
                part = k.split("-")[0]
            if k in ("src", "dst", "sport", "dport", "mask-src", "mask-dst", "master-src", "master-dst"):
                k = f"{part}_{k.split('-')[-1]}"
                d[k] = int(v) if k.endswith("port") else v
            else:
                d[k] = v
        out.append(d)
    return out


def row_view(x):
    """An expectations row in the shape of ct_expect()."""
    return {"proto": str(x["orig_l4proto"]), "orig_src": x["orig_ipv4_src"], "orig_dst": x["orig_ipv4_dst"],
            "orig_sport": x["orig_port_src"], "orig_dport": x["orig_port_dst"],
            "mask_src": x["mask_ipv4_src"], "mask_dst": x["mask_ipv4_dst"], "mask_sport": x["mask_port_src"],
            "mask_dport": x["mask_port_dst"], "master_src": x["master_ipv4_src"],
            "master_dst": x["master_ipv4_dst"], "master_sport": x["master_port_src"],
            "master_dport": x["master_port_dst"], "class": str(x["class"]), "helper": x["helper"]}


with Netns(track=True) as ns, Cgi(t, ns) as fx:
    fx.conf(roles="admin:operator, viewer:viewer")
    ftp = FtpExpectation(ns)
    try:
        if not ftp.wait():
            t.skip("expectations", "the kernel's ftp helper made no expectation here (nf_conntrack_ftp?)")
            t.done()
        sid = fx.login()
        fresh = fx.login()
        fx.expect_fault("kill_expectation before any expectations call: fault 5", 5, "kill_expectation", fresh,
                        ["1"])

        res = fx.expect_ok("expectations lists the FTP expectation", "expectations", sid, {},
                           check=lambda v: v["total"] == 1 and len(v["table"]) == 1)
        x = res["table"][0]
        want = ct_expect(ns)
        t.eq("conntrack -L expect lists one", 1, len(want))
        w = dict(want[0])
        wt = w.pop("timeout")
        wflags = w.pop("flags")
        got = row_view(x)
        t.eq("field by field as conntrack -L expect (proto, expected tuple, mask, master tuple, class, helper)",
             w, got)
        t.ok(f"timeout as conntrack -L expect ({wt} s) within 2 s", abs(x["timeout"] - wt) <= 2, x["timeout"])
        t.eq("flags 0 (conntrack prints none), zone 0", (set(), 0, 0), (wflags, x["flags"], x["zone"]))
        t.eq("the expected data connection: client -> server's announced port (PASV)",
             (CLIENT, SERVER, DATA_PORT, 6), (x["orig_ipv4_src"], x["orig_ipv4_dst"], x["orig_port_dst"],
                                              x["orig_l4proto"]))
        ctl = [f for f in ct_ext(ns).values() if f["orig_dst"] == SERVER and f.get("orig_dport") == 21]
        t.ok("master: the id conntrack -L -o id gives the control connection",
             len(ctl) == 1 and x["master"] == str(ctl[0]["id"]), (x["master"], ctl))
        t.ok("ids are decimal strings, types as the API says",
             re.fullmatch(r"\d+", x["id"]) and isinstance(x["class"], int) and isinstance(x["timeout"], int) and
             isinstance(x["helper"], str), x)

        # ---- filters and hidden networks ----
        fx.expect_ok("filter orig_port_dst 50000: listed", "expectations", sid, {"orig_port_dst": DATA_PORT},
                     check=lambda v: v["total"] == 1)
        fx.expect_ok("filter addr (the master tuple's address too): listed", "expectations", sid,
                     {"addr": SERVER}, check=lambda v: v["total"] == 1)
        fx.expect_ok("filter orig_port_dst 1: none", "expectations", sid, {"orig_port_dst": 1},
                     check=lambda v: v["total"] == 0 and v["table"] == [])
        fx.expect_fault("... and that call's listing is what kill_expectation may use: the old id is fault 5", 5,
                        "kill_expectation", sid, [x["id"]])
        t.eq("... nothing was killed", 1, len(ct_expect(ns)))
        fx.expect_fault("an unknown filter: fault 3", 3, "expectations", sid, {"bogus": 1})
        fx.conf(roles="admin:operator, viewer:viewer", hide_networks="127.0.0.0/8, ::1/128, 192.0.2.21/32")
        fx.expect_ok("hide_networks with the FTP server: not listed", "expectations", sid, {},
                     check=lambda v: v["total"] == 0)
        fx.conf(roles="admin:operator, viewer:viewer")

        # ---- a viewer lists, never kills ----
        vsid = fx.login("viewer")
        v = fx.expect_ok("a viewer may list", "expectations", vsid, {}, remote_user="viewer",
                         check=lambda v: v["total"] == 1)
        fx.expect_fault("a viewer may not kill_expectation: fault 4", 4, "kill_expectation", vsid,
                        [v["table"][0]["id"]], remote_user="viewer")
        t.eq("... the expectation is still there", 1, len(ct_expect(ns)))

        # ---- kill_expectation ----
        x = fx.call("expectations", sid, {})["table"][0]
        fx.expect_fault("an id never listed: fault 5", 5, "kill_expectation", sid, [str(int(x["id"]) ^ 1)])
        fx.expect_fault("ids not an array: fault 3", 3, "kill_expectation", sid, x["id"])
        fx.expect_fault("an id of the wrong kind: fault 3", 3, "kill_expectation", sid, [{"id": 1}])
        t.eq("... still there after the refusals", 1, len(ct_expect(ns)))
        n = fx.expect_ok("kill_expectation of the listed id: 1 destroyed", "kill_expectation", sid, [x["id"]],
                         check=lambda v: v == 1)
        t.eq("conntrack -L expect agrees: gone", [], ct_expect(ns))
        t.ok("the master connection lives on", any(f["orig_dst"] == SERVER and f.get("orig_dport") == 21
                                                   for f in ct_ext(ns).values()), "")
        fx.expect_ok("the same id again (listed, now gone): 0, no fault", "kill_expectation", sid, [x["id"]],
                     check=lambda v: v == 0)
        rows = [r for r in fx.audit_rows() if r.get("method") == "kill_expectation"]
        t.ok("audit: kill_expectation rows with the id, the tuple, done then not found",
             [r["result"] for r in rows] == ["done", "not found"] and all(r["conn_id"] == x["id"] for r in rows)
             and all(CLIENT in (r["tuple"] or "") for r in rows), rows)
        fx.expect_ok("expectations after the kill: none", "expectations", sid, {}, check=lambda v: v["total"] == 0)

        # a list left by a session that is gone (purged by a connection
        # without foreign keys) must not serve the next session given its id
        orphan = fx.sql("SELECT max(id) + 1 FROM sessions")[0][0][0]
        blob = bytes(152)  # a struct ctd_expect of id 7
        fx.sql(f"INSERT INTO session_expect(session_id, id, rec) VALUES ({orphan}, 7, x'{'07' + blob.hex()[2:]}')",
               "COMMIT")
        t.eq("(a list of a session that is gone, as such a purge left it)", [[1]],
             fx.sql(f"SELECT count(*) FROM session_expect WHERE session_id = {orphan}")[0])
        nsid = fx.login()
        t.eq("the next login gets the gone session's id (SQLite reuses it)", [[orphan]],
             fx.sql("SELECT max(id) FROM sessions")[0])
        fx.expect_fault("... and kill_expectation of an id only the gone session listed is fault 5", 5,
                        "kill_expectation", nsid, ["7"])
        t.eq("the gone session's list was purged at that login", [[0]],
             fx.sql(f"SELECT count(*) FROM session_expect WHERE session_id = {orphan}")[0])
    finally:
        ftp.close()

t.done()
