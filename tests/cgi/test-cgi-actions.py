#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: kill and change against a real kernel table with real
TCP connections: ids from the snapshot only (fault 5, nothing destroyed),
vanished ids, stale ids after the tuple was re-created, 1000 and 10,001 ids,
ids as int and string, change mark/timeout (fixed timeout under traffic),
validation before anything reaches the helper, and the audit log."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import T, Netns, need_root  # noqa: E402
from ctdcgi import Cgi, Flow, ct_add, ct_ext  # noqa: E402

t = T()
need_root(t)

IPS_FIXED_TIMEOUT = 1 << 10


def i4(u):
    return u - (1 << 32) if u >= (1 << 31) else u


def state(ns):
    """What must not change behind our back: id -> (mark, tuple)."""
    return {i: (f.get("mark"), f["orig_src"], f.get("orig_sport")) for i, f in ct_ext(ns).items()}


def find(ct, **kw):
    for i, f in ct.items():
        if all(f.get(k) == v for k, v in kw.items()):
            return i
    return None


flows = []
with Netns(track=True) as ns, Cgi(t, ns) as fx:
    try:
        ns.run("ip", "addr", "add", "10.77.0.1/32", "dev", "lo")
        flows.append(Flow(ns, "10.77.0.1", 5001, rate=40000))   # live traffic (fixed timeout test)
        flows.append(Flow(ns, "10.77.0.1", 5002, rate=0))       # idle connection (kill test)
        for n in range(1, 9):
            ct_add(ns, "10.4.0.1", f"10.4.0.{n + 1}", "tcp" if n % 2 else "udp", 1000 + n, 80, timeout=900)
        time.sleep(0.5)
        ct = ct_ext(ns)
        A = find(ct, orig_dport=5001, l4proto=6)
        B = find(ct, orig_dport=5002, l4proto=6)
        S = {n: find(ct, orig_sport=1000 + n) for n in range(1, 9)}
        t.ok("test data: two real TCP connections and 8 static entries tracked",
             A and B and all(S.values()), (A, B, S))
        sid = fx.login()
        fx.call("set_autorefresh", sid, 0)
        fx.call("refresh", sid)
        v = fx.call("view", sid, {}, "id", "a", 0, 0)
        snap = {r["id"] for r in v["table"]}
        t.ok("snapshot holds every entry", {str(i) for i in ct} <= snap, (len(ct), len(snap)))

        # ---- kill a real TCP connection ---------------------------------------------------
        fx.expect_ok("kill [id of a live TCP connection] -> 1", "kill", sid, [str(B)], check=lambda v: v == 1)
        t.ok("the killed connection's id is gone from conntrack -L", B not in ct_ext(ns))
        t.ok("the other live connection is untouched", A in ct_ext(ns))

        # ---- unknown ids: fault 5 and nothing destroyed ----------------------------------
        before = state(ns)
        fake = 12345
        while str(fake) in snap or fake in before:
            fake += 1
        f = fx.expect_fault("kill [valid, never-seen id] -> fault 5", 5, "kill", sid, [str(S[1]), str(fake)])
        if f is not None:
            t.ok("fault 5 names the unknown id", str(fake) in f.faultString, f.faultString)
        t.eq("... and nothing was destroyed", before, state(ns))
        ct_add(ns, "10.4.1.1", "10.4.1.2", "tcp", 1999, 80, timeout=900)
        newer = find(ct_ext(ns), orig_sport=1999)
        f = fx.expect_fault("kill [valid ids..., id that exists in the kernel but not in the snapshot] -> fault 5",
                            5, "kill", sid, [str(S[1]), str(S[2]), str(newer)])
        after = state(ns)
        t.ok("... and nothing was destroyed (neither the valid ids nor the newer entry)",
             S[1] in after and S[2] in after and newer in after)
        fx.expect_fault("change mark of an id not in the snapshot -> fault 5", 5, "change", sid, "mark",
                        str(newer), 3)
        t.eq("... mark unchanged", 0, ct_ext(ns).get(newer, {}).get("mark"))

        # ---- hidden connections (127.0.0.0/8, ::1) are not actionable ---------------------------
        ct_add(ns, "127.0.0.1", "127.0.0.9", "tcp", 1301, 80, timeout=900)
        ct_add(ns, "::1", "::1", "udp", 1302, 53, timeout=900)
        fx.call("refresh", sid)
        fx.call("view", sid)
        h1 = find(ct_ext(ns), orig_sport=1301)
        h2 = find(ct_ext(ns), orig_sport=1302)
        fx.expect_fault("kill of a hidden connection's id (127.0.0.1, never shown) -> fault 5", 5, "kill", sid,
                        [str(h1)])
        fx.expect_fault("change of a hidden connection's id (::1) -> fault 5", 5, "change", sid, "mark", str(h2), 3)
        t.ok("... both hidden connections untouched", h1 in ct_ext(ns) and ct_ext(ns).get(h2, {}).get("mark") == 0)
        fx.call("refresh", sid)
        fx.call("view", sid)
        ns.ct("-D", "-p", "tcp", "--orig-port-src", "1301", check=False)
        ns.ct("-D", "-p", "udp", "--orig-port-src", "1302", check=False)

        # ---- vanished ids: not counted, not an error ------------------------------------
        ns.ct("-D", "-p", "tcp", "--orig-port-src", "1003", check=False)
        t.ok("test data: entry 3 deleted behind the CGI's back", S[3] not in ct_ext(ns))
        fx.expect_ok("kill [vanished id, live id] -> 1 (the vanished one is not counted)", "kill", sid,
                     [str(S[3]), str(S[5])], check=lambda v: v == 1)
        t.ok("... the live one is gone", S[5] not in ct_ext(ns))

        fx.expect_fault("change mark of that vanished id -> fault 5", 5, "change", sid, "mark", str(S[3]), 1)
        t.ok("... and it did not come back", S[3] not in ct_ext(ns))

        # ---- stale id: the tuple was re-created with a new id --------------------------------
        # the kernel's id is a hash of the entry's address and tuple: a re-created entry that
        # lands in the freed slab slot gets the same id, so fill the slot first and retry
        renew = S[7]
        for k in range(8):
            ns.ct("-D", "-p", "tcp", "--orig-port-src", "1007", check=False)
            ct_add(ns, "10.4.3.1", f"10.4.3.{k + 2}", "udp", 1400 + k, 53, timeout=900)
            ct_add(ns, "10.4.0.1", "10.4.0.8", "tcp", 1007, 80, timeout=900)
            renew = find(ct_ext(ns), orig_sport=1007)
            if renew != S[7]:
                break
        t.ok("test data: same tuple re-created with a new id", renew and renew != S[7], (S[7], renew))
        fx.expect_ok("kill [stale id whose tuple now has a newer entry] -> 0", "kill", sid, [str(S[7])],
                     check=lambda v: v == 0)
        t.ok("... the newer entry with the same tuple is alive", renew in ct_ext(ns))
        fx.expect_fault("change mark of that stale id -> fault 5", 5, "change", sid, "mark", str(S[7]), 99)
        t.eq("... the newer entry's mark is unchanged", 0, ct_ext(ns).get(renew, {}).get("mark"))
        fx.expect_fault("change timeout of that stale id -> fault 5", 5, "change", sid, "timeout", str(S[7]), 33)
        t.ok("... the newer entry's timeout is unchanged", ct_ext(ns).get(renew, {}).get("timeout", 0) > 800)

        # ---- ids as int ---------------------------------------------------------------------------
        fx.expect_ok("kill [id as int (negative i4 when >= 2^31)] -> 1", "kill", sid, [i4(S[1])],
                     check=lambda v: v == 1)
        t.ok("... gone", S[1] not in ct_ext(ns))
        fx.expect_ok("kill [already killed id] -> 0", "kill", sid, [str(S[1])], check=lambda v: v == 0)
        fx.expect_ok("kill [id, same id again] -> 1 (destroyed once)", "kill", sid, [str(S[6]), i4(S[6])],
                     check=lambda v: v == 1)
        t.ok("... gone", S[6] not in ct_ext(ns))

        # ---- change mark ---------------------------------------------------------------------------
        x = S[4]
        fx.expect_ok("change mark 77 (id as string) -> true", "change", sid, "mark", str(x), 77,
                     check=lambda v: v is True)
        t.eq("... conntrack -L shows mark 77", 77, ct_ext(ns).get(x, {}).get("mark"))
        fx.expect_ok("change mark -1 (negative i4 = 0xFFFFFFFF), id as int", "change", sid, "mark", i4(x), -1,
                     check=lambda v: v is True)
        t.eq("... conntrack -L shows mark 4294967295", 4294967295, ct_ext(ns).get(x, {}).get("mark"))
        fx.expect_ok("change mark '123' (numeric string)", "change", sid, "mark", str(x), "123",
                     check=lambda v: v is True)
        t.eq("... conntrack -L shows mark 123", 123, ct_ext(ns).get(x, {}).get("mark"))
        fx.expect_ok("change mark on the live TCP connection", "change", sid, "mark", str(A), 0x10002,
                     check=lambda v: v is True)
        t.eq("... conntrack -L shows it", 0x10002, ct_ext(ns).get(A, {}).get("mark"))

        # ---- change timeout: fixed under traffic --------------------------------------------------
        p0 = ct_ext(ns).get(A, {}).get("orig_packets", 0)
        fx.expect_ok("change timeout 50 on the live TCP connection -> true", "change", sid, "timeout",
                     str(A), 50, check=lambda v: v is True)
        t0 = ct_ext(ns).get(A, {}).get("timeout")
        t.ok("... conntrack -L shows timeout <= 50", t0 is not None and 45 <= t0 <= 50, t0)
        time.sleep(2.5)
        f = ct_ext(ns).get(A, {})
        t.ok("... packets kept flowing meanwhile", f.get("orig_packets", 0) > p0 + 2, (p0, f.get("orig_packets")))
        t.ok("... and the timeout was not reset by them (fixed): <= 48 after 2.5 s",
             f.get("timeout") is not None and f["timeout"] <= 48, f.get("timeout"))
        fx.call("refresh", sid)
        rows = {r["id"]: r for r in fx.call("view", sid, {"id": str(A)})["table"]}
        t.ok("view: status has IPS_FIXED_TIMEOUT", rows.get(str(A), {}).get("status", 0) & IPS_FIXED_TIMEOUT,
             rows.get(str(A)))
        y = S[2]
        fx.expect_ok("change timeout '700' (numeric string) on a static entry", "change", sid, "timeout", str(y),
                     "700", check=lambda v: v is True)
        t.ok("... conntrack -L shows ~700", 695 <= ct_ext(ns).get(y, {}).get("timeout", 0) <= 700,
             ct_ext(ns).get(y))

        # ---- change validates before anything reaches the helper -------------------------------------
        before = state(ns)
        fx.expect_fault("change field 'bogus' -> fault 3", 3, "change", sid, "bogus", str(y), 1)
        fx.expect_fault("change field 'status' -> fault 3", 3, "change", sid, "status", str(y), 1)
        fx.expect_fault("change mark 'abc' -> fault 3", 3, "change", sid, "mark", str(y), "abc")
        fx.expect_fault("change mark {struct} -> fault 3", 3, "change", sid, "mark", str(y), {"a": 1})
        fx.expect_fault("change mark 1.5 -> fault 3", 3, "change", sid, "mark", str(y), 1.5)
        fx.expect_fault("change mark 2^32 (as double) -> fault 3", 3, "change", sid, "mark", str(y), 4294967296.0)
        fx.expect_fault("change timeout 'soon' -> fault 3", 3, "change", sid, "timeout", str(y), "soon")
        fx.expect_fault("change id 'abc' -> fault 3", 3, "change", sid, "mark", "abc", 1)
        fx.expect_fault("change id 2^32 as string -> fault 3 or 5", (3, 5), "change", sid, "mark", "4294967296", 1)
        fx.expect_fault("change with a missing value -> fault 3", 3, "change", sid, "mark", str(y))
        t.eq("nothing changed by the refused changes", before, state(ns))

        # ---- 1000 ids in one kill, 10,001 refused ----------------------------------------------------
        ns.run("sh", "-c", "for i in $(seq 1 1000); do conntrack -I -s 10.5.$((i/250)).$((i%250+1)) "
               "-d 10.6.0.1 -p udp --sport $i --dport 53 --timeout 900 2>/dev/null; done")
        bulk = [i for i, f in ct_ext(ns).items() if f["orig_dst"] == "10.6.0.1"]
        t.eq("test data: 1000 more entries", 1000, len(bulk))
        fx.call("refresh", sid)
        got = fx.call("view", sid, {"orig_ipv4_dst": "10.6.0.1"}, "id", "a", 0, 1000)
        t.eq("view shows the 1000 (max_page 1000)", 1000, len(got["table"]))
        before = state(ns)
        ids = [str(i) for i in range(1, 10002)]
        fx.expect_fault("kill with 10,001 ids -> fault 3", 3, "kill", sid, ids)
        fx.expect_fault("kill with 10,000 unknown ids -> fault 5 (10,000 is within the limit)", 5, "kill", sid,
                        ids[:10000])
        t.eq("nothing destroyed by either", before, state(ns))
        t0 = time.monotonic()
        fx.expect_ok("kill 1000 ids in one call -> 1000", "kill", sid, [r["id"] for r in got["table"]],
                     check=lambda v: v == 1000)
        print(f"# kill of 1000 ids: {time.monotonic() - t0:.2f} s", flush=True)
        left = [i for i, f in ct_ext(ns).items() if f["orig_dst"] == "10.6.0.1"]
        t.eq("all 1000 gone from conntrack -L", 0, len(left))
        t.ok("nothing else was destroyed", A in ct_ext(ns) and x in ct_ext(ns) and renew in ct_ext(ns))

        # ---- audit -------------------------------------------------------------------------------------
        fx.expect_ok("kill from another remote address -> 1", "kill", sid, [str(S[8])],
                     env_extra={"REMOTE_ADDR": "192.0.2.55"}, check=lambda v: v == 1)
        try:
            rows = fx.audit_rows()
            cols = set(rows[0]) if rows else set()
            t.ok("audit table exists with rows", rows, fx.tables())
            print(f"# audit columns: {sorted(cols)}; {len(rows)} rows", flush=True)
            text = [" ".join(str(v) for v in r.values()) for r in rows]
            def has(*words):
                return [x for x in text if all(w in x for w in words)]
            t.ok("audit: the TCP kill (user, address, id, method)", has("admin", "127.0.0.1", str(B), "kill"))
            t.ok("audit: the vanished id's attempt", has("kill", str(S[3])))
            t.ok("audit: the stale id's attempt", has("kill", str(S[7])))
            t.ok("audit: 3 change rows for entry 4 (mark 77, -1, 123)", len(has("change", str(x))) >= 3,
                 has("change", str(x)))
            t.ok("audit: the timeout change on the live connection", has("change", str(A), "timeout")
                 or len(has("change", str(A))) >= 2)
            t.ok("audit: >= 1000 kill rows for the 1000 ids", len(has("kill", "10.6.0.1")) >= 1000
                 or sum(1 for i in bulk if has("kill", str(i))) == 1000, len(has("kill", "10.6.0.1")))
            t.ok("audit: remote address 192.0.2.55 recorded", has("192.0.2.55", str(S[8])))
            t.ok("audit: the tuple is recorded (addresses of entry 8)", has(str(S[8]), "10.4.0.9"))
            t.ok("audit: no row left pending after completed calls", not has("pending"), has("pending")[:2])
        except Exception as e:  # noqa: BLE001
            t.ok("audit table readable", False, repr(e))

        # ---- helper runs: no dump to kill or change a known id, none to page a snapshot ---------
        counting, runs = fx.counting_helper()
        fx.conf(helper=counting)
        ct_add(ns, "10.4.2.1", "10.4.2.2", "udp", 1201, 53, timeout=900)
        ct_add(ns, "10.4.2.1", "10.4.2.3", "udp", 1202, 53, timeout=900)
        fx.call("refresh", sid)
        fx.call("view", sid, {}, "id", "a", 0, 0)
        n0 = runs()
        t.ok("a view after refresh runs the helper (the fresh dump)", n0 >= 1, n0)
        v = fx.call("view", sid, {"orig_ipv4_src": "10.4.2.1"}, "orig_port_src", "d", 0, 1)
        t.eq("paging the snapshot (autorefresh 0) runs the helper 0 times", n0, runs())
        k1 = find(ct_ext(ns), orig_sport=1201)
        k2 = find(ct_ext(ns), orig_sport=1202)
        fx.expect_ok("kill of a known id with the counting wrapper -> 1", "kill", sid, [str(k1)],
                     check=lambda v: v == 1)
        t.eq("kill of a known id: exactly one helper request (no dump)", n0 + 1, runs())
        fx.expect_ok("change of a known id -> true", "change", sid, "mark", str(k2), 5, check=lambda v: v is True)
        t.eq("change of a known id: exactly one helper request (no dump)", n0 + 2, runs())
        n1 = runs()
        fx.expect_fault("change field 'bogus' -> fault 3", 3, "change", sid, "bogus", str(k2), 5)
        fx.expect_fault("change mark 'x' -> fault 3", 3, "change", sid, "mark", str(k2), "x")
        t.eq("invalid changes never reach the helper (0 helper runs)", n1, runs())
        fx.conf(helper=os.path.join(fx.dir, "gone"))
        fx.expect_ok("helper missing: a view from the snapshot still works (no re-dump)", "view", sid,
                     {"orig_ipv4_src": "10.4.2.1"}, check=lambda v: v["total"] == 2)
        f = fx.expect_fault("helper missing: kill -> fault 6", 6, "kill", sid, [str(k2)])
        t.ok("... the entry is still there", k2 in ct_ext(ns))

        # ---- a helper that never answers: helper_timeout, and a CGI killed mid-call -----------
        fx.conf(helper=fx.hanging_helper(20), helper_timeout=2)
        t0 = time.monotonic()
        fx.expect_fault("helper that hangs, helper_timeout 2 -> kill gives fault 6", 6, "kill", sid, [str(k2)])
        el = time.monotonic() - t0
        t.ok(f"... within the timeout (answered after {el:.1f} s)", el < 10, el)
        t.ok("... the entry is still there", k2 in ct_ext(ns))
        try:
            rows = [r for r in fx.audit_rows() if str(r.get("conn_id")) == str(k2) and r.get("method") == "kill"]
            t.ok("audit: the timed-out kill has a row, completed with a failure (not left pending)",
                 rows and all(str(r.get("result")) not in ("pending", "", "None") for r in rows), rows)
        except Exception as e:  # noqa: BLE001
            t.ok("audit readable", False, repr(e))
        fx.conf(helper=fx.hanging_helper(20), helper_timeout=60)
        p = fx.spawn("kill", sid, [str(k2)])
        time.sleep(2.0)
        p.kill()
        p.wait()
        try:
            rows = [r for r in fx.audit_rows() if str(r.get("conn_id")) == str(k2) and r.get("method") == "kill"]
            t.ok("audit: a CGI killed while the helper works still left a record of the attempt",
                 len(rows) >= 2, rows)
        except Exception as e:  # noqa: BLE001
            t.ok("audit readable after a killed CGI", False, repr(e))
        fx.conf()
        fx.expect_ok("after the killed CGI the database works (view)", "view", sid, check=lambda v: v["total"] > 0)

        # ---- fault 7 (kernel error): a fixed timeout changed again ------------------------------------
        # ctnetlink sets IPS_FIXED_TIMEOUT but can never clear it, and refuses a
        # new timeout while it is set (EPERM): the honest kernel refusal.
        ct_add(ns, "10.4.7.1", "10.4.7.2", "udp", 1701, 53, timeout=900)
        fx.call("refresh", sid)
        fx.call("view", sid, {}, "id", "a", 0, 0)
        f7 = find(ct_ext(ns), orig_sport=1701)
        fx.expect_ok("fault 7 setup: first timeout change -> true", "change", sid, "timeout", str(f7), 600,
                     check=lambda v: v is True)
        before = ct_ext(ns).get(f7, {})
        t.ok("... the kernel shows the timeout fixed (<= 600 s)", before and int(before["timeout"]) <= 600, before)
        f = fx.expect_fault("second timeout change of the same entry -> fault 7", 7, "change", sid, "timeout",
                            str(f7), 700)
        t.ok("... the fault says the kernel refused and why",
             f is not None and "Operation not permitted" in f.faultString and "fixed" in f.faultString,
             getattr(f, "faultString", f))
        after = ct_ext(ns).get(f7, {})
        t.ok("... the entry is untouched (timeout not raised, still there)",
             after and int(after["timeout"]) <= 600, after)
        rows = [r for r in fx.audit_rows() if str(r.get("conn_id")) == str(f7) and r.get("method") == "change"]
        t.ok("... audit: both changes recorded, the refused one with its error",
             len(rows) == 2 and "Operation not permitted" in str(rows[-1].get("result")), rows)
        fx.expect_ok("... a mark change of that entry still works", "change", sid, "mark", str(f7), 9,
                     check=lambda v: v is True)
        t.eq("... and the kernel shows mark 9", "9", str(ct_ext(ns).get(f7, {}).get("mark")))
        t.eq("integrity_check", "ok", fx.integrity())
    finally:
        for fl in flows:
            fl.stop()

t.done()
