#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd-helper operations against a real kernel table in a private netns:
dump compared field by field with `conntrack -L -o extended,id` (TCP, UDP,
ICMP, ICMPv6, IPv6 TCP; with and without kernel-side filters), count,
destroy / mark / timeout visible to conntrack afterwards, stale ids after
re-creation leave the new entry alive, many targets in one request."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import BUILD, Netns, T, need_root  # noqa: E402

t = T()
need_root(t)
HELPER = os.path.join(BUILD, "ctd-helper")
HC = os.path.join(BUILD, "tools", "ctd-hc")
CTGEN = os.path.join(BUILD, "tools", "ctgen")
for p in (HELPER, HC, CTGEN):
    if not os.access(p, os.X_OK):
        t.skip("test-helper-ops", f"{p} not built: run make")
        t.done()

# two ICMP and two ICMPv6 echo requests over lo from raw sockets (no
# ping(8) needed); the kernel answers them, so both directions count
PING = r"""
import socket, struct, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
for fam, proto, typ, dst in ((socket.AF_INET, socket.IPPROTO_ICMP, 8, "127.0.0.1"),
                             (socket.AF_INET6, socket.IPPROTO_ICMPV6, 128, "::1")):
    s = socket.socket(fam, socket.SOCK_RAW, proto)
    for seq in (1, 2):
        pkt = struct.pack("!BBHHH", typ, 0, 0, 4242, seq) + b"ctdtest!"
        if fam == socket.AF_INET:
            pkt = pkt[:2] + struct.pack("!H", csum(pkt)) + pkt[4:]
        s.sendto(pkt, (dst, 0))
        time.sleep(0.05)
"""

IPS_SEEN_REPLY, IPS_ASSURED, IPS_FIXED_TIMEOUT = 2, 4, 1024


def hc(ns, *args, stdin=None):
    r = ns.run(HC, "-s", HELPER, *args, check=False, input=stdin)
    return r


def hc_dump(ns, *args):
    r = hc(ns, "dump", *args)
    if r.returncode != 0:
        t.ok(f"dump {' '.join(args)} runs", False, r.stderr.strip())
        return [], ""
    recs = []
    for line in r.stdout.splitlines():
        d = dict(kv.split("=", 1) for kv in line.split())
        recs.append(d)
    return recs, r.stdout


def ct_extended(ns, *args):
    """`conntrack -L -o extended,id` parsed into dicts keyed like ctd-hc's."""
    out = ns.ct("-L", "-o", "extended,id", *args, check=False).stdout
    rows = {}
    for line in out.splitlines():
        tok = line.split()
        if len(tok) < 6:
            continue
        d = {"l3": tok[1], "l4": tok[3], "timeout": int(tok[4]), "flags": set()}
        i = 5
        if "=" not in tok[i] and not tok[i].startswith("["):
            d["state"] = tok[i]
            i += 1
        side = None
        for w in tok[i:]:
            if w.startswith("["):
                d["flags"].add(w.strip("[]"))
                continue
            k, v = w.split("=", 1)
            if k == "src":
                side = "o" if side is None else "r"
            if side in ("o", "r") and k in ("src", "dst", "sport", "dport", "type", "code", "id", "packets", "bytes"):
                if k == "id" and ("o" + "type" not in d if side == "o" else "rtype" not in d):
                    side = "meta"  # the conntrack id, after the tuples
                else:
                    d[side + k] = v
                    continue
            if k in ("mark", "zone", "use", "delta-time"):
                side = "meta"
            d[k] = v
        rows[d["id"]] = d
    return rows


