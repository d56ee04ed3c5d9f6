#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""uid -> name lookups per request through the real Apache (README,
Security model; cgi/uname.h): with `uid_mask` set, a row's username is its uid's
name from the name service (getpwuid_r: with nslcd an LDAP round trip), so
a view must cost one lookup per distinct uid, not one per row, whatever
uids the marks carry.

The demo (apache/demo.sh: setuid helper, TLS, Basic auth) in a private
namespace holding 2,000 entries made with `conntrack -I` whose marks
alternate between uid 0 (root) and uid 1024 (no passwd entry); ctd.conf
gains `uid_mask = 0xffff`.  The two uids share a slot of the old
1,024-slot cache (the slot depends only on uid mod 1024), so there every
row of the one that came second was a lookup.

The lookups are counted from outside: ctd.cgi is replaced by a wrapper
that runs it under `strace -f -e trace=openat,open` (detached at execve,
so a helper it starts keeps its setuid), and glibc's files backend opens
/etc/passwd once per getpwuid_r call (checked first on this machine).
As the viewer, after a first view has made the dump:
- view(s, {}, "username", "asc", 500, 1000): at most 4 opens of
  /etc/passwd; total 2000, start 500; absent usernames sort first, so the
  first 500 rows are the uid-1024 entries (user_id 1024, no username) and
  the last 500 the uid-0 entries (user_id 0, username 'root'), each id the
  conntrack -L id of an entry with that mark.
- view(s, {"username": "root"}, "id", "asc", 0, 1000): at most 4 opens;
  exactly the entries whose mark & 0xffff is 0 in `conntrack -L` (ids
  compared), each row username 'root'.
