# SPDX-License-Identifier: GPL-2.0-or-later
"""Concurrent XML-RPC load over HTTPS against a running Demo (ctddemo.py).

    from ctdload import run_load
    st = run_load(demo, clients=32, calls=50, duration=None, mix="bench", churn=None, seed=1)

run_load enters demo.ns itself (InNetns around starting its threads, which
inherit the namespace), so callers need not; calling it from inside
InNetns(demo.ns.name) works too.

Clients are python threads, each with its own ServerProxy and so its own
keep-alive HTTPS connection.  The server side (Apache, one ctd.cgi and one
ctd-helper process per request, SQLite) costs far more per call than the
client: st["client_cpu_s"] / st["seconds"] says how much of a core the
clients used (well below 1 means the GIL is not what limits the rate).

Warm-up (warmup=True, the default): every client logs in and views once
(each session's first view is a fresh dump) before the clock starts; the
figures (calls, seconds, latencies) cover only what follows, by_method /
faults / unexpected / audit cover everything; st["warmup_s"] says how long
the warm-up took.  At most warmup_parallel (8) first views run at once.

calls: calls per client after the warm-up (HTTP requests); or calls=None
and duration=seconds: each client runs until the time is up (a call in
flight is finished, so seconds can exceed duration by one call).

mix "bench": login, then views from the session's snapshot (orders, both
directions, random pages, some filters), fresh views (refresh + view), and
changes of mark or timeout on ids the client saw in its snapshot.
mix "stress": the same plus kill (1..4 ids the client saw, sometimes a
repeated id), kill including an id never in the snapshot (fault 5, nothing
killed), kill_preview of one id the client saw + kill_matching of its
token, audit (the user's own rows), set_autorefresh (0 or 5..30 s; views may then re-dump, noticed by
their snapshot_time), logout + login, system.multicall (whoami +
change/kill + view), whoami; every 8th client logs in as a viewer, whose
kill and change must get fault 4.  Users: at most PER_USER (8) clients
share one name (admin, op2, op3 ... for operators; viewer, viewer2 ... for
viewers, added to the demo as needed): a login evicts its user's sessions
beyond max_sessions_per_user (16).

hostile=N adds N hostile viewers (_Hostile: multicalls at and over the cap,
refresh storms, 65-level nested bodies, session churn, all as "viewer")
next to the clients of the mix; the figures stay those of the mix's
clients, st["hostile"] has the hostile ones'.  CgiPeak wraps the demo's
ctd.cgi to record each request's peak RSS.

churn: None or churn(stop) -> anything, where stop is a threading.Event;
run in a background thread (inside the namespace) until the load is over;
its return value is st["churn"], an exception goes to st["unexpected"].

Returned dict (st):
  calls, seconds, calls_per_s, p50_ms, p99_ms, max_ms (per HTTP request),
  by_method {name: count} (HTTP requests; multicall sub-calls are counted
  under "system.multicall/<name>" as well), faults {code: count} (every
  fault, sub-calls included), unexpected [(method, description)],
  audit_expected (audit rows the calls must have added, see below),
  audit_uncertain (calls whose audit effect cannot be known: transport
  errors and unexpected faults that may have come after the audit insert;
  0 in a clean run), sessions [session ids still logged in],
  session_users {session id: user}, operators [user names of the operator
  clients], kill_returned (sum of kill results),
  warmup_s, warmup_calls,
  kill_ids [(id, session)] the calls asked to kill (after dedup per call),
  mark_set [(id, value)] and timeout_set [(id, value)] for changes that
  returned true, gone (fault-5 "is gone" changes), timeout_refused (timeout
  changes the kernel refused with EPERM: already fixed), moved (kills and changes
  of an id no longer in the session's snapshot, which its next view showed
  had been moved to a newer dump: max_dumps), ambiguous (kills
  and changes refused because an id names two entries), retries (requests
  sent again because the server had closed the kept-alive connection before
  reading them), client_cpu_s, clients, mix, churn.

Audit rows, from cgi/actions.c and sql/001-initial.sql: a kill whose ids
(deduplicated) are all in the session's snapshot writes one row per
distinct id before the helper acts, whatever becomes of the id (done / not
found / error), also when the helper then fails (faults 6, 7); a kill with
any id not in the snapshot (fault 5), bad parameters (3), a viewer's kill
(4), an id two entries of the snapshot share (3: CTA_ID is a 32-bit
hash; counted in `ambiguous`) or an empty id list writes none.  A change
on an id in the snapshot writes one row, also when the connection has gone (fault 5 "is gone"), when
the kernel refuses it (fault 7; the mix expects EPERM for a timeout change:
the kernel refuses to change a timeout that is already fixed, as every
timeout set through ctd is), or the helper fails; a change refused before
that (3, 4, 5 "not found in this session's snapshot") writes none.  Calls
inside a multicall count the same.  kill_preview writes none; a
kill_matching writes one row per entry it acted on (destroyed + gone) and
one summary row.
"""
import base64
import http.client
import os
import random
import resource
import ssl
import threading
import time
import xmlrpc.client

