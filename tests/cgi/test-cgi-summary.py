#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: summary (README, API) — for every group_by
kind the groups equal an independent grouping of `conntrack -L -o xml` (IPv4
/24 and IPv6 /64 prefix aggregation included), with flags from `conntrack -L
-u NAME` / `--src-nat` / `--dst-nat`; the groups add up to view's total for the
same filters; order_by bytes and rate with real traffic (nft rule + counters);
hidden networks never counted; limit, groups_total, viewer access; bad options
are fault 3 naming the option.  Oracle: conntrack -L; key spelling: README, API."""
import ipaddress
import os
import pwd
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import T, Netns, need_root  # noqa: E402
from ctdcgi import Cgi, Flow, ct_add  # noqa: E402

t = T()
need_root(t)

UIDMASK = 0xFFFF0000
NO_NAME_UID = 54321
while True:
    try:
        pwd.getpwuid(NO_NAME_UID)
        NO_NAME_UID += 1
    except KeyError:
        break
HIDE = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
GROUP_BY = ["orig_src", "orig_dst", "repl_src", "repl_dst", "orig_port_src", "orig_port_dst", "orig_l3proto",
            "orig_l4proto", "tcp_state", "mark", "zone", "username", "flags"]
# the flags vocabulary (conntrack -u's names), in the API's order
FLAGS = ["ASSURED", "SEEN_REPLY", "FIXED_TIMEOUT", "DYING", "OFFLOAD", "SRC_NAT", "DST_NAT", "CONFIRMED"]


def table(ns):
    """Inserted entries: three IPv4 /24s, two IPv6 /64s, every protocol, marks of
    named and unnamed uids, zones, states, status bits; and hidden ones."""
    for i in range(6):
        ct_add(ns, f"10.1.1.{i + 1}", "10.5.0.1", "tcp", 2000 + i, 443, mark=(0 << 16) | i, timeout=900)
    for i in range(3):
        ct_add(ns, f"10.1.2.{i + 1}", "10.5.0.2", "udp", 3000 + i, 53, mark=33 << 16, zone=7, timeout=900)
    ct_add(ns, "192.0.2.9", "10.5.0.1", "tcp", 4000, 22, state="SYN_SENT", mark=NO_NAME_UID << 16, timeout=900)
    ct_add(ns, "192.0.2.9", "10.5.0.3", "icmp", icmp=(8, 0, 5), timeout=900)
    ct_add(ns, "10.1.1.77", "10.5.0.9", "tcp", 4001, 80, state="TIME_WAIT", timeout=900)
    for i in range(4):
        ct_add(ns, f"2001:db8:1::{i + 1:x}", "2001:db8:ff::1", "tcp", 5000 + i, 443, timeout=900)
    ct_add(ns, "2001:db8:1:0:ffff::9", "2001:db8:ff::2", "udp", 5100, 53, zone=3, timeout=900)
    ct_add(ns, "2001:db8:2::1", "2001:db8:ff::1", "icmpv6", icmp=(128, 0, 7), timeout=900)
    # status bits beyond CONFIRMED
    ns.ct("-I", "-s", "10.1.3.1", "-d", "10.5.0.1", "-p", "tcp", "--sport", "6000", "--dport", "80",
          "--state", "ESTABLISHED", "--timeout", "900", "-u", "ASSURED,SEEN_REPLY")
    ns.ct("-I", "-s", "10.1.3.2", "-d", "10.5.0.1", "-p", "udp", "--sport", "6001", "--dport", "80",
          "--timeout", "900", "-u", "SEEN_REPLY")
    # NAT: a reply tuple that differs from the inverted original
    ns.ct("-I", "-s", "10.1.4.1", "-d", "10.5.0.1", "-p", "tcp", "--sport", "6100", "--dport", "80",
          "-r", "10.5.0.1", "-q", "198.51.100.1", "--reply-port-src", "80", "--reply-port-dst", "6100",
          "--state", "ESTABLISHED", "--timeout", "900", check=False)
    # hidden (127.0.0.0/8, ::1 as source or destination)
    ct_add(ns, "127.0.0.1", "127.0.0.2", "tcp", 7001, 80, timeout=900)
    ct_add(ns, "10.1.1.1", "127.0.0.5", "udp", 7002, 53, timeout=900)
    ct_add(ns, "::1", "::1", "udp", 7003, 53, timeout=900)


def hidden(f):
    return any(ipaddress.ip_address(f[k]) in n for k in ("orig_src", "orig_dst") for n in HIDE
               if ipaddress.ip_address(f[k]).version == n.version)


def addr_key(a, v4, v6):
    ip = ipaddress.ip_address(a)
    p, full = (v4, 32) if ip.version == 4 else (v6, 128)
    net = ipaddress.ip_network(f"{a}/{p}", strict=False)
    return str(net.network_address) + (f"/{p}" if p < full else "")


def uname(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return ""


def oracle_key(f, by, v4=32, v6=128, flags=None):
    """The group key of one conntrack -L flow, as the README (API, summary) spells it."""
    if by in ("orig_src", "orig_dst", "repl_src", "repl_dst"):
        return addr_key(f[by], v4, v6)
    if by in ("orig_port_src", "orig_port_dst"):
        k = "orig_sport" if by == "orig_port_src" else "orig_dport"
        return str(f[k]) if k in f and f["l4proto"] in ("tcp", "udp") else ""
    if by == "orig_l3proto":
        return f["l3proto"]
    if by == "orig_l4proto":
        return f["l4proto"]
    if by == "tcp_state":
        return f.get("state", "") if f["l4proto"] == "tcp" else ""
    if by == "mark":
        return str(f.get("mark", 0))
    if by == "zone":
        return str(f.get("zone", 0))
    if by == "username":
        return uname((f.get("mark", 0) & UIDMASK) >> 16)
    if by == "flags":
        return ",".join(n for n in FLAGS if f["id"] in flags.get(n, ()))
    raise ValueError(by)


def oracle(flows, by, flags, v4=32, v6=128, order="connections"):
    """{key: [connections, orig_bytes, repl_bytes]} and the expected order of keys."""
    g = {}
    for f in flows:
        k = oracle_key(f, by, v4, v6, flags)
        e = g.setdefault(k, [0, 0, 0])
        e[0] += 1
        e[1] += f.get("orig_bytes", 0)
        e[2] += f.get("repl_bytes", 0)
    if order == "bytes":
        ranked = sorted(g, key=lambda k: (-(g[k][1] + g[k][2]), k))
    else:
        ranked = sorted(g, key=lambda k: (-g[k][0], k))
    return g, ranked


def status_sets(ns):
    """Ids per status name, from conntrack's own filters (-u, --src-nat, --dst-nat)."""
    def ids(*a):
        out = ns.ct("-L", *a, "-o", "id", check=False).stdout
        return {int(x.rsplit("id=", 1)[1].split()[0]) for x in out.splitlines() if "id=" in x}
    sets = {n: ids("-u", n) for n in ("ASSURED", "SEEN_REPLY", "FIXED_TIMEOUT", "OFFLOAD")}
    sets["SRC_NAT"] = ids("--src-nat")
    sets["DST_NAT"] = ids("--dst-nat")
    sets["CONFIRMED"] = ids()  # every entry of the table is confirmed
    sets["DYING"] = set()
    return sets


