#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Faults under ctd.cgi (the real CGI as mod_cgi runs it, the real setuid
helper, a private namespace with 50k entries): the helper SIGKILLed
mid-dump, the CGI SIGKILLed mid-dump and mid-store (as Apache's timeout
would), the helper missing / not setuid / not executable by www-data, the
database read-only, on a full disk (a small tmpfs), corrupt (pages
overwritten, truncated, garbage header), a directory, a symlink to
/dev/null, in a missing directory, and the network namespace removed under
a running CGI and helper.

After each: the fault code and a message naming the cause, PRAGMA
integrity_check ok, every session, audit row and kept snapshot that existed
before still there, no partial snapshot, and the next normal call works."""
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdcgi import Cgi, body_fault, ct_add, ct_ext  # noqa: E402
from ctdtest import BUILD, Netns, T, need_root, proto  # noqa: E402

t = T()
need_root(t)
CTGEN = os.path.join(BUILD, "tools", "ctgen")
if not os.access(CTGEN, os.X_OK):
    t.skip("test-faults", f"{CTGEN} not built: run make")
    t.done()
N = 50000  # entries: a dump long enough to be interrupted (7 MB of records)


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def io(pid):
    d = {}
    try:
        for line in open(f"/proc/{pid}/io"):
            k, _, v = line.partition(":")
            d[k] = int(v)
    except OSError:
        pass
    return d


def resp_fault(out):
    """(faultCode, faultString) of a CGI's raw output, (None, '') if none."""
    f = body_fault(out.split(b"\r\n\r\n", 1)[-1])
    return (f.faultCode, f.faultString) if f else (None, "")


def comm(pid):
    try:
        return open(f"/proc/{pid}/comm").read().strip()
    except OSError:
        return None


