#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: the filters of DESIGN §7 and the directional zones.
Entries are made with `conntrack -I` in a private namespace: the zone
shapes (--zone, --orig-zone, --reply-zone, one original tuple in four
zones), NAT (SNAT and DNAT, with and without a port, IPv6), marks
(0xffffffff, 417889, masks), status (SEEN_REPLY, ASSURED, unreplied), TCP
LISTEN, SCTP.  Oracle: `conntrack -L` and its own filters (-m VALUE/MASK,
-u, --src-nat/--dst-nat/--any-nat, --reply-src/--reply-dst,
--reply-port-src/--reply-port-dst, --zone, --orig-zone, --reply-zone,
--state): each ctd filter gives the same set of ids as the matching
conntrack filter, in `view` and `summary`; rows carry orig_zone,
reply_zone and sctp_state as conntrack -L prints them; kill, change and
kill_matching act on the entry of each zone shape and leave its
neighbours (the same tuple in the other zones) untouched."""
import ipaddress
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import T, Netns, need_root  # noqa: E402
from ctdcgi import Cgi, ip_key  # noqa: E402

t = T()
need_root(t)


def ct_lines(ns, *args):
    """conntrack -L -o extended,id [filter args]: id -> the line's text."""
    out = ns.ct("-L", "-o", "extended,id", *args, check=False).stdout
    rows = {}
    for line in out.splitlines():
        m = re.search(r"\bid=(\d+)", line)
        if m:
            rows[m.group(1)] = line
    return rows


def ct_ids(ns, *args):
    return set(ct_lines(ns, *args))


def ct_fields(line):
    """What the row must carry, read from one conntrack -L line."""
    tok = line.split()
    d = {"zone": int(m.group(1)) if (m := re.search(r" zone=(\d+)", line)) else 0}
    if m := re.search(r"zone-orig=(\d+)", line):
        d["orig_zone"] = int(m.group(1))
    if m := re.search(r"zone-reply=(\d+)", line):
        d["reply_zone"] = int(m.group(1))
    if tok[2] in ("tcp", "sctp"):
        d[f"{tok[2]}_state"] = tok[5]
    return d


def ct_tuples(line):
    """(orig, reply) of a conntrack -L line: dicts src, dst, sport, dport."""
    body = re.sub(r"\[[A-Z_]+\]", "", line)
    parts = re.split(r"(?=\bsrc=)", body)[1:3]
    res = []
    for p in parts:
        d = dict(kv.split("=", 1) for kv in p.split() if "=" in kv)
        res.append(d)
    return res


def ctd_ids(fx, sid, filters):
    v = fx.call("view", sid, filters, "id", "a", 0, 0)
    return {r["id"] for r in v["table"]}, v