def compare(desc, recs, rows):
    """Every helper record equals conntrack's view of the same id."""
    t.eq(f"{desc}: same ids as conntrack -L", sorted(rows), sorted(r["id"] for r in recs))
    now = time.time()
    bad = []
    for r in recs:
        c = rows.get(r["id"])
        if c is None:
            continue
        want = {"l3": c["l3"], "l4": c["l4"], "src": c["osrc"], "dst": c["odst"], "rsrc": c["rsrc"], "rdst": c["rdst"],
                "mark": c.get("mark", "0"), "zone": c.get("zone", "0"), "state": c.get("state", "-"),
                "opkts": c.get("opackets", "0"), "obytes": c.get("obytes", "0"),
                "rpkts": c.get("rpackets", "0"), "rbytes": c.get("rbytes", "0")}
        if "osport" in c:
            want.update(sport=c["osport"], dport=c["odport"], rsport=c["rsport"], rdport=c["rdport"])
        if "otype" in c:
            want.update(type=c["otype"], code=c["ocode"], icmpid=c["oid"])
        for k, v in want.items():
            if r[k] != v:
                bad.append(f"id {r['id']} {k}: helper {r[k]} conntrack {v}")
        if abs(int(r["timeout"]) - c["timeout"]) > 2:
            bad.append(f"id {r['id']} timeout: helper {r['timeout']} conntrack {c['timeout']}")
        st = int(r["status"])
        if ("UNREPLIED" in c["flags"]) != (not st & IPS_SEEN_REPLY):
            bad.append(f"id {r['id']} UNREPLIED vs status {st}")
        if ("ASSURED" in c["flags"]) != bool(st & IPS_ASSURED):
            bad.append(f"id {r['id']} ASSURED vs status {st}")
        if "delta-time" in c:
            age = now - int(r["start"]) / 1e9
            if abs(age - int(c["delta-time"])) > 2:
                bad.append(f"id {r['id']} start: age {age:.1f} s vs delta-time {c['delta-time']}")
    t.ok(f"{desc}: every field matches conntrack -L -o extended,id ({len(recs)} entries)", not bad, "; ".join(bad[:5]))


