#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: dumps are shared between sessions (sql/002).

A view that needs a fresh table takes the newest dump begun after its
session's login or refresh (or, with autorefresh N, one younger than N s),
whoever made it; only one CGI dumps at a time, the others wait and share.
Oracle: the number of helper runs (a counting wrapper around the real setuid
helper), the dumps table, and what each view shows of a table changed with
conntrack -I between the calls."""
import os
import stat
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import T, Netns, need_root  # noqa: E402
from ctdcgi import Cgi, ct_add  # noqa: E402

t = T()
need_root(t)


def dumps(fx):
    return fx.sql("SELECT count(*) FROM dumps")[0][0][0]


with Netns() as ns, Cgi(t, ns) as fx:
    for n in range(1, 6):
        ct_add(ns, "10.5.0.1", f"10.5.1.{n}", "tcp", 2000 + n, 80, timeout=900)
    counting, runs = fx.counting_helper()
    fx.conf(helper=counting)

    a = fx.login()
    b = fx.login()
    fx.call("set_autorefresh", a, 0)
    fx.call("set_autorefresh", b, 0)
    va = fx.call("view", a)
    n_runs, n_dumps = runs(), dumps(fx)
    t.ok("first view of session A dumps the table (helper ran)", n_runs >= 1 and n_dumps == 1, (n_runs, n_dumps))
    vb = fx.call("view", b)
    t.eq("session B, logged in before A's dump began, shares it: no helper run", n_runs, runs())
    t.eq("... no new dump row", 1, dumps(fx))
    t.eq("... same snapshot time and total as A's", (va["snapshot_time"], va["total"]),
         (vb["snapshot_time"], vb["total"]))

    # a login after the dump began wants a newer one
    ct_add(ns, "10.5.0.1", "10.5.1.9", "tcp", 2009, 80, timeout=900)
    c = fx.login()
    vc = fx.call("view", c)
    t.ok("session C, logged in after that dump, gets its own fresh dump (sees the new entry)",
         runs() > n_runs and vc["total"] == va["total"] + 1 and dumps(fx) == 2, (runs(), vc["total"], dumps(fx)))
    n_runs = runs()
    vb2 = fx.call("view", b)
    t.eq("B (autorefresh 0, no refresh) keeps its stable snapshot", vb["total"], vb2["total"])

    fx.call("refresh", b)
    vb3 = fx.call("view", b)
    t.ok("B after refresh: C's dump began before B's refresh, so B dumps again", runs() > n_runs and
         dumps(fx) == 3 and vb3["snapshot_time"] > vc["snapshot_time"], (runs(), dumps(fx)))
    n_runs = runs()

    # autorefresh: the own snapshot while it is young enough; else a dump
    # younger than N s, whoever made it; else a new dump
    fx.call("set_autorefresh", a, 30)
    va2 = fx.call("view", a)
    t.eq("A with autorefresh 30 and its own snapshot < 30 s old keeps it (no helper run)",
         (n_runs, va["snapshot_time"]), (runs(), va2["snapshot_time"]))
    fx.call("set_autorefresh", a, 1)
    time.sleep(1.2)
    va3 = fx.call("view", a)
    t.ok("A with autorefresh 1 once every dump is older than 1 s: dumps", runs() > n_runs and
         va3["snapshot_time"] > vb3["snapshot_time"], (runs(), va3["snapshot_time"], vb3["snapshot_time"]))
    n_runs = runs()
    fx.call("set_autorefresh", b, 1)
    vb4 = fx.call("view", b)
    t.eq("B with autorefresh 1, own snapshot older than 1 s, takes A's dump made just now (no helper run)",
         (n_runs, va3["snapshot_time"]), (runs(), vb4["snapshot_time"]))

    # eight sessions refresh, then view at the same moment: one dump serves them all
    sids = [fx.login() for _ in range(8)]
    for s in sids:
        fx.call("set_autorefresh", s, 0)
        fx.call("refresh", s)
    n_runs, n_dumps = runs(), dumps(fx)
    procs = [fx.spawn("view", s) for s in sids]
    outs = [p.communicate(timeout=120) for p in procs]
    t.ok("8 concurrent views all answered", all(p.returncode == 0 and b"<methodResponse>" in o[0]
                                                 and b"faultCode" not in o[0] for p, o in zip(procs, outs)),
         [o[0][-300:] for o in outs])
    t.eq("8 concurrent views after 8 refreshes: exactly one new dump (the others waited and shared)",
         n_dumps + 1, dumps(fx))
    t.ok("... one helper dump (plus its count request) for all eight", runs() - n_runs <= 2, runs() - n_runs)
    times = {fx.call("view", s)["snapshot_time"] for s in sids}
    t.eq("... every session reads the same snapshot", 1, len(times))

    lock = fx.db + "-dumplock"
    st = os.stat(lock)
    t.eq("the dump lock sits next to the database, 0600, owned by the web user",
         (0o600, 33), (stat.S_IMODE(st.st_mode), st.st_uid))

    # the lock file cannot be made: views still work (sharing is an optimisation)
    os.unlink(lock)
    os.mkdir(lock, 0o700)
    fx.call("refresh", a)
    r = fx.attempt("view", a)
    t.ok("lock path unusable (a directory): the view still answers", r[1] is None, r)
    t.ok("... and says why on stderr (Apache's error log)", b"dumplock" in fx.last.stderr, fx.last.stderr[-300:])
    os.rmdir(lock)

    # the WAL does not pile up between dumps: every call commits its
    # session (a 64 KiB page); past 256 pages (16 MiB) a call checkpoints
    fx.conf()
    wal = fx.db + "-wal"
    sizes = []
    for i in range(400):
        fx.call("whoami", a)
        if i % 50 == 49:
            sizes.append(os.path.getsize(wal) if os.path.exists(wal) else 0)
    print(f"# WAL size every 50 calls: {[round(x / 2**20, 1) for x in sizes]} MiB", flush=True)
    t.ok("400 calls without a dump: the WAL never passes 16 MiB + a few pages (checkpointed as it goes)",
         max(sizes) <= 17 * 2**20, sizes)
    t.eq("integrity_check", "ok", fx.integrity())

t.done()