ENTRIES = [
    # the zone shapes: one original tuple in four zones
    ("z4", "-s 10.20.0.1 -d 10.20.0.2 -p tcp --sport 1000 --dport 80 --state ESTABLISHED --zone 4"),
    ("z5", "-s 10.20.0.1 -d 10.20.0.2 -p tcp --sport 1000 --dport 80 --state ESTABLISHED --zone 5"),
    ("zo2", "-s 10.20.0.1 -d 10.20.0.2 -p tcp --sport 1000 --dport 80 --state ESTABLISHED --orig-zone 2"),
    ("zr3", "-s 10.20.0.1 -d 10.20.0.2 -p tcp --sport 1000 --dport 80 --state ESTABLISHED --reply-zone 3"),
    ("zo6", "-s 2001:db8:20::1 -d 2001:db8:20::2 -p udp --sport 1001 --dport 53 --orig-zone 6"),
    ("zr7", "-s 10.20.0.3 -d 10.20.0.4 -p udp --sport 1002 --dport 53 --reply-zone 7 -u SEEN_REPLY"),
    # NAT
    ("snat", "-s 10.30.0.1 -d 10.30.0.9 -p udp --sport 1001 --dport 53 --src-nat 192.168.30.1"),
    ("snatp", "-s 10.30.0.2 -d 10.30.0.9 -p tcp --sport 1002 --dport 80 --state ESTABLISHED "
              "--src-nat 192.168.30.2:4000"),
    ("dnat", "-s 10.30.0.3 -d 10.30.0.9 -p tcp --sport 1003 --dport 80 --state ESTABLISHED "
             "--dst-nat 192.168.30.7 -u SEEN_REPLY,ASSURED"),
    ("dnatp", "-s 10.30.0.4 -d 10.30.0.9 -p udp --sport 1004 --dport 53 --dst-nat 192.168.30.8:5353"),
    ("snat6", "-s 2001:db8:30::1 -d 2001:db8:30::9 -p udp --sport 1005 --dport 53 --src-nat 2001:db8:30::99"),
    # marks and status
    ("mffff", "-s 10.40.0.1 -d 10.40.0.9 -p udp --sport 1001 --dport 53 --mark 0xffffffff -u SEEN_REPLY"),
    ("m417889", "-s 10.40.0.2 -d 10.40.0.9 -p udp --sport 1002 --dport 53 --mark 417889 -u ASSURED"),
    ("m6061", "-s 10.40.0.3 -d 10.40.0.9 -p tcp --sport 1003 --dport 80 --state ESTABLISHED --mark 0x6061"),
    ("m10000", "-s 10.40.0.4 -d 10.40.0.9 -p udp --sport 1004 --dport 53 --mark 0x10000 "
               "-u SEEN_REPLY,ASSURED"),
    # states
    ("listen", "-s 10.50.0.1 -d 10.50.0.9 -p tcp --sport 1001 --dport 80 --state LISTEN"),
    ("sctp", "-s 10.50.0.2 -d 10.50.0.9 -p sctp --sport 1002 --dport 80 --state ESTABLISHED "
             "--orig-vtag 1 --reply-vtag 2"),
    ("sctpw", "-s 10.50.0.3 -d 10.50.0.9 -p sctp --sport 1003 --dport 80 --state COOKIE_WAIT "
              "--orig-vtag 3 --reply-vtag 4"),
]

# ctd filter -> the conntrack -L arguments that select the same entries
# (None: the complement of the next filter's set, computed below)
PAIRS = [
    ({"mark": 417889}, ["-m", "417889"]),
    ({"mark": -1}, ["-m", "0xffffffff"]),
    ({"mark": "4294967295/0xffffffff"}, ["-m", "0xffffffff/0xffffffff"]),
    ({"mark": "0x6061/0xffff"}, ["-m", "0x6061/0xffff"]),
    ({"mark": "417889/0xffff"}, ["-m", "417889/0xffff"]),
    ({"mark": "0x10000/0xffff0000"}, ["-m", "0x10000/0xffff0000"]),
    ({"mark": "0/0xffffffff"}, ["-m", "0/0xffffffff"]),
    ({"mark": "0x66061"}, ["-m", "417889"]),
    ({"mark": "0x0000000000066061/0x00000000ffffffff"}, ["-m", "417889"]),
    ({"flags": "SEEN_REPLY"}, ["-u", "SEEN_REPLY"]),
    ({"flags": "ASSURED"}, ["-u", "ASSURED"]),
    ({"flags": "ASSURED,SEEN_REPLY"}, ["-u", "ASSURED,SEEN_REPLY"]),
    ({"flags": "UNREPLIED"}, ["-u", "UNREPLIED"]),
    ({"flags": "SRC_NAT"}, ["--src-nat"]),
    ({"nat": "src"}, ["--src-nat"]),
    ({"nat": "dst"}, ["--dst-nat"]),
    ({"nat": "any"}, ["--any-nat"]),
    ({"repl_ipv4_src": "192.168.30.7"}, ["--reply-src", "192.168.30.7"]),
    ({"repl_ipv4_dst": "192.168.30.2"}, ["--reply-dst", "192.168.30.2"]),
    ({"repl_ipv6_dst": "2001:db8:30::99"}, ["--reply-dst", "2001:db8:30::99"]),
    ({"repl_ipv6_src": "2001:db8:20::2"}, ["--reply-src", "2001:db8:20::2"]),
    ({"orig_l4proto": 17, "repl_port_src": 5353}, ["-p", "udp", "--reply-port-src", "5353"]),
    ({"orig_l4proto": 6, "repl_port_dst": 4000}, ["-p", "tcp", "--reply-port-dst", "4000"]),
    ({"zone": 4}, ["--zone", "4"]),
    ({"orig_zone": 2}, ["--orig-zone", "2"]),
    ({"orig_zone": 6}, ["--orig-zone", "6"]),
    ({"reply_zone": 3}, ["--reply-zone", "3"]),
    ({"reply_zone": 7}, ["--reply-zone", "7"]),
    ({"tcp_state": "LISTEN"}, ["-p", "tcp", "--state", "LISTEN"]),
    ({"tcp_state": "SYN_SENT2"}, ["-p", "tcp", "--state", "LISTEN"]),
    ({"sctp_state": "ESTABLISHED"}, ["-p", "sctp", "--state", "ESTABLISHED"]),
    ({"sctp_state": "cookie_wait"}, ["-p", "sctp", "--state", "COOKIE_WAIT"]),
    ({"nat": "src", "mark": "0/0xffffffff"}, ["--src-nat", "-m", "0"]),
]