with Netns(track=True) as ns:
    # real traffic for ICMP / ICMPv6 (with counters), inserted entries for the rest
    ns.run("python3", "-c", PING, check=False)
    base = ["--state", "ESTABLISHED", "--timeout", "300"]
    ns.ct("-I", "-s", "10.0.0.1", "-d", "10.0.0.2", "-p", "tcp", "--sport", "1234", "--dport", "80", *base, "--mark", "5")
    ns.ct("-I", "-s", "10.0.0.3", "-d", "10.0.0.4", "-p", "tcp", "--sport", "1235", "--dport", "443", *base,
          "--mark", "0x105")
    ns.ct("-I", "-s", "10.0.0.1", "-d", "10.0.0.9", "-p", "udp", "--sport", "53", "--dport", "53", "--timeout", "300",
          "--zone", "7", "--mark", "6")
    ns.ct("-I", "-s", "10.0.0.5", "-d", "10.0.0.6", "-p", "icmp", "--icmp-type", "8", "--icmp-code", "0",
          "--icmp-id", "77", "--timeout", "300", "--mark", "5")
    ns.ct("-I", "-s", "2001:db8::1", "-d", "2001:db8::2", "-p", "tcp", "--sport", "40000", "--dport", "22", *base,
          "--mark", "0x205")

    recs, _ = hc_dump(ns)
    compare("full dump", recs, ct_extended(ns))
    have = {(r["l3"], r["l4"]) for r in recs}
    for name, key in (("TCP", ("2", "6")), ("UDP", ("2", "17")), ("ICMP", ("2", "1")), ("ICMPv6", ("10", "58")),
                      ("IPv6 TCP", ("10", "6"))):
        t.ok(f"dump has a {name} entry", key in have)
    t.ok("real ICMP traffic was counted", any(r["l4"] == "1" and int(r["opkts"]) > 0 for r in recs))

    recs, _ = hc_dump(ns, "-m", "5/0xff")
    compare("mark filter 5/0xff", recs, ct_extended(ns, "--mark", "5/0xff"))
    t.eq("mark filter 5/0xff: 4 entries", 4, len(recs))
    recs, _ = hc_dump(ns, "-m", "0x105")
    compare("mark filter 0x105", recs, ct_extended(ns, "--mark", "0x105"))
    recs, _ = hc_dump(ns, "-f", "6")
    compare("family filter ipv6", recs, ct_extended(ns, "-f", "ipv6"))
    recs, _ = hc_dump(ns, "-z", "7")
    compare("zone filter 7", recs, ct_extended(ns, "--zone", "7"))
    ns.ct("-I", "-s", "10.0.0.7", "-d", "10.0.0.8", "-p", "tcp", "--sport", "7", "--dport", "8", *base,
          "--status", "ASSURED")
    recs, _ = hc_dump(ns, "-S", "4/4")
    compare("status filter ASSURED", recs, ct_extended(ns, "--status", "ASSURED"))
    t.eq("status filter: the one assured entry", ["10.0.0.7"], [r["src"] for r in recs])
    ns.ct("-D", "-s", "10.0.0.7")
    recs, _ = hc_dump(ns, "-m", "5/0xff", "-f", "4")
    t.eq("mark + family filters combine", 3, len(recs))

    r = hc(ns, "count")
    n = len(ct_extended(ns))
    t.eq("count equals the table size", f"count={n} max=", r.stdout[:len(f"count={n} max=")])
    t.ok("count reports accounting and timestamps on", "accounting=1 timestamp=1" in r.stdout, r.stdout)

    # ---- mark, timeout, destroy, visible to conntrack ----
    recs, _ = hc_dump(ns)
    line = {r["id"]: " ".join(f"{k}={v}" for k, v in r.items()) for r in recs}
    tcp4 = next(r for r in recs if r["src"] == "10.0.0.1" and r["l4"] == "6")
    tcp6 = next(r for r in recs if r["l3"] == "10" and r["l4"] == "6")
    udp = next(r for r in recs if r["l4"] == "17")
    icmp = next(r for r in recs if r["src"] == "10.0.0.5")

    r = hc(ns, "mark", "0xf0/0xf0", stdin=line[tcp4["id"]] + "\n" + line[tcp6["id"]] + "\n")
    t.eq("mark: one result per target, both done",
         [f"id={tcp4['id']} result=done err=0", f"id={tcp6['id']} result=done err=0"], r.stdout.splitlines())
    rows = ct_extended(ns)
    t.eq("mark with mask visible to conntrack (5 -> 0xf5)", str(0xf5), rows[tcp4["id"]]["mark"])
    t.eq("mark with mask on IPv6 (0x205 -> 0x2f5)", str(0x2f5), rows[tcp6["id"]]["mark"])
    r = hc(ns, "mark", "7", stdin=line[udp["id"]] + "\n")
    t.eq("mark of a zoned UDP entry done", f"id={udp['id']} result=done err=0", r.stdout.strip())
    t.eq("whole mark set on the zoned entry", "7", ct_extended(ns)[udp["id"]]["mark"])

    r = hc(ns, "timeout", "1000", stdin=line[icmp["id"]] + "\n" + line[tcp4["id"]] + "\n")
    t.eq("timeout: both done", 2, r.stdout.count("result=done"))
    rows = ct_extended(ns)
    t.ok("new timeout visible to conntrack", 997 <= rows[tcp4["id"]]["timeout"] <= 1000, rows[tcp4["id"]]["timeout"])
    t.ok("ICMP timeout updated", 997 <= rows[icmp["id"]]["timeout"] <= 1000, rows[icmp["id"]]["timeout"])
    d = {x["id"]: x for x in hc_dump(ns)[0]}
    t.ok("IPS_FIXED_TIMEOUT set by the timeout update", int(d[tcp4["id"]]["status"]) & IPS_FIXED_TIMEOUT)
    t.ok("other status bits kept", int(d[tcp4["id"]]["status"]) & IPS_ASSURED == int(tcp4["status"]) & IPS_ASSURED)
    time.sleep(2.2)
    t.ok("fixed timeout still counts down", ct_extended(ns)[tcp4["id"]]["timeout"] <= 998)

    r = hc(ns, "destroy", stdin=line[udp["id"]] + "\n" + line[icmp["id"]] + "\n")
    t.eq("destroy: both done", 2, r.stdout.count("result=done"))
    rows = ct_extended(ns)
    t.ok("destroyed entries gone from conntrack -L", udp["id"] not in rows and icmp["id"] not in rows)
    t.ok("other entries untouched", tcp4["id"] in rows and tcp6["id"] in rows)
    r = hc(ns, "destroy", stdin=line[udp["id"]] + "\n")
    t.eq("destroying it again: not found", f"id={udp['id']} result=not_found err=0", r.stdout.strip())

    # ---- stale id: the tuple now belongs to a newer connection ----
    # The kernel's id hashes the entry's address and tuple: an entry
    # re-created in the very slab slot just freed gets the same id again
    # (and is then indistinguishable from the old one, to the kernel too).
    # A filler entry created in between takes that slot.
    old = next(r for r in recs if r["src"] == "10.0.0.3")
    for i in range(5):
        ns.ct("-D", "-s", "10.0.0.3", "-d", "10.0.0.4", "-p", "tcp", "--sport", "1235", "--dport", "443")
        ns.ct("-I", "-s", "10.9.9.9", "-d", "10.0.0.4", "-p", "tcp", "--sport", str(5000 + i), "--dport", "443",
              *base)
        ns.ct("-I", "-s", "10.0.0.3", "-d", "10.0.0.4", "-p", "tcp", "--sport", "1235", "--dport", "443", *base,
              "--mark", "0x105")
        new = next(r for r in hc_dump(ns)[0] if r["src"] == "10.0.0.3")
        if new["id"] != old["id"]:
            break
    t.ok("re-created entry has a new id", new["id"] != old["id"], new["id"])
    for op in (["destroy"], ["mark", "99"], ["timeout", "5"]):
        r = hc(ns, *op, stdin=line[old["id"]] + "\n")
        t.eq(f"{op[0]} with the stale id: not found", f"id={old['id']} result=not_found err=0", r.stdout.strip())
    rows = ct_extended(ns)
    t.ok("the newer connection is alive", new["id"] in rows)
    t.eq("its mark is untouched", str(0x105), rows.get(new["id"], {}).get("mark"))
    t.ok("its timeout is untouched", rows.get(new["id"], {}).get("timeout", 0) > 250)

    # ---- many targets in one request; a stale one among them ----
    ns.run(CTGEN, "3000")
    many, _ = hc_dump(ns, "-f", "4")
    many = [r for r in many if r["dst"] == "172.16.0.1"]
    lines = [" ".join(f"{k}={v}" for k, v in r.items()) for r in many]
    lines.insert(1500, line[old["id"]])
    r = hc(ns, "destroy", stdin="\n".join(lines) + "\n")
    out = r.stdout.splitlines()
    t.eq("3001 targets: 3001 results", 3001, len(out))
    t.eq("3000 destroyed", 3000, r.stdout.count("result=done"))
    t.eq("the stale one in the middle: not found, in its place", f"id={old['id']} result=not_found err=0",
         out[1500] if len(out) > 1500 else "")
    t.eq("no generated entry left", [], [x for x in ct_extended(ns).values()
                                                             if x.get("odst") == "172.16.0.1"])
    t.ok("newer connection still alive after the batch", new["id"] in ct_extended(ns))

