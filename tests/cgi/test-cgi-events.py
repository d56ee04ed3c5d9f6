#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: events (README API) in a private namespace with
nf_conntrack_events=1.  Entries made and destroyed during a poll
(conntrack -I/-D, and real TCP traffic through lo) come back as new and
destroy events with the tuples and ids `conntrack -L -o extended,id`
showed, a destroy with the final counters conntrack showed; an idle poll
returns an empty list after `wait` (+-0.5 s); filters and hidden networks
apply as in view (a 127.0.0.1 connection never appears); a burst made
inside one window arrives whole or is counted in `lost` (delivered + lost
= created, a known number below max); a burst above max ends with `more`;
max_event_waiters + 1 concurrent polls: the extra one is fault 6 at once,
none hangs.  Oracle: conntrack -L, the numbers the test created."""
import os
import signal
import subprocess
import sys
import time
import xmlrpc.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import BUILD, T, Netns, need_root  # noqa: E402
from ctdcgi import Cgi, ct_add, ct_del, ct_ext  # noqa: E402

t = T()
need_root(t)
CTBURST = os.path.join(BUILD, "tools", "ctburst")



def listeners(ns):
    """Netfilter netlink sockets of the namespace that joined some group
    (/proc/net/netlink: Eth 12, Groups not 0): the helpers subscribed."""
    out = ns.run("cat", "/proc/net/netlink").stdout.splitlines()[1:]
    return sum(1 for line in out if len(line.split()) > 3 and line.split()[1] == "12" and
               int(line.split()[3], 16) != 0)


def subscribed(ns, n=1, timeout=10):
    """Wait until n helpers listen to the namespace's conntrack events."""
    end = time.monotonic() + timeout
    while listeners(ns) < n and time.monotonic() < end:
        time.sleep(0.02)
    time.sleep(0.05)


def poll(fx, sid, filters=None, opts=None, **kw):
    """Start one events call now; returns a function that waits for its value (or fault)."""
    p = fx.spawn("events", sid, filters or {}, opts or {}, **kw)
    t0 = time.monotonic()

    def result():
        out, err = p.communicate(timeout=60)
        secs = time.monotonic() - t0
        body = out.split(b"\r\n\r\n", 1)[-1] if b"\r\n\r\n" in out else out.split(b"\n\n", 1)[-1]
        try:
            return xmlrpc.client.loads(body)[0][0], secs
        except xmlrpc.client.Fault as f:
            return f, secs
    return result


def tuple_of(row):
    return (row.get("orig_ipv4_src"), row.get("orig_ipv4_dst"), row.get("orig_port_src"), row.get("orig_port_dst"),
            row.get("orig_l4proto"))


def ext_tuple(f):
    return (f["orig_src"], f["orig_dst"], f.get("orig_sport"), f.get("orig_dport"), f["l4proto"])