from ctddemo import InNetns

IDLE_RECONNECT_S = 3.0
PER_USER = 8            # clients per user name (_user)
CLOSED_ERRORS = (http.client.RemoteDisconnected, ssl.SSLEOFError, ConnectionResetError, BrokenPipeError)
ORDERS = ("id", "orig_src", "orig_dst", "timeout", "mark", "orig_port_src", "rate", "tcp_state",
          "orig_l4proto", "repl_port_src")
PAGE = 50


def _i4(v):
    """A u32 as XML-RPC i4: values from 2^31 as their two's-complement negative (cgi/value.c)."""
    return v - (1 << 32) if v >= 1 << 31 else v


class _Transport(xmlrpc.client.SafeTransport):
    """SafeTransport with a socket timeout (a hung server must not hang the test)."""

    def __init__(self, context, timeout):
        super().__init__(context=context)
        self._timeout = timeout

    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = self._timeout
        return conn


# What one step of a client does, per mix: (upper bound of a uniform draw,
# method, arguments); the first entry whose bound exceeds the draw.
MIXES = {
    "bench": ((0.60, "view"), (0.70, "view_fresh"), (1.0, "change")),
    "stress": ((0.38, "view"), (0.42, "view_fresh"), (0.56, "change"), (0.68, "kill"), (0.70, "kill", True),
               (0.72, "kill_match"), (0.74, "audit_page"), (0.77, "set_autorefresh"), (0.80, "relogin"),
               (0.90, "multicall"), (0.92, "live"), (0.94, "expect_list"), (1.0, "whoami")),
}


