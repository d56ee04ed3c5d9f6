# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixture for black-box tests of ctd.cgi: the real CGI binary run exactly as
Apache's mod_cgi would (environment + request on stdin, as www-data), with a
real setuid ctd-helper, inside a private network namespace.

    from ctdtest import T, Netns, need_root
    from ctdcgi import Cgi
    t = T(); need_root(t)
    with Netns() as ns, Cgi(t, ns) as fx:   # CTD_CGI_SAN=1: every file uses the ASan CGI
        fx.conf(max_page=10)              # rewrite ctd.conf with overrides
        sid = fx.call("login")            # value, or raises xmlrpc.client.Fault
        r = fx.last                       # raw status / headers / body / stderr / rc
        srv = fx.proxy()                  # xmlrpc.client.ServerProxy through the CGI
    fx.finish() is called by __exit__: checks no response ever held <i8>/<nil>.
"""
import grp
import ipaddress
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

from ctdtest import BUILD, SAN_BUILD, OUT

WWW_UID = 33
WWW_GID = 33
HELPER_GROUP = "ctd"


def helper_gid():
    try:
        return grp.getgrnam(HELPER_GROUP).gr_gid
    except KeyError:
        subprocess.run(["groupadd", "--system", HELPER_GROUP], check=True, capture_output=True)
        return grp.getgrnam(HELPER_GROUP).gr_gid


class Reply:
    """One CGI run: exit code, HTTP status, headers (lower-case keys), body, stderr, seconds."""

    def __init__(self, rc, stdout, stderr, secs):
        self.rc, self.stderr, self.secs, self.raw = rc, stderr, secs, stdout
        self.status, self.headers, self.body = None, {}, b""
        sep = None
        for s in (b"\r\n\r\n", b"\n\n"):
            i = stdout.find(s)
            if i >= 0 and (sep is None or i < sep[0]):
                sep = (i, s)
        if sep is None:
            return
        head, self.body = stdout[:sep[0]], stdout[sep[0] + len(sep[1]):]
        for line in head.replace(b"\r\n", b"\n").split(b"\n"):
            if b":" in line:
                k, v = line.split(b":", 1)
                self.headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
        st = self.headers.get("status")
        if st:
            try:
                self.status = int(st.split()[0])
            except ValueError:
                self.status = None
        elif self.headers:
            self.status = 200

    def __repr__(self):
        return f"<Reply rc={self.rc} status={self.status} body={self.body[:200]!r} err={self.stderr[-300:]!r}>"


def body_fault(body):
    """The xmlrpc.client.Fault an XML-RPC response body carries, else None
    (a normal answer, or not XML-RPC at all)."""
    try:
        xmlrpc.client.loads(body)
    except xmlrpc.client.Fault as f:
        return f
    except Exception:  # noqa: BLE001 - anything unparsable is "no fault"
        pass
    return None


def sanitizer_report(stderr):
    s = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    for pat in ("AddressSanitizer", "UndefinedBehaviorSanitizer", "runtime error:", "LeakSanitizer"):
        if pat in s:
            return s
    return None


class Cgi:
    def __init__(self, t, ns, san=None):
        # san=None: the ASan/UBSan CGI when CTD_CGI_SAN=1 (one full pass under the sanitizers)
        if san is None:
            san = os.environ.get("CTD_CGI_SAN") == "1"
        self.t, self.ns, self.san = t, ns, san
        self.calls = 0
        self.bad_types = []
        self.san_reports = []
        self.last = None
        self.extra_conf = {}
        self.leaks = []
        self.last_fault = None

    # ---- set-up --------------------------------------------------------------
    def __enter__(self):
        src_cgi = os.path.join(SAN_BUILD if self.san else BUILD, "ctd.cgi")
        src_helper = os.path.join(BUILD, "ctd-helper")
        for p in (src_cgi, src_helper):
            if not os.path.isfile(p):
                self.t.skip(os.path.basename(sys.argv[0]), f"{p} not built yet (make -j2)")
                self.t.done()
        self.gid = helper_gid()
        self.dir = tempfile.mkdtemp(prefix="ctdtest.", dir="/var/tmp")
        os.chmod(self.dir, 0o755)
        self.cgi = os.path.join(self.dir, "ctd.cgi")
        shutil.copy(src_cgi, self.cgi)
        os.chmod(self.cgi, 0o755)
        self.helper = os.path.join(self.dir, "ctd-helper")
        shutil.copy(src_helper, self.helper)
        os.chown(self.helper, 0, self.gid)
        os.chmod(self.helper, 0o4750)
        self.state = os.path.join(self.dir, "state")
        os.mkdir(self.state)
        os.chown(self.state, WWW_UID, WWW_GID)
        os.chmod(self.state, 0o700)
        self.db = os.path.join(self.state, "ctd.db")
        self.confpath = os.path.join(self.dir, "ctd.conf")
        self.conf()
        return self

    def __exit__(self, etype, evalue, tb):
        try:
            self.finish()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
        if etype is SystemExit:
            # t.done() ran inside the with block: the final checks above came after its
            # summary line, so print the summary again (the runner reads the last one)
            self.t.done()
        return False

    def finish(self):
        if self.calls and not getattr(self, "_finished", False):
            self._finished = True
            self.t.ok(f"no <i8> or <nil in any of {self.calls} responses", not self.bad_types,
                      f"seen in: {self.bad_types[:3]}")
            self.t.ok("no fault string names a path, SQL or an address", not self.leaks,
                      f"{self.leaks[:3]}")
            crashes = getattr(self, "crashes", [])
            self.t.ok(f"the CGI never crashed (exit status) in {self.calls} runs", not crashes,
                      f"{crashes[:2]}")
            if self.san:
                self.t.ok(f"no sanitizer report in {self.calls} ASan CGI runs", not self.san_reports,
                          (self.san_reports[:1] or [""])[0][:2000])

    def conf(self, raw=None, **kw):
        """Write ctd.conf: database + helper + the given keys (None drops a key).
        raw: write exactly this text instead."""
        if raw is None:
            # default_role is viewer (fail closed); these tests act as users roles does not name
            keys = {"database": self.db, "helper": self.helper, "default_role": "operator"}
            keys.update(kw)
            raw = "# ctd.conf written by tests/lib/ctdcgi.py\n"
            for k, v in keys.items():
                if v is not None:
                    raw += f"{k} = {v}\n"
        with open(self.confpath, "w") as f:
            f.write(raw)
        os.chmod(self.confpath, 0o644)
        return raw

    # ---- running the CGI -------------------------------------------------------
    def argv(self, body_len, remote_user="admin", env_extra=None, content_type="text/xml",
             method_http="POST", content_length=None):
        """The command line that runs the CGI as Apache would (env -i, www-data, in the netns)."""
        env = {"REQUEST_METHOD": method_http, "REMOTE_ADDR": "127.0.0.1", "GATEWAY_INTERFACE": "CGI/1.1",
               "SERVER_PROTOCOL": "HTTP/1.1", "SCRIPT_NAME": "/RPC2", "SERVER_NAME": "localhost",
               "SERVER_PORT": "443", "HTTPS": "on", "CTD_CONFIG": self.confpath,
               "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        if content_type is not None:
            env["CONTENT_TYPE"] = content_type
        if body_len is not None or content_length is not None:
            env["CONTENT_LENGTH"] = str(body_len if content_length is None else content_length)
        if remote_user is not None:
            env["REMOTE_USER"] = remote_user
            env["AUTH_TYPE"] = "Basic"
        if self.san:
            env["ASAN_OPTIONS"] = "abort_on_error=1:detect_leaks=0"
            env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        env.update(env_extra or {})
        return self.ns.cmd("/usr/bin/env", "-i", *[f"{k}={v}" for k, v in env.items()],
                           "/usr/bin/setpriv", f"--reuid={WWW_UID}", f"--regid={WWW_GID}",
                           f"--groups={self.gid}", self.cgi)

    def spawn(self, method, *params, **kw):
        """Start one call without waiting; returns the Popen (stdout/stderr piped)."""
        body = xmlrpc.client.dumps(params, method).encode()
        p = subprocess.Popen(self.argv(len(body), **kw), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        p.stdin.write(body)
        p.stdin.close()
        p.stdin = None  # so that communicate() only reads
        return p

    def run_raw(self, body, remote_user="admin", env_extra=None, content_type="text/xml",
                method_http="POST", content_length=None, timeout=120):
        if isinstance(body, str):
            body = body.encode("utf-8")
        argv = self.argv(None if body is None else len(body), remote_user, env_extra, content_type,
                         method_http, content_length)
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, input=body or b"", capture_output=True, timeout=timeout)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = -999, e.stdout or b"", (e.stderr or b"") + b"\n[test: CGI timed out]"
        r = Reply(rc, out, err, time.monotonic() - t0)
        self.calls += 1
        if b"<i8>" in r.body or b"<nil" in r.body or b"<ex:i8" in r.body or b"<ex:nil" in r.body:
            self.bad_types.append(r.body[:300])
        rep = sanitizer_report(err)
        if rep:
            self.san_reports.append(rep)
        if r.rc < 0 or r.rc > 128:
            self.crashes = getattr(self, "crashes", []) + [r]
        with open(os.path.join(OUT, "ctdcgi-last.log"), "wb") as f:
            f.write(b"ARGV " + " ".join(argv).encode() + b"\nIN " + (body or b"")[:4000] +
                    b"\nOUT " + out[:20000] + b"\nERR " + err[:20000])
        self.last = r
        return r

    def call(self, method, *params, remote_user="admin", env_extra=None, raw_body=None,
             content_type="text/xml", method_http="POST"):
        """Run one XML-RPC call; return its value or raise xmlrpc.client.Fault.
        A non-200 answer or an unparsable body raises CgiError."""
        body = raw_body if raw_body is not None else xmlrpc.client.dumps(params, method, allow_none=False)
        r = self.run_raw(body, remote_user=remote_user, env_extra=env_extra, content_type=content_type,
                         method_http=method_http)
        if r.status != 200:
            raise CgiError(r)
        try:
            vals, _ = xmlrpc.client.loads(r.body)
        except xmlrpc.client.Fault as f:
            # no fault string may name a path, SQL, or a stack address
            fs = str(f.faultString)
            if self.dir in fs or "/var/" in fs or "SELECT " in fs or "INSERT " in fs or "0x7f" in fs:
                self.leaks.append(fs)
            raise
        except Exception as e:  # noqa: BLE001
            raise CgiError(r, f"unparsable body: {e}")
        return vals[0] if vals else None

    def fault(self, method, *params, **kw):
        """Run a call that should fail; return the faultCode (or None if it succeeded,
        'http-NNN' on an HTTP error)."""
        try:
            self.call(method, *params, **kw)
        except xmlrpc.client.Fault as f:
            self.last_fault = f
            return f.faultCode
        except CgiError as e:
            self.last_fault = e
            return f"http-{e.reply.status}"
        self.last_fault = None
        return None

    def attempt(self, method, *params, **kw):
        """(value, None) on success, (None, faultCode | 'http-NNN' | 'error') on failure."""
        try:
            return self.call(method, *params, **kw), None
        except xmlrpc.client.Fault as f:
            self.last_fault = f
            return None, f.faultCode
        except CgiError as e:
            self.last_fault = e
            return None, (f"http-{e.reply.status}" if e.reply.status != 200 else "error")

    def expect_fault(self, desc, code, method, *params, **kw):
        """Check that the call fails with faultCode `code` (or any of a tuple of codes)."""
        v, got = self.attempt(method, *params, **kw)
        want = code if isinstance(code, tuple) else (code,)
        detail = f"want fault {code}, got " + (f"value {v!r}" if got is None else
                                               f"{got} {getattr(self.last_fault, 'faultString', '')!r}")
        self.t.ok(desc, got in want, detail)
        return self.last_fault if got is not None else None

    def expect_ok(self, desc, method, *params, check=None, **kw):
        """Check that the call succeeds (and check(value) holds); returns the value."""
        v, got = self.attempt(method, *params, **kw)
        if got is not None:
            self.t.ok(desc, False, f"fault {got}: {getattr(self.last_fault, 'faultString', self.last_fault)!s:.300}")
            return None
        self.t.ok(desc, check is None or check(v), f"value {v!r:.500}")
        return v

    def counting_helper(self):
        """A wrapper that logs each helper start, then execs the real setuid helper
        (fds and arguments untouched).  Returns (path, count function)."""
        log = os.path.join(self.dir, "helper-runs")
        open(log, "w").close()
        os.chmod(log, 0o666)
        path = os.path.join(self.dir, "helper-counting")
        with open(path, "w") as f:
            f.write(f"#!/bin/sh\necho run >> {log}\nexec {self.helper} \"$@\"\n")
        os.chmod(path, 0o755)
        return path, lambda: len(open(log).read().split())

    def hanging_helper(self, secs=20):
        """A 'helper' that never answers (sleeps): for helper_timeout and mid-call crashes."""
        path = os.path.join(self.dir, "helper-hangs")
        with open(path, "w") as f:
            f.write(f"#!/bin/sh\nexec sleep {secs}\n")
        os.chmod(path, 0o755)
        return path

    def proxy(self, remote_user="admin", **kw):
        return xmlrpc.client.ServerProxy("http://ctd.invalid/RPC2",
                                         transport=CgiTransport(self, remote_user, **kw))

    def login(self, user="admin"):
        return self.call("login", remote_user=user)

    # ---- database -------------------------------------------------------------
    def sql(self, *queries):
        """Run queries on the CGI's database as www-data (so no root-owned -wal/-shm
        files appear); returns a list of row lists, or raises RuntimeError."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                os.setgroups([])
                os.setgid(WWW_GID)
                os.setuid(WWW_UID)
                con = sqlite3.connect(f"file:{self.db}?mode=rw", uri=True, timeout=10)
                res = [con.execute(q).fetchall() for q in queries]
                con.close()
                os.write(w, json.dumps({"ok": res}, default=str).encode())
            except Exception as e:  # noqa: BLE001
                os.write(w, json.dumps({"err": repr(e)}).encode())
            os._exit(0)
        os.close(w)
        data = b""
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                break
            data += chunk
        os.close(r)
        os.waitpid(pid, 0)
        d = json.loads(data or b'{"err": "no output"}')
        if "err" in d:
            raise RuntimeError(d["err"])
        return d["ok"]

    def integrity(self):
        try:
            return self.sql("PRAGMA integrity_check")[0][0][0]
        except Exception as e:  # noqa: BLE001
            return f"error: {e}"

    def tables(self):
        return [r[0] for r in self.sql("SELECT name FROM sqlite_master WHERE type='table'")[0]]

    def audit_table(self):
        for name in self.tables():
            if "audit" in name.lower():
                return name
        return None

    def audit_rows(self):
        """All audit rows as dicts (column names as in the schema)."""
        tab = self.audit_table()
        if not tab:
            return []
        cols = [r[1] for r in self.sql(f"PRAGMA table_info({tab})")[0]]
        rows = self.sql(f"SELECT * FROM {tab}")[0]
        return [dict(zip(cols, row)) for row in rows]


