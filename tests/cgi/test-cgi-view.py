#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: view — row fields against conntrack -L, every filter,
every order_by, order_dir, paging edges, max_page, hide_networks, uid_mask /
username, refresh and set_autorefresh semantics.  Oracle: conntrack -L, the README (API)."""
import ipaddress
import os
import pwd
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import T, Netns, need_root  # noqa: E402
from ctdcgi import Cgi, ct_add, ct_del, ct_ext, ip_key, u32_of_i4  # noqa: E402

t = T()
need_root(t)

UIDMASK = 0xFFFF0000
UNKNOWN_UID = 54321
try:
    pwd.getpwuid(UNKNOWN_UID)
    UNKNOWN_UID = 54329
except KeyError:
    pass

TCP_STATES = {"ESTABLISHED", "SYN_SENT", "TIME_WAIT", "FIN_WAIT", "CLOSE_WAIT"}


def i4(u):
    return u - (1 << 32) if u >= (1 << 31) else u


def entries(ns):
    """The test table: every family/protocol, marks incl. >= 2^31, zones, states, hidden ones."""
    E = [
        dict(src="10.2.0.1", dst="10.2.0.2", proto="tcp", sport=1001, dport=80, mark=5, timeout=500),
        dict(src="10.2.0.1", dst="10.2.0.3", proto="tcp", sport=1002, dport=443, mark=0x80000001,
             state="SYN_SENT", timeout=110),
        dict(src="10.2.0.9", dst="10.2.0.2", proto="tcp", sport=1003, dport=22, mark=0xFFFFFFFF, zone=7,
             state="TIME_WAIT", timeout=100),
        dict(src="10.3.1.1", dst="10.2.0.2", proto="tcp", sport=1004, dport=80, mark=(33 << 16) | 1,
             timeout=450),
        dict(src="192.168.7.7", dst="10.2.0.2", proto="udp", sport=5353, dport=53, mark=(33 << 16) | 2,
             timeout=200),
        dict(src="10.2.0.1", dst="10.2.0.4", proto="udp", sport=1005, dport=53,
             mark=(UNKNOWN_UID << 16), zone=7, timeout=210),
        dict(src="10.2.0.1", dst="10.2.0.5", proto="icmp", icmp=(8, 0, 77), timeout=600),
        dict(src="2001:db8::1", dst="2001:db8::2", proto="tcp", sport=2001, dport=80, mark=5,
             timeout=400),
        dict(src="2001:db8::3", dst="2001:db8:1::9", proto="udp", sport=2002, dport=53, timeout=220),
        dict(src="2001:db8::1", dst="2001:db8::5", proto="icmpv6", icmp=(128, 0, 9), timeout=601),
        dict(src="fe80::1", dst="2001:db8::2", proto="tcp", sport=2003, dport=8080, timeout=300,
             state="CLOSE_WAIT"),
        dict(src="0.0.0.1", dst="10.2.0.2", proto="udp", sport=1, dport=2, timeout=90),
    ]
    for e in E:
        ct_add(ns, **e)
    # hidden by default (127.0.0.0/8 and ::1 as source or destination)
    ct_add(ns, "127.0.0.1", "127.0.0.2", "tcp", 3001, 80, timeout=500)
    ct_add(ns, "10.2.0.1", "127.0.0.5", "udp", 3002, 53, timeout=500)
    ct_add(ns, "::1", "::1", "udp", 3003, 53, timeout=500)
    ct_add(ns, "2001:db8::7", "::1", "tcp", 3004, 80, timeout=500)


def hidden(f, nets):
    return any(ipaddress.ip_address(f[k]) in n for k in ("orig_src", "orig_dst") for n in nets
               if ipaddress.ip_address(f[k]).version == n.version)


DEFAULT_HIDE = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]

L4 = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}


def expected_keys(f, uid_mask=0):
    k = {"id", "orig_l3proto", "orig_l4proto", "status", "timeout", "mark", "zone",
         "orig_counter_packets", "orig_counter_bytes", "repl_counter_packets", "repl_counter_bytes",
         "orig_rate", "repl_rate", "rate"}
    fam = "ipv4" if f["l3proto"] == 2 else "ipv6"
    k |= {f"orig_{fam}_src", f"orig_{fam}_dst", f"repl_{fam}_src", f"repl_{fam}_dst"}
    if f["l4proto"] in (6, 17):
        k |= {"orig_port_src", "orig_port_dst", "repl_port_src", "repl_port_dst"}
    if f["l4proto"] in (1, 58):
        k |= {"icmp_type", "icmp_code", "icmp_id"}
    if f["l4proto"] == 6:
        k.add("tcp_state")
    if uid_mask:
        k.add("user_id")
        uid = (f.get("mark", 0) & uid_mask) >> 16
        try:
            pwd.getpwuid(uid)
            k.add("username")
        except KeyError:
            pass
    return k


def addr_of(row, which):
    """orig_src etc. across families."""
    d, s = which.split("_")
    for fam in ("ipv4", "ipv6"):
        v = row.get(f"{d}_{fam}_{s}")
        if v is not None:
            return v
    return None


with Netns() as ns, Cgi(t, ns) as fx:
    entries(ns)
    fx.conf(uid_mask=hex(UIDMASK))
    ct = ct_ext(ns)
    vis = {i: f for i, f in ct.items() if not hidden(f, DEFAULT_HIDE)}
    t.eq("test data: 16 entries in the namespace, 12 visible", (16, 12), (len(ct), len(vis)))
    sid = fx.login()
    fx.call("set_autorefresh", sid, 0)
    fx.call("refresh", sid)

    def view(*a, **kw):
        return fx.call("view", sid, *a, **kw)

    def ids_of(v):
        return [r.get("id") for r in v["table"]]

    def vset(desc, filters, want_ids):
        """view with filters; total and id set equal the oracle's."""
        got, code = fx.attempt("view", sid, filters, "id", "a", 0, 0)
        if code is not None:
            t.ok(desc, False, f"fault {code}: {getattr(fx.last_fault, 'faultString', '')}")
            return
        t.ok(desc, sorted(ids_of(got)) == sorted(want_ids) and got["total"] == len(want_ids),
             f"want {sorted(want_ids)}, got {sorted(ids_of(got))} total {got['total']}")

    v = fx.expect_ok("view(session) with every trailing param omitted", "view", sid,
                     check=lambda v: isinstance(v, dict))
    if v is None:
        t.done()
    t.eq("view result keys", {"total", "start", "table", "snapshot_time", "interval", "accounting"},
         set(v))
    t.eq("total = visible entries (hidden networks left out)", len(vis), v.get("total"))
    t.ok("snapshot_time is a double near now", isinstance(v.get("snapshot_time"), float)
         and abs(v["snapshot_time"] - time.time()) < 60, v.get("snapshot_time"))
    t.ok("interval is a double, 0 for the very first dump (no previous one)", v.get("interval") == 0.0
         and isinstance(v.get("interval"), float), v.get("interval"))
    t.eq("accounting true (nf_conntrack_acct=1 in the namespace)", True, v.get("accounting"))
    t.eq("start echoed as 0", 0, v.get("start"))
    rows = {r.get("id"): r for r in v["table"]}
    t.eq("ids are the CTA_IDs of conntrack -L (decimal strings)", sorted(str(i) for i in vis),
         sorted(rows))
    t.ok("every id is a decimal string", all(isinstance(i, str) and i.isdigit() for i in rows), list(rows))
    t.ok("no row of a hidden network", all(not addr_of(r, "orig_src").startswith("127.")
                                           and addr_of(r, "orig_dst") not in ("::1", "127.0.0.5")
                                           for r in rows.values()))

    # ---- row fields, one by one, against conntrack -L -o extended ------------------
    bad = []
    for i, f in vis.items():
        r = rows.get(str(i))
        if r is None:
            continue
        fam = "ipv4" if f["l3proto"] == 2 else "ipv6"
        want = {"orig_l3proto": f["l3proto"], "orig_l4proto": f["l4proto"],
                f"orig_{fam}_src": f["orig_src"], f"orig_{fam}_dst": f["orig_dst"],
                f"repl_{fam}_src": f["repl_src"], f"repl_{fam}_dst": f["repl_dst"],
                "mark": i4(f.get("mark", 0)), "zone": f.get("zone", 0),
                "orig_counter_packets": float(f.get("orig_packets", 0)),
                "orig_counter_bytes": float(f.get("orig_bytes", 0)),
                "repl_counter_packets": float(f.get("repl_packets", 0)),
                "repl_counter_bytes": float(f.get("repl_bytes", 0))}
        if f["l4proto"] in (6, 17):
            want.update(orig_port_src=f["orig_sport"], orig_port_dst=f["orig_dport"],
                        repl_port_src=f["repl_sport"], repl_port_dst=f["repl_dport"])
        if f["l4proto"] in (1, 58):
            want.update(icmp_type=f["orig_type"], icmp_code=f["orig_code"], icmp_id=f["orig_id"])
        if f["l4proto"] == 6:
            want["tcp_state"] = f["state"]
        uid = (f.get("mark", 0) & UIDMASK) >> 16
        want["user_id"] = uid
        try:
            want["username"] = pwd.getpwuid(uid).pw_name
        except KeyError:
            pass
        for k, w in want.items():
            if r.get(k) != w or type(r.get(k)) is not type(w):
                bad.append(f"id {i} {k}: want {w!r} got {r.get(k)!r}")
        if set(r) != expected_keys(f, UIDMASK):
            bad.append(f"id {i} ({f['l4name']}/{f['l3name']}) keys: missing "
                       f"{expected_keys(f, UIDMASK) - set(r)}, extra {set(r) - expected_keys(f, UIDMASK)}")
        if not (isinstance(r.get("timeout"), int) and abs(f["timeout"] - r["timeout"]) <= 5):
            bad.append(f"id {i} timeout: conntrack {f['timeout']} got {r.get('timeout')!r}")
        st = r.get("status")
        if not isinstance(st, int) or not st & 8 or bool(st & 4) != ("ASSURED" in f["flags"]) \
                or bool(st & 2) == ("UNREPLIED" in f["flags"]):
            bad.append(f"id {i} status {st!r} vs flags {f['flags']}")
        for k in ("orig_rate", "repl_rate", "rate"):
            if not isinstance(r.get(k), float):
                bad.append(f"id {i} {k} not a double: {r.get(k)!r}")
    t.ok("every row field equals conntrack -L field by field, exactly the documented keys, right types",
         not bad, "; ".join(bad[:12]))
    by_sport = {r.get("orig_port_src"): r for r in rows.values() if "orig_port_src" in r}
    t.eq("mark 0xFFFFFFFF is sent as i4 -1", -1, by_sport.get(1003, {}).get("mark"))
    t.eq("mark 0x80000001 is sent as i4 -2147483647", -2147483647, by_sport.get(1002, {}).get("mark"))
    t.ok("no tcp_state on UDP rows", all("tcp_state" not in r for r in rows.values() if r.get("orig_l4proto") == 17))
    t.ok("no ports on ICMP rows", all("orig_port_src" not in r for r in rows.values()
                                      if r.get("orig_l4proto") in (1, 58)))
    t.eq("username from uid_mask 0xffff0000: mark 33<<16|1 -> www-data", "www-data",
         by_sport.get(1004, {}).get("username"))
    t.ok("unknown uid: user_id present, username absent",
         by_sport.get(1005, {}).get("user_id") == UNKNOWN_UID and "username" not in by_sport.get(1005, {}),
         by_sport.get(1005))

    # ---- filters ------------------------------------------------------------------------------
    def sel(pred):
        return [str(i) for i, f in vis.items() if pred(f)]

    def addr_in(a, spec):
        ip = ipaddress.ip_address(a)
        net = ipaddress.ip_network(spec, strict=False)
        return ip.version == net.version and ip in net

    some = sorted(vis)[3]
    vset("filter id (string)", {"id": str(some)}, [str(some)])
    vset("filter id (int / negative i4)", {"id": i4(some)}, [str(some)])
    vset("filter mark 5", {"mark": 5}, sel(lambda f: f.get("mark", 0) == 5))
    vset("filter mark 0xFFFFFFFF as negative i4", {"mark": -1}, sel(lambda f: f.get("mark") == 0xFFFFFFFF))
    vset("filter mark 0xFFFFFFFF as numeric string", {"mark": "4294967295"},
         sel(lambda f: f.get("mark") == 0xFFFFFFFF))
    vset("filter mark as an integral double", {"mark": 5.0}, sel(lambda f: f.get("mark", 0) == 5))
    vset("filter zone 7", {"zone": 7}, sel(lambda f: f.get("zone", 0) == 7))
    vset("filter zone 0", {"zone": 0}, sel(lambda f: f.get("zone", 0) == 0))
    vset("filter orig_l3proto 10", {"orig_l3proto": 10}, sel(lambda f: f["l3proto"] == 10))
    vset("filter orig_l3proto 2", {"orig_l3proto": 2}, sel(lambda f: f["l3proto"] == 2))
    vset("filter orig_l4proto 17", {"orig_l4proto": 17}, sel(lambda f: f["l4proto"] == 17))
    vset("filter orig_l4proto '6' (numeric string)", {"orig_l4proto": "6"}, sel(lambda f: f["l4proto"] == 6))
    vset("filter orig_port_src 1003", {"orig_port_src": 1003}, sel(lambda f: f.get("orig_sport") == 1003))
    vset("filter orig_port_dst 80", {"orig_port_dst": 80}, sel(lambda f: f.get("orig_dport") == 80))
    vset("filter orig_port_dst 53 and orig_l3proto 10 (ANDed)", {"orig_port_dst": 53, "orig_l3proto": 10},
         sel(lambda f: f.get("orig_dport") == 53 and f["l3proto"] == 10))
    vset("filter tcp_state TIME_WAIT", {"tcp_state": "TIME_WAIT"}, sel(lambda f: f.get("state") == "TIME_WAIT"))
    vset("filter tcp_state ESTABLISHED", {"tcp_state": "ESTABLISHED"},
         sel(lambda f: f.get("state") == "ESTABLISHED"))
    tw = rows[str(sorted(vis)[0])]["timeout"]
    vset("filter timeout (value from the snapshot)", {"timeout": tw},
         [i for i, r in rows.items() if r["timeout"] == tw])
    vset("filter username www-data (uid_mask)", {"username": "www-data"},
         sel(lambda f: (f.get("mark", 0) & UIDMASK) >> 16 == 33))
    vset("filter username root (uid 0 from mark 5 etc.)", {"username": "root"},
         sel(lambda f: (f.get("mark", 0) & UIDMASK) >> 16 == 0))
    vset("filter username nosuchuser -> none", {"username": "nosuchuser-xyz"}, [])
    vset("filter orig_ipv4_src dotted", {"orig_ipv4_src": "10.2.0.1"}, sel(lambda f: f["orig_src"] == "10.2.0.1"))
    vset("filter orig_ipv4_src int (host order)", {"orig_ipv4_src": int(ipaddress.ip_address("10.2.0.9"))},
         sel(lambda f: f["orig_src"] == "10.2.0.9"))
    vset("filter orig_ipv4_src small int 1 = 0.0.0.1", {"orig_ipv4_src": 1},
         sel(lambda f: f["orig_src"] == "0.0.0.1"))
    vset("filter orig_ipv4_src int >= 2^31 as negative i4 (192.168.7.7)",
         {"orig_ipv4_src": i4(int(ipaddress.ip_address("192.168.7.7")))},
         sel(lambda f: f["orig_src"] == "192.168.7.7"))
    vset("filter orig_ipv4_src CIDR 10.2.0.0/16", {"orig_ipv4_src": "10.2.0.0/16"},
         sel(lambda f: addr_in(f["orig_src"], "10.2.0.0/16")))
    vset("filter orig_ipv4_dst dotted", {"orig_ipv4_dst": "10.2.0.2"}, sel(lambda f: f["orig_dst"] == "10.2.0.2"))
    vset("filter orig_ipv4_dst CIDR 10.2.0.0/30", {"orig_ipv4_dst": "10.2.0.0/30"},
         sel(lambda f: addr_in(f["orig_dst"], "10.2.0.0/30")))
    vset("filter orig_ipv4_dst CIDR 0.0.0.0/0 = every IPv4 row", {"orig_ipv4_dst": "0.0.0.0/0"},
         sel(lambda f: f["l3proto"] == 2))
    vset("filter orig_ipv6_src string", {"orig_ipv6_src": "2001:db8::1"},
         sel(lambda f: f["orig_src"] == "2001:db8::1"))
    vset("filter orig_ipv6_src non-canonical string 2001:DB8:0::1", {"orig_ipv6_src": "2001:DB8:0::1"},
         sel(lambda f: f["orig_src"] == "2001:db8::1"))
    vset("filter orig_ipv6_src CIDR fe80::/10", {"orig_ipv6_src": "fe80::/10"},
         sel(lambda f: addr_in(f["orig_src"], "fe80::/10")))
    vset("filter orig_ipv6_dst string", {"orig_ipv6_dst": "2001:db8:1::9"},
         sel(lambda f: f["orig_dst"] == "2001:db8:1::9"))
    vset("filter orig_ipv6_dst CIDR 2001:db8::/48", {"orig_ipv6_dst": "2001:db8::/48"},
         sel(lambda f: addr_in(f["orig_dst"], "2001:db8::/48")))
    vset("filter addr 10.2.0.2 (any of the four addresses)", {"addr": "10.2.0.2"},
         sel(lambda f: "10.2.0.2" in (f["orig_src"], f["orig_dst"], f["repl_src"], f["repl_dst"])))
    vset("filter addr as an int (host order) 10.2.0.4", {"addr": int(ipaddress.ip_address("10.2.0.4"))},
         sel(lambda f: "10.2.0.4" in (f["orig_src"], f["orig_dst"], f["repl_src"], f["repl_dst"])))
    vset("filter addr CIDR 2001:db8::/64", {"addr": "2001:db8::/64"},
         sel(lambda f: any(addr_in(f[k], "2001:db8::/64") for k in ("orig_src", "orig_dst", "repl_src", "repl_dst"))))
    vset("filter addr 127.0.0.1 -> nothing (hidden whatever the filter)", {"addr": "127.0.0.1"}, [])
    vset("filter orig_ipv4_src 127.0.0.0/8 -> nothing", {"orig_ipv4_src": "127.0.0.0/8"}, [])
    vset("filter orig_ipv6_dst ::1 -> nothing", {"orig_ipv6_dst": "::1"}, [])
    vset("filter orig_port_src 3001 (a hidden entry) -> nothing", {"orig_port_src": 3001}, [])
    vset("empty array as filters (PHP array()) = no filter", [], [str(i) for i in vis])
    vset("empty struct as filters = no filter", {}, [str(i) for i in vis])
    f = fx.expect_fault("unknown filter name -> fault 3", 3, "view", sid, {"bogus_filter": 1})
    if f is not None:
        t.ok("fault 3 names the unknown filter", "bogus_filter" in f.faultString, f.faultString)
    fx.expect_fault("filter id 'abc' -> fault 3", 3, "view", sid, {"id": "abc"})
    fx.expect_fault("filter mark as an array -> fault 3", 3, "view", sid, {"mark": [1]})
    fx.expect_fault("filter mark 'abc' -> fault 3", 3, "view", sid, {"mark": "abc"})
    fx.expect_fault("filter mark 1.5 (not integral) -> fault 3", 3, "view", sid, {"mark": 1.5})
    fx.expect_fault("filter orig_ipv4_src 'not-an-ip' -> fault 3", 3, "view", sid, {"orig_ipv4_src": "not-an-ip"})
    fx.expect_fault("filter orig_ipv4_src an IPv6 address -> fault 3", 3, "view", sid,
                    {"orig_ipv4_src": "2001:db8::1"})
    fx.expect_fault("filter orig_ipv4_src CIDR /33 -> fault 3", 3, "view", sid, {"orig_ipv4_src": "10.0.0.0/33"})
    fx.expect_fault("filter orig_port_dst 70000 -> fault 3", 3, "view", sid, {"orig_port_dst": 70000})
    fx.expect_fault("filter tcp_state as a struct -> fault 3", 3, "view", sid, {"tcp_state": {"a": 1}})
    fx.expect_fault("filters as a non-empty array -> fault 3", 3, "view", sid, [1, 2])
    fx.expect_fault("filters as a string -> fault 3", 3, "view", sid, "mark=5")

    # ---- order_by / order_dir ---------------------------------------------------------------------
    full = view({}, "id", "asc", 0, 0)
    allrows = full["table"]

    def num(v):
        return v

    def sortval(field, r):
        if field in ("orig_src", "orig_dst", "repl_src", "repl_dst"):
            a = addr_of(r, field)
            return ip_key(a) if a else None
        v = r.get(field)
        if v is None:
            return None
        if field == "id":
            return int(v)
        if field == "mark":
            return u32_of_i4(v)
        if field.endswith(("_src", "_dst")) and ("ipv4" in field or "ipv6" in field):
            return ip_key(v)
        return v

    fields = sorted({k for r in allrows for k in r} | {"orig_src", "orig_dst", "repl_src", "repl_dst"})
    for fld in fields:
        order_bad = []
        got, code = fx.attempt("view", sid, {}, fld, "ascending", 0, 0)
        if code is not None:
            order_bad.append(f"{fld}: fault {code}")
            continue
        g = got["table"]
        if sorted(ids_of(got)) != sorted(ids_of(full)):
            order_bad.append(f"{fld}: different rows")
            continue
        have = [(sortval(fld, r), int(r["id"])) for r in g if sortval(fld, r) is not None]
        if have != sorted(have):
            order_bad.append(f"{fld} asc: {[h[0] for h in have]}")
        got, code = fx.attempt("view", sid, {}, fld, "Desc", 0, 0)
        if code is None:
            vals = [sortval(fld, r) for r in got["table"] if sortval(fld, r) is not None]
            if vals != sorted(vals, reverse=True):
                order_bad.append(f"{fld} desc: {vals}")
        else:
            order_bad.append(f"{fld} desc: fault {code}")
        t.ok(f"order_by {fld}: same rows, sorted (numbers numerically, ids/marks unsigned, addresses "
             "v4 before v6), ties by id, both directions", not order_bad, "; ".join(order_bad[:3]))
    got = view({}, "orig_src", "a", 0, 0)
    fams = [r["orig_l3proto"] for r in got["table"]]
    t.ok("order_by orig_src: all IPv4 before all IPv6", fams == sorted(fams) and 10 in fams and 2 in fams, fams)
    got = view({}, "repl_dst", "a", 0, 0)
    fams = [r["orig_l3proto"] for r in got["table"]]
    t.ok("order_by repl_dst: all IPv4 before all IPv6", fams == sorted(fams), fams)
    got = view({}, "mark", "a", 0, 0)
    marks = [u32_of_i4(r["mark"]) for r in got["table"]]
    t.ok("order_by mark: unsigned (0xFFFFFFFF, sent as -1, sorts last)",
         marks == sorted(marks) and marks[-1] == 0xFFFFFFFF, marks)
    idsu = [int(i) for i in ids_of(full)]
    t.eq("default order: id ascending as unsigned 32-bit", sorted(idsu), [int(i) for i in ids_of(view())])
    print(f"# ids: {sum(1 for i in idsu if i >= 1 << 31)} of {len(idsu)} are >= 2^31", flush=True)
    asc = ids_of(view({}, "id", "a"))
    for d in ("d", "D", "desc", "DESCENDING", "down"):
        t.eq(f"order_dir {d!r} -> descending", asc[::-1], ids_of(view({}, "id", d)))
    for d in ("a", "A", "asc", "ASCENDING", "anything-with-a"):
        t.eq(f"order_dir {d!r} -> ascending", asc, ids_of(view({}, "id", d)))
    t.eq("order_dir '' -> default ascending", asc, ids_of(view({}, "id", "")))
    t.eq("order_by '' -> default id", asc, ids_of(view({}, "", "a")))
    fx.expect_fault("order_by unknown field -> fault 3", 3, "view", sid, {}, "no_such_field", "a")
    fx.expect_fault("order_dir 'x' (neither A nor D) -> fault 3", 3, "view", sid, {}, "id", "x")

    # ---- paging ------------------------------------------------------------------------------------
    n = len(vis)
    got = view({}, "id", "a", n, 10)
    t.ok("start == total -> empty table, true total", got["table"] == [] and got["total"] == n, got)
    got = view({}, "id", "a", 1000000, 10)
    t.ok("start far past the end -> empty table, true total", got["table"] == [] and got["total"] == n, got)
    got = view({"orig_l4proto": 17}, "id", "a", 50, 10)
    t.eq("start past end with a filter: total after filtering",
         len(sel(lambda f: f["l4proto"] == 17)), got["total"])
    fx.expect_fault("start -1 -> fault 3", 3, "view", sid, {}, "id", "a", -1, 10)
    fx.expect_fault("start -2147483648 -> fault 3", 3, "view", sid, {}, "id", "a", -2147483648, 10)
    got = view({}, "id", "a", 3, 4)
    t.eq("start 3 length 4 -> rows 3..6 of the full order", asc[3:7], ids_of(got))
    t.eq("start echoed", 3, got["start"])
    got = view({}, "id", "a", "2", "3")
    t.eq("start/length as numeric strings", asc[2:5], ids_of(got))
    got = view({}, "id", "a", 2.0, 3.0)
    t.eq("start/length as integral doubles", asc[2:5], ids_of(got))
    fx.conf(uid_mask=hex(UIDMASK), max_page=5)
    for L in (0, -1, -2147483648, 6, 2147483647):
        got = view({}, "id", "a", 0, L)
        t.ok(f"max_page 5: length {L} -> 5 rows, total {n}", len(got["table"]) == 5 and got["total"] == n,
             f"{len(got['table'])} rows, total {got['total']}")
    t.eq("max_page 5: length omitted -> 5 rows", 5, len(view({}, "id", "a", 0)["table"]))
    t.eq("max_page 5: length 3 -> 3 rows", 3, len(view({}, "id", "a", 0, 3)["table"]))
    pages = []
    for s in range(0, n + 5, 5):
        pages += ids_of(view({}, "id", "a", s, 5))
    t.eq("pages of 5 put together = the whole ordered table", asc, pages)

    # ---- hide_networks ----------------------------------------------------------------------------------
    fx.conf(uid_mask=hex(UIDMASK), hide_networks="")
    fx.call("refresh", sid)
    got = view({}, "id", "a", 0, 0)
    t.eq("hide_networks empty -> every entry shown", len(ct), got["total"])
    fx.conf(uid_mask=hex(UIDMASK), hide_networks="10.2.0.0/24 2001:db8:1::/48")
    fx.call("refresh", sid)
    nets = [ipaddress.ip_network("10.2.0.0/24"), ipaddress.ip_network("2001:db8:1::/48")]
    want = [str(i) for i, f in ct.items() if not hidden(f, nets)]
    vset("hide_networks '10.2.0.0/24 2001:db8:1::/48' (space separated, replaces the default)", {}, want)
    vset("... and a filter naming a hidden address shows nothing", {"orig_ipv4_src": "10.2.0.1"}, [])
    fx.conf(uid_mask=hex(UIDMASK), hide_networks="10.3.0.0/16,192.168.0.0/16")
    fx.call("refresh", sid)
    nets = [ipaddress.ip_network("10.3.0.0/16"), ipaddress.ip_network("192.168.0.0/16")]
    vset("hide_networks comma separated", {}, [str(i) for i, f in ct.items() if not hidden(f, nets)])
    fx.conf()
    fx.call("refresh", sid)
    got = view({}, "id", "a", 0, 0)
    t.ok("uid_mask 0 (default): rows have no user_id / username",
         all("user_id" not in r and "username" not in r for r in got["table"]), got["table"][:1])
    fx.expect_ok("uid_mask 0: filter username root matches nothing (rows have no username)", "view", sid,
                 {"username": "root"}, check=lambda v: v["total"] == 0 and v["table"] == [])

    # ---- snapshot semantics: set_autorefresh 0 / refresh / N > 0 ----------------------------------------
    fx.expect_ok("set_autorefresh 0 -> true", "set_autorefresh", sid, 0, check=lambda v: v is True)
    v1 = view({}, "id", "a", 0, 0)
    ct_add(ns, "10.9.9.1", "10.9.9.2", "tcp", 4001, 80, timeout=600)
    time.sleep(1.2)
    v2 = view({}, "id", "a", 0, 0)
    t.eq("autorefresh 0: an entry added after the snapshot does not show", v1["total"], v2["total"])
    t.eq("autorefresh 0: snapshot_time unchanged", v1["snapshot_time"], v2["snapshot_time"])
    t.eq("autorefresh 0: every field of every row as it was (timeouts do not tick)", v1["table"], v2["table"])
    ct.update(ct_ext(ns))
    killed = [i for i in sorted(vis) if vis[i]["l4proto"] in (6, 17)][0]
    ct_del(ns, vis[killed])
    t.ok("test data: entry deleted behind the CGI's back", killed not in ct_ext(ns))
    v3 = view({}, "id", "a", 0, 0)
    t.ok("autorefresh 0: an entry deleted after the snapshot still shows (stable paging)",
         str(killed) in ids_of(v3), killed)
    fx.expect_ok("refresh -> true", "refresh", sid, check=lambda v: v is True)
    v4 = view({}, "id", "a", 0, 0)
    t.eq("after refresh: the new entry shows, the deleted one is gone", v1["total"], v4["total"])
    t.ok("after refresh: new entry present", any(r.get("orig_port_src") == 4001 for r in v4["table"]))
    t.ok("after refresh: snapshot_time newer", v4["snapshot_time"] > v1["snapshot_time"],
         (v1["snapshot_time"], v4["snapshot_time"]))
    t.ok("after refresh: interval = seconds between the two dumps (> 1)",
         1.0 <= v4["interval"] <= 60, v4["interval"])
    fx.expect_ok("set_autorefresh 2 -> true", "set_autorefresh", sid, 2, check=lambda v: v is True)
    ct_add(ns, "10.9.9.1", "10.9.9.3", "tcp", 4002, 80, timeout=600)
    v5 = view({}, "id", "a", 0, 0)
    time.sleep(2.5)
    v6 = view({}, "id", "a", 0, 0)
    t.ok("autorefresh 2: after 2.5 s a view re-dumps (new entry shows)",
         any(r.get("orig_port_src") == 4002 for r in v6["table"]) and v6["snapshot_time"] > v5["snapshot_time"],
         (v5["snapshot_time"], v6["snapshot_time"]))
    fx.expect_fault("set_autorefresh -1 -> fault 3", 3, "set_autorefresh", sid, -1)
    fx.expect_fault("set_autorefresh 'x' -> fault 3", 3, "set_autorefresh", sid, "x")
    fx.expect_ok("set_autorefresh '0' (numeric string) -> true", "set_autorefresh", sid, "0",
                 check=lambda v: v is True)
    # a second session has its own snapshot
    s2 = fx.login()
    fx.call("set_autorefresh", s2, 0)
    fx.call("set_autorefresh", sid, 0)
    a1 = view({}, "id", "a", 0, 0)
    ct_add(ns, "10.9.9.1", "10.9.9.4", "tcp", 4003, 80, timeout=600)
    fx.call("refresh", s2)
    b1 = fx.call("view", s2, {}, "id", "a", 0, 0)
    a2 = view({}, "id", "a", 0, 0)
    t.ok("a refresh in another session does not change this session's snapshot",
         a1["total"] == a2["total"] and b1["total"] == a1["total"] + 1, (a1["total"], a2["total"], b1["total"]))

    # ---- concurrent CGIs on one database (Apache runs them in parallel) ---------------------
    sess = [fx.login() for _ in range(4)]
    for s in sess:
        fx.call("set_autorefresh", s, 1)
    time.sleep(1.1)
    procs = [fx.spawn("view", s, {}, "id", "a", 0, 0) for s in sess for _ in range(2)]
    procs += [fx.spawn("refresh", sid) for _ in range(2)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        outs.append(out)
    good = sum(1 for o in outs if b"<name>table</name>" in o or b"<boolean>1</boolean>" in o)
    t.eq(f"{len(procs)} concurrent CGIs (re-dumping views and refreshes): all answered without a fault",
         len(procs), good)
    t.ok("... no fault among them", not any(b"faultCode" in o for o in outs),
         [o[-300:] for o in outs if b"faultCode" in o][:2])
    t.eq("integrity_check", "ok", fx.integrity())

t.done()