After each: the conntrack table, sessions and audit log unchanged,
PRAGMA integrity_check ok, no crash in Apache's error logs
(test-hostile-viewers.py's Site).

CTD_DEMO_TOP=<checkout> runs the same against another checkout, e.g. the
code before the fix (`git worktree add DIR feaada9`): there the
counts are about one open per row of the loser uid, and the test fails.
"""
import importlib.util
import os
import subprocess
import sys
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from ctdtest import T, Netns, need_root  # noqa: E402

N = 2000                      # entries: marks alternate uid 0, uid 1024
UID_NAMED, UID_NAMELESS = 0, 1024
PAGE = 1000
MAX_OPENS = 4                 # one per distinct uid (2), and slack
PASSWD = '"/etc/passwd"'
WWW_UID = 33                  # www-data, who runs the CGI


def viewers_module():
    """tests/stack/test-hostile-viewers.py, loaded for its Site (exact
    requests, the state checks after each case), fault_of and value_of."""
    spec = importlib.util.spec_from_file_location("hostile_viewers", os.path.join(HERE, "test-hostile-viewers.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def passwd_opens(lines):
    """Opens of /etc/passwd in strace lines."""
    return sum(1 for ln in lines if PASSWD in ln and ("openat(" in ln or "open(" in ln))


def nss_opens_per_lookup(t):
    """The premise: 3 getpwuid_r calls (python's pwd) are 3 opens of /etc/passwd here."""
    log = f"/tmp/ctd-uname-probe.{os.getpid()}"
    try:
        prog = ("import pwd\nfor u in (0, 1024, 0):\n    try:\n        pwd.getpwuid(u)\n"
                "    except KeyError:\n        pass\n")
        r = subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat,open", "-o", log, "python3", "-c", prog],
                           capture_output=True, text=True)
        n = None
        if r.returncode == 0:
            with open(log) as f:
                n = passwd_opens(f)
    finally:
        if os.path.exists(log):
            os.unlink(log)
    return t.eq("this machine's NSS: 3 getpwuid_r calls (uids 0, 1024, 0) open /etc/passwd 3 times", 3, n)


class StracedCgi:
    """The demo's ctd.cgi replaced by a wrapper that runs it under
    strace -f (opens only, detached at execve: the setuid helper keeps its
    privilege), one log per request; restore() puts the real one back."""

    def __init__(self, d):
        self.cgi, self.real = d.cgi, d.cgi + ".real"
        self.dir = os.path.join(d.dir, "strace")
        os.mkdir(self.dir)
        os.chown(self.dir, WWW_UID, WWW_UID)
        os.rename(self.cgi, self.real)
        with open(self.cgi, "w") as f:
            f.write(f"#!/bin/sh\nexec strace -f -qq -b execve -e trace=openat,open -o {self.dir}/cgi.$$ "
                    f"{self.real} \"$@\"\n")
        os.chmod(self.cgi, 0o755)

    def restore(self):
        os.replace(self.real, self.cgi)

    def take(self):
        """The logs of the requests since the last take (removed): a list of their lines."""
        logs = []
        for name in sorted(os.listdir(self.dir)):
            p = os.path.join(self.dir, name)
            with open(p) as f:
                logs.append(f.read().splitlines())
            os.unlink(p)
        return logs


def fill(ns):
    """N entries, marks alternating uid 0 and uid 1024, timeout an hour."""
    script = (f"i=0; while [ $i -lt {N} ]; do "
              "conntrack -I -p tcp -s 10.90.$((i / 256)).$((i % 256)) -d 10.91.0.1 --sport $((1024 + i)) "
              "--dport 80 --state ESTABLISHED --timeout 3600 "
              f"--mark $(( i % 2 == 0 ? {UID_NAMED} : {UID_NAMELESS} )) >/dev/null 2>&1 || exit 1; "
              "i=$((i + 1)); done")
    return ns.run("sh", "-c", script, check=False).returncode


def main():
    t = T()
    need_root(t)
    if not os.access("/usr/sbin/apache2", os.X_OK):
        t.skip("test-uname-lookups", "apache2 missing: run make deps")
        t.done()
    if subprocess.run(["sh", "-c", "command -v strace"], capture_output=True).returncode != 0:
        t.skip("test-uname-lookups", "strace missing: run make deps")
        t.done()
    if not nss_opens_per_lookup(t):
        t.done()
    from ctddemo import Demo, InNetns
    hv = viewers_module()
    with Netns(track=False) as ns:
        t.eq(f"conntrack -I made {N} entries, marks alternating uid {UID_NAMED} and uid {UID_NAMELESS}", 0, fill(ns))
        d = Demo(ns, mode="setuid", log_name="test-uname-lookups-demo")
        if d.top != hv.TOP:
            print(f"# CTD_DEMO_TOP: the demo runs the checkout {d.top}", flush=True)
        with d, InNetns(ns.name):
            with open(d.conf, "a") as f:
                f.write("uid_mask = 0xffff\n")
            run(t, d, ns, hv)
    t.done()


def run(t, d, ns, hv):
    S = None

    def call(method, *params):
        st, body, _, _ = S.post(xmlrpc.client.dumps(params, method).encode(), user="viewer")
        f = hv.fault_of(body)
        return st, f, hv.value_of(body) if st == 200 and f is None else body

    sid = d.client("viewer").login()   # the database exists from the first login on
    S = hv.Site(t, d, ns)
    flows = ns.list()
    by_uid = {u: {str(f["id"]) for f in flows if f.get("mark", 0) & 0xffff == u} for u in (UID_NAMED, UID_NAMELESS)}
    t.ok(f"conntrack -L: {N} entries, {N // 2} of each uid",
         len(flows) == N and all(len(v) == N // 2 for v in by_uid.values()),
         f"{len(flows)} entries, {[len(v) for v in by_uid.values()]} per uid")
    st, f, v = call("view", sid, {}, "id", "asc", 0, 10)
    t.ok("a first view of the viewer (makes the dump)", st == 200 and f is None and v.get("total") == N,
         f"HTTP {st}, fault {f}: {str(v)[:200]}")
    S.sess = S.sessions()

    traced = StracedCgi(d)
    try:
        counts = {}
        # ---- ordered by username: every row's name is a sort key --------------------------------
        start = 500
        traced.take()
        st, f, v = call("view", sid, {}, "username", "asc", start, PAGE)
        logs = traced.take()
        opens = counts["order"] = sum(passwd_opens(lg) for lg in logs)
        print(f"# view ordered by username ({N} entries, rows {start}..{start + PAGE - 1}): "
              f"{opens} opens of /etc/passwd", flush=True)
        t.ok("the wrapper traced the request (one strace log naming ctd.conf)",
             len(logs) == 1 and any(d.conf in ln for ln in logs[0]), f"{len(logs)} logs")
        ok = st == 200 and f is None and isinstance(v, dict)
        t.ok(f"view(s, {{}}, 'username', 'asc', {start}, {PAGE}) answered", ok, f"HTTP {st}, fault {f}: {str(v)[:300]}")
        t.ok(f"... at most {MAX_OPENS} name-service lookups (opens of /etc/passwd): {opens}", opens <= MAX_OPENS)
        if ok:
            rows = v.get("table", [])
            t.eq("... total and start", (N, start), (v.get("total"), v.get("start")))
            t.eq(f"... {PAGE} rows", PAGE, len(rows))
            half = N // 2 - start
            head, tail = rows[:half], rows[half:]
            t.ok(f"... the first {half} rows (absent usernames sort first): uid {UID_NAMELESS}, no username field",
                 all(r.get("user_id") == UID_NAMELESS and "username" not in r for r in head),
                 str([r for r in head if r.get("user_id") != UID_NAMELESS or "username" in r][:2]))
            t.ok(f"... the last {len(tail)} rows: uid {UID_NAMED}, username 'root'",
                 all(r.get("user_id") == UID_NAMED and r.get("username") == "root" for r in tail),
                 str([r for r in tail if r.get("user_id") != UID_NAMED or r.get("username") != "root"][:2]))
            t.ok("... each row's id is that of a conntrack -L entry with its uid",
                 {r.get("id") for r in head} <= by_uid[UID_NAMELESS] and {r.get("id") for r in tail} <= by_uid[UID_NAMED]
                 and len({r.get("id") for r in rows}) == PAGE)
        S.after("view ordered by username")

        # ---- filtered by username: every row's name is matched -----------------------------------
        traced.take()
        st, f, v = call("view", sid, {"username": "root"}, "id", "asc", 0, PAGE)
        opens = counts["filter"] = sum(passwd_opens(lg) for lg in traced.take())
        print(f"# view filtered username root ({N} entries): {opens} opens of /etc/passwd", flush=True)
        ok = st == 200 and f is None and isinstance(v, dict)
        t.ok(f"view(s, {{'username': 'root'}}, 'id', 'asc', 0, {PAGE}) answered", ok,
             f"HTTP {st}, fault {f}: {str(v)[:300]}")
        t.ok(f"... at most {MAX_OPENS} name-service lookups (opens of /etc/passwd): {opens}", opens <= MAX_OPENS)
        if ok:
            rows = v.get("table", [])
            t.eq(f"... total: the {len(by_uid[UID_NAMED])} entries of conntrack -L with mark & 0xffff == 0",
                 len(by_uid[UID_NAMED]), v.get("total"))
            t.ok("... exactly their ids", {r.get("id") for r in rows} == by_uid[UID_NAMED] and len(rows) == PAGE,
                 f"{len(rows)} rows, {len({r.get('id') for r in rows} ^ by_uid[UID_NAMED])} ids differ")
            t.ok("... each row username 'root'", all(r.get("username") == "root" for r in rows))
        S.after("view filtered by username")
        print(f"# opens of /etc/passwd: ordered by username {counts['order']}, filtered {counts['filter']}",
              flush=True)
    finally:
        traced.restore()


if __name__ == "__main__":
    main()
