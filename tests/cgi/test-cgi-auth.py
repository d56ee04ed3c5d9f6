#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box: login (REMOTE_USER and password_file), whoami, logout,
sessions (unknown, expired idle/absolute, REMOTE_USER binding), roles,
system.* introspection, multicall authorization, configuration faults (8),
helper faults (6).  Oracle: the README (API, Security model)
and apache/ctd.conf.example."""
import os
import subprocess
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import T, Netns, need_root  # noqa: E402
from ctdcgi import Cgi, ct_add, ct_ext  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)
import crypt  # noqa: E402  (python 3.11: yescrypt hash for the password file)

t = T()
need_root(t)

FORGED = "0123456789abcdef0123456789abcdef"


def snapshot_ct(ns):
    return sorted((i, f.get("mark"), f.get("orig_sport")) for i, f in ct_ext(ns).items())


with Netns() as ns, Cgi(t, ns) as fx:
    ct_add(ns, "10.1.0.1", "10.1.0.2", "tcp", 1001, 80)
    ct_add(ns, "10.1.0.1", "10.1.0.3", "udp", 1002, 53)
    ids = sorted(str(i) for i in ct_ext(ns))

    # ---- login with Apache auth -------------------------------------------------
    sid = fx.expect_ok("login with REMOTE_USER gives a session id string", "login",
                       check=lambda v: isinstance(v, str) and len(v) >= 22)
    if sid is None:
        print("# login does not work: the rest of this file cannot run", flush=True)
        t.done()
    t.ok("session id carries >= 128 bits (>= 22 chars base64 / 32 hex)", len(sid) >= 22, sid)
    sid2 = fx.expect_ok("login ignores its params when REMOTE_USER is set (user, wrong password)",
                        "login", "nobody", "wrong-password", check=lambda v: isinstance(v, str))
    fx.expect_ok("login ignores its params when REMOTE_USER is set (a struct and an int)",
                 "login", {"a": 1}, 7, check=lambda v: isinstance(v, str))
    t.ok("two logins give different session ids", sid != sid2)
    fx.expect_ok("whoami: {user: admin, role: operator} (default_role operator)", "whoami", sid,
                 check=lambda v: v == {"user": "admin", "role": "operator"})
    try:
        cells = fx.sql(*[f"SELECT * FROM {tb}" for tb in fx.tables()])
        blob = repr(cells)
        t.ok("the session token itself is not stored in the database (only its hash)",
             sid not in blob and sid2 not in blob)
    except Exception as e:  # noqa: BLE001
        t.ok("database readable as www-data", False, str(e))

    try:
        jm, uv = fx.sql("PRAGMA journal_mode", "PRAGMA user_version")
        t.eq("database in WAL mode", "wal", jm[0][0])
        t.ok("schema version set (PRAGMA user_version >= 1)", uv[0][0] >= 1, uv)
    except Exception as e:  # noqa: BLE001
        t.ok("database pragmas readable", False, repr(e))

    # ---- sessions -----------------------------------------------------------------
    fx.expect_ok("view with a live session", "view", sid, check=lambda v: isinstance(v, dict))
    fx.expect_fault("unknown session id -> fault 2", 2, "view", FORGED)
    fx.expect_fault("empty session id -> fault 2", 2, "view", "")
    fx.expect_fault("session bound to REMOTE_USER admin, call as bob -> fault 2", 2, "view", sid,
                    remote_user="bob")
    fx.expect_fault("whoami as another REMOTE_USER -> fault 2", 2, "whoami", sid, remote_user="bob")
    fx.expect_fault("session made under REMOTE_USER admin, call without REMOTE_USER -> fault 2", 2, "whoami",
                    sid, remote_user=None)
    fx.expect_fault("REMOTE_USER 'Admin' (case differs) -> fault 2", 2, "whoami", sid, remote_user="Admin")
    fx.expect_fault("refresh needs a session -> fault 2", 2, "refresh", FORGED)
    fx.expect_fault("set_autorefresh needs a session -> fault 2", 2, "set_autorefresh", FORGED, 0)
    fx.expect_fault("kill needs a session -> fault 2", 2, "kill", FORGED, [ids[0]])
    fx.expect_fault("change needs a session -> fault 2", 2, "change", FORGED, "mark", ids[0], 3)
    fx.expect_fault("whoami needs a session -> fault 2", 2, "whoami", FORGED)
    fx.expect_ok("the session still works for its own user after the refusals", "whoami", sid,
                 check=lambda v: v.get("user") == "admin")
    fx.expect_ok("logout -> true", "logout", sid2, check=lambda v: v is True)
    fx.expect_fault("session dead after logout (view -> fault 2)", 2, "view", sid2)
    fx.expect_fault("session dead after logout (whoami -> fault 2)", 2, "whoami", sid2)
    fx.expect_fault("logout twice -> fault 2", 2, "logout", sid2)
    t.eq("nothing in conntrack changed by refused calls", ids, sorted(str(i) for i in ct_ext(ns)))

    # ---- login without Apache auth: password_file ----------------------------------
    pwfile = os.path.join(fx.dir, "passwd")
    bcrypt_line = subprocess.run(["htpasswd", "-nbB", "-C", "10", "alice", "secret-alice"], capture_output=True,
                                 text=True, check=True).stdout.strip()
    sha512 = subprocess.run(["openssl", "passwd", "-6", "secret-bob"], capture_output=True, text=True,
                            check=True).stdout.strip()
    yes = crypt.crypt("secret-carol", "$y$j9T$F5Jx5fExrKuJdljLv8cFe/$")
    with open(pwfile, "w") as f:
        f.write(f"{bcrypt_line}\nbob:{sha512}\ncarol:{yes}\n")
    os.chmod(pwfile, 0o644)
    t.ok("test data: bcrypt ($2y$) and sha512-crypt ($6$) and yescrypt ($y$) lines",
         "$2y$" in bcrypt_line and sha512.startswith("$6$") and (yes or "").startswith("$y$"))
    fx.conf(password_file=pwfile)
    sa = fx.expect_ok("password login, htpasswd -B bcrypt line", "login", "alice", "secret-alice",
                      remote_user=None, check=lambda v: isinstance(v, str) and len(v) >= 22)
    if sa:
        fx.expect_ok("whoami after password login: alice", "whoami", sa, remote_user=None,
                     check=lambda v: v.get("user") == "alice")
        fx.expect_ok("view with a password-login session", "view", sa, remote_user=None,
                     check=lambda v: isinstance(v, dict))
    fx.expect_ok("password login, openssl passwd -6 sha512-crypt line", "login", "bob", "secret-bob",
                 remote_user=None, check=lambda v: isinstance(v, str) and len(v) >= 22)
    fx.expect_ok("password login, yescrypt line", "login", "carol", "secret-carol",
                 remote_user=None, check=lambda v: isinstance(v, str) and len(v) >= 22)
    fx.expect_fault("wrong password -> fault 1", 1, "login", "alice", "secret-bob", remote_user=None)
    fx.expect_fault("empty password -> fault 1", 1, "login", "alice", "", remote_user=None)
    fx.expect_fault("unknown user -> fault 1", 1, "login", "mallory", "secret-alice", remote_user=None)
    fx.expect_fault("no credentials at all -> fault 1", 1, "login", remote_user=None)
    # password guessing inside one request: one login per request, the rest fault 4 unchecked
    guesses = [{"methodName": "login", "params": ["alice", g]} for g in ("a", "b", "secret-alice", "c")]
    res = fx.expect_ok("multicall of 4 password logins answers", "system.multicall", guesses, remote_user=None)
    if res:
        t.eq("... only the first is checked (fault 1); the others, the right password among them, fault 4",
             [1, 4, 4, 4], [x.get("faultCode") if isinstance(x, dict) else "session" for x in res])
    # constant-time handling of unknown users: an unknown user must cost about as much as a
    # known one (a hash is computed either way); a 10x gap would reveal valid user names
    def timed(user):
        best = 1e9
        for _ in range(3):
            fx.attempt("login", user, "nope", remote_user=None)
            best = min(best, fx.last.secs)
        return best
    tk, tu = timed("alice"), timed("mallory")
    print(f"# login time: known user {tk:.3f} s, unknown user {tu:.3f} s", flush=True)
    t.ok("unknown user is not answered much faster than a known user (bcrypt still computed)",
         tu > tk * 0.3, f"known {tk:.3f} s, unknown {tu:.3f} s")

    sr = fx.expect_ok("password_file configured but REMOTE_USER set: params ignored, session for REMOTE_USER",
                      "login", "alice", "wrong", remote_user="admin", check=lambda v: isinstance(v, str))
    if sr:
        fx.expect_ok("... whoami is the Apache user", "whoami", sr, check=lambda v: v.get("user") == "admin")
    fx.conf()
    fx.expect_fault("no REMOTE_USER and no password_file configured -> fault 1", 1, "login", "alice",
                    "secret-alice", remote_user=None)

    # ---- roles ---------------------------------------------------------------------------
    fx.conf(roles="admin:operator, bob:viewer", default_role="viewer")
    before = snapshot_ct(ns)
    sb = fx.expect_ok("viewer bob logs in", "login", remote_user="bob", check=lambda v: isinstance(v, str))
    sc = fx.expect_ok("carol (not in roles) logs in", "login", remote_user="carol",
                      check=lambda v: isinstance(v, str))
    sa = fx.expect_ok("operator admin logs in", "login", remote_user="admin", check=lambda v: isinstance(v, str))
    fx.expect_ok("whoami bob: viewer", "whoami", sb, remote_user="bob",
                 check=lambda v: v == {"user": "bob", "role": "viewer"})
    fx.expect_ok("whoami carol: default_role viewer", "whoami", sc, remote_user="carol",
                 check=lambda v: v == {"user": "carol", "role": "viewer"})
    fx.expect_ok("whoami admin: operator", "whoami", sa, check=lambda v: v == {"user": "admin", "role": "operator"})
    fx.expect_ok("viewer may view", "view", sb, remote_user="bob", check=lambda v: v.get("total") == 2)
    fx.expect_ok("viewer may refresh", "refresh", sb, remote_user="bob", check=lambda v: v is True)
    fx.expect_ok("viewer may set_autorefresh", "set_autorefresh", sb, 0, remote_user="bob",
                 check=lambda v: v is True)
    fx.expect_fault("viewer kill -> fault 4", 4, "kill", sb, [ids[0]], remote_user="bob")
    fx.expect_fault("viewer change mark -> fault 4", 4, "change", sb, "mark", ids[0], 99, remote_user="bob")
    fx.expect_fault("viewer change timeout -> fault 4", 4, "change", sb, "timeout", ids[0], 99,
                    remote_user="bob")
    fx.expect_fault("default_role viewer: carol kill -> fault 4", 4, "kill", sc, [ids[1]], remote_user="carol")
    t.eq("nothing killed or changed by the viewers", before, snapshot_ct(ns))
    fx.expect_ok("viewer may logout", "logout", sb, remote_user="bob", check=lambda v: v is True)
    fx.expect_ok("operator may view", "view", sa, check=lambda v: v.get("total") == 2)
    fx.expect_ok("operator may change mark", "change", sa, "mark", ids[0], 42, check=lambda v: v is True)
    t.eq("operator's change is in conntrack -L", 42, ct_ext(ns).get(int(ids[0]), {}).get("mark"))
    fx.conf(roles="bob:viewer", default_role=None)
    sc2 = fx.login("carol")
    fx.expect_ok("without default_role, carol is a viewer (default viewer: fail closed)", "whoami", sc2,
                 remote_user="carol", check=lambda v: v.get("role") == "viewer")
    fx.conf(roles="bob:operator", default_role="viewer")
    sb2 = fx.login("bob")
    fx.expect_ok("roles bob:operator -> whoami operator", "whoami", sb2, remote_user="bob",
                 check=lambda v: v.get("role") == "operator")
    fx.conf(roles="bob:superuser")
    fx.expect_fault("roles with an unknown role -> fault 8", 8, "login", remote_user="bob")
    fx.conf(default_role="root")
    fx.expect_fault("default_role root -> fault 8", 8, "login", remote_user="bob")

    # ---- introspection and multicall ------------------------------------------------
    fx.conf(roles="admin:operator, bob:viewer")
    sa = fx.login("admin")
    sb = fx.login("bob")
    meths = fx.expect_ok("system.listMethods", "system.listMethods", check=lambda v: isinstance(v, list))
    want = {"login", "view", "kill", "change", "refresh", "set_autorefresh", "logout", "whoami",
            "system.listMethods", "system.methodHelp", "system.methodSignature", "system.multicall"}
    t.ok("listMethods names every method of the API", meths is not None and want <= set(meths),
         f"missing {want - set(meths or [])}")
    for m in ("login", "view", "kill", "change", "refresh", "set_autorefresh", "logout", "whoami"):
        fx.expect_ok(f"system.methodHelp({m}) is a non-empty string", "system.methodHelp", m,
                     check=lambda v: isinstance(v, str) and len(v) > 0)
        fx.expect_ok(f"system.methodSignature({m}) is an array or 'undef'", "system.methodSignature", m,
                     check=lambda v: isinstance(v, list) or v == "undef")
    fx.expect_ok("system.* need no session (listMethods without REMOTE_USER)", "system.listMethods",
                 remote_user=None, check=lambda v: isinstance(v, list))
    before = snapshot_ct(ns)
    res = fx.expect_ok("system.multicall with a mix of good and forged calls answers", "system.multicall", [
        {"methodName": "whoami", "params": [sa]},
        {"methodName": "view", "params": [FORGED]},
        {"methodName": "kill", "params": [sb, [ids[0]]]},
        {"methodName": "view", "params": [sb]},
        {"methodName": "change", "params": [FORGED, "mark", ids[0], 7]},
        {"methodName": "whoami", "params": [sb]},
    ], check=lambda v: isinstance(v, list) and len(v) == 6)
    if res and len(res) == 6:
        t.ok("multicall[0] whoami with admin's session succeeds",
             isinstance(res[0], list) and res[0][0].get("user") == "admin", res[0])
        t.ok("multicall[1] view with a forged session -> fault 2",
             isinstance(res[1], dict) and res[1].get("faultCode") == 2, res[1])
        t.ok("multicall[2] kill by viewer bob (REMOTE_USER admin) -> fault 2 (REMOTE_USER binding)",
             isinstance(res[2], dict) and res[2].get("faultCode") == 2, res[2])
        t.ok("multicall[3] bob's session under REMOTE_USER admin -> fault 2",
             isinstance(res[3], dict) and res[3].get("faultCode") == 2, res[3])
        t.ok("multicall[4] change with a forged session -> fault 2",
             isinstance(res[4], dict) and res[4].get("faultCode") == 2, res[4])
    vk = fx.call("view", sa)
    res = fx.expect_ok("operator multicall: [kill valid id, view forged] answers", "system.multicall", [
        {"methodName": "kill", "params": [sa, [ids[1]]]},
        {"methodName": "view", "params": [FORGED]},
    ], check=lambda v: isinstance(v, list) and len(v) == 2)
    if res and len(res) == 2:
        t.eq("operator multicall[0]: kill inside a multicall works -> [1]", [1], res[0])
        t.ok("operator multicall[1]: forged -> fault 2", isinstance(res[1], dict) and res[1].get("faultCode") == 2,
             res[1])
    t.ok("... the entry killed inside the multicall is gone", int(ids[1]) not in ct_ext(ns))
    before = snapshot_ct(ns)
    res = fx.expect_ok("multicall as viewer bob", "system.multicall", [
        {"methodName": "view", "params": [sb]},
        {"methodName": "kill", "params": [sb, [ids[0]]]},
        {"methodName": "change", "params": [sb, "mark", ids[0], 1]},
        {"methodName": "whoami", "params": [sb]},
    ], remote_user="bob", check=lambda v: isinstance(v, list) and len(v) == 4)
    if res and len(res) == 4:
        t.ok("viewer multicall: view succeeds", isinstance(res[0], list) and "total" in res[0][0], res[0])
        t.ok("viewer multicall: kill -> fault 4", isinstance(res[1], dict) and res[1].get("faultCode") == 4,
             res[1])
        t.ok("viewer multicall: change -> fault 4",
             isinstance(res[2], dict) and res[2].get("faultCode") == 4, res[2])
        t.ok("viewer multicall: whoami viewer", isinstance(res[3], list) and res[3][0].get("role") == "viewer",
             res[3])
    t.eq("nothing killed or changed by the refused multicall entries", before, snapshot_ct(ns))

    # ---- session expiry ---------------------------------------------------------------------
    fx.conf(session_idle_timeout=4, session_lifetime=1000)
    s = fx.login()
    time.sleep(2)
    fx.expect_ok("idle 4 s: a call after 2 s works", "whoami", s, check=lambda v: v.get("user") == "admin")
    time.sleep(2.5)
    fx.expect_ok("idle 4 s: a call 2.5 s after the last call (4.5 s after login) works: each call extends "
                 "the idle time", "whoami", s, check=lambda v: v.get("user") == "admin")
    time.sleep(5.5)
    fx.expect_fault("idle 4 s: after 5.5 s idle -> fault 2", 2, "whoami", s)
    fx.conf(session_idle_timeout=100, session_lifetime=6)
    s = fx.login()
    t_login = time.monotonic()
    time.sleep(2)
    fx.expect_ok("lifetime 6 s: a call after 2 s works", "view", s, check=lambda v: isinstance(v, dict))
    time.sleep(max(0.0, 4 - (time.monotonic() - t_login)))
    fx.expect_ok("lifetime 6 s: a call after 4 s works", "whoami", s, check=lambda v: v.get("user") == "admin")
    time.sleep(max(0.0, 7.5 - (time.monotonic() - t_login)))
    fx.expect_fault("lifetime 6 s: after 7.5 s, although never idle more than 3.5 s -> fault 2", 2, "whoami", s)

    # ---- configuration faults (8) -------------------------------------------------------------
    base = f"database = {fx.db}\nhelper = {fx.helper}\n"
    def conf_fault(desc, raw, lineno=None):
        fx.conf(raw=raw)
        f = fx.expect_fault(desc + " -> fault 8", 8, "login")
        if f is not None and lineno is not None:
            t.ok(desc + f": message names ctd.conf:{lineno}", f"ctd.conf:{lineno}" in f.faultString,
                 f.faultString)
            t.ok(desc + ": message does not name the full path", fx.dir not in f.faultString, f.faultString)
    conf_fault("unknown key on line 5", base + "# comment\n\nbogus_key = 1\n", 5)
    conf_fault("duplicate key on line 3", base + "helper = /bin/true\n", 3)
    conf_fault("max_page = 0 on line 3", base + "max_page = 0\n", 3)
    conf_fault("max_page = 100001 on line 3", base + "max_page = 100001\n", 3)
    conf_fault("uid_mask = zz on line 3", base + "uid_mask = zz\n", 3)
    conf_fault("session_idle_timeout = -5 on line 3", base + "session_idle_timeout = -5\n", 3)
    conf_fault("hide_networks = 10.0.0.0/33 on line 3", base + "hide_networks = 10.0.0.0/33\n", 3)
    conf_fault("a line without '=' on line 3", base + "just words\n", 3)
    fx.conf(raw=base + "  # indented comment\n\nmax_page = 7   # trailing comment\n  uid_mask=0x0\n")
    fx.expect_ok("comments, blank lines, trailing comments, 0x hex and spaces are accepted", "login",
                 check=lambda v: isinstance(v, str))
    fx.conf()
    evil = os.path.join(fx.dir, "evil.conf")
    with open(evil, "w") as fh:
        fh.write("bogus = 1\n")
    os.chmod(evil, 0o644)
    fx.expect_ok("a client header CTD-Config (HTTP_CTD_CONFIG) is ignored", "login",
                 env_extra={"HTTP_CTD_CONFIG": evil}, check=lambda v: isinstance(v, str))
    v, code = fx.attempt("login", env_extra={"CTD_CONFIG": os.path.join(fx.dir, "missing.conf")})
    t.eq("CTD_CONFIG naming a missing file -> fault 8", 8, code)

    # database directory not writable by the CGI user
    rodir = os.path.join(fx.dir, "rodb")
    os.mkdir(rodir, 0o755)
    fx.conf(database=os.path.join(rodir, "ctd.db"))
    f = fx.expect_fault("database in a directory the CGI cannot write -> fault 8", 8, "login")
    if f is not None:
        t.ok("that message does not name the path", rodir not in f.faultString, f.faultString)
    # a corrupt database file
    bad = os.path.join(fx.state, "corrupt.db")
    with open(bad, "wb") as fh:
        fh.write(b"SQLite format 3\x00" + os.urandom(8192))
    os.chown(bad, 33, 33)
    fx.conf(database=bad)
    fx.expect_fault("corrupt database file (garbage after the magic) -> fault 8", 8, "login")
    with open(bad, "wb") as fh:
        fh.write(b"this is not a database at all\n" * 300)
    fx.expect_fault("corrupt database file (not SQLite) -> fault 8", 8, "login")
    # a database from the future: user_version far above what this CGI knows
    fut = os.path.join(fx.state, "future.db")
    fx.conf(database=fut)
    fx.login()
    try:
        fx.db, olddb = fut, fx.db
        fx.sql("PRAGMA user_version = 9999")
        fx.db = olddb
        fx.expect_fault("database with a newer schema version (user_version 9999) -> fault 8", 8, "login")
    except Exception as e:  # noqa: BLE001
        t.ok("set user_version on the test database", False, str(e))
    # an empty database file (0 bytes, e.g. made by the packager) is initialised at open
    empty = os.path.join(fx.state, "empty.db")
    open(empty, "wb").close()
    os.chown(empty, 33, 33)
    fx.conf(database=empty)
    fx.expect_ok("an empty database file gets the schema at open: login works", "login",
                 check=lambda v: isinstance(v, str))
    # a read-only database file
    ro = os.path.join(fx.state, "ro.db")
    fx.conf(database=ro)
    fx.login()
    os.chmod(ro, 0o444)
    for ext in ("-wal", "-shm"):
        if os.path.exists(ro + ext):
            os.chmod(ro + ext, 0o444)
    v, code = fx.attempt("login")
    t.eq("read-only database file -> fault 8 on login", 8, code)
    # a database locked by another writer for longer than the busy timeout
    fx.conf()
    s = fx.login()
    r_fd, w_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r_fd)
        try:
            os.setgroups([])
            os.setgid(33)
            os.setuid(33)
            import sqlite3
            con = sqlite3.connect(fx.db, timeout=1, isolation_level=None)
            con.execute("BEGIN EXCLUSIVE")
            os.write(w_fd, b"locked")
            time.sleep(60)
        finally:
            os._exit(0)
    os.close(w_fd)
    got = os.read(r_fd, 16)
    t.eq("test data: another process holds an exclusive lock on the database", b"locked", got)
    try:
        t0 = time.monotonic()
        v, code = fx.attempt("login")
        el = time.monotonic() - t0
        t.eq(f"locked database -> fault 8 (answered after {el:.1f} s, no crash)", 8, code)
        if code == 8:
            t.ok("the lock fault says what happened (busy/locked)",
                 any(w in fx.last_fault.faultString.lower() for w in ("busy", "lock")), fx.last_fault.faultString)
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(r_fd)
    fx.expect_ok("lock released: the session still works", "whoami", s, check=lambda v: v.get("user") == "admin")
    fx.conf()

    # ---- helper faults (6) ---------------------------------------------------------------
    s = fx.login()
    fx.conf(helper=os.path.join(fx.dir, "no-such-helper"))
    f = fx.expect_fault("helper path missing -> view fault 6", 6, "view", s)
    noexec = os.path.join(fx.dir, "helper-noexec")
    subprocess.run(["cp", fx.helper, noexec], check=True)
    os.chmod(noexec, 0o644)
    fx.conf(helper=noexec)
    fx.expect_fault("helper not executable -> view fault 6", 6, "view", s)
    plain = os.path.join(fx.dir, "helper-notsetuid")
    subprocess.run(["cp", fx.helper, plain], check=True)
    os.chmod(plain, 0o755)
    fx.conf(helper=plain)
    fx.expect_fault("helper not setuid (cannot reach the kernel) -> fault 6 or 7", (6, 7), "view", s)
    fx.conf()
    fx.expect_ok("back to the real helper: view works again (1 entry left)", "view", s, check=lambda v: v.get("total") == 1)
    t.eq("integrity_check of the database", "ok", fx.integrity())

t.done()
