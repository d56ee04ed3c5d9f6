#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: kill_preview and kill_matching (README, API).

Entries made with `conntrack -I` in a private namespace; the oracle is
`conntrack -L -o extended,id` (which entries exist, their ids) and
`conntrack -C`, never ctd's own answers:
- a preview's `matched` equals the count of the kernel's entries the
  filter names (hidden networks left out), its top sources and
  destinations are that set's, counted independently;
- kill_matching kills exactly that set, and spares an entry created after
  the preview that matches the same filter and an entry that replaced a
  previewed one on the same tuple (a new id);
- token reuse, expiry, another session's token, a viewer, no filter, a
  match above max_kill and bad filters each give their fault and kill
  nothing;
- the audit rows are exact: one per entry acted on plus one summary;
- more entries than one helper request may name go in several (counted
  by a wrapper helper); the zone shapes (--zone, --orig-zone,
  --reply-zone on one tuple) are killed one by one with the others left;
  four concurrent kill_matching of one token act once; a helper that
  never answers is fault 6, kills nothing and spends the token."""
import ipaddress
import os
import sys
import time
import xmlrpc.client
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import BUILD, T, Netns, need_root, raise_conntrack_max  # noqa: E402
from ctdcgi import Cgi, Reply, body_fault, ct_add, ct_del, ct_ext  # noqa: E402

t = T()
need_root(t)

NET = ipaddress.ip_network("10.1.0.0/24")
CTGEN = os.path.join(BUILD, "tools", "ctgen")
ROLES = "admin:operator, admin2:operator, bob:viewer"


def count(ns):
    return int(ns.ct("-C", check=False).stdout.strip() or -1)


def in_net(a, net=NET):
    try:
        return ipaddress.ip_address(a) in net
    except ValueError:
        return False


def hidden(f):
    return in_net(f["orig_src"], ipaddress.ip_network("127.0.0.0/8")) or \
        in_net(f["orig_dst"], ipaddress.ip_network("127.0.0.0/8"))


def matching(ns):
    """The oracle: id -> flow of every kernel entry with an address in NET, not hidden."""
    return {i: f for i, f in ct_ext(ns).items()
            if not hidden(f) and any(in_net(f.get(k, "")) for k in ("orig_src", "orig_dst", "repl_src", "repl_dst"))}


def top(counter, n=10):
    return [{"key": k, "connections": c} for k, c in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


raise_conntrack_max(40000)
with Netns() as ns, Cgi(t, ns) as fx:
    fx.conf(roles=ROLES, default_role="viewer")
    # the set: 10.1.0.1..12 -> 198.51.100.{1,2,3} with several ports; some in NET as destination
    for i in range(1, 13):
        for j in range(1, 1 + (i % 3) + 1):
            ct_add(ns, f"10.1.0.{i}", f"198.51.100.{j}", sport=20000 + i, dport=80 + j)
    for i in range(1, 4):
        ct_add(ns, f"192.0.2.{i}", "10.1.0.99", proto="udp", sport=5000 + i, dport=53)
    # the rest: outside NET, and one hidden entry with an address in NET
    for i in range(1, 11):
        ct_add(ns, f"10.2.0.{i}", "198.51.100.1", sport=30000 + i, dport=443)
    ct_add(ns, "127.0.0.5", "10.1.0.1", sport=4000, dport=80)
    before = ct_ext(ns)
    want = matching(ns)
    total0 = count(ns)
    t.ok(f"test data: {len(want)} entries in {NET}, {total0} in all", len(want) == 27 and total0 == 38,
         (len(want), total0))

    admin = fx.login("admin")
    bob = fx.login("bob")
    fx.call("view", admin, {}, "id", "A", 0, 1)

    def nothing_killed(desc, ref=None):
        t.eq(f"{desc}: conntrack -C as before", total0 if ref is None else ref, count(ns))

    # ---- refusals, before anything is killed --------------------------------------------
    audit0 = len(fx.audit_rows())
    fx.expect_fault("viewer: kill_preview -> fault 4", 4, "kill_preview", bob, {"addr": str(NET)}, remote_user="bob")
    fx.expect_fault("viewer: kill_matching -> fault 4", 4, "kill_matching", bob, "0" * 64, remote_user="bob")
    for desc, params in (("no filters parameter", ()), ("an empty struct", ({},)), ("an empty array (PHP)", ([],))):
        f = fx.expect_fault(f"kill_preview, {desc} -> fault 3", 3, "kill_preview", admin, *params)
        t.ok("... naming 'filters'", f is not None and "'filters'" in f.faultString, getattr(f, "faultString", ""))
    bad = [({"orig_ipv4_src": "300.1.1.1"}, "orig_ipv4_src"), ({"orig_ipv4_src": "10.1.0.0/33"}, "orig_ipv4_src"),
           ({"orig_ipv6_dst": "10.1.0.1"}, "orig_ipv6_dst"), ({"addr": 3.5}, "addr"),
           ({"orig_port_src": 70000}, "orig_port_src"), ({"orig_port_dst": -1}, "orig_port_dst"),
           ({"tcp_state": "FLYING"}, "tcp_state"), ({"orig_l4proto": "tcp!"}, "orig_l4proto"),
           ({"mark": "x"}, "mark"), ({"zone": 70000}, "zone"), ({"id": "12ab"}, "id"),
           ({"username": ["a"]}, "username"), ({"no_such_filter": 1}, "no_such_filter"),
           ({"addr": str(NET), "orig_l3proto": "ipv9"}, "orig_l3proto"), ("10.1.0.0/24", "filters"), (7, "filters")]
    for flt, name in bad:
        f = fx.expect_fault(f"kill_preview {flt!r} -> fault 3", 3, "kill_preview", admin, flt)
        t.ok(f"... naming '{name}'", f is not None and name in f.faultString, getattr(f, "faultString", ""))
    for tok in (5, "", "x" * 64, "0" * 63, "0" * 64, "0" * 65, ["a"]):
        fx.expect_fault(f"kill_matching token {tok!r} -> fault 3", 3, "kill_matching", admin, tok)
    fx.expect_fault("kill_preview with three parameters -> fault 3", 3, "kill_preview", admin, {"addr": str(NET)}, 1)
    fx.conf(roles=ROLES, default_role="viewer", max_kill=26)
    f = fx.expect_fault(f"max_kill 26, {len(want)} match -> fault 3", 3, "kill_preview", admin, {"addr": str(NET)})
    t.ok("... naming max_kill and the count", f is not None and "max_kill" in f.faultString and
         f"{len(want)} connections" in f.faultString, getattr(f, "faultString", ""))
    fx.conf(roles=ROLES, default_role="viewer")
    nothing_killed("after every refusal")
    t.eq("... and no audit row", audit0, len(fx.audit_rows()))

    # ---- the preview ----------------------------------------------------------------------
    p = fx.expect_ok("kill_preview {addr: 10.1.0.0/24}", "kill_preview", admin, {"addr": str(NET)})
    t.eq("matched = conntrack -L's entries with an address in the network, hidden ones left out",
         len(want), p["matched"])
    t.ok("a token of 64 hex characters (256 bits), expires 60 s, ambiguous 0",
         len(p["token"]) == 64 and int(p["token"], 16) >= 0 and p["expires"] == 60 and p["ambiguous"] == 0, p)
    t.eq("sample: 20 rows, each one of the matched entries", (20, set()),
         (len(p["sample"]), {r["id"] for r in p["sample"]} - {str(i) for i in want}))
    t.eq("top_sources: the set's original sources by count, ties by key",
         top(Counter(f["orig_src"] for f in want.values())), p["top_sources"])
    t.eq("top_destinations: likewise", top(Counter(f["orig_dst"] for f in want.values())), p["top_destinations"])
    t.eq("the session's view with the same filter says the same total", p["matched"],
         fx.call("view", admin, {"addr": str(NET)}, "id", "A", 0, 1)["total"])
    p2 = fx.call("kill_preview", admin, {"addr": str(NET)})
    t.ok("a second preview: another token", p2["token"] != p["token"])
    nothing_killed("previews kill nothing")

    # ---- after the preview: one new matching entry, one previewed entry replaced ----------
    ct_add(ns, "10.1.0.200", "198.51.100.9", sport=40000, dport=8080)
    victim = next(f for f in want.values() if f["orig_src"] == "10.1.0.5")
    # CTA_ID hashes the entry's address in memory with its tuple: a replacement
    # made at once can land in the freed slab object and carry the very same id
    # (then nothing can tell them apart).  An entry made in between (outside the
    # network, left alone) takes that object, as happens on a busy firewall.
    for attempt in range(1, 6):
        ct_del(ns, victim)
        ct_add(ns, f"10.3.0.{attempt}", "198.51.100.1", sport=50000, dport=80)
        ct_add(ns, victim["orig_src"], victim["orig_dst"], sport=victim["orig_sport"], dport=victim["orig_dport"])
        now = ct_ext(ns)
        replaced = next(i for i, f in now.items() if f["orig_src"] == victim["orig_src"] and
                        f.get("orig_sport") == victim["orig_sport"] and f["orig_dst"] == victim["orig_dst"])
        if replaced != victim["id"]:
            break
    newcomer = next(i for i, f in now.items() if f["orig_src"] == "10.1.0.200")
    fillers = {i for i, f in now.items() if f["orig_src"].startswith("10.3.0.")}
    t.ok(f"conntrack -L: the replacement has another id than the previewed entry (attempt {attempt})",
         replaced != victim["id"], (replaced, victim["id"]))
    total1 = count(ns)

    a0 = fx.call("audit", admin, {}, 0, 1)["total"]
    t0 = time.time()
    r = fx.expect_ok("kill_matching with the first token", "kill_matching", admin, p["token"])
    t.eq("destroyed every previewed entry still there; the replaced one is gone, none ambiguous",
         {"destroyed": len(want) - 1, "gone": 1, "ambiguous": 0}, r)
    after = ct_ext(ns)
    t.eq("conntrack -L: no previewed entry is left", set(), set(want) & set(after))
    t.ok("conntrack -L: the entry made after the preview is alive", newcomer in after)
    t.ok("conntrack -L: the entry that replaced a previewed one on its tuple is alive", replaced in after)
    t.eq("conntrack -L: every other entry as before",
         sorted(i for i in before if i not in want),
         sorted(i for i in after if i not in (newcomer, replaced) and i not in fillers))
    t.eq("conntrack -C: exactly the destroyed ones are gone", total1 - (len(want) - 1), count(ns))

    # ---- the audit rows --------------------------------------------------------------------
    rows = fx.call("audit", admin, {"action": "kill_matching"}, 0, 1000)
    t.eq("audit: one row per previewed entry plus the summary", len(want) + 1, rows["total"])
    t.eq("... and nothing else was written", a0 + len(want) + 1, fx.call("audit", admin, {}, 0, 1)["total"])
    summary = [e for e in rows["entries"] if e["id"] == ""]
    per = [e for e in rows["entries"] if e["id"] != ""]
    t.eq("per-entry rows: exactly the previewed ids", sorted(str(i) for i in want), sorted(e["id"] for e in per))
    t.eq("... results: gone for the replaced entry, done for the rest",
         {str(i): ("gone" if i == victim["id"] else "done") for i in want}, {e["id"]: e["result"] for e in per})
    t.ok("... each with user, role, address, a tuple naming its source",
         all(e["user"] == "admin" and e["role"] == "operator" and e["remote_addr"] == "127.0.0.1" and
             f"src={want[int(e['id'])]['orig_src']} " in e["tuple"] for e in per), per[:2])
    t.eq("one summary row", 1, len(summary))
    if summary:
        s = summary[0]
        t.eq("summary: the filter, user, result", ("filter", f"addr={NET}", "admin", "done"),
             (s["field"], s["value"], s["user"], s["result"]))
        t.eq("summary: the counts", f"matched {len(want)}: destroyed {len(want) - 1}, gone 1, ambiguous 0, failed 0",
             s["message"])
        t.ok("summary: the time of the call, newest row", t0 - 1 <= s["time"] <= time.time() + 1 and
             rows["entries"][0] is s, s)

    # ---- token reuse, the second token (another set now), expiry, another session ----------
    total2 = count(ns)
    a1 = len(fx.audit_rows())
    f = fx.expect_fault("the same token again -> fault 3", 3, "kill_matching", admin, p["token"])
    t.ok("... saying it is used", f is not None and "already used" in f.faultString, getattr(f, "faultString", ""))
    nothing_killed("token reuse", total2)
    t.eq("... no audit row", a1, len(fx.audit_rows()))

    # the second preview's token still names its own set: only what is left of it dies
    r = fx.call("kill_matching", admin, p2["token"])
    t.eq("the older second token: its entries are all gone already (nothing new killed)",
         {"destroyed": 0, "gone": len(want) - 1 + 1, "ambiguous": 0}, r)
    t.ok("conntrack -L: the newcomer and the replacement still alive",
         newcomer in ct_ext(ns) and replaced in ct_ext(ns))

    fx.conf(roles=ROLES, default_role="viewer", kill_token_lifetime=1)
    p3 = fx.call("kill_preview", admin, {"addr": str(NET)})
    t.eq("kill_token_lifetime 1: expires 1", 1, p3["expires"])
    time.sleep(2.2)
    total3 = count(ns)
    f = fx.expect_fault("an expired token -> fault 3", 3, "kill_matching", admin, p3["token"])
    t.ok("... saying it expired", f is not None and "expired" in f.faultString, getattr(f, "faultString", ""))
    nothing_killed("expired token", total3)
    fx.conf(roles=ROLES, default_role="viewer")

    admin2 = fx.login("admin2")
    fx.call("view", admin2, {}, "id", "A", 0, 1, remote_user="admin2")
    p4 = fx.call("kill_preview", admin2, {"orig_ipv4_src": "10.1.0.200"}, remote_user="admin2")
    t.eq("admin2's preview: the newcomer", 1, p4["matched"])
    f = fx.expect_fault("admin presents admin2's token -> fault 3", 3, "kill_matching", admin, p4["token"])
    t.ok("... saying it belongs to another session", f is not None and "another session" in f.faultString,
         getattr(f, "faultString", ""))
    nothing_killed("another session's token", total3)
    t.ok("conntrack -L: the newcomer alive", newcomer in ct_ext(ns))
    fx.call("logout", admin2, remote_user="admin2")
    t.eq("admin2 logged out: its token went with its session", 0,
         fx.sql("SELECT count(*) FROM kill_tokens WHERE session_id NOT IN (SELECT id FROM sessions)")[0][0][0])

    # a session keeps at most a few tokens: a preview loop cannot fill the disk
    for _ in range(6):
        fx.call("kill_preview", admin, {"orig_ipv4_src": "10.2.0.1"})
    t.ok("six more previews: the session holds at most 4 tokens",
         fx.sql("SELECT max(c) FROM (SELECT count(*) c FROM kill_tokens GROUP BY session_id)")[0][0][0] <= 4)
    # ---- batches: more entries than one helper request may name (CTD_MAX_TARGETS, 10,000) ----
    BIG, BIGNET = 25000, "10.48.0.0/16"
    r = ns.run(CTGEN, str(BIG), "0", "30", "0", "0", str(0x300000), check=False)
    t.ok(f"ctgen: {BIG} entries in {BIGNET}", r.returncode == 0, r.stderr)
    fx.call("refresh", admin)
    fx.call("view", admin, {}, "id", "A", 0, 1)
    p = fx.call("kill_preview", admin, {"orig_ipv4_src": BIGNET})
    t.eq(f"kill_preview {BIGNET}: matched {BIG}", BIG, p["matched"])
    path, runs = fx.counting_helper()
    fx.conf(roles=ROLES, default_role="viewer", helper=path)
    total4 = count(ns)
    r = fx.call("kill_matching", admin, p["token"])
    t.eq(f"kill_matching: all {BIG} destroyed (or left alone as ambiguous)", BIG,
         r["destroyed"] + r["ambiguous"])
    t.eq("... in three helper requests (10,000 + 10,000 + 5,000)", 3, runs())
    t.eq("conntrack -C: exactly those gone", total4 - r["destroyed"], count(ns))
    t.eq("conntrack -L -s 10.48.0.0/16: none left but ambiguous ones", r["ambiguous"],
         len([1 for f in ct_ext(ns).values() if in_net(f["orig_src"], ipaddress.ip_network(BIGNET))]))

    # ---- zone shapes: one original tuple with --zone 4, --zone 5, --orig-zone 2, --reply-zone 3 -----
    tup = "-s 10.9.0.1 -d 10.9.0.2 -p tcp --sport 1000 --dport 80 --state ESTABLISHED --timeout 600".split()
    for extra in (["--zone", "4"], ["--zone", "5"], ["--orig-zone", "2"], ["--reply-zone", "3"]):
        ns.ct("-I", *tup, *extra)

    def zl():
        """The zone words (zone=, zone-orig=, zone-reply=) of each entry conntrack -L lists from 10.9.0.1."""
        return sorted(" ".join(w for w in line.split() if w.startswith("zone"))
                      for line in ns.ct("-L", "-s", "10.9.0.1", check=False).stdout.splitlines())
    z0 = zl()
    t.eq("conntrack -L: the tuple four times (zone=4, zone=5, zone-orig=2, zone-reply=3)", 4, len(z0))
    fx.call("refresh", admin)
    fx.call("view", admin, {}, "id", "A", 0, 1)
    for flt, word in (({"orig_ipv4_src": "10.9.0.1", "orig_zone": 2}, "zone-orig=2"),
                      ({"orig_ipv4_src": "10.9.0.1", "zone": 4}, "zone=4"),
                      ({"orig_ipv4_src": "10.9.0.1", "reply_zone": 3}, "zone-reply=3")):
        p = fx.call("kill_preview", admin, flt)
        r = fx.call("kill_matching", admin, p["token"])
        t.eq(f"kill_preview + kill_matching {flt}: matched 1, destroyed 1", (1, 1), (p["matched"], r["destroyed"]))
        left = zl()
        t.ok(f"... conntrack -L: the {word} entry gone, the others there",
             not any(word in x for x in left) and len(left) == len(z0) - 1, left)
        z0 = left

    # ---- one token, two kill_matching at once: exactly one acts ------------------------------------
    p = fx.call("kill_preview", admin, {"orig_ipv4_src": "10.2.0.1"})
    procs = [fx.spawn("kill_matching", admin, p["token"]) for _ in range(4)]
    outs = [Reply(pr.wait(), pr.stdout.read(), pr.stderr.read(), 0) for pr in procs]
    for pr in procs:
        pr.stdout.close()
        pr.stderr.close()
    faults = sorted(getattr(body_fault(o.body), "faultCode", 0) for o in outs)
    t.eq("four concurrent kill_matching of one token: one answer, three faults 3", [0, 3, 3, 3], faults)
    t.eq("... and the entry destroyed once", [{"destroyed": 1, "gone": 0, "ambiguous": 0}],
         [xmlrpc.client.loads(o.body)[0][0] for o in outs if body_fault(o.body) is None])

    # ---- the helper fails: fault 6, nothing killed, rows say failed, the token is spent ----------
    fx.conf(roles=ROLES, default_role="viewer")
    p = fx.call("kill_preview", admin, {"orig_ipv4_src": "10.2.0.0/24"})
    t.eq("kill_preview of 10.2.0.0/24: the session's snapshot still holds the ten made there", 10, p["matched"])
    fx.conf(roles=ROLES, default_role="viewer", helper=fx.hanging_helper(20), helper_timeout=2)
    a2 = fx.call("audit", admin, {}, 0, 1)["total"]
    total5 = count(ns)
    fx.expect_fault("kill_matching with a helper that never answers -> fault 6", 6, "kill_matching", admin,
                    p["token"])
    fx.conf(roles=ROLES, default_role="viewer")
    nothing_killed("the helper failed", total5)
    rows = fx.call("audit", admin, {"action": "kill_matching"}, 0, 11)["entries"]
    t.eq("audit: ten rows 'failed' and a summary 'failed'", (a2 + 11, ["failed"] * 11),
         (fx.call("audit", admin, {}, 0, 1)["total"], [e["result"] for e in rows]))
    t.ok("... the summary says nothing was destroyed", rows and rows[0]["id"] == "" and
         "destroyed 0" in rows[0]["message"], rows[:1])
    fx.expect_fault("the token is spent all the same -> fault 3", 3, "kill_matching", admin, p["token"])
    t.eq("PRAGMA integrity_check", "ok", fx.integrity())
t.done()