with Netns(track=True) as ns, Cgi(t, ns) as fx:
    fx.conf(uid_mask=hex(UIDMASK), roles="admin:operator, viewer:viewer")
    table(ns)
    # ---- real traffic: two TCP flows at different paces, finished before the dump ----
    for a in ("10.9.0.1", "10.9.0.2"):
        ns.run("ip", "addr", "add", f"{a}/32", "dev", "lo")
    fast = Flow(ns, "10.9.0.1", 8001, rate=600_000, secs=1.5)
    slow = Flow(ns, "10.9.0.2", 8002, rate=60_000, secs=1.5)
    fast.client.wait(timeout=30)
    slow.client.wait(timeout=30)
    time.sleep(0.5)
    sid = fx.login()
    fx.call("set_autorefresh", sid, 0)
    fx.call("refresh", sid)

    def summary(filters=None, **opts):
        return fx.call("summary", sid, filters or {}, opts)

    first = fx.expect_ok("summary(session) with filters and options omitted", "summary", sid,
                         check=lambda v: isinstance(v, dict))
    if first is None:
        t.done()
    flows = [f for f in ns.list()]
    vis = [f for f in flows if not hidden(f)]
    flags = status_sets(ns)
    t.ok(f"test data: {len(flows)} entries, {len(flows) - len(vis)} hidden, both flows counted bytes",
         len(flows) - len(vis) == 3 and any(f.get("orig_src") == "10.9.0.1" and f.get("orig_bytes", 0) > 500_000
                                            for f in flows), len(flows))
    t.eq("result keys", {"total", "groups_total", "groups", "snapshot_time", "interval", "accounting"},
         set(first))
    t.eq("total = visible entries (hidden networks left out)", len(vis), first["total"])
    _, ranked0 = oracle(vis, "orig_src", flags)
    t.eq("default: group_by orig_src, limit 20, ordered by connections", ranked0[:20],
         [x["key"] for x in first["groups"]])
    t.eq("group fields and types",
         [("key", str), ("connections", int), ("orig_bytes", float), ("repl_bytes", float), ("bytes", float),
          ("orig_rate", float), ("repl_rate", float), ("rate", float), ("share", float)],
         [(k, type(first["groups"][0].get(k))) for k in ("key", "connections", "orig_bytes", "repl_bytes",
                                                          "bytes", "orig_rate", "repl_rate", "rate", "share")])
    v = fx.call("view", sid, {}, "id", "a", 0, 1)
    t.eq("snapshot_time, interval, accounting as view's for the same snapshot",
         (v["snapshot_time"], v["interval"], v["accounting"]),
         (first["snapshot_time"], first["interval"], first["accounting"]))

    # ---- every group_by kind against conntrack -L ----
    cases = [(by, 32, 128) for by in GROUP_BY] + [("orig_src", 24, 64), ("orig_dst", 24, 64),
                                                   ("repl_dst", 16, 48), ("orig_src", 0, 0)]
    for by, v4, v6 in cases:
        want, ranked = oracle(vis, by, flags, v4, v6)
        got = summary(group_by=by, v4_prefix=v4, v6_prefix=v6, limit=1000)
        gk = {x["key"]: [x["connections"], int(x["orig_bytes"]), int(x["repl_bytes"])] for x in got["groups"]}
        name = by + (f" /{v4} /{v6}" if (v4, v6) != (32, 128) else "")
        t.ok(f"group_by {name}: {len(want)} groups equal conntrack -L's (connections, orig and reply bytes)",
             gk == want, f"missing {sorted(set(want) - set(gk))[:6]} extra {sorted(set(gk) - set(want))[:6]} "
             f"diff {[(k, gk[k], want[k]) for k in gk if k in want and gk[k] != want[k]][:4]}")
        t.ok(f"group_by {name}: ordered by connections desc, ties by key asc; groups_total, total",
             [x["key"] for x in got["groups"]] == ranked and got["groups_total"] == len(want)
             and got["total"] == len(vis), ([x["key"] for x in got["groups"]][:8], ranked[:8]))
        bad = [x for x in got["groups"] if abs(x["share"] - x["connections"] / len(vis)) > 1e-12
               or x["bytes"] != x["orig_bytes"] + x["repl_bytes"]
               or abs(x["rate"] - (x["orig_rate"] + x["repl_rate"])) > 1e-6 * max(1.0, x["rate"])]
        t.ok(f"group_by {name}: share = connections / total, bytes and rate the sums of both directions",
             not bad, bad[:2])
    got = summary(group_by="orig_src", v4_prefix=24, v6_prefix=64, limit=1000)
    keys = {x["key"] for x in got["groups"]}
    t.ok("prefix keys: '10.1.1.0/24' and '2001:db8:1::/64' (RFC 5952, /N when shorter)",
         {"10.1.1.0/24", "2001:db8:1::/64", "2001:db8:2::/64"} <= keys, sorted(keys))
    t.eq("the /64 holds its 5 entries (2001:db8:1:0:ffff::9 included)", 5,
         next((x["connections"] for x in got["groups"] if x["key"] == "2001:db8:1::/64"), None))
    got = summary(group_by="flags", limit=1000)
    t.ok("flags keys are comma-joined names in the API's order (e.g. 'ASSURED,SEEN_REPLY,CONFIRMED')",
         "ASSURED,SEEN_REPLY,CONFIRMED" in {x["key"] for x in got["groups"]}, [x["key"] for x in got["groups"]])
    got = summary(group_by="username", limit=1000)
    t.ok("username keys: 'root' (uid 0), 'www-data' (uid 33), '' for a uid without a name",
         {"root", "www-data", ""} <= {x["key"] for x in got["groups"]}, [x["key"] for x in got["groups"]])

    # ---- the groups add up to view's total for the same filters ----
    for filters in ({}, {"orig_l4proto": 6}, {"addr": "10.1.0.0/16"}, {"zone": 7}, {"orig_ipv6_src": "2001:db8::/32"},
                    {"mark": 0}, {"tcp_state": "ESTABLISHED"}):
        vt = fx.call("view", sid, filters, "id", "a", 0, 1)["total"]
        s = summary(filters, group_by="orig_src", limit=1000)
        t.ok(f"filters {filters}: summed groups = summary total = view total ({vt})",
             sum(x["connections"] for x in s["groups"]) == s["total"] == vt, (s["total"], vt))
    s = summary({"orig_l4proto": 17}, group_by="orig_l4proto")
    t.eq("filters apply: udp only gives one group 'udp'", ["udp"], [x["key"] for x in s["groups"]])

    # ---- hidden networks never counted, whatever the filters say ----
    for by in ("orig_src", "orig_dst", "repl_src"):
        s = summary({}, group_by=by, limit=1000)
        t.ok(f"group_by {by}: no key of a hidden network", not any(
            k.startswith("127.") or k == "::1" for k in (x["key"] for x in s["groups"])),
            [x["key"] for x in s["groups"]])
    s = summary({"addr": "127.0.0.0/8"}, group_by="orig_src")
    t.eq("a filter naming a hidden network matches nothing", (0, 0, []),
         (s["total"], s["groups_total"], s["groups"]))
    fx.conf(uid_mask=hex(UIDMASK), roles="admin:operator, viewer:viewer", hide_networks="10.1.1.0/24, 127.0.0.0/8, ::1/128")
    s = summary({}, group_by="orig_src", v4_prefix=24, limit=1000)
    t.ok("hide_networks 10.1.1.0/24: its group is gone, total shrinks by its 7 entries",
         "10.1.1.0/24" not in {x["key"] for x in s["groups"]}
         and s["total"] == sum(1 for f in vis if not f["orig_src"].startswith("10.1.1."))
         and s["total"] == fx.call("view", sid, {}, "id", "a", 0, 1)["total"], s["total"])
    fx.conf(uid_mask=hex(UIDMASK), roles="admin:operator, viewer:viewer")

    # ---- order_by bytes and rate, real traffic ----
    want, ranked = oracle(vis, "orig_src", flags, order="bytes")
    s = summary(group_by="orig_src", order_by="bytes", limit=1000)
    t.eq("order_by bytes: groups by orig+reply bytes desc, ties by key asc (conntrack -L counters)",
         ranked, [x["key"] for x in s["groups"]])
    t.eq("order_by bytes: the fast flow's source first", "10.9.0.1", s["groups"][0]["key"])
    s = summary(group_by="orig_src", order_by="rate", limit=1000)
    ranks = [(-x["rate"], x["key"]) for x in s["groups"]]
    t.ok("order_by rate: rate desc, ties by key asc; the fast flow first, faster than the slow one",
         ranks == sorted(ranks) and s["groups"][0]["key"] == "10.9.0.1"
         and s["groups"][0]["rate"] > next(x["rate"] for x in s["groups"] if x["key"] == "10.9.0.2") > 0, ranks[:4])
    rows = fx.call("view", sid, {"orig_ipv4_src": "10.9.0.1"}, "id", "a", 0, 0)["table"]
    t.ok("a group's rate is the sum of its rows' rates in view",
         abs(sum(r["rate"] for r in rows) - s["groups"][0]["rate"]) <= 1e-3 * s["groups"][0]["rate"],
         (sum(r["rate"] for r in rows), s["groups"][0]["rate"]))

    # ---- limit ----
    _, ranked = oracle(vis, "orig_src", flags)
    s = summary(group_by="orig_src", limit=3)
    t.ok("limit 3: the first 3 groups of the full order, groups_total still all of them",
         [x["key"] for x in s["groups"]] == ranked[:3] and s["groups_total"] == len(ranked) > 3,
         ([x["key"] for x in s["groups"]], s["groups_total"]))
    s = summary(group_by="orig_src")
    t.eq("default limit 20", min(20, len(ranked)), len(s["groups"]))
    s = fx.call("summary", sid, {}, {"limit": "2", "v4_prefix": 24.0})
    t.eq("forgiving inputs: limit as a numeric string, prefix as an integral double", 2, len(s["groups"]))
    s = fx.call("summary", sid, [], [])
    t.eq("PHP's empty array() for filters and options", len(vis), s["total"])

    # ---- bad options: fault 3 naming the option ----
    for opts, name in (({"group_by": "id"}, "group_by"), ({"group_by": "nope"}, "group_by"),
                       ({"group_by": 5}, "group_by"), ({"v4_prefix": 33}, "v4_prefix"),
                       ({"v4_prefix": -1}, "v4_prefix"), ({"v6_prefix": 129}, "v6_prefix"),
                       ({"v6_prefix": "x"}, "v6_prefix"), ({"order_by": "packets"}, "order_by"),
                       ({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"limit": "many"}, "limit"),
                       ({"sort": "bytes"}, "sort"), ("group_by=orig_src", "options")):
        f = fx.expect_fault(f"bad option {opts!r}: fault 3", 3, "summary", sid, {}, opts)
        t.ok(f"... its message names '{name}'", f is not None and name in f.faultString,
             getattr(f, "faultString", None))
    fx.expect_fault("a bad filter: fault 3", 3, "summary", sid, {"nope": 1}, {})
    fx.expect_fault("more than 3 parameters: fault 3", 3, "summary", sid, {}, {}, 1)

    # ---- viewers may call it ----
    vsid = fx.login("viewer")
    fx.expect_ok("a viewer may call summary", "summary", vsid, {}, {"group_by": "orig_dst"},
                 remote_user="viewer", check=lambda s: s["total"] == len(vis))
    fx.expect_ok("system.listMethods lists summary", "system.listMethods", check=lambda m: "summary" in m)
    fast.stop()
    slow.stop()

t.done()