with Netns() as ns, Cgi(t, ns) as fx:
    made = {}
    for name, args in ENTRIES:
        before = ct_ids(ns)
        r = ns.ct("-I", *args.split(), "--timeout", "900", check=False)
        new = ct_ids(ns) - before
        t.ok(f"test data: conntrack -I {args}", r.returncode == 0 and len(new) == 1, r.stderr.strip())
        made[name] = new.pop() if new else None
    lines = ct_lines(ns)
    t.eq("test data: every entry listed by conntrack -L", len(ENTRIES), len(lines))

    sid = fx.login()
    fx.call("set_autorefresh", sid, 0)
    got, v = ctd_ids(fx, sid, {})
    t.eq("view lists every entry (ids as conntrack -L)", set(lines), got)
    rows = {r["id"]: r for r in v["table"]}

    # ---- rows: zones and states as conntrack -L prints them ---------------------------------
    for name, i in made.items():
        if i not in rows:
            continue
        want = ct_fields(lines[i])
        have = {k: rows[i][k] for k in ("zone", "orig_zone", "reply_zone", "tcp_state", "sctp_state")
                if k in rows[i]}
        t.eq(f"row of {name}: zone, orig_zone, reply_zone, tcp/sctp_state as conntrack -L", want, have)
        o, r = ct_tuples(lines[i])
        fam = "ipv6" if ":" in o["src"] else "ipv4"
        t.eq(f"row of {name}: the reply tuple as conntrack -L",
             (r["src"], r["dst"], int(r.get("sport", -1)), int(r.get("dport", -1))),
             (rows[i].get(f"repl_{fam}_src"), rows[i].get(f"repl_{fam}_dst"), rows[i].get("repl_port_src", -1),
              rows[i].get("repl_port_dst", -1)))

    # ---- each filter against conntrack's own ------------------------------------------------
    for flt, args in PAIRS:
        want = ct_ids(ns, *args)
        got, _ = ctd_ids(fx, sid, flt)
        t.eq(f"view {flt} = conntrack -L {' '.join(args)} ({len(want)} entries)", want, got)
        s = fx.call("summary", sid, flt, {"group_by": "orig_dst"})
        t.eq(f"summary {flt}: total = conntrack -L {' '.join(args)}", len(want), s["total"])
    everything = ct_ids(ns)
    got, _ = ctd_ids(fx, sid, {"nat": "none"})
    t.eq("view nat none = every entry but conntrack -L --any-nat", everything - ct_ids(ns, "--any-nat"), got)
    want = {i for i, line in lines.items() for _, r in [ct_tuples(line)] if ":" not in r["dst"] and
            ipaddress.ip_address(r["dst"]) in ipaddress.ip_network("192.168.30.0/24")}
    got, _ = ctd_ids(fx, sid, {"repl_ipv4_dst": "192.168.30.0/24"})
    t.eq("view repl_ipv4_dst CIDR = conntrack -L's reply destinations in it (SNAT)", want, got)
    t.ok("... which are the SNAT entries", {made["snat"], made["snatp"]} == want, want)

    # ---- sorting on the reply tuple and the new fields -------------------------------------
    def order(field, desc=False):
        v = fx.call("view", sid, {}, field, "d" if desc else "a", 0, 0)
        return [r["id"] for r in v["table"]]

    def oracle(key, desc=False):
        """ids ordered by key(line) (None = absent: first ascending, last descending), ties by id."""
        have = sorted((i for i in lines if key(lines[i]) is not None), key=lambda i: (key(lines[i]), int(i)))
        if desc:
            have = sorted(have, key=lambda i: int(i))
            have = sorted(have, key=lambda i: key(lines[i]), reverse=True)
        absent = sorted((i for i in lines if key(lines[i]) is None), key=int)
        return have + absent if desc else absent + have

    def repl_src4(line):
        r = ct_tuples(line)[1]["src"]
        return None if ":" in r else ip_key(r)

    def repl_dst(line):
        return ip_key(ct_tuples(line)[1]["dst"])

    def repl_sport(line):
        p = ct_tuples(line)[1].get("sport")
        return int(p) if p is not None else None

    for field, key in (("repl_ipv4_src", repl_src4), ("repl_dst", repl_dst), ("repl_port_src", repl_sport),
                       ("orig_zone", lambda x: ct_fields(x).get("orig_zone")),
                       ("reply_zone", lambda x: ct_fields(x).get("reply_zone")),
                       ("sctp_state", lambda x: ct_fields(x).get("sctp_state"))):
        for desc in (False, True):
            t.eq(f"order_by {field} {'desc' if desc else 'asc'} as conntrack -L's values", oracle(key, desc),
                 order(field, desc))

    # ---- change and kill on every zone shape, neighbours untouched ------------------------------
    zoned = ("z4", "z5", "zo2", "zr3")

    def others(name):
        return {made[n]: lines[made[n]] for n in zoned if n != name}

    def marks(ids):
        cur = ct_lines(ns)
        return {i: re.search(r"mark=(\d+)", cur[i]).group(1) if i in cur else None for i in ids}

    for k, name in enumerate(("zo2", "zr3", "z5"), start=1):
        i = made[name]
        nb = others(name)
        before = marks(nb)
        fx.expect_ok(f"change mark of the {name} entry", "change", sid, "mark", i, 700 + k,
                     check=lambda x: x is True)
        t.eq(f"... conntrack -L shows the new mark on it ({name})", str(700 + k), marks([i])[i])
        t.eq(f"... the same tuple in the other zones untouched ({name})", before, marks(nb))
    i = made["zo6"]
    fx.expect_ok("change timeout of the IPv6 --orig-zone entry", "change", sid, "timeout", i, 333,
                 check=lambda x: x is True)
    cur = ct_lines(ns)
    t.ok("... conntrack -L shows it fixed near 333 s", i in cur and 300 <= int(cur[i].split()[4]) <= 333,
         cur.get(i))
    fx.expect_ok("change timeout of the UDP --reply-zone entry", "change", sid, "timeout", made["zr7"], 444,
                 check=lambda x: x is True)
    cur = ct_lines(ns)
    t.ok("... conntrack -L shows it near 444 s", 400 <= int(cur[made["zr7"]].split()[4]) <= 444,
         cur.get(made["zr7"]))

    for name in ("zo2", "zr3", "z4"):
        i = made[name]
        alive = {made[n] for n in zoned if n != name and made[n] in ct_ids(ns)}
        fx.expect_ok(f"kill the {name} entry -> 1", "kill", sid, [i], check=lambda x: x == 1)
        now = ct_ids(ns)
        t.ok(f"... gone from conntrack -L ({name})", i not in now)
        t.eq(f"... the same tuple in the other zones still there ({name})", alive, alive & now)
    fx.expect_ok("kill the UDP --reply-zone entry -> 1", "kill", sid, [made["zr7"]], check=lambda x: x == 1)
    p = fx.expect_ok("kill_preview {orig_zone: 6} -> the IPv6 --orig-zone entry alone", "kill_preview", sid,
                     {"orig_zone": 6}, check=lambda x: x["matched"] == 1 and x["sample"][0]["id"] == made["zo6"])
    if p:
        fx.expect_ok("kill_matching of that preview destroys it", "kill_matching", sid, p["token"],
                     check=lambda x: x["destroyed"] == 1 and x["gone"] == 0)
    t.ok("... both gone", not ({made["zo6"], made["zr7"]} & ct_ids(ns)))
    t.ok("... the last of the four zones untouched", made["z5"] in ct_ids(ns))
    texts = [r.get("tuple", "") for r in fx.audit_rows()]
    t.ok("audit rows name the directional zones as conntrack -L does",
         any("zone-orig=2" in x for x in texts) and any("zone-reply=3" in x for x in texts), texts)
t.done()