class CgiError(Exception):
    def __init__(self, reply, msg=None):
        super().__init__(msg or f"HTTP status {reply.status}: {reply!r}")
        self.reply = reply


class CgiTransport(xmlrpc.client.Transport):
    """xmlrpc.client transport that runs the CGI instead of opening a socket."""

    def __init__(self, fx, remote_user="admin", **kw):
        super().__init__()
        self.fx, self.remote_user, self.kw = fx, remote_user, kw

    def request(self, host, handler, request_body, verbose=False):
        r = self.fx.run_raw(request_body, remote_user=self.remote_user, **self.kw)
        if r.status != 200:
            raise xmlrpc.client.ProtocolError(host + handler, r.status or 0, "CGI error",
                                              r.headers)
        p, u = self.getparser()
        p.feed(r.body)
        p.close()
        return u.close()


# ---- conntrack helpers (the independent oracle) ------------------------------
def ct_add(ns, src, dst, proto="tcp", sport=None, dport=None, state="ESTABLISHED", timeout=600,
           mark=None, zone=None, icmp=None, check=True):
    """Insert one entry with conntrack -I. icmp=(type, code, id) for ICMP/ICMPv6."""
    v6 = ":" in src
    a = ["-I", "-s", src, "-d", dst, "-p", proto, "--timeout", str(timeout)]
    if proto in ("tcp", "udp", "sctp", "dccp", "udplite"):
        a += ["--sport", str(sport), "--dport", str(dport)]
    if proto == "tcp":
        a += ["--state", state]
    if proto in ("icmp", "icmpv6") and icmp:
        pre = "--icmpv6" if proto == "icmpv6" or v6 else "--icmp"
        a += [f"{pre}-type", str(icmp[0]), f"{pre}-code", str(icmp[1]), f"{pre}-id", str(icmp[2])]
    if mark is not None:
        a += ["--mark", str(mark)]
    if zone is not None:
        a += ["--zone", str(zone)]
    return ns.ct(*a, check=check)