with Netns(track=True) as ns, Cgi(t, ns) as fx:
    ns.sysctl("net.netfilter.nf_conntrack_events", 1)
    fx.conf(roles="admin:operator, viewer:viewer")
    sid = fx.login()

    # ---- conntrack -I / -D during a poll ----
    # the window closes 250 ms after the first event: one poll for the
    # inserts, one for the deletes
    wait = poll(fx, sid, {}, {"wait": 5})
    subscribed(ns)
    ct_add(ns, "10.20.0.1", "10.20.0.2", "tcp", 4001, 80)
    ct_add(ns, "10.20.0.1", "10.20.0.3", "udp", 4002, 53)
    res, secs = wait()
    if isinstance(res, xmlrpc.client.Fault):
        t.ok("events answers", False, res)
        t.done()
    made = {ext_tuple(f): f for f in ct_ext(ns).values()}
    t.eq("result keys", {"events", "lost", "more", "window_start", "window_end", "waited"}, set(res))
    evs = res["events"]
    t.eq("two inserts (conntrack -I): two new events with conntrack's tuples and ids",
         sorted(("new", k, str(f["id"])) for k, f in made.items()),
         sorted((e["type"], tuple_of(e), e["id"]) for e in evs))
    t.ok(f"returned after the 250 ms batching window, not at wait ({secs:.2f} s)", secs < 3.5, secs)
    t.eq("nothing lost, no more", (0, False), (res["lost"], res["more"]))
    t.ok("window_start <= every event time <= window_end",
         all(res["window_start"] <= e["time"] <= res["window_end"] for e in evs), res)
    t.ok("rows carry view's fields (tcp_state on TCP only, status, timeout, zone)",
         all("status" in e and "zone" in e and "timeout" in e for e in evs) and
         all(("tcp_state" in e) == (e["orig_l4proto"] == 6) for e in evs), evs[:1])
    wait = poll(fx, sid, {}, {"wait": 5})
    subscribed(ns)
    ns.ct("-D", "-s", "10.20.0.1", check=False)  # one process: both inside one window
    res, secs = wait()
    t.eq("two deletes (conntrack -D): two destroy events with the same tuples and ids",
         sorted(("destroy", k, str(f["id"])) for k, f in made.items()),
         sorted((e["type"], tuple_of(e), e["id"]) for e in res["events"]))

    # ---- IPv6 and ICMP: the same row fields as view ----
    wait = poll(fx, sid, {}, {"wait": 5})
    subscribed(ns)
    ct_add(ns, "2001:db8::1", "2001:db8::2", "udp", 4003, 53)
    ct_add(ns, "10.20.0.9", "10.20.0.10", "icmp", icmp=(8, 0, 77))
    res, _ = wait()
    ev = {e.get("orig_l4proto"): e for e in res["events"]} if isinstance(res, dict) else {}
    v6, ic = ev.get(17, {}), ev.get(1, {})
    t.ok("an IPv6 entry: orig_l3proto 10, orig_ipv6_src/dst, ports",
         v6.get("orig_l3proto") == 10 and v6.get("orig_ipv6_src") == "2001:db8::1" and
         v6.get("orig_ipv6_dst") == "2001:db8::2" and v6.get("orig_port_dst") == 53, res)
    t.ok("an ICMP entry: icmp_type 8, icmp_code 0, icmp_id 77, no ports",
         ic.get("icmp_type") == 8 and ic.get("icmp_code") == 0 and ic.get("icmp_id") == 77 and
         "orig_port_src" not in ic, res)

    # ---- real TCP traffic: the destroy carries the final counters ----
    ns.run("ip", "addr", "add", "10.21.0.1/32", "dev", "lo")
    ns.run("ip", "addr", "add", "10.21.0.2/32", "dev", "lo")
    srv = ns.popen(sys.executable, "-c", (
        "import socket\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind(('10.21.0.1', 8080)); s.listen(1); print('ready', flush=True)\nc,_=s.accept()\n"
        "n=0\nwhile n < 3000:\n d=c.recv(65536)\n if not d: break\n n+=len(d)\n"
        "c.sendall(b'y'*500); c.close()\n"), stdout=subprocess.PIPE, text=True)
    srv.stdout.readline()
    wait = poll(fx, sid, {"orig_ipv4_dst": "10.21.0.1"}, {"wait": 6})
    subscribed(ns)
    ns.run(sys.executable, "-c", (
        "import socket\nc=socket.create_connection(('10.21.0.1', 8080), source_address=('10.21.0.2', 0))\n"
        "c.sendall(b'x'*3000)\nwhile c.recv(65536): pass\nc.close()\n"))
    srv.wait(timeout=10)
    res, secs = wait()
    live = [f for f in ct_ext(ns).values() if f["orig_dst"] == "10.21.0.1"]
    news = [e for e in res["events"] if e["type"] == "new"]
    t.ok("real TCP: one new event for the connection (10.21.0.2 -> 10.21.0.1:8080), conntrack's id",
         len(live) == 1 and len(news) == 1 and news[0]["orig_ipv4_src"] == "10.21.0.2" and
         news[0]["orig_port_dst"] == 8080 and news[0]["id"] == str(live[0]["id"]), (live, res))
    wait = poll(fx, sid, {"orig_ipv4_dst": "10.21.0.1"}, {"wait": 6})
    subscribed(ns)
    for f in live:
        ct_del(ns, f)
    res, secs = wait()
    dest = [e for e in res["events"] if e["type"] == "destroy"]
    if len(live) == 1 and len(dest) == 1:
        f, d = live[0], dest[0]
        t.eq("real TCP: the destroy carries the final counters conntrack -L showed",
             (f["orig_packets"], f["orig_bytes"], f["repl_packets"], f["repl_bytes"], str(f["id"])),
             (d["orig_counter_packets"], d["orig_counter_bytes"], d["repl_counter_packets"],
              d["repl_counter_bytes"], d["id"]))
        t.ok("real TCP: bytes really flowed (>= 3000 out, >= 500 back)",
             d["orig_counter_bytes"] >= 3000 and d["repl_counter_bytes"] >= 500, d)
    else:
        t.ok("real TCP: one destroy event", False, (live, res))

    # ---- idle: empty after wait ----
    res, secs = poll(fx, sid, {}, {"wait": 2})()
    t.ok(f"an idle poll (wait 2) returns an empty list after 2 s +- 0.5 ({secs:.2f} s)",
         isinstance(res, dict) and res["events"] == [] and abs(secs - 2) <= 0.5 and
         abs(res["waited"] - 2) <= 0.5, (res, secs))

    # ---- filters and hidden networks ----
    wait = poll(fx, sid, {"orig_l4proto": 17}, {"wait": 4})
    subscribed(ns)
    ct_add(ns, "10.22.0.1", "10.22.0.2", "tcp", 5001, 80)
    ct_add(ns, "10.22.0.1", "10.22.0.2", "udp", 5002, 53)
    res, _ = wait()
    t.eq("filter orig_l4proto 17: only the UDP entry", [("10.22.0.1", 5002, 17)],
         [(e["orig_ipv4_src"], e["orig_port_src"], e["orig_l4proto"]) for e in res["events"]])
    wait = poll(fx, sid, {"orig_ipv4_src": "10.23.1.0/24", "tcp_state": "ESTABLISHED"}, {"wait": 4})
    subscribed(ns)
    ct_add(ns, "10.23.1.7", "10.22.0.2", "tcp", 5003, 80)
    ct_add(ns, "10.23.2.7", "10.22.0.2", "tcp", 5004, 80)
    ct_add(ns, "10.23.1.8", "10.22.0.2", "tcp", 5005, 80, state="SYN_SENT")
    res, _ = wait()
    t.eq("filters orig_ipv4_src 10.23.1.0/24 and tcp_state ESTABLISHED: only the matching entry",
         ["10.23.1.7"], [e["orig_ipv4_src"] for e in res["events"]])
    wait = poll(fx, sid, {}, {"wait": 4})
    subscribed(ns)
    ct_add(ns, "127.0.0.1", "127.0.0.2", "tcp", 5006, 80)
    ct_add(ns, "10.24.0.1", "127.0.0.1", "udp", 5007, 53)
    ct_add(ns, "10.24.0.1", "10.24.0.2", "udp", 5008, 53)
    res, _ = wait()
    t.eq("hidden networks: 127.0.0.0/8 connections never appear (only 10.24.0.1 -> 10.24.0.2)",
         [("10.24.0.1", "10.24.0.2")], [(e["orig_ipv4_src"], e["orig_ipv4_dst"]) for e in res["events"]])
    t.ok("... whatever the filters say", not any(
        e.get("orig_ipv4_src", "").startswith("127.") for e in
        poll(fx, sid, {"orig_ipv4_src": "127.0.0.1"}, {"wait": 1})()[0]["events"]), "")
    # real loopback traffic during a poll, with nothing else happening: the
    # poll still waits its whole time (the helper leaves hidden networks out)
    wait = poll(fx, sid, {}, {"wait": 3})
    subscribed(ns)
    ns.run(sys.executable, "-c", "import socket\ns=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
           "s.sendto(b'x', ('127.0.0.1', 9))\n")
    res, secs = wait()
    t.ok(f"a 127.0.0.1 datagram during an idle poll: empty list, after wait ({secs:.2f} s)",
         res["events"] == [] and abs(secs - 3) <= 0.5, (res, secs))

    # ---- types ----
    wait = poll(fx, sid, {}, {"wait": 4, "types": ["destroy"]})
    subscribed(ns)
    ct_add(ns, "10.25.0.1", "10.25.0.2", "udp", 6001, 53)
    for f in ct_ext(ns).values():
        if f["orig_src"] == "10.25.0.1":
            ct_del(ns, f)
    res, _ = wait()
    t.eq("types [destroy]: only the destroy event", ["destroy"], [e["type"] for e in res["events"]])
    wait = poll(fx, sid, {}, {"wait": 4, "types": ["update"]})
    subscribed(ns)
    ct_add(ns, "10.25.0.3", "10.25.0.2", "udp", 6002, 53)
    ns.ct("-U", "-s", "10.25.0.3", "-p", "udp", "--sport", "6002", "--mark", "9", check=False)
    res, _ = wait()
    t.ok("types [update]: a mark change (conntrack -U) comes as an update with the new mark",
         [e["type"] for e in res["events"]][-1:] == ["update"] and res["events"][-1]["mark"] == 9, res)

    # ---- the window is the caller's: only events the filters let through open or fill it ----
    # (the helper knows the protocol and IPv4 networks only; ports, states,
    # marks... are the CGI's, and events they drop must not end a window)
    wait = poll(fx, sid, {"orig_port_dst": 22}, {"wait": 6})
    subscribed(ns)
    ct_add(ns, "10.30.0.1", "10.30.0.2", "tcp", 4001, 80)
    time.sleep(2)
    ct_add(ns, "10.30.0.1", "10.30.0.2", "tcp", 4002, 22)
    res, secs = wait()
    t.eq(f"filter orig_port_dst 22: a port-80 insert, a port-22 one 2 s later: the port-22 event ({secs:.2f} s)",
         [22], [e["orig_port_dst"] for e in res["events"]])
    t.ok(f"... returned ~250 ms after it, not at wait ({secs:.2f} s)", 2.0 < secs < 4, secs)
    wait = poll(fx, sid, {"orig_port_dst": 22}, {"wait": 6, "max": 2})
    subscribed(ns)
    for port in (5001, 5002, 5003):
        ct_add(ns, "10.31.0.1", "10.31.0.2", "tcp", port, 80)
    ct_add(ns, "10.31.0.1", "10.31.0.2", "tcp", 5004, 22)
    res, secs = wait()
    t.eq("max 2, three port-80 inserts then a port-22 one: they do not count towards max; [22], more false",
         ([22], False), ([e["orig_port_dst"] for e in res["events"]], res["more"]))
    wait = poll(fx, sid, {"orig_port_dst": 22}, {"wait": 6, "max": 1})
    subscribed(ns)
    ns.run("sh", "-c", "for p in 5101 5102; do conntrack -I -s 10.31.0.1 -d 10.31.0.2 -p tcp --sport $p "
           "--dport 80 --state ESTABLISHED --timeout 600; done; for p in 5103 5104; do conntrack -I "
           "-s 10.31.0.1 -d 10.31.0.2 -p tcp --sport $p --dport 22 --state ESTABLISHED --timeout 600; done",
           check=False)
    res, secs = wait()
    t.eq(f"max 1, two port-22 inserts among port-80 ones: one event, more true ({secs:.2f} s)",
         ([5103], True), ([e["orig_port_src"] for e in res["events"]], res["more"]))
    wait = poll(fx, sid, {"orig_port_dst": 22}, {"wait": 6, "max": 1})
    subscribed(ns)
    ns.run("sh", "-c", "conntrack -I -s 10.31.0.1 -d 10.31.0.2 -p tcp --sport 5105 --dport 22 --state "
           "ESTABLISHED --timeout 600; for p in 5106 5107 5108; do conntrack -I -s 10.31.0.1 -d 10.31.0.2 "
           "-p tcp --sport $p --dport 80 --state ESTABLISHED --timeout 600; done", check=False)
    res, secs = wait()
    t.eq("max 1, the port-22 insert then port-80 ones: one event, more false (they are not wanted)",
         ([5105], False), ([e["orig_port_src"] for e in res["events"]], res["more"]))
    fx.conf(roles="admin:operator, viewer:viewer",
            hide_networks="127.0.0.0/8, ::1/128, 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 10.99.0.0/16, "
            "10.98.0.0/16, 10.97.0.0/16, 10.96.0.0/16")
    wait = poll(fx, sid, {}, {"wait": 3})
    subscribed(ns)
    ct_add(ns, "10.96.0.1", "10.96.0.2", "udp", 6001, 53)  # the 9th hidden network
    ct_add(ns, "192.0.2.1", "192.0.2.2", "udp", 6001, 53)
    res, secs = wait()
    t.ok(f"9 hidden networks (more than the helper is told): hidden events leave an idle poll idle "
         f"({secs:.2f} s, wait 3)", res["events"] == [] and res["lost"] == 0 and abs(secs - 3) <= 0.5, (res, secs))
    fx.conf(roles="admin:operator, viewer:viewer")

    # ---- the helper's receive buffer follows max; nothing stays subscribed ----
    def helper_rcvbuf():
        # ss: the namespace's netlink sockets of ctd-helper with their
        # skmem (rb: the receive buffer, as the kernel doubled it)
        out = ns.run("ss", "-f", "netlink", "-a", "-m", check=False).stdout.splitlines()
        rbs = [int(line.split("rb")[1].split(",")[0]) for line in out
               if "ctd-helper/" in line and "skmem:(" in line]
        return max(rbs) if rbs else None
    rb = {}
    for mx in (1, 500, 5000):
        wait = poll(fx, sid, {}, {"wait": 1, "max": mx})
        subscribed(ns)
        rb[mx] = helper_rcvbuf()
        wait()
    t.ok(f"receive buffer by max (ss rb, doubled by the kernel): {rb}",
         None not in rb.values() and rb[1] < 1 << 20 and rb[1] < rb[500] < rb[5000] and
         5000 * 2048 <= rb[5000] <= 2 * 11 << 20, rb)
    wait = poll(fx, sid, {"orig_port_dst": 22}, {"wait": 6, "max": 1})
    subscribed(ns)
    ct_add(ns, "10.32.0.1", "10.32.0.2", "tcp", 5201, 22)
    res, _ = wait()
    t.eq("after a window ends (the CGI closed), no helper listens any more", 0, listeners(ns))

    # ---- hidden networks are the kernel's to leave out (negative terms of the socket filter) ----
    if not os.access(CTBURST, os.X_OK):
        t.skip("hidden networks in the kernel's filter", f"{CTBURST} not built (make tools)")
    else:
        fx.conf(roles="admin:operator, viewer:viewer", hide_networks="127.0.0.0/8, ::1/128, 198.18.0.0/15")
        wait = poll(fx, sid, {}, {"wait": 3, "max": 1})
        subscribed(ns)
        line = [x for x in ns.run("ss", "-f", "netlink", "-a", "-m", "-p", check=False).stdout.splitlines()
                if "ctd-helper/" in x and "skmem:(" in x]
        pid = int(line[0].split("ctd-helper/")[1].split()[0]) if line else 0
        if pid:
            os.kill(pid, signal.SIGSTOP)  # the helper reads nothing: what passes the filter queues
        ns.run(CTBURST, "2000", check=False)  # 198.18.x.y -> 198.19.0.1: hidden
        after = [x for x in ns.run("ss", "-f", "netlink", "-a", "-m", check=False).stdout.splitlines()
                 if f"ctd-helper/{pid}" in x and "skmem:(" in x]
        if pid:
            os.kill(pid, signal.SIGCONT)
        res, secs = wait()
        queued = [int(x.split("skmem:(r")[1].split(",")[0]) for x in after]
        t.ok(f"2,000 hidden entries while the helper is stopped: nothing queued on its socket (skmem r {queued})",
             pid and queued and max(queued) == 0, (line, after))
        t.ok(f"... and the poll stays idle to its wait, nothing lost ({secs:.2f} s)",
             res["events"] == [] and res["lost"] == 0 and abs(secs - 3) <= 0.5, (res, secs))
        ns.ct("-F", check=False)
        fx.conf(roles="admin:operator, viewer:viewer")

    # ---- bursts ----
    if not os.access(CTBURST, os.X_OK):
        t.skip("bursts", f"{CTBURST} not built (make tools)")
    else:
        # A burst must happen inside one window (250 ms from its first
        # event): ctburst sends its inserts 256 to a netlink message.
        ns.ct("-F", check=False)
        wait = poll(fx, sid, {}, {"wait": 10, "max": 5000, "types": ["new"]})
        subscribed(ns)
        r = ns.run(CTBURST, "1000", check=False)
        res, _ = wait()
        n = len(res["events"])
        t.eq(f"a burst of 1000 inserts inside one window ({r.stdout.strip()}): delivered {n} + lost "
             f"{res['lost']} = 1000", 1000, n + res["lost"])
        t.eq("... every delivered id distinct", n, len({e["id"] for e in res["events"]}))
        t.eq("... below max: more is false", False, res["more"])
        ns.ct("-F", check=False)
        wait = poll(fx, sid, {}, {"wait": 10, "max": 100, "types": ["new"]})
        subscribed(ns)
        ns.run(CTBURST, "1000", check=False)
        res, secs = wait()
        t.eq("a burst of 1000 with max 100: 100 events, more true",
             (100, True), (len(res["events"]), res["more"]))
        t.ok(f"... returned at once, not at wait ({secs:.2f} s)", secs < 5, secs)
        ns.ct("-F", check=False)

    # ---- max_event_waiters ----
    fx.conf(roles="admin:operator, viewer:viewer", max_event_waiters=2)
    a, b = poll(fx, sid, {}, {"wait": 4}), poll(fx, sid, {}, {"wait": 4})
    subscribed(ns, 2)
    res, secs = poll(fx, sid, {}, {"wait": 4})()
    t.ok(f"max_event_waiters 2, a third concurrent poll: fault 6 'busy' at once ({secs:.2f} s)",
         isinstance(res, xmlrpc.client.Fault) and res.faultCode == 6 and "busy" in res.faultString and secs < 2,
         (res, secs))
    ra, sa = a()
    rb, sb = b()
    t.ok("... the two others answer after their wait, none hangs",
         isinstance(ra, dict) and isinstance(rb, dict) and sa < 6 and sb < 6, (ra, rb, sa, sb))
    res, _ = poll(fx, sid, {}, {"wait": 0})()
    t.ok("... and the slots are free again", isinstance(res, dict), res)
    fx.conf(roles="admin:operator, viewer:viewer")

    # ---- parameters ----
    vsid = fx.login("viewer")
    fx.expect_ok("a viewer may call events", "events", vsid, {}, {"wait": 0}, remote_user="viewer",
                 check=lambda v: v["events"] == [])
    fx.expect_ok("filters and options as PHP's array() (wait 20 by default: not waited here)", "events", sid,
                 [], {"wait": 0}, check=lambda v: isinstance(v["events"], list))
    for desc, opts in [("wait 26", {"wait": 26}), ("wait -1", {"wait": -1}), ("max 0", {"max": 0}),
                       ("max 5001", {"max": 5001}), ("types ['bogus']", {"types": ["bogus"]}),
                       ("types []", {"types": []}), ("types 'new'", {"types": "new"}),
                       ("an unknown option", {"timeout": 1})]:
        f = fx.expect_fault(f"options {desc}: fault 3", 3, "events", sid, {}, opts)
        t.ok(f"options {desc}: the fault names the option", f is not None and "options" in f.faultString,
             getattr(f, "faultString", ""))
    fx.expect_fault("an unknown filter: fault 3", 3, "events", sid, {"bogus": 1}, {"wait": 0})
    fx.expect_fault("a fourth parameter: fault 3", 3, "events", sid, {}, {}, 1)
    r = fx.call("system.multicall", [{"methodName": "events", "params": [sid, {}, {"wait": 0}]}])
    t.ok("inside system.multicall: that call is fault 3", isinstance(r[0], dict) and r[0].get("faultCode") == 3, r)

t.done()
