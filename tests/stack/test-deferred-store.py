#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A fresh view of a big table answers before its dump is stored
(cgi/snapshot.c, snap_defer; cgi/main.c, answer_sent), through the real
Apache (mod_cgid, which gives the CGI one socket as stdin and stdout, and
sends it SIGTERM as soon as the answer is out):

- the answer reaches the client while the dump is not yet in the database
  (seen at least once over the rounds: otherwise nothing here is tested);
- a kill of an id from that answer that no older dump has (a connection
  made just before the view), sent at once on a second kept-alive
  connection, finds it (kill looks again once the dump lock is free,
  snap_wait_stored) and destroys exactly that entry (oracle: conntrack -L);
- the store still commits although Apache sent SIGTERM: the session's next
  page reads the same snapshot (same snapshot_time, no second dump);
- the answer's page came from the table before it was sorted (order.c,
  view_order_top): the order the store made afterwards (the session's
  cache) starts with exactly those rows, and its rows are in the view's
  order, ties by id, for orders with many ties.

Table: N entries made by tools/ctgen in a private namespace."""
import base64
import http.client
import os
import sys
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from ctdtest import BUILD, T, Netns, need_root, raise_conntrack_max  # noqa: E402

N = 100000      # above CTD_DEFER_MIN (cgi/bounds.h): such a dump is stored after the answer
# orders with many ties (ctgen: ports repeat every 60000 entries, no rates)
ORDERS = [("id", "ASC"), ("orig_port_src", "ASC"), ("rate", "DESC"), ("orig_port_dst", "DESC")]
KILL_ROUNDS = 3
CTGEN = os.path.join(BUILD, "tools", "ctgen")


class Conn:
    """One kept-alive HTTPS connection, XML-RPC calls on it."""

    def __init__(self, d, user="admin"):
        self.c = http.client.HTTPSConnection("127.0.0.1", d.port, context=d.ssl_context(), timeout=120)
        auth = base64.b64encode(f"{user}:{d.password(user)}".encode()).decode()
        self.h = {"Content-Type": "text/xml", "Authorization": "Basic " + auth}

    def call(self, method, *params):
        self.c.request("POST", "/RPC2", xmlrpc.client.dumps(params, method).encode(), self.h)
        r = self.c.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"{method}: HTTP {r.status} {body[:200]!r}")
        return xmlrpc.client.loads(body)[0][0]


def newest_dump(d):
    return d.sql("SELECT coalesce(max(id), 0) FROM dumps")[0][0]


def ct_ids(ns):
    out = ns.ct("-L", "-o", "id").stdout
    return {line.rsplit("id=", 1)[1].split()[0] for line in out.splitlines() if "id=" in line}


def main():
    t = T()
    need_root(t)
    if not os.access("/usr/sbin/apache2", os.X_OK):
        t.skip("test-deferred-store", "apache2 missing: run make deps")
        t.done()
    if not os.access(CTGEN, os.X_OK):
        t.skip("test-deferred-store", f"{CTGEN} missing: run make tools")
        t.done()
    from ctddemo import Demo, InNetns
    raise_conntrack_max(N + 20000)
    with Netns(track=False) as ns:
        r = ns.run(CTGEN, str(N), "0", "30", check=False)
        if not t.eq(f"ctgen filled the namespace with {N} entries", 0, r.returncode):
            t.done()
        with Demo(ns, mode="setuid", log_name="test-deferred-store-demo") as d, InNetns(ns.name):
            run(t, d, ns)
    t.done()


def fresh_view(t, d, a, sid, *args):
    """refresh, then a view that dumps; (answer, dump id before, stored
    already when the answer came)."""
    a.call("refresh", sid)          # waits for the previous store (Apache's cleanup)
    before = newest_dump(d)
    v = a.call("view", sid, *args)
    return v, before, newest_dump(d) != before


def orders(t, d, a, sid):
    """The page the answer came from (the table unsorted) against the order
    the store made after it."""
    early = 0
    for k, (field, direction) in enumerate(ORDERS):
        v, before, stored = fresh_view(t, d, a, sid, {}, field, direction, 0, 50)
        early += not stored
        page = a.call("view", sid, {}, field, direction, 0, 100)
        t.eq(f"{field} {direction}: the next view reads the same snapshot (the store committed after "
             f"SIGTERM)", v["snapshot_time"], page["snapshot_time"])
        t.eq(f"{field} {direction}: one dump stored", before + 1, newest_dump(d))
        t.eq(f"{field} {direction}: the stored order starts with the answer's 50 rows",
             [r["id"] for r in v["table"]], [r["id"] for r in page["table"][:50]])
        keys = [(int(r.get(field, -1)) * (-1 if direction == "DESC" else 1), int(r["id"])) for r in page["table"]]
        t.ok(f"{field} {direction}: its 100 rows are in that order, ties by id "
             f"({len(keys) - len(set(x[0] for x in keys))} ties)", len(keys) == 100 and keys == sorted(keys))
    return early


def kills(t, d, ns, a, b, sid):
    """A connection made just before the view, so no older dump has its id:
    killed at once from the answer, on the other connection."""
    early = 0
    for k in range(KILL_ROUNDS):
        src = f"10.250.0.{k + 1}"
        ns.ct("-I", "-s", src, "-d", "10.251.0.1", "-p", "udp", "--sport", "1000", "--dport", "53",
              "--timeout", "600")
        v, _, stored = fresh_view(t, d, a, sid, {"orig_ipv4_src": src}, "id", "ASC", 0, 50)
        early += not stored
        victim = v["table"][0]["id"] if len(v["table"]) == 1 else None
        try:
            killed = b.call("kill", sid, [victim])
        except xmlrpc.client.Fault as f:
            killed = f
        t.eq(f"kill {k}: the new entry's id {victim}, sent at once on another connection "
             f"(dump {'already' if stored else 'not yet'} stored when the answer came)", 1, killed)
        t.ok(f"kill {k}: conntrack -L no longer lists it", victim and victim not in ct_ids(ns))
    return early


def run(t, d, ns):
    a, b = Conn(d), Conn(d)
    sid = a.call("login")
    a.call("set_autorefresh", sid, 0)
    b.call("whoami", sid)           # b is connected and kept alive before the rounds
    early = orders(t, d, a, sid) + kills(t, d, ns, a, b, sid)
    rounds = len(ORDERS) + KILL_ROUNDS
    t.ok(f"the answer came before its dump was stored in {early} of {rounds} views (at least one)", early >= 1)


if __name__ == "__main__":
    main()