def ct_ext(ns):
    """`conntrack -L -o extended,id` parsed: dict id -> flow dict with keys
    l3proto (int), l4proto (int), timeout, state, orig_src, orig_dst, orig_sport, orig_dport,
    orig_type/code/id (ICMP), orig_packets, orig_bytes, repl_*, mark, zone, id, flags (set)."""
    out = ns.ct("-L", "-o", "extended,id", check=False).stdout
    flows = {}
    for line in out.splitlines():
        tok = line.split()
        if len(tok) < 5 or not tok[1].isdigit():
            continue
        d = {"l3name": tok[0], "l3proto": int(tok[1]), "l4name": tok[2], "l4proto": int(tok[3]),
             "timeout": int(tok[4]), "flags": set()}
        direction, nsrc = "orig", 0
        for x in tok[5:]:
            if x.startswith("[") and x.endswith("]"):
                d["flags"].add(x[1:-1])
                continue
            if "=" not in x:
                d["state"] = x
                continue
            k, v = x.split("=", 1)
            if k == "src":
                nsrc += 1
                direction = "orig" if nsrc == 1 else "repl"
            if k in ("mark", "use", "secctx", "labels") or (k == "zone" and direction == "meta"):
                direction = "meta"
            if direction == "meta" or k == "mark":
                direction = "meta"
                d[k] = v if k in ("secctx", "labels", "helper") else int(v)
            else:
                d[f"{direction}_{k}"] = v if k in ("src", "dst") else int(v)
        d["id"] = d.get("id")
        if d["id"] is not None:
            flows[d["id"]] = d
    return flows