class _Client:
    def __init__(self, demo, idx, user, rng, mix, timeout, viewer=False):
        self.demo, self.idx, self.user, self.rng, self.mix = demo, idx, user, rng, mix
        self.viewer = viewer    # the user's role: kill and change must get fault 4
        self.timeout = timeout
        self.proxy = self._proxy()
        self.sid = None
        self.snap_time = None
        self.seen = []          # ids (str) seen in the current snapshot, in order
        self.seen_set = set()
        self.total = 0
        self.lat = []
        self.by_method = {}
        self.faults = {}
        self.unexpected = []
        self.audit = 0
        self.uncertain = 0
        self.kill_returned = 0
        self.kill_returned_matching = 0
        self.kill_ids = []
        self.mark_set = []
        self.timeout_set = []
        self.gone = 0
        self.timeout_refused = 0
        self.ambiguous = 0
        self.moved = 0
        self.moved_pending = None   # (method, fault text) to settle by the next view
        self.retries = 0
        self.epoch = time.monotonic()
        self.call_t0, self.call_s = self.epoch, 0.0
        self.used = 0           # requests answered on the current connection
        self.last_used = 0.0
        self.n = 0
        self.warm_n = 0         # calls of the warm-up (not in the figures)

    def _proxy(self):
        d = self.demo
        url = f"https://{self.user}:{d.password(self.user)}@127.0.0.1:{d.port}/RPC2"
        return xmlrpc.client.ServerProxy(url, transport=_Transport(d.ssl_context(), self.timeout),
                                         allow_none=False)

    # ---- one HTTP request ------------------------------------------------
    def _call(self, method, *args):
        """Returns ("ok", result) / ("fault", Fault) / ("error", exc)."""
        self.n += 1
        self.by_method[method] = self.by_method.get(method, 0) + 1
        t0 = time.monotonic()
        # Apache closes a keep-alive connection idle for KeepAliveTimeout
        # (5 s by default): start afresh rather than race that close
        if self.used and t0 - self.last_used > IDLE_RECONNECT_S:
            self.proxy("close")()
            self.used = 0
        for attempt in (0, 1):
            reused = self.used > 0
            try:
                out = ("ok", getattr(self.proxy, method)(*args))
                self.used += 1
            except xmlrpc.client.Fault as f:
                self.faults[f.faultCode] = self.faults.get(f.faultCode, 0) + 1
                out = ("fault", f)
                self.used += 1
            except CLOSED_ERRORS as e:
                self.proxy("close")()
                self.used = 0
                if reused and attempt == 0:
                    # the server closed an idle kept-alive connection (the
                    # event MPM does so when busy) before reading the request:
                    # nothing ran, send it again on a new connection, as
                    # browsers do; the exact audit count would show otherwise
                    self.retries += 1
                    continue
                out = ("error", e)
            except Exception as e:  # noqa: BLE001 - transport errors are what we count
                out = ("error", e)
                self.proxy = self._proxy()  # a fresh connection after a broken one
                self.used = 0
            break
        self.last_used = time.monotonic()
        self.lat.append(self.last_used - t0)
        self.call_t0, self.call_s = t0, self.last_used - t0
        if out[0] == "error":
            self._bad(method, f"transport: {out[1]!r}")
        return out

    def _bad(self, method, what):
        """An unexpected outcome of the last call, with when it started
        (seconds from the start of the run, warm-up included) and how long it took."""
        when = f" [call at +{self.call_t0 - self.epoch:.1f} s, took {self.call_s:.1f} s]"
        self.unexpected.append((method, str(what)[:300] + when))

    def _fault_desc(self, f):
        return f"fault {f.faultCode}: {f.faultString}"

    # ---- snapshot bookkeeping ---------------------------------------------
    def _saw(self, res):
        """Updates what this client knows of its session's snapshot from a view result."""
        if not isinstance(res, dict) or "table" not in res:
            self._bad("view", f"malformed view result {str(res)[:100]}")
            return
        ids = [row["id"] for row in res["table"]]
        if res["snapshot_time"] != self.snap_time:
            self.snap_time = res["snapshot_time"]
            self.seen, self.seen_set = [], set()
        for i in ids:
            if i not in self.seen_set:
                self.seen_set.add(i)
                self.seen.append(i)
        self.total = res["total"]

    def _pick(self, k=1):
        if not self.seen:
            return None
        return [self.rng.choice(self.seen) for _ in range(k)]

    def _view_args(self):
        rng = self.rng
        flt = {}
        r = rng.random()
        if r < 0.1:
            flt = {"orig_l4proto": rng.choice((6, 17))}
        elif r < 0.15:
            flt = {"orig_port_dst": 80}
        order = rng.choice(ORDERS)
        direction = rng.choice(("ASC", "desc", "a", "D"))
        pages = max(1, (self.total + PAGE - 1) // PAGE) if self.total else 1
        start = rng.randrange(pages) * PAGE if rng.random() < 0.7 else 0
        return [self.sid, flt, order, direction, start, PAGE]

    # ---- operations -------------------------------------------------------
    def login(self):
        kind, r = self._call("login")
        if kind == "ok" and isinstance(r, str) and len(r) >= 32:
            self.sid, self.snap_time, self.seen, self.seen_set, self.total = r, None, [], set(), 0
            return True
        if kind == "ok":
            self._bad("login", f"bad session id {r!r}")
        elif kind == "fault":
            self._bad("login", self._fault_desc(r))
        self.sid = None
        return False

    def view(self):
        kind, r = self._call("view", *self._view_args())
        if kind == "ok":
            self._saw(r)
        elif kind == "fault":
            self._bad("view", self._fault_desc(r))
        return kind == "ok"

    def view_fresh(self):
        kind, r = self._call("refresh", self.sid)
        if kind == "fault":
            self._bad("refresh", self._fault_desc(r))
        elif kind == "ok" and r is not True:
            self._bad("refresh", f"returned {r!r}")
        if kind == "ok":
            before = self.snap_time
            if self.view() and self.snap_time == before and before is not None:
                self._bad("view", "a view after refresh kept the old snapshot_time")
        else:
            self.view()

    def _change_args(self):
        ids = self._pick()
        if ids is None:
            return None
        field = "mark" if self.rng.random() < 0.6 else "timeout"
        if field == "mark":
            value = self.rng.randrange(1, 1 << 32)
            # cgi/value.c: a negative i4 means the unsigned value; a numeric string works too
            value = str(value) if self.rng.random() < 0.2 else _i4(value)
        else:
            value = self.rng.randrange(300, 3600)
        idv = ids[0] if self.rng.random() < 0.7 else _i4(int(ids[0]))
        return [self.sid, field, idv, value]

    def _ambiguous(self, kind, r):
        """Fault 3 for an id two entries of the snapshot share (CTA_ID is a
        32-bit hash: ~1 pair in a 100k table): refused before any audit row."""
        if kind == "fault" and r.faultCode == 3 and "two or more connections" in r.faultString:
            self.ambiguous += 1
            return True
        return False

    def _maybe_moved(self, method, kind, r):
        """Fault 5 for an id the client saw in its snapshot: the session may
        have been moved to the newest dump (at most max_dumps are stored;
        README, Security model), which no longer holds that connection.  Refused
        before any audit row; _settle_moved decides by the next view."""
        if kind == "fault" and r.faultCode == 5 and "not found in this session's snapshot" in r.faultString:
            self.moved_pending = (method, self._fault_desc(r))
            return True
        return False

    def _settle_moved(self, before):
        """A moved session's next view shows another snapshot_time than the
        one the client had (before): then the fault was the move's, else unexpected."""
        if self.moved_pending is None:
            return
        method, desc = self.moved_pending
        self.moved_pending = None
        if self.snap_time != before:
            self.moved += 1
        else:
            self._bad(method, desc + " (and the session's snapshot had not changed)")

    def _change_result(self, args, kind, r):
        """Accounts one change (direct or inside a multicall)."""
        _, field, idv, value = args
        if self.viewer:
            if kind == "fault" and r.faultCode == 4:
                return
            self._bad("change", f"viewer change not refused with fault 4: {kind} {r}")
            return
        if kind == "ok":
            self.audit += 1
            if r is not True:
                self._bad("change", f"returned {r!r}")
            (self.mark_set if field == "mark" else self.timeout_set).append(
                (str(int(idv) & 0xffffffff), int(value) & 0xffffffff))
        elif kind == "fault" and r.faultCode == 5 and "gone" in r.faultString:
            self.audit += 1     # the row was written, then the kernel had no such entry
            self.gone += 1
        elif (kind == "fault" and r.faultCode == 7 and field == "timeout" and
              "Operation not permitted" in r.faultString):
            # the kernel (6.x) refuses a timeout update on an entry whose
            # timeout is already fixed (IPS_FIXED_TIMEOUT, set by an earlier
            # timeout change of any client): EPERM, after the audit row
            self.audit += 1
            self.timeout_refused += 1
        elif self._ambiguous(kind, r) or self._maybe_moved("change", kind, r):
            pass
        elif kind == "fault" and r.faultCode in (6, 7):
            self.audit += 1
            self._bad("change", self._fault_desc(r))
        else:
            self.uncertain += 1
            self._bad("change", self._fault_desc(r) if kind == "fault" else r)

    def change(self):
        args = self._change_args()
        if args is None:
            return self.view()
        before = self.snap_time
        kind, r = self._call("change", *args)
        if kind != "error":
            self._change_result(args, kind, r)
        else:
            self.uncertain += 1
        if self.moved_pending:
            self.view()
            self._settle_moved(before)

    def _kill_args(self, bogus=False):
        ids = self._pick(self.rng.choice((1, 1, 2, 3, 4)))
        if ids is None:
            return None
        if bogus:
            ids.append("0")     # never a CTA_ID in a snapshot here: fault 5, nothing killed
        if self.rng.random() < 0.3:
            ids = [_i4(int(i)) for i in ids]
        return [self.sid, ids]

    def _kill_result(self, args, kind, r, bogus):
        ids = {str(int(i) & 0xffffffff) for i in args[1]}
        if self.viewer:
            if kind == "fault" and r.faultCode == 4:
                return
            self._bad("kill", f"viewer kill not refused with fault 4: {kind} {r}")
            return
        if bogus:
            if kind == "fault" and r.faultCode == 5:
                return
            self._bad("kill", f"kill with an id not in the snapshot: want fault 5, got {kind} {r}")
            if kind == "ok":
                self.uncertain += 1
            return
        if kind == "ok":
            self.audit += len(ids)
            self.kill_returned += r if isinstance(r, int) else 0
            self.kill_ids.extend((i, self.sid) for i in sorted(ids))
            if not isinstance(r, int) or r < 0 or r > len(ids):
                self._bad("kill", f"returned {r!r} for {len(ids)} ids")
        elif self._ambiguous(kind, r) or self._maybe_moved("kill", kind, r):
            pass
        elif kind == "fault" and r.faultCode in (6, 7):
            self.audit += len(ids)
            self._bad("kill", self._fault_desc(r))
        else:
            self.uncertain += 1
            self._bad("kill", self._fault_desc(r) if kind == "fault" else r)

    def kill(self, bogus=False):
        args = self._kill_args(bogus)
        if args is None:
            return self.view()
        before = self.snap_time
        kind, r = self._call("kill", *args)
        if kind != "error":
            self._kill_result(args, kind, r, bogus)
        else:
            self.uncertain += 1
        if self.moved_pending:
            self.view()
            self._settle_moved(before)

    def kill_match(self):
        """kill_preview of one id the client saw (filter id), then kill_matching
        of its token: one audit row per entry acted on, plus the summary."""
        ids = self._pick(1)
        if ids is None:
            return self.view()
        kind, p = self._call("kill_preview", self.sid, {"id": ids[0]})
        if self.viewer:
            if not (kind == "fault" and p.faultCode == 4):
                self._bad("kill_preview", f"viewer kill_preview not refused with fault 4: {kind} {p}")
            kind, r = self._call("kill_matching", self.sid, "0" * 64)
            if not (kind == "fault" and r.faultCode == 4):
                self._bad("kill_matching", f"viewer kill_matching not refused with fault 4: {kind} {r}")
            return
        if kind != "ok":
            if kind == "fault":
                self._bad("kill_preview", self._fault_desc(p))
            return
        if not isinstance(p, dict) or not 0 <= p.get("ambiguous", -1) <= p.get("matched", -1) <= 2:
            self._bad("kill_preview", f"returned {p!r:.300} for one id")
            return
        kind, r = self._call("kill_matching", self.sid, p["token"])
        if kind == "ok" and isinstance(r, dict) and r.get("ambiguous") == p["ambiguous"] and \
                r.get("destroyed", -1) + r.get("gone", -1) == p["matched"] - p["ambiguous"]:
            self.audit += r["destroyed"] + r["gone"] + 1
            self.kill_returned_matching += r["destroyed"]
        elif kind == "fault" and r.faultCode in (6, 7):
            self.uncertain += 1
            self._bad("kill_matching", self._fault_desc(r))
        elif kind != "error":
            self.uncertain += 1
            self._bad("kill_matching", self._fault_desc(r) if kind == "fault" else f"returned {r!r} after {p!r:.200}")
        else:
            self.uncertain += 1

    def live(self):
        """events for one second (viewers too): a window, or fault 6 'busy'
        when max_event_waiters polls already wait (more clients than that)."""
        kind, r = self._call("events", self.sid, {}, {"wait": 1, "max": 50})
        if kind == "ok":
            if not (isinstance(r, dict) and isinstance(r.get("events"), list) and r.get("lost", -1) >= 0 and
                    r.get("window_start", 0) <= r.get("window_end", -1)):
                self._bad("events", f"returned {r!r:.300}")
        elif kind == "fault" and not (r.faultCode == 6 and "busy" in r.faultString):
            self._bad("events", self._fault_desc(r))

    def expect_list(self):
        """expectations (viewers too), then kill_expectation of an id it did
        not list: fault 5 for an operator (nothing killed, no audit row),
        fault 4 for a viewer."""
        kind, r = self._call("expectations", self.sid, {})
        if kind == "ok" and not (isinstance(r, dict) and r.get("total") == len(r.get("table", [None]))):
            self._bad("expectations", f"returned {r!r:.300}")
        elif kind == "fault":
            self._bad("expectations", self._fault_desc(r))
        kind, r = self._call("kill_expectation", self.sid, ["4294967295"])
        if not (kind == "fault" and r.faultCode == (4 if self.viewer else 5)) and kind != "error":
            self._bad("kill_expectation", f"an unlisted id: {kind} {r if kind != 'fault' else self._fault_desc(r)}")

    def audit_page(self):
        """The user's own audit rows, newest first (operators; a viewer gets fault 4)."""
        kind, r = self._call("audit", self.sid, {"user": self.user}, 0, 20)
        if self.viewer:
            if not (kind == "fault" and r.faultCode == 4):
                self._bad("audit", f"viewer audit not refused with fault 4: {kind} {r}")
        elif kind == "fault":
            self._bad("audit", self._fault_desc(r))
        elif kind == "ok" and (not isinstance(r, dict) or len(r.get("entries", ())) > 20 or
                               any(e.get("user") != self.user for e in r["entries"])):
            self._bad("audit", f"returned {r!r:.300}")

    def set_autorefresh(self):
        # N > 0 makes later views fresh dumps once the snapshot is N s old
        secs = 0 if self.rng.random() < 0.6 else self.rng.choice((5, 10, 20, 30))
        kind, r = self._call("set_autorefresh", self.sid, secs)
        if kind == "fault":
            self._bad("set_autorefresh", self._fault_desc(r))
        elif kind == "ok" and r is not True:
            self._bad("set_autorefresh", f"returned {r!r}")

    def whoami(self):
        kind, r = self._call("whoami", self.sid)
        if kind == "fault":
            self._bad("whoami", self._fault_desc(r))
        elif kind == "ok" and (not isinstance(r, dict) or r.get("user") != self.user):
            self._bad("whoami", f"returned {r!r} for {self.user}")

    def relogin(self):
        kind, r = self._call("logout", self.sid)
        if kind == "fault":
            self._bad("logout", self._fault_desc(r))
        old = self.sid
        if not self.login():
            return      # sid is None: the next step logs in again
        # the old session must be dead now: fault 2
        if self.rng.random() < 0.5:
            kind, r = self._call("whoami", old)
            if not (kind == "fault" and r.faultCode == 2):
                self._bad("whoami", f"logged-out session still answers: {kind} {r}")

    def multicall(self):
        """whoami + (change or kill) + view in one system.multicall."""
        calls = [{"methodName": "whoami", "params": [self.sid]}]
        act = None
        if self.seen:
            if self.rng.random() < 0.6 or self.mix != "stress":
                act = ("change", self._change_args())
            else:
                act = ("kill", self._kill_args())
            # before the view: with autorefresh on, the view may re-dump and
            # the ids picked from the current snapshot would be unknown after
            calls.append({"methodName": act[0], "params": act[1]})
        calls.append({"methodName": "view", "params": self._view_args()})
        before = self.snap_time
        kind, r = self._call("system.multicall", calls)
        if kind == "fault":
            self._bad("system.multicall", self._fault_desc(r))
            self.uncertain += 1 if act else 0
            return
        if kind == "error":
            self.uncertain += 1 if act else 0
            return
        if not isinstance(r, list) or len(r) != len(calls):
            self._bad("system.multicall", f"malformed result {str(r)[:200]}")
            self.uncertain += 1 if act else 0
            return
        subs = []
        for c, item in zip(calls, r):
            name = c["methodName"]
            self.by_method["system.multicall/" + name] = self.by_method.get("system.multicall/" + name, 0) + 1
            if isinstance(item, dict) and "faultCode" in item:
                f = xmlrpc.client.Fault(item["faultCode"], item.get("faultString", ""))
                self.faults[f.faultCode] = self.faults.get(f.faultCode, 0) + 1
                subs.append(("fault", f))
            elif isinstance(item, list) and len(item) == 1:
                subs.append(("ok", item[0]))
            else:
                subs.append(("bad", item))
        for c, (k, v) in zip(calls, subs):
            name = c["methodName"]
            if k == "bad":
                self._bad("system.multicall/" + name, f"malformed item {str(v)[:200]}")
                if name in ("kill", "change"):
                    self.uncertain += 1
                continue
            if name == "whoami":
                if k != "ok" or v.get("user") != self.user:
                    self._bad("system.multicall/whoami", f"{k} {v}")
            elif name == "view":
                if k == "ok":
                    self._saw(v)
                else:
                    self._bad("system.multicall/view", self._fault_desc(v))
            elif name == "change":
                self._change_result(c["params"], k, v)
            elif name == "kill":
                self._kill_result(c["params"], k, v, False)
        self._settle_moved(before)     # the view comes after the kill or change

    # ---- the loop ----------------------------------------------------------
    def step(self):
        if self.sid is None:
            self.login()
            return
        r = self.rng.random()
        _, name, *args = next(m for m in MIXES[self.mix] if r < m[0])
        getattr(self, name)(*args)

    def warm(self, gate):
        """login and a first view: every session's first view dumps the table."""
        self.login()
        if self.sid is not None:
            with gate:
                self.view()     # every client starts from a snapshot of its own
        self.warm_n = len(self.lat)
        self.n = 0

    def run(self, calls, deadline):
        while True:
            if calls is not None and self.n >= calls:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            self.step()


class _Hostile(_Client):
    """A viewer sending the worst requests it can (README, Security model), all as the
    one user "viewer": multicalls at the cap (max_multicall views of
    max_page rows, each another order, direction or filter: no cached order
    helps), the same over the cap (a body of ~4,000 views just under 1 MiB:
    fault 3, nothing run), refresh storms ([refresh, view] x 16 in one
    request), bodies nested 65 elements deep (HTTP 400 before xmlrpc-c
    parses them) and session churn (a new login without logout: with 16 of
    them, the logins evict sessions beyond max_sessions_per_user, whose
    next call gets fault 2; the client then logs in again).  Unexpected for
    it: a transport error, another HTTP status, another fault."""

    MAX_MULTICALL, MAX_PAGE = 32, 1000
    STEPS = ((0.35, "cap"), (0.45, "over_cap"), (0.65, "storm"), (0.80, "nested"), (1.0, "churn"))
    NESTED = (b"<?xml version='1.0'?><methodCall><methodName>view</methodName><params><param>" +
              b"<value><array><data>" * 20 + b"<value><string>x</string></value>" +
              b"</data></array></value>" * 20 + b"</param></params></methodCall>")   # 65 levels

    def __init__(self, *a, **kw):
        super().__init__(*a, viewer=True, **kw)
        self.http = {}          # HTTP status of the nested bodies: count
        self._over = (None, [])

    def _multicall(self, calls, want=None):
        """One multicall; fault 2 anywhere forgets the session.  want: a
        function (index, item) -> True when that item is as expected."""
        kind, r = self._call("system.multicall", calls)
        if kind == "fault":
            if r.faultCode == 2:
                self.sid = None
            elif not (r.faultCode == 3 and len(calls) > self.MAX_MULTICALL):
                self._bad("system.multicall", self._fault_desc(r))
            return
        if kind != "ok":
            return
        if len(calls) > self.MAX_MULTICALL:
            self._bad("system.multicall", f"{len(calls)} calls (over max_multicall) ran")
            return
        for i, item in enumerate(r):
            if isinstance(item, dict) and "faultCode" in item:
                self.faults[item["faultCode"]] = self.faults.get(item["faultCode"], 0) + 1
            if isinstance(item, dict) and item.get("faultCode") == 2:
                self.sid = None
            elif want and not want(i, item):
                self._bad("system.multicall", f"call {i}: {str(item)[:200]}")
                return

    def cap(self):
        combos = [(flt, o, d) for flt in ({}, {"orig_l4proto": 6}) for o in ORDERS[:8] for d in ("A", "D")]
        self.rng.shuffle(combos)
        calls = [{"methodName": "view", "params": [self.sid, flt, o, d, 0, self.MAX_PAGE]}
                 for flt, o, d in combos[:self.MAX_MULTICALL]]
        # the first view gets its page, every later one fault 3 (the row budget of the request is spent)
        self._multicall(calls, lambda i, x: isinstance(x, list) if i == 0 else
                        isinstance(x, dict) and x.get("faultCode") == 3)

    def over_cap(self):
        if self._over[0] != self.sid:
            self._over = (self.sid, [{"methodName": "view", "params": [self.sid]}] * 3000)
        kind, r = self._call("system.multicall", self._over[1])
        if kind == "fault" and r.faultCode == 2:
            self.sid = None
        elif not (kind == "fault" and r.faultCode == 3 and "max_multicall" in r.faultString):
            self._bad("system.multicall", f"over the cap: want fault 3 naming max_multicall, got {kind} {str(r)[:200]}")

    def storm(self):
        calls = []
        for _ in range(self.MAX_MULTICALL // 2):
            calls += [{"methodName": "refresh", "params": [self.sid]},
                      {"methodName": "view", "params": [self.sid, {}, "id", "A", 0, 10]}]
        self._multicall(calls, lambda i, x: isinstance(x, list))

    def nested(self):
        d = self.demo
        auth = base64.b64encode(f"{self.user}:{d.password(self.user)}".encode()).decode()
        self.n += 1
        self.by_method["nested"] = self.by_method.get("nested", 0) + 1
        t0 = time.monotonic()
        c = http.client.HTTPSConnection("127.0.0.1", d.port, context=d.ssl_context(), timeout=self.timeout)
        try:
            c.request("POST", "/RPC2", body=self.NESTED, headers={
                "Content-Type": "text/xml", "Connection": "close", "Authorization": "Basic " + auth})
            st = c.getresponse()
            st.read()
            self.http[st.status] = self.http.get(st.status, 0) + 1
            if st.status != 400:
                self._bad("nested", f"65 levels: want HTTP 400, got {st.status}")
        except Exception as e:  # noqa: BLE001 - counted as unexpected
            self._bad("nested", f"transport: {e!r}")
        finally:
            c.close()
            self.lat.append(time.monotonic() - t0)

    def churn(self):
        self.login()

    def step(self):
        if self.sid is None:
            self.login()
            return
        r = self.rng.random()
        getattr(self, next(name for bound, name in self.STEPS if r < bound))()

    def warm(self, gate):
        self.login()
        self.warm_n = len(self.lat)
        self.n = 0


def _pct(sorted_vals, p):
    if not sorted_vals:
        return 0.0
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def _user(demo, viewer, k):
    """The user of a role's k-th client: admin (viewer) for the first
    PER_USER, then op2 (viewer2) ..., added to the demo on first use, so no
    user holds more sessions than max_sessions_per_user (16): a new login
    evicts the user's oldest session beyond it."""
    base, role = ("viewer", "viewer") if viewer else ("admin", "operator")
    n = k // PER_USER
    if n == 0:
        return base
    name = f"{base if viewer else 'op'}{n + 1}"
    if name not in demo.users:
        demo.add_user(name, role, demo.password(base))
    return name


def run_load(demo, clients=32, calls=50, duration=None, mix="bench", churn=None, seed=1,
             timeout=120, viewer_every=8, warmup=True, warmup_parallel=8, hostile=0):
    """Runs the load; see the module docstring.  timeout: socket timeout per
    request (s).  viewer_every: in mix "stress", every Nth client is a viewer.
    warmup: every client logs in and views once (a fresh dump each) before
    the clock starts; those calls are not in calls/seconds/latencies.
    warmup_parallel: at most this many of those first views at once (64
    simultaneous fresh dumps of a 100k table queue for longer than Apache's
    CGIDScriptTimeout on 2 cores: 504s that say nothing about steady load).
    hostile: this many more clients, hostile viewers (_Hostile), run next
    to the others; st covers the others only, st["hostile"] the hostile
    ones (calls, by_method, faults, http statuses of the nested bodies,
    unexpected)."""
    if mix not in MIXES:
        raise ValueError(f"mix must be 'bench' or 'stress', not {mix!r}")
    if calls is None and duration is None:
        raise ValueError("give calls or duration")
    master = random.Random(seed)
    cl, k = [], {False: 0, True: 0}
    for i in range(clients):
        viewer = bool(mix == "stress" and viewer_every and i % viewer_every == viewer_every - 1)
        user = _user(demo, viewer, k[viewer])
        k[viewer] += 1
        cl.append(_Client(demo, i, user, random.Random(master.getrandbits(64)), mix, timeout, viewer=viewer))
    hl = [_Hostile(demo, clients + i, "viewer", random.Random(master.getrandbits(64)), "hostile", timeout)
          for i in range(hostile)]
    stop = threading.Event()
    churn_box = {}

    def churn_run():
        try:
            churn_box["result"] = churn(stop)
        except Exception as e:  # noqa: BLE001 - reported, not raised in a thread
            churn_box["error"] = repr(e)

    errors = []
    start = threading.Barrier(clients + hostile + 1)
    gate = threading.Semaphore(max(1, warmup_parallel))
    go = threading.Event()
    when = {}

    def client_run(c):
        try:
            if warmup:
                c.warm(gate)
        except Exception as e:  # noqa: BLE001 - a bug in the driver or a client-side crash
            errors.append((f"client {c.idx}", f"driver exception in warm-up: {e!r}"))
        finally:
            start.wait()
        go.wait()
        try:
            if not warmup:
                c.warm_n = 0
            c.run(calls, when["deadline"])
        except Exception as e:  # noqa: BLE001
            errors.append((f"client {c.idx}", f"driver exception: {e!r}"))

    with InNetns(demo.ns.name):
        threads = [threading.Thread(target=client_run, args=(c,), daemon=True) for c in cl + hl]
        w0 = time.monotonic()
        for th in threads:
            th.start()
        ct = threading.Thread(target=churn_run, daemon=True) if churn else None
        if ct:
            ct.start()
    start.wait()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    warm_s = t0 - w0
    when["deadline"] = t0 + duration if duration is not None else None
    go.set()
    for th in threads:
        th.join()
    seconds = time.monotonic() - t0
    stop.set()
    if ct:
        ct.join()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)

    lat = sorted(x for c in cl for x in c.lat[c.warm_n:])
    st = {"clients": clients, "mix": mix, "calls": len(lat), "seconds": seconds}
    st["calls_per_s"] = len(lat) / seconds if seconds > 0 else 0.0
    st["p50_ms"] = _pct(lat, 50) * 1000
    st["p99_ms"] = _pct(lat, 99) * 1000
    st["max_ms"] = (lat[-1] if lat else 0) * 1000
    by, faults = {}, {}
    for c in cl:
        for k, v in c.by_method.items():
            by[k] = by.get(k, 0) + v
        for k, v in c.faults.items():
            faults[k] = faults.get(k, 0) + v
    st["by_method"] = dict(sorted(by.items()))
    st["faults"] = dict(sorted(faults.items()))
    st["unexpected"] = [u for c in cl for u in c.unexpected] + errors
    if "error" in churn_box:
        st["unexpected"].append(("churn", churn_box["error"]))
    st["audit_expected"] = sum(c.audit for c in cl)
    st["audit_uncertain"] = sum(c.uncertain for c in cl)
    st["sessions"] = [c.sid for c in cl if c.sid]
    st["session_users"] = {c.sid: c.user for c in cl if c.sid}
    st["operators"] = sorted({c.user for c in cl if not c.viewer})
    st["kill_returned"] = sum(c.kill_returned for c in cl)
    st["kill_matching_destroyed"] = sum(c.kill_returned_matching for c in cl)
    st["kill_ids"] = [x for c in cl for x in c.kill_ids]
    st["mark_set"] = [x for c in cl for x in c.mark_set]
    st["timeout_set"] = [x for c in cl for x in c.timeout_set]
    st["gone"] = sum(c.gone for c in cl)
    st["timeout_refused"] = sum(c.timeout_refused for c in cl)
    st["ambiguous"] = sum(c.ambiguous for c in cl)
    st["moved"] = sum(c.moved for c in cl)
    st["retries"] = sum(c.retries for c in cl)
    st["client_cpu_s"] = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    st["churn"] = churn_box.get("result")
    st["warmup_s"] = warm_s
    st["warmup_calls"] = sum(c.warm_n for c in cl)
    if hl:
        hlat = sorted(x for c in hl for x in c.lat[c.warm_n:])
        hst = {"clients": hostile, "calls": len(hlat), "p99_ms": _pct(hlat, 99) * 1000, "by_method": {},
               "faults": {}, "http": {}, "unexpected": [u for c in hl for u in c.unexpected]}
        for c in hl:
            for key, attr in (("by_method", c.by_method), ("faults", c.faults), ("http", c.http)):
                for x, v in attr.items():
                    hst[key][x] = hst[key].get(x, 0) + v
        st["hostile"] = hst
    return st


def summary(st):
    """One line for logs and reports."""
    return (f"{st['clients']} clients ({st['mix']}): {st['calls']} calls in {st['seconds']:.1f} s = "
            f"{st['calls_per_s']:.1f} calls/s, p50 {st['p50_ms']:.0f} ms, p99 {st['p99_ms']:.0f} ms, "
            f"max {st['max_ms']:.0f} ms, faults {st['faults']}, unexpected {len(st['unexpected'])}, "
            f"audit_expected {st['audit_expected']}, client cpu {st['client_cpu_s']:.1f} s")


class CgiPeak:
    """The demo's ctd.cgi replaced by a wrapper that runs it under
    /usr/bin/time -f %M (one line per request: its peak RSS in KiB, waited-for
    children such as the helper included) with `ulimit -v` 1 GiB (the site's
    RLimitMEM, when lower, stays); restore() puts the real one back."""

    def __init__(self, d):
        self.cgi, self.real = d.cgi, d.cgi + ".real"
        self.out = os.path.join(d.dir, "cgi-rss")
        open(self.out, "w").close()
        os.chown(self.out, 33, 33)   # www-data, who runs the CGI
        os.rename(self.cgi, self.real)
        with open(self.cgi, "w") as f:
            f.write(f"#!/bin/sh\nulimit -v 1048576 2>/dev/null\n"
                    f"exec /usr/bin/time -a -o {self.out} -f %M {self.real} \"$@\"\n")
        os.chmod(self.cgi, 0o755)

    def restore(self):
        os.replace(self.real, self.cgi)

    def _lines(self):
        with open(self.out) as f:
            return [ln.strip() for ln in f]

    def mark(self):
        return len(self._lines())

    def peak_since(self, mark):
        """The largest peak (KiB) of the requests since mark, None if none recorded."""
        vals = [int(ln) for ln in self._lines()[mark:] if ln.isdigit()]
        return max(vals) if vals else None
