# SPDX-License-Identifier: GPL-2.0-or-later
"""The demo (apache/demo.sh) as a test fixture: a private Apache with TLS and
Basic auth, ctd.cgi and ctd-helper installed into a throw-away directory,
running inside a private network namespace.

    from ctdtest import Netns
    from ctddemo import Demo, InNetns
    with Netns(track=False) as ns, Demo(ns, mode="setuid") as d:
        with InNetns(ns.name):           # this process's sockets now live in ns
            c = d.client("admin")        # xmlrpc.client.ServerProxy over HTTPS
            sid = c.login()
        d.sql("SELECT count(*) FROM audit")   # the demo's database, read-only

Apache listens on 127.0.0.1 *inside the namespace*: clients must run there
(InNetns for this process, `ip netns exec` for children).  Demo.start()
returns the demo.sh result; a failed start raises DemoError with its output.

CTD_DEMO_TOP=<checkout> (or Demo(top=...)) runs that checkout's apache/demo.sh,
which builds and installs that checkout: a test run against older code, e.g.
a `git worktree add` of the commit before a fix.
"""
import ctypes
import os
import random
import re
import shutil
import sqlite3
import ssl
import string
import subprocess
import tempfile
import xmlrpc.client

from ctdtest import OUT, TOP

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


class DemoError(Exception):
    pass


class InNetns:
    """Moves this process (its calling thread; use it before starting
    threads, which inherit it) into a namespace and back, so python's own
    sockets and every child live there."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)
        fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
        finally:
            os.close(fd)
        return self

    def __exit__(self, *exc):
        _libc.setns(self.home, CLONE_NEWNET)
        os.close(self.home)
        return False


def password():
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(20))


class Demo:
    """One demo instance in its own directory under /var/tmp (removed by
    stop()), on a random port unless given.  extra: more DEMO_* variables.
    DEMO_TRAFFIC is 0 unless extra says otherwise: the namespace's table is
    the test's own (the demo's synthetic traffic would change it)."""

    def __init__(self, ns, mode="setuid", port=None, log_name="demo", top=None, **extra):
        self.ns = ns
        self.top = os.path.abspath(top or os.environ.get("CTD_DEMO_TOP") or TOP)
        self.demo_sh = os.path.join(self.top, "apache", "demo.sh")
        self.mode = mode
        self.port = port or random.randrange(20000, 60000)
        self.dir = tempfile.mkdtemp(prefix="ctd-demo.", dir="/var/tmp")
        os.chmod(self.dir, 0o755)
        self.admin_pw, self.viewer_pw = password(), password()
        self.users = {"admin": self.admin_pw, "viewer": self.viewer_pw}
        self.env = dict(os.environ, DEMO_DIR=self.dir, DEMO_ADMIN_PASSWORD=self.admin_pw,
                        DEMO_VIEWER_PASSWORD=self.viewer_pw, DEMO_NETNS=ns.name, DEMO_PORT=str(self.port),
                        DEMO_HELPER_MODE=mode, **dict({"DEMO_TRAFFIC": "0"}, **extra))
        for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
            self.env.pop(k, None)
        self.log = open(os.path.join(OUT, f"{log_name}.log"), "a")
        self.ca = os.path.join(self.dir, "etc", "demo-ca.pem")
        self.db = os.path.join(self.dir, "state", "ctd.db")
        self.conf = os.path.join(self.dir, "etc", "ctd.conf")
        self.access_log = os.path.join(self.dir, "log", "ctd-access.log")
        self.error_log = os.path.join(self.dir, "log", "error.log")
        self.cgi = os.path.join(self.dir, "prefix", "lib", "ctd", "ctd.cgi")
        self.helper = os.path.join(self.dir, "prefix", "lib", "ctd", "ctd-helper")
        self.url = f"https://127.0.0.1:{self.port}/RPC2"

    def run(self, cmd, **extra):
        r = subprocess.run([self.demo_sh, cmd], env=dict(self.env, **extra), capture_output=True, text=True,
                           timeout=900)
        self.log.write(f"$ demo.sh {cmd} {extra}\n{r.stdout}{r.stderr}(exit {r.returncode})\n")
        self.log.flush()
        return r

    def start(self, **extra):
        r = self.run("start", **extra)
        if r.returncode != 0:
            raise DemoError((r.stdout + r.stderr)[-1500:])
        return r

    def stop(self):
        self.run("stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def password(self, user):
        return self.users[user]

    def add_user(self, user, role, pw=None):
        """One more user (after start): an htpasswd line and `user:role` in
        ctd.conf's roles (demo.sh then keeps ctd.conf as edited).  Returns
        the password (pw, or a random one)."""
        pw = pw or password()
        subprocess.run(["htpasswd", "-B", "-b", os.path.join(self.dir, "etc", "htpasswd"), user, pw],
                       check=True, capture_output=True)
        with open(self.conf) as f:
            text = f.read()
        with open(self.conf, "w") as f:
            f.write(re.sub(r"^(roles\s*=.*)$", lambda m: f"{m.group(1)}, {user}:{role}", text, count=1, flags=re.M))
        self.users[user] = pw
        return pw

    def ssl_context(self):
        return ssl.create_default_context(cafile=self.ca)

    def client(self, user="admin", password=None):
        """xmlrpc.client proxy with Basic auth (call it inside InNetns)."""
        pw = self.password(user) if password is None else password
        return xmlrpc.client.ServerProxy(f"https://{user}:{pw}@127.0.0.1:{self.port}/RPC2",
                                         context=self.ssl_context(), allow_none=False)

    def curl(self, *args, user="admin", body=None, timeout=60):
        """curl inside the namespace; returns (http status, body bytes).
        args are extra curl arguments (headers, -X ...)."""
        cmd = ["ip", "netns", "exec", self.ns.name, "curl", "-s", "-o", "-", "-w", "\n%{http_code}",
               "--cacert", self.ca]
        if user:
            cmd += ["-u", f"{user}:{self.password(user)}"]
        if body is not None:
            cmd += ["--data-binary", "@-"]
        r = subprocess.run(cmd + list(args) + [self.url], input=body, capture_output=True, timeout=timeout)
        out, _, code = r.stdout.rpartition(b"\n")
        return code.decode() or "000", out

    def sql(self, query, *params):
        """Read the demo's database (read-only, through SQLite, WAL-aware)."""
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute(query, params).fetchall()
        finally:
            con.close()