def ct_del(ns, f):
    """Delete one entry (a ct_ext() dict) by its original tuple (conntrack -D --id crashes in 1.4.7)."""
    a = ["-D", "-s", f["orig_src"], "-d", f["orig_dst"], "-p", f["l4name"]]
    if "orig_sport" in f:
        a += ["--sport", str(f["orig_sport"]), "--dport", str(f["orig_dport"])]
    if f.get("zone"):
        a += ["--zone", str(f["zone"])]
    return ns.ct(*a, check=False)


def u32_of_i4(v):
    return v & 0xFFFFFFFF


def ip_key(a):
    """Sort key: all IPv4 before all IPv6, numerically."""
    ip = ipaddress.ip_address(a)
    return (ip.version, int(ip))


# ---- real traffic ----------------------------------------------------------------
SERVER_PY = r"""
import socket, sys
s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(8)
print('ready', flush=True)
while True:
    c, _ = s.accept()
    try:
        while c.recv(1 << 16):
            pass
    except OSError:
        pass
    c.close()
"""

CLIENT_PY = r"""
import socket, sys, time
host, port, rate, secs, sport = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
if sport:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, sport))
s.connect((host, port))
print('connected', s.getsockname()[1], flush=True)
chunk = b'x' * 8192
t0 = time.monotonic(); sent = 0
while secs <= 0 or time.monotonic() - t0 < secs:
    if rate > 0:
        due = t0 + sent / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        s.sendall(chunk); sent += len(chunk)
    else:
        time.sleep(0.2)
"""


class Flow:
    """A real TCP connection inside the namespace (server + paced client)."""

    def __init__(self, ns, host, port, rate=0.0, secs=0.0, sport=0):
        self.server = ns.popen(sys.executable, "-c", SERVER_PY, host, str(port),
                               stdout=subprocess.PIPE, text=True)
        self.server.stdout.readline()
        self.client = ns.popen(sys.executable, "-c", CLIENT_PY, host, str(port), str(rate), str(secs),
                               str(sport), stdout=subprocess.PIPE, text=True)
        line = self.client.stdout.readline().split()
        self.sport = int(line[1]) if len(line) > 1 else None
        self.host, self.port = host, port

    def stop(self):
        for p in (self.client, self.server):
            if p.poll() is None:
                p.kill()
            p.wait()
