#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: what goes with a session when it is purged.

A kill_preview token is bound to its session (README, kill_matching).
Sessions are purged by any call, and by the background thread of a fresh
dump, which has a database connection of its own: both must delete the
session's tokens (ON DELETE CASCADE needs foreign keys on, on every
connection), since SQLite gives the next session the purged one's id and
would otherwise hand it the old token.  Entries made with conntrack -I in a
private namespace; oracles: conntrack -L and the database itself."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import T, Netns, need_root  # noqa: E402
from ctdcgi import Cgi, ct_add  # noqa: E402

t = T()
need_root(t)

with Netns() as ns, Cgi(t, ns) as fx:
    fx.conf(roles="admin:operator, other:operator", session_idle_timeout=3, kill_token_lifetime=600)
    for i in range(1, 4):
        ct_add(ns, f"10.9.0.{i}", "198.51.100.1", sport=1000 + i, dport=80)
    other = fx.login("other")
    admin = fx.login("admin")
    old_id = fx.sql("SELECT max(id) FROM sessions")[0][0][0]
    p = fx.call("kill_preview", admin, {"orig_ipv4_src": "10.9.0.0/24"})
    t.eq("the preview matches the three entries", 3, p["matched"])
    t.eq("its token is stored for admin's session", [[old_id]],
         fx.sql("SELECT session_id FROM kill_tokens")[0])
    # admin idles out while other stays; other's fresh dump purges admin's
    # session in the dump's background thread
    for _ in range(4):
        time.sleep(1)
        fx.call("whoami", other, remote_user="other")
    fx.call("refresh", other, remote_user="other")
    fx.call("view", other, {}, "id", "A", 0, 1, remote_user="other")
    t.eq("admin's session is purged", [], fx.sql(f"SELECT id FROM sessions WHERE id = {old_id}")[0])
    t.eq("and its token with it", [], fx.sql("SELECT id FROM kill_tokens")[0])
    admin2 = fx.login("admin")
    new_id = fx.sql("SELECT max(id) FROM sessions")[0][0][0]
    t.ok("the new session has the purged one's id (SQLite reuses the largest)", new_id == old_id,
         f"{new_id} vs {old_id}")
    t.eq("the old token in the new session: fault 3", 3, fx.fault("kill_matching", admin2, p["token"]))
    t.eq("nothing killed", 3, len([x for x in ns.list() if x["orig_src"].startswith("10.9.0.")]))

    # a token left by a session deleted without foreign keys (an older ctd.cgi)
    # goes at the next purge (every login purges before it creates)
    p2 = fx.call("kill_preview", admin2, {"orig_ipv4_src": "10.9.0.0/24"})
    fx.sql("PRAGMA foreign_keys=OFF", f"DELETE FROM sessions WHERE id = {new_id}", "COMMIT")
    t.eq("an orphan token is there", 1, len(fx.sql("SELECT id FROM kill_tokens")[0]))
    admin3 = fx.login("admin")
    t.eq("the next login's purge deletes it", [], fx.sql("SELECT id FROM kill_tokens")[0])
    t.eq("the new session has that id again", new_id, fx.sql("SELECT max(id) FROM sessions")[0][0][0])
    t.eq("and cannot use the token", 3, fx.fault("kill_matching", admin3, p2["token"]))
    t.eq("nothing killed", 3, len([x for x in ns.list() if x["orig_src"].startswith("10.9.0.")]))
t.done()