with Netns() as ns, Cgi(t, ns) as fx:
    fx.conf(session_idle_timeout=3600)
    r = ns.run(CTGEN, str(N), check=False)
    t.ok(f"test data: {N} entries ({r.stdout.strip()})", r.returncode == 0, r.stderr)
    for i in range(4):
        ct_add(ns, f"10.200.0.{i + 1}", "10.200.1.1", "tcp", 4000 + i, 443)
    known = {f["orig_src"]: k for k, f in ct_ext(ns).items() if f["orig_src"].startswith("10.200.")}

    sid = fx.login()
    v = fx.call("view", sid, {"orig_ipv4_src": "10.200.0.0/24"}, "id", "A", 0, 10)
    t.eq("baseline: the first view dumps the table (4 known entries among them)", 4, v["total"])
    snap_time = v["snapshot_time"]
    fx.call("kill", sid, [str(known["10.200.0.4"])])
    fx.call("change", sid, "mark", str(known["10.200.0.3"]), 7)
    sid2 = fx.login()
    fx.call("view", sid2, {}, "id", "A", 0, 1)  # a second kept snapshot

    # the wrapper logs each helper start (pid), then execs the real setuid helper
    hlog = os.path.join(fx.dir, "helper-pids")
    wrapper = os.path.join(fx.dir, "helper-logged")
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\necho $$ >> {hlog}\nexec {fx.helper} \"$@\"\n")
    os.chmod(wrapper, 0o755)
    open(hlog, "w").close()
    os.chmod(hlog, 0o666)

    def helper_pids():
        try:
            return [int(x) for x in open(hlog).read().split()]
        except OSError:
            return []

    def state():
        q = fx.sql("SELECT id, user, created FROM sessions ORDER BY id",
                   "SELECT * FROM audit ORDER BY id",
                   "SELECT id, time, count FROM dumps ORDER BY id",
                   "SELECT dump_id, count(*), sum(n), sum(length(data)) FROM dump_chunks GROUP BY dump_id",
                   "SELECT id, dump_id FROM sessions WHERE dump_id IS NOT NULL")
        dumps = {d[0]: tuple(d[1:]) for d in q[2]}
        chunks = {c[0]: tuple(c[1:]) for c in q[3]}
        kept = {d for _, d in q[4]} | ({max(dumps)} if dumps else set())
        return {"sessions": [tuple(x) for x in q[0]], "audit": [tuple(x) for x in q[1]], "dumps": dumps,
                "chunks": chunks, "kept": kept, "maxdump": max(dumps) if dumps else 0,
                "sess_dump": {s: d for s, d in q[4]}}

    def intact(desc, before, new_dump_ok=False):
        """integrity_check, rows that existed before still there, no partial snapshot."""
        t.eq(f"{desc}: PRAGMA integrity_check ok", "ok", fx.integrity())
        try:
            now = state()
        except Exception as e:  # noqa: BLE001
            t.ok(f"{desc}: database readable", False, repr(e))
            return None
        t.ok(f"{desc}: every session that existed before is still there",
             set(before["sessions"]) <= set(now["sessions"]),
             set(before["sessions"]) - set(now["sessions"]))
        t.ok(f"{desc}: every audit row that existed before is still there, unchanged ({len(before['audit'])})",
             now["audit"][:len(before["audit"])] == before["audit"])
        t.ok(f"{desc}: every kept snapshot is still there, all its chunks ({sorted(before['kept'])})",
             all(now["dumps"].get(d) == before["dumps"][d] and now["chunks"].get(d) == before["chunks"].get(d)
                 for d in before["kept"]), (before["kept"], now["dumps"], now["chunks"]))
        if not new_dump_ok:
            t.eq(f"{desc}: no new snapshot row (dumps)", before["maxdump"], now["maxdump"])
        t.ok(f"{desc}: no chunk without its dump row (no partial snapshot)",
             set(now["chunks"]) <= set(now["dumps"]), (now["chunks"].keys(), now["dumps"].keys()))
        return now

    def fault_says(desc, code, words, method, *params, **kw):
        f = fx.expect_fault(f"{desc} -> fault {code}", code, method, *params, **kw)
        msg = getattr(f, "faultString", "") or ""
        if f is not None:
            t.ok(f"{desc}: the message says {' / '.join(words)!r}: {msg!r}",
                 all(w.lower() in msg.lower() for w in words), msg)
        return msg

    def snap_of(token):
        """(dump id, dump time) of the snapshot session `token` reads (only the token's hash is stored)."""
        h = hashlib.sha256(token.encode()).hexdigest()
        rows = fx.sql(f"SELECT d.id, d.time FROM sessions s JOIN dumps d ON d.id = s.dump_id "
                      f"WHERE s.token_hash = X'{h}'")[0]
        return tuple(rows[0]) if rows else (None, None)

    def old_snapshot_serves(desc, token, snap):
        # the first snapshot was taken before 10.200.0.4 was killed: 4 known entries in it, 3 in later ones
        want = 4 if snap[0] == first_dump else 3
        fx.expect_ok(desc, "view", token, {"orig_ipv4_src": "10.200.0.0/24"}, "id", "A", 0, 10,
                     check=lambda v: v["total"] == want and abs(v["snapshot_time"] - snap[1]) < 1e-3)

    def stale_view(s):
        """A view of session s that needs a fresh dump (autorefresh 1 s, snapshot older)."""
        fx.call("set_autorefresh", s, 1)
        time.sleep(1.1)

    first_dump = snap_of(sid)[0]

    def kill_during(phase, threshold):
        """One view of sid that needs a fresh dump (the real helper), interrupted:
        'helper': SIGKILL the dump helper once the CGI has read `threshold` bytes
        of its dump; 'dump': SIGKILL the CGI at that point; 'store': SIGKILL the
        CGI once the dump helper is gone and the CGI has written `threshold`
        bytes of the new snapshot, if it has not committed it yet.  The helpers are the CGI's children in /proc;
        the dump helper is the one during whose life the CGI reads (the count
        helper before it answers 24 bytes).  Returns (killed, bytes at the
        kill, CGI stdout, CGI exit status, helper pids seen)."""
        stale_view(sid)
        fx.conf(session_idle_timeout=3600)
        maxdump = fx.sql("SELECT coalesce(max(id), 0) FROM dumps")[0][0][0]
        p = fx.spawn("view", sid, {}, "id", "A", 0, 10)
        killed, amount, seen, first, dumper, w0 = None, 0, set(), {}, None, None
        t0 = time.monotonic()
        while p.poll() is None and time.monotonic() - t0 < 60:
            kids = [c for c in children(p.pid) if comm(c) == "ctd-helper"]
            st = io(p.pid)
            for c in kids:
                seen.add(c)
                first.setdefault(c, st.get("rchar", 0))
                # (a floor of 4 KiB: the count helper's whole answer is 32 bytes)
                if st.get("rchar", 0) - first[c] >= min(max(threshold, 4096), 1 << 20):
                    dumper = c
            if phase in ("helper", "dump") and dumper in kids and st.get("rchar", 0) - first[dumper] >= threshold:
                amount = st.get("rchar", 0) - first[dumper]
                if phase == "helper":
                    os.kill(dumper, signal.SIGKILL)
                    killed = dumper
                else:
                    p.kill()
                    killed = p.pid
                break
            if phase == "store" and dumper is not None and not kids:
                w0 = st.get("wchar", 0) if w0 is None else w0
                if st.get("wchar", 0) - w0 >= threshold:
                    # freeze the CGI, then look: a kill is mid-store only while
                    # the new snapshot is not committed (a slow poll can see
                    # the threshold after the commit: then let it finish)
                    amount = st.get("wchar", 0) - w0
                    os.kill(p.pid, signal.SIGSTOP)
                    if fx.sql("SELECT coalesce(max(id), 0) FROM dumps")[0][0][0] <= maxdump:
                        p.kill()
                        killed = p.pid
                    else:
                        os.kill(p.pid, signal.SIGCONT)
                    break
            time.sleep(0.0005)
        out, _ = p.communicate(timeout=60)
        fx.calls += 1
        return killed, amount, out, p.returncode, seen

    def no_helper_left(seen):
        # an orphaned dump helper gets EPIPE and exits (41); none may linger
        t_end = time.monotonic() + 10
        while time.monotonic() < t_end and any(comm(x) == "ctd-helper" for x in seen):
            time.sleep(0.05)
        return not any(comm(x) == "ctd-helper" for x in seen)

    def interrupted(phase, threshold, tries=3):
        for attempt in range(tries):
            before, snap = state(), snap_of(sid)
            # a slow poll may miss the point: aim earlier on each retry
            killed, amount, out, rc, seen = kill_during(phase, max(threshold >> attempt, 4096))
            if killed:
                return before, snap, killed, amount, out, rc, seen, attempt + 1
        return before, snap, None, 0, out, rc, seen, tries

    # ======== helper SIGKILLed mid-dump ==========================================================
    before, snap, killed, amount, out, rc, seen, n = interrupted("helper", 1 << 20)
    t.ok(f"helper (child {killed} of the CGI, helpers seen {sorted(seen)}) SIGKILLed while streaming the dump, "
         f"after the CGI had read {amount} bytes of it (attempt {n})", killed is not None)
    t.eq("... the view answers fault 6 naming the cause (signal 9)", (6, True),
         (resp_fault(out)[0], "signal 9" in resp_fault(out)[1]))
    t.eq("... the CGI exited normally", 0, rc)
    t.ok("... the CGI reaped every helper it started", not any(os.path.exists(f"/proc/{x}") for x in seen),
         [x for x in seen if os.path.exists(f"/proc/{x}")])
    intact("helper killed mid-dump", before)
    fx.conf(session_idle_timeout=3600, helper=os.path.join(fx.dir, "no-helper-now"))
    fx.call("set_autorefresh", sid, 0)
    t.eq("... the session still points at its old snapshot", snap, snap_of(sid))
    old_snapshot_serves("... the session's old snapshot still serves a view (helper now absent: no dump possible)",
                        sid, snap)
    fx.conf(session_idle_timeout=3600)

    # ======== the CGI itself SIGKILLed mid-dump, then mid-store (as Apache's timeout would) =========
    for phase in ("dump", "store"):
        before, snap, killed, amount, out, rc, seen, n = interrupted(phase, 1 << 20)
        what = "read of the dump" if phase == "dump" else "of the new snapshot written to the database"
        if not killed:
            t.skip(f"CGI SIGKILLed mid-{phase}", "the CGI finished before the kill point (machine too fast)")
            continue
        t.ok(f"CGI SIGKILLed mid-{phase} (after {amount} bytes {what}, attempt {n})", rc == -signal.SIGKILL, rc)
        t.ok(f"... no helper process left after the CGI died mid-{phase}", no_helper_left(seen))
        intact(f"CGI killed mid-{phase}", before)
        # no stale lock: a writer gets the lock at once
        try:
            fx.sql("PRAGMA busy_timeout=0", "BEGIN IMMEDIATE", "ROLLBACK")
            err = None
        except Exception as e:  # noqa: BLE001
            err = repr(e)
        t.ok(f"... no stale lock after the CGI died mid-{phase} (BEGIN IMMEDIATE at once)", err is None, err)
        fx.call("set_autorefresh", sid, 0)
        t.eq("... the session still points at its old snapshot", snap, snap_of(sid))
        old_snapshot_serves("... next call: the session's old snapshot serves a view", sid, snap)

    if os.environ.get("CTD_STRESS") == "long":
        # make stress: many kills at random points of the dump and of the store
        rnd = random.Random(int(os.environ.get("CTD_SEED", "0")) or None)
        tally, bad = {}, []
        for i in range(60):
            phase = rnd.choice(("helper", "dump", "store"))
            thr = rnd.randrange(1, (6 << 20) if phase == "store" else (7 << 20))
            before, snap = state(), snap_of(sid)
            killed, amount, out, rc, seen = kill_during(phase, thr)
            key = f"{phase}-{'killed' if killed else 'completed'}"
            tally[key] = tally.get(key, 0) + 1
            now = state()
            okay = fx.integrity() == "ok" and set(before["sessions"]) <= set(now["sessions"]) and \
                now["audit"][:len(before["audit"])] == before["audit"] and no_helper_left(seen) and \
                set(now["chunks"]) <= set(now["dumps"])
            new = [d for d in now["dumps"] if d > before["maxdump"]]
            # a stored snapshot is whole (its chunks hold its count of records) and the session's
            whole = len(new) == 1 and now["chunks"].get(new[0], (0, 0))[1] == now["dumps"][new[0]][1] and \
                snap_of(sid)[0] == new[0]
            if killed:
                # killed before the commit: no trace
                okay = okay and not new and snap_of(sid) == snap and \
                    (phase != "helper" or resp_fault(out)[0] == 6)
            else:
                okay = okay and resp_fault(out)[0] is None and whole
            if not okay:
                bad.append((i, phase, thr, killed, resp_fault(out)))
        fx.call("set_autorefresh", sid, 0)
        t.ok(f"stress: 60 views interrupted at random points ({tally}): each left the database intact, the "
             "snapshot all or nothing, no helper behind", not bad, bad[:3])

    before = state()
    fx.call("refresh", sid)
    v = fx.expect_ok("after the kills a fresh dump is stored and served", "view", sid, {}, "id", "A", 0, 5,
                     check=lambda v: v["total"] == N + 3 and v["snapshot_time"] > snap_time)
    intact("after a fresh dump", before, new_dump_ok=True)

    # ======== the helper binary: missing, not setuid, not executable by www-data ===================
    before = state()
    fx.conf(session_idle_timeout=3600, helper=os.path.join(fx.dir, "missing", "ctd-helper"))
    fx.call("refresh", sid)
    fault_says("helper binary missing: view", 6, ["cannot run the helper", "missing", "exit 127"], "view", sid)
    fault_says("helper binary missing: kill", 6, ["cannot run the helper", "missing", "exit 127"], "kill", sid,
               [str(known["10.200.0.1"])])
    plain = os.path.join(fx.dir, "helper-notsetuid")
    shutil.copy(fx.helper, plain)
    os.chown(plain, 0, fx.gid)
    os.chmod(plain, 0o750)  # chmod u-s of the installed 4750
    fx.conf(session_idle_timeout=3600, helper=plain)
    # the helper's own sentence for its exit code reaches the client
    fault_says("helper not setuid: view", 6, ["no CAP_NET_ADMIN", "setuid", f"exit {proto().EXIT_NOPRIV}"], "view",
               sid)
    wrong = os.path.join(fx.dir, "helper-wronggroup")
    shutil.copy(fx.helper, wrong)
    os.chown(wrong, 0, 0)
    os.chmod(wrong, 0o4750)  # root:root 4750: www-data (group ctd) may not run it
    fx.conf(session_idle_timeout=3600, helper=wrong)
    fault_says("helper owned by the wrong group (root:root 4750): view", 6,
               ["may not execute it", "root:ctd 4750", "group ctd", "exit 126"], "view", sid)
    noexec = os.path.join(fx.dir, "helper-noexec")
    shutil.copy(fx.helper, noexec)
    os.chown(noexec, 0, fx.gid)
    os.chmod(noexec, 0o4640)
    fx.conf(session_idle_timeout=3600, helper=noexec)
    fault_says("helper not executable (4640): view", 6, ["may not execute it", "exit 126"], "view", sid)
    t.ok("... the known entries are untouched", all(k in ct_ext(ns) for k in
                                                   (known["10.200.0.1"], known["10.200.0.2"])))
    intact("helper faults", before)
    fx.conf(session_idle_timeout=3600)
    fx.expect_ok("helper back: view works", "view", sid, {"orig_ipv4_src": "10.200.0.0/24"},
                 check=lambda v: v["total"] == 3)
    intact("helper back", before, new_dump_ok=True)

    # ======== database read-only =================================================================
    before = state()
    files = [fx.db + ext for ext in ("", "-wal", "-shm") if os.path.exists(fx.db + ext)]
    sums = {f: sha(f) for f in files}
    for f in files:
        os.chmod(f, 0o444)
    ro = "read-only"
    fault_says("database file and its -wal/-shm 0444: login", 8, [ro], "login")
    fault_says("database file 0444: whoami (a valid session)", 8, [ro], "whoami", sid)
    fault_says("database file 0444: view", 8, [ro], "view", sid)
    t.ok("... the database files were not changed", all(sha(f) == s for f, s in sums.items()))
    # SQLite gives a -wal/-shm it creates the mode of the database file:
    # whatever exists now goes back to 0644
    for f in [fx.db + ext for ext in ("", "-wal", "-shm")]:
        if os.path.exists(f):
            os.chmod(f, 0o644)
    # the directory read-only (owner www-data), the files writable: with
    # the -wal and -shm in place SQLite writes inside them and needs no new
    # file; without them (checkpointed and removed) it cannot create them
    os.chmod(fx.state, 0o500)
    if os.path.exists(fx.db + "-wal") and os.path.exists(fx.db + "-shm"):
        r1, c1 = fx.attempt("login")
        msg = str(getattr(fx.last_fault, "faultString", "")) if c1 is not None else ""
        t.ok(f"directory 0500, -wal/-shm present: login works, or fault 8 names the cause ({c1} {msg!r})",
             (c1 is None and isinstance(r1, str)) or (c1 == 8 and "read-only" in msg))
    os.chmod(fx.state, 0o700)
    fx.sql("PRAGMA wal_checkpoint(TRUNCATE)")
    for ext in ("-wal", "-shm"):
        if os.path.exists(fx.db + ext):
            os.unlink(fx.db + ext)
    sums = {fx.db: sha(fx.db)}
    listed = sorted(os.listdir(fx.state))  # ctd.db, and the dump lock file once a view ran
    os.chmod(fx.state, 0o500)
    fault_says("directory 0500 and no -wal/-shm: login", 8, ["read-only", "directory"], "login")
    fault_says("directory 0500 and no -wal/-shm: whoami", 8, ["read-only", "directory"], "whoami", sid)
    t.eq("... nothing created in the directory, the database file unchanged", (listed, True),
         (sorted(os.listdir(fx.state)), sha(fx.db) == sums[fx.db]))
    os.chmod(fx.state, 0o700)
    intact("database read-only", before)
    fx.expect_ok("permissions back: whoami works", "whoami", sid, check=lambda v: v["user"] == "admin")

    # ======== full disk: the database on a small tmpfs ===========================================
    mnt = tempfile.mkdtemp(prefix="ctdfull.", dir="/var/tmp")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m,mode=0755", "ctdtest-full", mnt],
                             capture_output=True, text=True).returncode == 0
    try:
        if not mounted:
            t.skip("full disk", "cannot mount a tmpfs here")
        else:
            os.chown(mnt, 33, 33)
            saved_db = fx.db
            fx.db = os.path.join(mnt, "ctd.db")
            fx.conf(session_idle_timeout=3600, database=fx.db)
            fs = fx.login()
            fx.call("view", fs, {}, "id", "A", 0, 1)
            fx.call("change", fs, "mark", str(known["10.200.0.2"]), 9)
            fsb = fx.login()
            before = state()
            fx.call("set_autorefresh", fs, 1)
            filler = os.path.join(mnt, "filler")
            subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M"], capture_output=True)
            st = os.statvfs(mnt)
            t.ok(f"tmpfs full ({st.f_bavail} blocks free)", st.f_bavail == 0)
            time.sleep(1.1)
            r1, c1 = fx.attempt("login")
            msg = str(getattr(fx.last_fault, "faultString", ""))
            t.ok(f"disk full: login works (WAL space reused) or fault 8 'disk full' ({c1}: {msg!r})",
                 (c1 is None and isinstance(r1, str)) or (c1 == 8 and "disk full" in msg), (r1, c1, msg))
            fault_says("disk full: a view that needs a fresh dump (7 MB)", 8, ["disk full"], "view", fs)
            # (no SQLite reader works on a full tmpfs either: the checks come once space is back)
            os.unlink(filler)
            intact("disk full", before)
            fx.expect_ok("space freed: the same view works (fresh dump stored)", "view", fs, {}, "id", "A", 0, 1,
                         check=lambda v: v["total"] == N + 3)
            fx.expect_ok("space freed: the other session is fine", "whoami", fsb,
                         check=lambda v: v["user"] == "admin")
            intact("disk freed", before, new_dump_ok=True)
            fx.db = saved_db
            fx.conf(session_idle_timeout=3600)
    finally:
        if mounted:
            for _ in range(50):
                if subprocess.run(["umount", mnt], capture_output=True).returncode == 0:
                    break
                time.sleep(0.1)
        os.rmdir(mnt)

    # ======== corrupt database files (copies of the real one) =====================================
    fx.sql("PRAGMA wal_checkpoint(TRUNCATE)")
    good = os.path.join(fx.state, "good-copy.db")
    shutil.copy(fx.db, good)
    con = sqlite3.connect(good)
    page = con.execute("PRAGMA page_size").fetchone()[0]
    npages = con.execute("PRAGMA page_count").fetchone()[0]
    sess_root = con.execute("SELECT rootpage FROM sqlite_master WHERE name='sessions'").fetchone()[0]
    # a page of sid's own snapshot: a 4 KiB run of its first chunk found once in the file
    # (an overflow page of that blob; its next-page pointer becomes garbage too)
    blob = con.execute("SELECT data FROM dump_chunks WHERE dump_id=? ORDER BY seq LIMIT 1",
                       (snap_of(sid)[0],)).fetchone()[0]
    con.close()
    with open(good, "rb") as f:
        raw = f.read()
    snap_page = None
    # (past the blob's first page: its middle, wherever the record format puts it)
    for off in range(min(150000, len(blob) // 2), len(blob) - 4096, 4096):
        if raw.count(blob[off:off + 4096]) == 1:
            snap_page = raw.find(blob[off:off + 4096]) // page
            break
    del raw
    saved_db = fx.db

    def corrupt_case(desc, mutate, method, *params, exact=True):
        """Copy the good database, corrupt it, make one call against it.
        exact: the call fails before it writes anything, so the file must be
        bit for bit the same; else (a call that first extends its session,
        a committed write SQLite may checkpoint into the file at close) the
        file must be the same inode, the same size, and every garbage byte
        still in place: never deleted, recreated, repaired or zeroed."""
        bad = os.path.join(fx.state, "corrupt.db")
        for ext in ("", "-wal", "-shm"):
            if os.path.exists(bad + ext):
                os.unlink(bad + ext)
        shutil.copy(good, bad)
        with open(bad, "r+b") as f:
            spans = mutate(f) or []
        os.chown(bad, 33, 33)
        with open(bad, "rb") as f:
            garbage = [(off, f.seek(off) and f.read(n)) for off, n in spans]
        before_sum, before_size, ino = sha(bad), os.path.getsize(bad), os.stat(bad).st_ino
        fx.db = bad
        fx.conf(session_idle_timeout=3600, database=bad)
        fault_says(f"corrupt database ({desc}): {method}", 8, ["corrupt"], method, *params)
        if exact:
            t.ok(f"... ({desc}) the corrupt file is kept exactly as it was (sha256 unchanged)",
                 os.path.exists(bad) and sha(bad) == before_sum, (before_size, os.path.getsize(bad)))
        else:
            with open(bad, "rb") as f:
                still = all(f.seek(off) == off and f.read(len(g)) == g for off, g in garbage)
            t.ok(f"... ({desc}) the corrupt file is kept: same inode, same size, every garbage byte in place",
                 os.stat(bad).st_ino == ino and os.path.getsize(bad) == before_size and still,
                 (before_size, os.path.getsize(bad), still))
        fx.db = saved_db
        fx.conf(session_idle_timeout=3600)

    def garbage_pages(first, count):
        def m(f):
            f.seek(first * page)
            f.write(os.urandom(count * page))
            return [(first * page, count * page)]
        return m

    # page numbers start at 1; login's purge reads the sessions table first
    corrupt_case(f"the sessions table's root page {sess_root} of {npages} overwritten",
                 garbage_pages(sess_root - 1, 1), "login")
    # a view first extends its session (a write), then reads the snapshot's blobs
    t.ok("test data: a page of the session's snapshot located in the file", snap_page is not None)
    if snap_page is not None:
        corrupt_case(f"page {snap_page + 1} of {npages}, inside the session's snapshot, overwritten",
                     garbage_pages(snap_page, 1), "view", sid, {}, "orig_port_src", "D", 0, 5, exact=False)
        corrupt_case(f"pages {npages // 3 + 1}-{2 * (npages // 3)} of {npages} and the snapshot's page overwritten",
                     lambda f: garbage_pages(npages // 3, npages // 3)(f) + garbage_pages(snap_page, 1)(f),
                     "view", sid, {}, "orig_port_src", "D", 0, 5, exact=False)

    def truncate_half(f):
        f.truncate(npages // 2 * page + 100)
    corrupt_case(f"truncated to {npages // 2} of {npages} pages", truncate_half, "login")

    def truncate_header(f):
        f.truncate(1000)
    corrupt_case("truncated to 1000 bytes", truncate_header, "login")

    def garbage_header(f):
        f.seek(0)
        f.write(os.urandom(100))
    corrupt_case("garbage over the 100-byte header", garbage_header, "login")

    # ======== the database path is a directory, a symlink, in a missing directory ==================
    d = os.path.join(fx.state, "adir.db")
    os.mkdir(d)
    fx.conf(session_idle_timeout=3600, database=d)
    fault_says("database path is a directory: login", 8, ["cannot be opened"], "login")
    t.ok("... the directory is still an empty directory", os.path.isdir(d) and os.listdir(d) == [])
    ln = os.path.join(fx.state, "null.db")
    os.symlink("/dev/null", ln)
    fx.conf(session_idle_timeout=3600, database=ln)
    fault_says("database path is a symlink to /dev/null: login", 8, ["cannot be opened"], "login")
    t.ok("... the symlink and /dev/null are untouched",
         os.readlink(ln) == "/dev/null" and os.stat("/dev/null").st_rdev == os.makedev(1, 3))
    fx.conf(session_idle_timeout=3600, database=os.path.join(fx.state, "no", "such", "dir", "ctd.db"))
    fault_says("database in a missing directory: login", 8, ["directory exists"], "login")
    t.ok("... no directory was created", not os.path.exists(os.path.join(fx.state, "no")))
    fx.conf(session_idle_timeout=3600)
    before = state()
    fx.expect_ok("after the database faults the real database works (whoami)", "whoami", sid,
                 check=lambda v: v["user"] == "admin")
    intact("after the database faults", before)

    # ======== the network namespace removed under a running CGI and helper ==========================
    # Observed and asserted: `ip netns del` only unmounts the name; the
    # namespace (and its conntrack table) lives on while any process or
    # open fd refers to it.  A CGI and a helper already inside finish
    # normally and answer the full dump; the entries stay until the last
    # reference is gone, and go with the namespace then (nothing to clean).
    with Netns() as ns2:
        for i in range(3):
            ct_add(ns2, f"10.77.0.{i + 1}", "10.77.1.1", "udp", 5000 + i, 53)
        fx.ns = ns2
        s3 = fx.login()
        open(hlog, "w").close()
        before = state()
        fx.call("refresh", s3)
        fx.conf(session_idle_timeout=3600, helper=wrapper)
        p = fx.spawn("view", s3, {"orig_ipv4_src": "10.77.0.0/24"}, "id", "A", 0, 10)
        t0, held = time.monotonic(), None
        while p.poll() is None and time.monotonic() - t0 < 30:
            pids = helper_pids()
            if len(pids) >= 2 and comm(pids[1]) == "ctd-helper":
                os.kill(pids[1], signal.SIGSTOP)
                held = pids[1]
                break
            time.sleep(0.0005)
        t.ok("the dump helper is held (SIGSTOP) inside the namespace", held is not None)
        keep = os.open(f"/proc/{held}/ns/net", os.O_RDONLY) if held else None
        r = subprocess.run(["ip", "netns", "del", ns2.name], capture_output=True, text=True)
        t.ok("ip netns del succeeds while the CGI and helper run inside", r.returncode == 0 and
             not os.path.exists(f"/run/netns/{ns2.name}"), r.stderr)
        if held:
            os.kill(held, signal.SIGCONT)
        out, err = p.communicate(timeout=60)
        fx.calls += 1
        try:
            total = xmlrpc.client.loads(out.split(b"\r\n\r\n", 1)[-1])[0][0]["total"]
        except Exception as e:  # noqa: BLE001
            total = repr(e)
        t.eq("the running view still answers, with the namespace's 3 entries (its table lives on)", 3, total)
        t.eq("... the CGI exited normally", 0, p.returncode)
        if keep is not None:
            r = subprocess.run(["nsenter", f"--net=/proc/{os.getpid()}/fd/{keep}", "conntrack", "-L"],
                               capture_output=True, text=True)
            t.eq("the entries are still in the unnamed namespace while an fd refers to it", 3,
                 len([x for x in r.stdout.splitlines() if "10.77.0." in x]))
            ns_ino = os.fstat(keep).st_ino
            os.close(keep)
            holders = []
            for pid_ in os.listdir("/proc"):
                try:
                    if pid_.isdigit() and os.readlink(f"/proc/{pid_}/ns/net") == f"net:[{ns_ino}]":
                        holders.append(pid_)
                except OSError:
                    pass
            t.eq("once the CGI and helper are gone and the fd closed, no process is left in it: the kernel "
                 "frees the namespace and its table", [], holders)
        intact("namespace removed mid-request", before, new_dump_ok=True)
    fx.ns = ns
    fx.conf(session_idle_timeout=3600)
    fx.expect_ok("the next call in the original namespace works (fresh dump)", "view", sid,
                 {"orig_ipv4_src": "10.200.0.0/24"}, check=lambda v: v["total"] == 3)
    t.eq("final: PRAGMA integrity_check", "ok", fx.integrity())

t.done()