with Netns() as ns:
    # protocols beyond the common ones: GRE (keys travel as ports), UDPLite, and a generic one
    for a in (["-p", "gre", "--srckey", "11", "--dstkey", "12"], ["-p", "udplite", "--sport", "9", "--dport", "10"],
              ["-p", "99"]):
        ns.ct("-I", "-s", "10.2.0.1", "-d", "10.2.0.2", *a, "--timeout", "100")
    recs, out = hc_dump(ns)
    got = sorted((r["l4"], r["sport"], r["dport"], r["rsport"], r["rdport"]) for r in recs)
    t.eq("GRE, UDPLite, generic dumped with their keys/ports",
         [("136", "9", "10", "10", "9"), ("47", "11", "12", "12", "11"), ("99", "0", "0", "0", "0")], got)
    t.eq("their ids are conntrack's", sorted(ct_extended(ns)), sorted(r["id"] for r in recs))
    r = hc(ns, "destroy", stdin=out)
    t.eq("GRE, UDPLite, generic destroyed by tuple + id", 3, r.stdout.count("result=done"))
    t.eq("table empty afterwards", {}, ct_extended(ns))

with Netns() as ns:
    r = hc(ns, "dump")
    t.eq("dump of an empty table: no records, success", (0, ""), (r.returncode, r.stdout))
    r = hc(ns, "count")
    t.ok("count of an empty table is 0", r.stdout.startswith("count=0 "), r.stdout)

t.done()
