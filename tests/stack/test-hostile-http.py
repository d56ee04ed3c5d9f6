#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile HTTP through the real Apache: the demo (apache/demo.sh,
setuid helper, TLS, Basic auth) in a private namespace with a small real
table, and a list of bad requests sent over raw TLS sockets (so framing,
headers and lengths are exactly what the case says).  Each case has its
expected answer: an HTTP status, or for 200 the exact faultCode.  After
each one: the conntrack table (ids, tuples, marks), the sessions
(token_hash, user, bound), the audit log are unchanged except what the case
must change, PRAGMA integrity_check is ok, and neither Apache's error logs
nor the CGI show a crash or a sanitizer report (the demo answers with the
ASan+UBSan ctd.cgi when `make san` built it).  A few cases go through
curl(1) as well; expired sessions are made by ageing their rows in SQLite
(as the web user); a control at the end does a real change and kill
through Apache to show the checks see what does change.  Then random
mutations of read-only calls (60; 3000 with CTD_STRESS=long; the seed is
printed, CTD_HOSTILE_SEED repeats it), the state checked after each batch.

Also "the CGI cannot reach the helper's privileges by any request": the
XML-RPC methods are exactly the documented ones, and the installed setuid
helper refuses every request type outside its whitelist.  Frames with type
99 and 64 (an answer type) and the other malformed frames are already in
tests/helper/test-helper-trust.py ("malformed frames"); here only the rest of the
16-bit type space is covered, through the demo's installed helper run as
the web user.
"""
import base64
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import FRAME_HDR, SAN_BUILD, TOP, T, Netns, frame, need_root, parse_conntrack_xml, proto  # noqa: E402
from ctdcgi import body_fault  # noqa: E402

# ---- a raw HTTPS client: exact bytes out, the answer parsed ---------------------------------


class Resp:
    def __init__(self, status, headers, body, raw):
        self.status, self.headers, self.body, self.raw = status, headers, body, raw

    def fault(self):
        """faultCode of an XML-RPC fault answer, None if not a fault, 'bad' if not XML-RPC."""
        try:
            xmlrpc.client.loads(self.body)
        except xmlrpc.client.Fault as f:
            return f.faultCode
        except Exception:  # noqa: BLE001 - anything unparsable is the point
            return "bad"
        return None

    def value(self):
        return xmlrpc.client.loads(self.body)[0][0]

    def __repr__(self):
        return f"HTTP {self.status} {self.body[:300]!r}"


def parse_response(raw, head=False, decoded=False):
    """decoded: the body is already de-chunked (curl -i)."""
    while re.match(rb"HTTP/1\.[01] 1\d\d ", raw):  # interim answers (100 Continue)
        raw = raw.partition(b"\r\n\r\n")[2]
    hdr, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return Resp(None, {}, b"", raw)
    lines = hdr.split(b"\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", lines[0])
    status = int(m.group(1)) if m else None
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    if head:
        return Resp(status, headers, b"", raw)
    if headers.get("transfer-encoding", "").lower() == "chunked" and not decoded:
        body, p = b"", rest
        while p:
            size_line, _, p = p.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            body += p[:size]
            p = p[size + 2:]
        return Resp(status, headers, body, raw)
    if "content-length" in headers:
        rest = rest[:int(headers["content-length"])]
    return Resp(status, headers, rest, raw)


class Curl:
    """A case sent with curl(1) instead of the raw socket: a real client's own framing."""

    def __init__(self, *args, body=None, user="admin"):
        self.args, self.body, self.user = args, body, user


class Raw:
    """HTTP/1.1 over TLS on a socket this test controls (ssl.MemoryBIO), so
    that the write side can be half-closed at the TCP level (a body shorter
    than its Content-Length is then seen as such at once, not after Apache's
    read timeout)."""

    def __init__(self, port, ca):
        self.port = port
        self.ctx = ssl.create_default_context(cafile=ca)

    def exchange(self, data, half_close=False, head=False, timeout=90):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = self.ctx.wrap_bio(inc, out, server_hostname="127.0.0.1")

        def flush():
            b = out.read()
            if b:
                sock.sendall(b)

        def fill():
            b = sock.recv(65536)
            if not b:
                inc.write_eof()
                return False
            inc.write(b)
            return True

        got = b""
        try:
            while True:
                try:
                    tls.do_handshake()
                    flush()
                    break
                except ssl.SSLWantReadError:
                    flush()
                    if not fill():
                        raise ConnectionError("EOF during handshake")
            view = memoryview(data)
            while view:
                n = tls.write(view[:16384])
                flush()
                view = view[n:]
            if half_close:
                sock.shutdown(socket.SHUT_WR)  # TCP FIN, no close_notify
            while True:
                try:
                    chunk = tls.read(65536)
                    if not chunk:
                        break
                    got += chunk
                except ssl.SSLWantReadError:
                    if not fill():
                        break
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                    break
                except ssl.SSLError:
                    break
        except (ConnectionResetError, BrokenPipeError):
            pass  # what was read so far is the answer
        finally:
            sock.close()
        return parse_response(got, head=head)


# ---- the state that must not change ----------------------------------------------------------

# the demo's ctd.conf sets neither: the defaults (apache/ctd.conf.example)
IDLE_S, LIFETIME_S = 300, 8 * 3600

BAD_LOG = ("Premature end of script headers", "End of script output before headers", "Segmentation",
           "AddressSanitizer", "UndefinedBehaviorSanitizer", "runtime error:", "core dumped", "stack smashing",
           "double free", "malloc(): ")


CT_KEYS = ("id", "l3proto", "l4proto", "orig_src", "orig_dst", "orig_sport", "orig_dport", "orig_icmp_type",
           "orig_icmp_code", "orig_icmp_id", "repl_src", "repl_dst", "repl_sport", "repl_dport", "mark", "zone",
           "orig_zone")


def ct_state(ns):
    """ids, tuples, marks and zones of every entry (not the ticking timeouts, not counters)."""
    # a set: a netlink dump is not atomic, and while other namespaces grow or shrink the shared hash
    # table the kernel may report an entry twice
    return sorted({tuple(f.get(k) for k in CT_KEYS) for f in ns.list()})


# ICMP entries are looked up by type/code/id, which the XML listing does not show: the test's own
ICMP_GET = {"10.70.0.5": ("--icmp-type", "8", "--icmp-code", "0", "--icmp-id", "9")}


def ct_state_fast(ns, expect):
    """The table as ct_state() would list it, if it is `expect` (plus a ('count', n) marker when
    the entry count differs): `conntrack -C` and one `conntrack -G` by tuple per expected entry,
    hash lookups instead of a dump that walks the hash table every namespace shares (which costs
    seconds while other tests hold 100k entries).  None when an entry cannot be looked up so."""
    script = ["conntrack -C"]
    for e in expect:
        _, l3, l4, src, dst, sport, dport = e[:7]
        if e[15] or e[16]:
            return None  # conntrack -G takes no zone
        a = ["-s", src, "-d", dst, "-p", l4]
        if l4 in ("tcp", "udp"):
            a += ["--sport", str(sport), "--dport", str(dport)]
        elif src in ICMP_GET:
            a += list(ICMP_GET[src])
        else:
            return None
        script.append("echo @@; conntrack -G " + " ".join(a) + " -o xml,id 2>/dev/null")
    r = subprocess.run(["nsenter", f"--net=/run/netns/{ns.name}", "sh", "-c", "; ".join(script)],
                       capture_output=True, text=True, timeout=60)
    parts = r.stdout.split("@@\n")
    count = int(parts[0].strip() or -1)
    found = set()
    for part in parts[1:]:
        m = re.search(r"<flow>.*</flow>", part, re.S)
        if m:
            for f in parse_conntrack_xml("<conntrack>" + m.group(0) + "</conntrack>"):
                found.add(tuple(f.get(k) for k in CT_KEYS))
    got = sorted(found)
    return got if count == len(got) else got + [("count", count)]


class Hostile:
    """Sends one case, checks its answer, then checks that nothing else moved."""

    def __init__(self, t, d, ns, raw):
        self.t, self.d, self.ns, self.raw = t, d, ns, raw
        self.n_cases = self.n_checks = 0
        self.logs = [d.error_log, os.path.join(os.path.dirname(d.error_log), "ctd-error.log")]
        self.log_pos = {p: self._size(p) for p in self.logs}
        self.table = ct_state(ns)
        self.rebase()

    @staticmethod
    def _size(p):
        try:
            return os.path.getsize(p)
        except OSError:
            return 0

    def sessions(self):
        return self.d.sql("SELECT token_hash, user, bound FROM sessions ORDER BY id")

    def audit(self):
        return self.d.sql("SELECT id, user, method, conn_id, tuple, detail, result FROM audit ORDER BY id")

    def times(self):
        return {h: (c, u) for h, c, u in self.d.sql("SELECT token_hash, created, last_used FROM sessions")}

    def rebase(self):
        self.sess, self.aud, self.sess_times = self.sessions(), self.audit(), self.times()

    def access_lines(self):
        try:
            with open(self.d.access_log, "rb") as f:
                return f.read().splitlines()
        except OSError:
            return []

    def http(self, method="POST", body=b"", user="admin", ctype="text/xml", length=None, extra=(), path="/RPC2",
             version="HTTP/1.1", host=True):
        """The bytes of one request; length False = no Content-Length header."""
        h = [f"{method} {path} {version}"] + (["Host: 127.0.0.1"] if host else []) + ["Connection: close"]
        if user:
            pw = self.d.password(user) if user in ("admin", "viewer") else "wrong-password"
            h.append("Authorization: Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode())
        if ctype is not None:
            h.append("Content-Type: " + ctype)
        if length is not False:
            h.append(f"Content-Length: {len(body) if length is None else length}")
        h += list(extra)
        return ("\r\n".join(h) + "\r\n\r\n").encode("latin-1") + body

    def send(self, data, half_close=False, head=False):
        if isinstance(data, Curl):
            _, out = self.d.curl("-i", *data.args, body=data.body, user=data.user)
            return parse_response(out, head=head, decoded=True)
        return self.raw.exchange(data, half_close=half_close, head=head)

    def case(self, desc, data, http=200, fault=None, ok=None, cgi=None, half_close=False, head=False,
             new_sessions=(), gone_sessions=(), audit_rows=0, audit_check=None, table_changes=None):
        """http: expected status (None: connection closed without an answer).
        fault: for 200, the exact faultCode (None = a normal answer, checked by ok(value) if given).
        cgi: True/False = the access log must show that the CGI ran / did not run.
        new_sessions: (user, bound) rows this case creates; gone_sessions: tokens of rows it must
        remove (expired ones purged by a login).  audit_rows: rows it must add."""
        self.n_cases += 1
        t = self.t
        nacc = len(self.access_lines())
        t0 = time.monotonic()
        r = self.send(data, half_close=half_close, head=head)
        secs = self.last_secs = time.monotonic() - t0
        if http == 200:
            got = r.fault() if r.status == 200 else f"HTTP {r.status}"
            if fault is None:
                good = r.status == 200 and got is None
                if good and ok is not None:
                    try:
                        good = bool(ok(r.value()))
                    except Exception as e:  # noqa: BLE001 - a wrong answer shape is a failure
                        good = False
                        r.body += f" [check raised {e!r}]".encode()
                t.ok(f"{desc}: HTTP 200, a normal answer ({secs:.2f} s)", good, repr(r))
            else:
                t.ok(f"{desc}: HTTP 200, fault {fault} ({secs:.2f} s)", got == fault, f"got {got}: {r!r}")
            # a session id in a cached answer would outlive the session's owner at a proxy
            t.ok(f"{desc}: answer is XML-RPC over text/xml, Cache-Control: no-store",
                 r.status == 200 and r.fault() != "bad" and r.headers.get("content-type", "").startswith("text/xml")
                 and r.headers.get("cache-control") == "no-store", f"{r.headers} {r!r}")
        else:
            # an HTTP error is never dressed as XML-RPC, and never 200
            t.ok(f"{desc}: HTTP {http} ({secs:.2f} s)", r.status == http and (r.status is None or
                                                                           b"methodResponse" not in r.body),
                 repr(r))
        if cgi is not None:
            line = b""
            for _ in range(100):  # the access log line is written as the connection ends
                lines = self.access_lines()
                if len(lines) > nacc:
                    line = lines[-1]
                    break
                time.sleep(0.02)
            ran = line.endswith(b"cgi=CGI/1.1")
            t.ok(f"{desc}: {'the CGI ran' if cgi else 'Apache answered, no CGI process'}", line and ran == cgi,
                 line.decode(errors="replace"))
        self.after(desc, new_sessions, gone_sessions, audit_rows, audit_check, table_changes)
        return r

    def after(self, desc, new_sessions=(), gone_sessions=(), audit_rows=0, audit_check=None, table_changes=None):
        t = self.t
        want_table = self.table if table_changes is None else table_changes(self.table)
        self.n_checks += 1
        # every 25th check (and whenever lookups cannot say) lists the whole table
        table = None if self.n_checks % 25 == 0 else ct_state_fast(self.ns, want_table)
        how = "by count and tuple lookups"
        if table is None:
            how = "by a full dump"
            for _ in range(3):  # a dump may, rarely, skip an entry: a difference must survive a second one
                table = ct_state(self.ns)
                if table == want_table:
                    break
                time.sleep(0.2)
        t.ok(f"{desc}: conntrack table unchanged (ids, tuples, marks; {how})" if table_changes is None else
             f"{desc}: conntrack table changed exactly as expected ({how})", table == want_table,
             f"before {want_table} after {table}")
        if table != want_table:
            table = ct_state(self.ns)
        self.table = table
        sess = self.sessions()
        gone = {hashlib.sha256(g.encode()).digest() for g in gone_sessions}
        # rows already expired may be purged by any call that logs in or dumps (expired rows are
        # purged opportunistically, cgi/session.c); every other row must stay exactly as it was
        now = time.time()
        expired = {h for h, (c, u) in self.sess_times.items() if now - u > IDLE_S or now - c > LIFETIME_S}
        before, after = set(self.sess), set(sess)
        missing = {x[0] for x in before - after}
        new = [x for x in sess if x not in before]
        t.ok(f"{desc}: sessions unchanged" + (f" but {len(new_sessions)} new {sorted(set(new_sessions))}"
                                              if new_sessions else "") +
             (f" and {len(gone)} expired one(s) purged" if gone else ""),
             gone <= missing and missing <= gone | expired and
             sorted((u, b) for _, u, b in new) == sorted(new_sessions),
             f"before {[(u, b) for _, u, b in self.sess]} after {[(u, b) for _, u, b in sess]}")
        if missing - gone:
            print(f"# {len(missing - gone)} expired session(s) purged in passing", flush=True)
        self.sess_times = self.times()
        aud = self.audit()
        added = aud[len(self.aud):]
        good = aud[:len(self.aud)] == self.aud and len(added) == audit_rows
        if good and audit_check:
            good = audit_check(added)
        t.ok(f"{desc}: audit log unchanged" + (f" but for {audit_rows} new rows, checked" if audit_rows else ""),
             good, f"added {added}")
        self.sess, self.aud = sess, aud
        t.eq(f"{desc}: PRAGMA integrity_check", [("ok",)], self.d.sql("PRAGMA integrity_check"))
        bad = []
        for p in self.logs:
            try:
                with open(p, "rb") as f:
                    f.seek(self.log_pos[p])
                    chunk = f.read()
            except OSError:
                chunk = b""
            self.log_pos[p] += len(chunk)
            bad += [ln for ln in chunk.decode(errors="replace").splitlines() if any(b in ln for b in BAD_LOG)]
        t.ok(f"{desc}: no crash or sanitizer report in Apache's error logs", not bad, "; ".join(bad)[:600])


def xml_call(method, *params):
    return xmlrpc.client.dumps(tuple(params), method).encode()


def raw_call(method, params_xml, decl=b'<?xml version="1.0"?>'):
    """A methodCall with hand-written <param> contents (bytes each)."""
    return decl + b"<methodCall><methodName>" + method + b"</methodName><params>" + \
        b"".join(b"<param>" + p + b"</param>" for p in params_xml) + b"</params></methodCall>"


def s(text):
    return b"<value><string>" + text + b"</string></value>"


# ---- the helper's whitelist, from the web user's side ------------------------------------------

# Run as the web user inside the namespace: one socketpair conversation per
# frame with the installed setuid helper; prints [exit code, answer hex] each.
SPAWN = r"""
import json, os, socket, sys
helper = sys.argv[1]
out = []
for data in json.loads(sys.stdin.read()):
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        os.dup2(b.fileno(), 3)
        nul = os.open("/dev/null", os.O_RDWR)
        os.dup2(nul, 0); os.dup2(nul, 1); os.dup2(nul, 2)
        os.closerange(4, 4096)
        os.execve(helper, ["ctd-helper"], {})
        os._exit(127)
    b.close()
    try:
        a.sendall(bytes.fromhex(data))
        a.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    ans = b""
    while True:
        try:
            x = a.recv(65536)
        except OSError:
            break
        if not x:
            break
        ans += x
    a.close()
    _, st = os.waitpid(pid, 0)
    out.append([os.waitstatus_to_exitcode(st), ans.hex()])
print(json.dumps(out))
"""

def target(flow):
    """struct ctd_target for a conntrack -L flow (destroy: value and mask 0)."""
    fam = 10 if ":" in flow["orig_src"] else 2

    def pack(a):
        return socket.inet_pton(socket.AF_INET6 if fam == 10 else socket.AF_INET, a).ljust(16, b"\0")

    l4 = {"tcp": 6, "udp": 17}[flow["l4proto"]]
    # ... then orig_zone, reply_zone, zflags, pad: no directional zone
    b = struct.pack("<IHBB16s16sHHBBHIIHHB3x", flow["id"], flow.get("zone", 0) or 0, fam, l4,
                    pack(flow["orig_src"]), pack(flow["orig_dst"]), flow["orig_sport"], flow["orig_dport"],
                    0, 0, 0, 0, 0, 0, 0, 0)
    assert len(b) == proto().size["target"], "struct ctd_target changed: follow include/ctd_proto.h"
    return b


def helper_frames(ns, helper, frames):
    r = ns.run("setpriv", "--reuid=33", "--regid=33", "--init-groups", "python3", "-c", SPAWN, helper,
               input=json.dumps([f.hex() for f in frames]), check=False, timeout=600)
    try:
        return [(rc, bytes.fromhex(a)) for rc, a in json.loads(r.stdout)]
    except ValueError:
        return [(None, r.stderr.encode())] * len(frames)


def as_web_user_sql(db, sql, *args):
    """Writes to the demo's database as the web user (root would leave root-owned -wal/-shm files
    the CGI cannot open)."""
    prog = "import sqlite3, sys, json; c = sqlite3.connect(sys.argv[1], timeout=30); " \
           "c.execute(sys.argv[2], json.loads(sys.argv[3])); c.commit()"
    return subprocess.run(["setpriv", "--reuid=33", "--regid=33", "--clear-groups", "python3", "-c", prog, db, sql,
                           json.dumps(list(args))], capture_output=True, text=True, timeout=60)


# ---- the cases -------------------------------------------------------------------------------------

# ctd's methods: the lines of its method table (cgi/rpc.c methods[]), each
# documented there with its help text; and the introspection it keeps
DOCUMENTED = set(re.findall(r'^\s*\{"([a-z_]+)", [a-z_]+, CTD_ROLE_',
                            open(os.path.join(TOP, "cgi", "rpc.c")).read(), re.M)) | {
    "system.listMethods", "system.methodHelp", "system.methodSignature", "system.multicall"}
# xmlrpc-c registers these itself: read-only introspection, and system.shutdown, which the
# preinvoke hook refuses (fault 4) for every caller.
LIBRARY = {"system.methodExist", "system.capabilities", "system.getCapabilities", "system.shutdown"}


def main():
    t = T()
    need_root(t)
    if not os.access("/usr/sbin/apache2", os.X_OK):
        t.skip("test-hostile-http", "apache2 missing: run make deps")
        t.done()
    from ctddemo import Demo, InNetns

    # The ASan+UBSan build of ctd.cgi replaces the demo's (same path, so Apache runs it): a memory
    # error then ends up in Apache's error log, which is checked after every request.
    san_cgi = os.path.join(SAN_BUILD, "ctd.cgi")
    use_san = os.access(san_cgi, os.X_OK) and os.environ.get("CTD_HOSTILE_SAN", "1") != "0"
    extra = tempfile.NamedTemporaryFile("w", prefix="ctd-hostile-", suffix=".conf", dir="/var/tmp", delete=False)
    extra.write("<Location /RPC2>\n\tSetEnv ASAN_OPTIONS abort_on_error=1:detect_leaks=0\n"
                "\tSetEnv UBSAN_OPTIONS print_stacktrace=1:halt_on_error=1\n</Location>\n")
    extra.close()
    os.chmod(extra.name, 0o644)
    try:
        # the ASan+UBSan ctd.cgi reserves terabytes of address space: lift the site's RLimitMEM
        lift = {"DEMO_RLIMIT_MEM": "max"} if use_san else {}
        with Netns(track=False) as ns, Demo(ns, mode="setuid", log_name="test-hostile-http-demo",
                                            DEMO_EXTRA_CONF=extra.name, **lift) as d, InNetns(ns.name):
            if use_san:
                tmp = d.cgi + ".san"
                shutil.copy(san_cgi, tmp)
                os.chmod(tmp, 0o755)
                os.replace(tmp, d.cgi)
                t.ok("the demo runs the ASan+UBSan build of ctd.cgi", b"__asan_init" in open(d.cgi, "rb").read())
            else:
                t.skip("ASan+UBSan ctd.cgi", f"{san_cgi} not built (make san): the demo's own build answers")
            run_cases(t, ns, d)
    finally:
        os.unlink(extra.name)
    t.done()


def run_cases(t, ns, d):
    for a in (("-s", "10.70.0.1", "-d", "10.70.0.2", "-p", "tcp", "--sport", "1234", "--dport", "80",
               "--state", "ESTABLISHED", "--mark", "5"),
              ("-s", "10.70.0.3", "-d", "10.70.0.4", "-p", "udp", "--sport", "53", "--dport", "5353",
               "--mark", "7"),
              ("-s", "2001:db8::1", "-d", "2001:db8::2", "-p", "tcp", "--sport", "4000", "--dport", "443",
               "--state", "ESTABLISHED", "--mark", "2147483649"),
              ("-s", "2001:db8::3", "-d", "2001:db8::4", "-p", "udp", "--sport", "5000", "--dport", "53"),
              ("-s", "10.70.0.5", "-d", "10.70.0.6", "-p", "icmp", "--icmp-type", "8", "--icmp-code", "0",
               "--icmp-id", "9", "--mark", "1"),
              # hidden by default (hide_networks 127.0.0.0/8): no request may see or touch it
              ("-s", "127.0.0.1", "-d", "127.0.0.2", "-p", "tcp", "--sport", "7000", "--dport", "22",
               "--state", "ESTABLISHED", "--mark", "3")):
        ns.ct("-I", *a, "--timeout", "3600")
    raw = Raw(d.port, d.ca)
    t.eq("test table: 6 entries (TCP, UDP, IPv6 TCP, IPv6 UDP, ICMP, hidden 127.0.0.1), with marks",
         6, len(ct_state(ns)))
    hidden = str({f["orig_src"]: f for f in ns.list()}["127.0.0.1"]["id"])

    def rpc(method, *params, user="admin"):
        pw = d.password(user)
        req = (f"POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Basic "
               f"{base64.b64encode(f'{user}:{pw}'.encode()).decode()}\r\nContent-Type: text/xml\r\n")
        body = xml_call(method, *params)
        return raw.exchange(req.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body).value()

    sid = rpc("login")
    vsid = rpc("login", user="viewer")
    rows = rpc("view", sid)["table"]
    rpc("view", vsid, user="viewer")
    ids = {(r.get("orig_ipv4_src") or r.get("orig_ipv6_src")): r["id"] for r in rows}
    tcp4, udp4, icmp4 = ids["10.70.0.1"], ids["10.70.0.3"], ids["10.70.0.5"]
    t.eq("admin's first view sees the 5 entries", 5, len(rows))
    H = Hostile(t, d, ns, raw)
    t.eq("set-up: two sessions (admin, viewer), both bound to REMOTE_USER",
         [("admin", 1), ("viewer", 1)], [(u, b) for _, u, b in H.sessions()])
    C = H.case
    P = H.http
    sidb = sid.encode()

    # ---- HTTP framing and methods: Apache answers, no CGI process -----------------------------
    w = xml_call("whoami", sid)
    C("GET", P("GET", w), http=405, cgi=False)
    C("HEAD", P("HEAD", w), http=405, cgi=False, head=True)
    C("OPTIONS", P("OPTIONS", w), http=405, cgi=False)
    C("TRACE (TraceEnable off)", P("TRACE", w), http=405, cgi=False)
    C("PUT with X-HTTP-Method-Override: POST", P("PUT", w, extra=["X-HTTP-Method-Override: POST"]), http=405,
      cgi=False)
    C("POST with X-HTTP-Method-Override: DELETE / X-Method-Override: PUT (ignored, an ordinary call)",
      P(body=w, extra=["X-HTTP-Method-Override: DELETE", "X-Method-Override: PUT"]),
      ok=lambda v: v["user"] == "admin", cgi=True)
    C("no credentials", P(body=w, user=None), http=401, cgi=False)
    C("wrong password", P(body=w, user="nobody"), http=401, cgi=False)
    C("Authorization: Basic with invalid base64",
      P(body=w, user=None, extra=["Authorization: Basic !!!!"]), http=401, cgi=False)
    C("Authorization: Basic admin with an empty password",
      P(body=w, user=None, extra=["Authorization: Basic " + base64.b64encode(b"admin:").decode()]),
      http=401, cgi=False)
    C("Authorization: Basic with SQL in the user name",
      P(body=w, user=None, extra=["Authorization: Basic " + base64.b64encode(b"admin' OR '1'='1:x").decode()]),
      http=401, cgi=False)
    C("Content-Type application/json", P(body=w, ctype="application/json"), http=415, cgi=False)
    C("no Content-Type", P(body=w, ctype=None), http=415, cgi=False)
    C("Content-Type text/xmlfoo", P(body=w, ctype="text/xmlfoo"), http=415, cgi=False)
    C("Content-Type 'text/xml, application/json'", P(body=w, ctype="text/xml, application/json"), http=415,
      cgi=False)
    C("Content-Type text/xml with odd parameters (charset quoted, boundary, q)",
      P(body=w, ctype='text/xml; charset="utf-8"; boundary=--x; q=0.1'), ok=lambda v: v["user"] == "admin",
      cgi=True)
    C("Content-Type TEXT/XML (case)", P(body=w, ctype="TEXT/XML"), ok=lambda v: v["user"] == "admin", cgi=True)
    C("Transfer-Encoding: chunked, no Content-Length",
      P(body=b"%x\r\n" % len(w) + w + b"\r\n0\r\n\r\n", length=False, extra=["Transfer-Encoding: chunked"]),
      http=411, cgi=False)
    C("Transfer-Encoding: chunked and a Content-Length (smuggling)",
      P(body=b"%x\r\n" % len(w) + w + b"\r\n0\r\n\r\n", extra=["Transfer-Encoding: chunked"]), http=411,
      cgi=False)
    C("two different Content-Length headers", P(body=w, extra=["Content-Length: 5"]), http=400, cgi=False)
    C("Content-Length shorter than the body (the rest is cut off)", P(body=w, length=len(w) - 20), fault=-503,
      cgi=True)
    C("Content-Length longer than the body, then EOF", P(body=w, length=len(w) + 100), http=400, half_close=True,
      cgi=True)
    C("Content-Length -5", P(body=w, length=-5), http=400, half_close=True, cgi=False)
    C("Content-Length +10", P(body=w, length="+10"), http=400, half_close=True, cgi=False)
    C("Content-Length abc", P(body=w, length="abc"), http=400, half_close=True, cgi=False)
    C("Content-Length 1048577 announced", P(body=w, length=1048577), http=413, half_close=True, cgi=False)
    C("Content-Length 0001048577 (leading zeros)", P(body=w, length="0001048577"), http=413, half_close=True,
      cgi=False)
    C("Content-Length 10^23", P(body=w, length="1" + "0" * 23), http=400, half_close=True, cgi=False)
    C("header field of 10 kB", P(body=w, extra=["X-Big: " + "a" * 10000]), http=400, cgi=False)
    C("200 header fields", P(body=w, extra=[f"X-H{i}: 1" for i in range(200)]), http=400, cgi=False)
    C("NUL byte in a header value", P(body=w, extra=["X-Nul: a\0b"]), http=400, cgi=False)
    C("NUL byte in the Content-Type", P(body=w, ctype="text/xml\0; x"), http=400, cgi=False)
    C("bare LF line ends", P(body=w).replace(b"\r\n", b"\n", 7), http=400, cgi=False)
    C("request-URI of 10 kB", P(body=w, path="/RPC2?" + "a" * 10000), http=414, cgi=False)
    C("/RPC2/../../etc/passwd", P(body=w, path="/RPC2/../../etc/passwd"), http=400, cgi=False)
    C("/RPC2/extra (PATH_INFO)", P(body=w, path="/RPC2/extra"), http=403, cgi=False)
    C("HTTP/0.9 request line: connection closed, nothing answered", b"GET /RPC2\r\n\r\n", http=None)
    C("HTTP/1.1 without Host", P(body=w, host=False), http=400, cgi=False)
    C("method 'post' (lower case)", P("post", w), http=405, cgi=False)
    C("Expect: 100-continue (answered after 100 Continue)", P(body=w, extra=["Expect: 100-continue"]),
      ok=lambda v: v["user"] == "admin", cgi=True)
    C("Expect: something-else", P(body=w, extra=["Expect: something-else"]), http=417, cgi=False)
    C("absolute URI naming another host (served as ours, same checks)",
      P(body=w, path="http://evil.example/RPC2"), ok=lambda v: v["user"] == "admin", cgi=True)
    C("query string CTD_CONFIG=/etc/passwd (the configuration comes from SetEnv only)",
      P(body=w, path="/RPC2?CTD_CONFIG=/etc/passwd"), ok=lambda v: v["user"] == "admin", cgi=True)
    gz = gzip.compress(w, mtime=0)
    C("Content-Encoding: gzip body (binary, NUL bytes)", P(body=gz, extra=["Content-Encoding: gzip"]), http=400,
      cgi=True)
    # every spelling of the path that reaches ctd.cgi still needs credentials
    for path, code in (("//RPC2", 401), ("/%52PC2", 401), ("/./RPC2", 401), ("/ctd/../RPC2", 401),
                       ("/ctd/%2e%2e/RPC2", 401), ("/rpc2", 403), ("/RPC2;x", 403), ("/RPC2/", 403),
                       ("/RPC2%20", 403), ("/RPC2.", 403), ("/RPC2%00", 404), ("/RPC2%2f", 404)):
        C(f"path {path} without credentials", P(body=w, user=None, path=path), http=code, cgi=False)
    C("path /%52PC2 with credentials (the same endpoint)", P(body=w, path="/%52PC2"),
      ok=lambda v: v["user"] == "admin", cgi=True)
    C("TLS-looking garbage as the request line", b"\x16\x03\x01 hello\r\n\r\n", http=400, cgi=False)

    # two requests on one connection: the second, without credentials, is judged on its own
    H.n_cases += 1
    first = P(body=w).replace(b"Connection: close", b"Connection: keep-alive")
    r = H.send(first + P(body=xml_call("kill", sid, [tcp4]), user=None))
    at = r.raw.find(b"\r\nHTTP/1.1 ", r.raw.index(b"\r\n\r\n"))
    second = parse_response(r.raw[at + 2:] if at > 0 else b"")
    t.ok("pipelined: an authenticated whoami, then a kill without credentials -> 200, then 401",
         r.status == 200 and r.fault() is None and second.status == 401, f"{r!r} / {second!r}")
    H.after("pipelined requests")

    # ---- the same through curl, a real client ---------------------------------------------------------
    X = ("-H", "Content-Type: text/xml")
    C("curl: a normal whoami (control)", Curl(*X, body=w), ok=lambda v: v["user"] == "admin", cgi=True)
    C("curl: chunked upload", Curl(*X, "-H", "Transfer-Encoding: chunked", body=w), http=411, cgi=False)
    C("curl -X OPTIONS", Curl("-X", "OPTIONS"), http=405, cgi=False)
    C("curl -X DELETE with a body", Curl(*X, "-X", "DELETE", body=w), http=405, cgi=False)
    C("curl: form post (a cross-site form's content type)", Curl("--data", "a=b"), http=415, cgi=False)
    C("curl: multipart form post", Curl("-F", "f=@/etc/hostname"), http=415, cgi=False)
    C("curl: --digest instead of Basic", Curl(*X, "--digest", body=w), http=401, cgi=False)

    # ---- header tricks: identity comes from Apache's authentication only ---------------------------
    C("client-sent REMOTE_USER / Remote-User / X-Remote-User: admin with the viewer's credentials "
      "and the admin's session", P(body=w, user="viewer", extra=["REMOTE_USER: admin", "Remote-User: admin",
                                                                  "X-Remote-User: admin"]), fault=2, cgi=True)
    C("Remote-User: admin without credentials", P(body=w, user=None, extra=["Remote-User: admin"]), http=401,
      cgi=False)
    C("Cookie-Auth: admin and a session cookie, no credentials",
      P(body=w, user=None, extra=["Cookie-Auth: admin", f"Cookie: ctd_session={sid}"]), http=401, cgi=False)
    r = C("login with the viewer's credentials and Remote-User/X-Forwarded-User: admin",
          P(body=xml_call("login"), user="viewer", extra=["Remote-User: admin", "X-Forwarded-User: admin"]),
          ok=lambda v: len(v) == 64, cgi=True, new_sessions=[("viewer", 1)])
    C("the session that login made belongs to viewer (whoami under viewer)",
      P(body=xml_call("whoami", r.value()), user="viewer"), ok=lambda v: v == {"user": "viewer", "role": "viewer"})
    C("X-Forwarded-For: 1.2.3.4 (ignored)", P(body=w, extra=["X-Forwarded-For: 1.2.3.4"]),
      ok=lambda v: v["user"] == "admin", cgi=True)
    C("Proxy: http://10.9.9.9:3128/ (httpoxy, header removed)", P(body=w, extra=["Proxy: http://10.9.9.9:3128/"]),
      ok=lambda v: v["user"] == "admin", cgi=True)
    C("Authorization of viewer with admin's session", P(body=w, user="viewer"), fault=2, cgi=True)
    C("Authorization of admin with viewer's session", P(body=xml_call("whoami", vsid)), fault=2)
    C("admin's session, viewer's credentials, kill", P(body=xml_call("kill", sid, [tcp4]), user="viewer"), fault=2)
    C("CTD_CONFIG: /etc/passwd as a header (reaches the CGI only as HTTP_CTD_CONFIG)",
      P(body=w, extra=["CTD_CONFIG: /etc/passwd", "Ctd-Config: /etc/passwd"]),
      ok=lambda v: v["user"] == "admin", cgi=True)

    # ---- malformed XML ------------------------------------------------------------------------------
    C("empty body", P(body=b""), fault=-503)
    C("not XML at all", P(body=b"hello, this is not XML"), fault=-503)
    C("truncated XML", P(body=w[:60]), fault=-503)
    C("mismatched tags", P(body=b"<?xml version='1.0'?><methodCall><methodName>view</methodName><params>"
                                b"</methodCall>"), fault=-503)
    C("XML, but not a methodCall", P(body=b"<?xml version='1.0'?><foo><bar/></foo>"), fault=-503)
    C("methodCall without methodName", P(body=b"<?xml version='1.0'?><methodCall><params/></methodCall>"),
      fault=-503)
    C("two root elements", P(body=xml_call("login") + b"<methodCall/>"), fault=-503)
    C("unknown value type <foo>", P(body=raw_call(b"whoami", [b"<value><foo>1</foo></value>"])), fault=-503)
    C("<i4> out of range", P(body=raw_call(b"whoami", [b"<value><i4>99999999999</i4></value>"])), fault=-503)
    C("binary garbage", P(body=bytes(range(1, 256)) * 40), fault=-503)
    C("namespaced <x:methodCall>", P(body=b"<?xml version='1.0'?><x:methodCall xmlns:x='urn:x'><x:methodName>"
                                           b"whoami</x:methodName></x:methodCall>"), fault=-503)
    C("<dateTime.iso8601> garbage as the session", P(body=raw_call(b"whoami", [
        b"<value><dateTime.iso8601>garbage</dateTime.iso8601></value>"])), fault=-503)
    C("<double>1e400</double> as start", P(body=raw_call(b"view", [s(sidb), b"<value><struct/></value>", s(b"id"),
                                                                  s(b"a"), b"<value><double>1e400</double></value>"])),
      fault=-503)
    for v in (b"nan", b"inf", b"-inf"):
        C(f"<double>{v.decode()}</double> as start", P(body=raw_call(b"view", [
            s(sidb), b"<value><struct/></value>", s(b"id"), s(b"a"), b"<value><double>" + v + b"</double></value>"])),
          fault=3)
    # xmlrpc-c keeps the last of two members with one name: the value checked is the one used
    C("duplicate filter member, the last one bad", P(body=raw_call(b"view", [s(sidb), (
        b"<value><struct><member><name>mark</name><value><i4>5</i4></value></member><member><name>mark</name>"
        b"<value><string>x</string></value></member></struct></value>")])), fault=3)
    C("duplicate filter member, the last one good", P(body=raw_call(b"view", [s(sidb), (
        b"<value><struct><member><name>mark</name><value><string>x</string></value></member><member><name>mark"
        b"</name><value><i4>5</i4></value></member></struct></value>")])),
      ok=lambda v: v["total"] == 1 and v["table"][0]["mark"] == 5)
    C("US-ASCII declared, 8-bit byte in a string", P(body=raw_call(b"view", [s(sidb), b"<value><struct/></value>",
                                                                         s(b"id\xe9")],
                                                                decl=b"<?xml version='1.0' encoding='US-ASCII'?>")),
      fault=-503)
    # a UTF-8 byte order mark is legal XML, but this xmlrpc-c does not accept it: a clean library
    # fault (no client we know sends one)
    C("UTF-8 byte order mark before <?xml", P(body=b"\xef\xbb\xbf" + w), fault=-503)
    C("comment and processing instruction before the call (legal XML: answered)",
      P(body=b"<?xml version='1.0'?><!-- hi --><?foo bar?>" + w.split(b"?>", 1)[1]),
      ok=lambda v: v["user"] == "admin")
    C("session in CDATA (legal XML: answered)", P(body=raw_call(b"whoami", [
        b"<value><string><![CDATA[" + sidb + b"]]></string></value>"])), ok=lambda v: v["user"] == "admin")
    C("900 kB method name", P(body=raw_call(b"x" * (900 * 1024), [s(sidb)])), fault=-506)
    C("unknown method", P(body=xml_call("no.such.method", sid)), fault=-506)
    C("method named after an internal function (hc_dump)", P(body=xml_call("hc_dump", sid)), fault=-506)
    C("method name with SQL", P(body=xml_call("view'; DROP TABLE audit;--", sid)), fault=-506)

    # ---- DTDs and entities: refused by the CGI before parsing -----------------------------------
    lol = b"<?xml version='1.0'?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n" + b"".join(
        b"<!ENTITY lol%d \"" % i + (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10 + b"\">\n"
        for i in range(1, 10)) + b"]>\n" + raw_call(b"login", [s(b"&lol9;")], decl=b"")
    r = C("billion laughs", P(body=lol), http=400, cgi=True)
    t.ok(f"billion laughs: refused in {H.last_secs:.2f} s (< 5 s; expanded it costs ~40 s)", H.last_secs < 5)
    C("external entity file:///etc/passwd (XXE)",
      P(body=b"<?xml version='1.0'?><!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" +
        raw_call(b"view", [s(b"&x;")], decl=b"")), http=400, cgi=True)
    C("lower-case <!doctype>", P(body=b"<?xml version='1.0'?><!doctype methodCall>" +
                                   xml_call("login").split(b"?>", 1)[1]), http=400)
    C("<!ENTITY> without a DOCTYPE", P(body=xml_call("login").replace(b"<methodCall>",
                                                                      b"<!ENTITY x 'y'><methodCall>")), http=400)
    C("UTF-16 body (NUL bytes, could hide a DOCTYPE from a byte scan)",
      P(body=("\ufeff<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE x>" +
              xml_call("login").decode().split("?>", 1)[1]).encode("utf-16-le")), http=400)
    C("declared encoding UTF-7 with an encoded <!DOCTYPE",
      P(body=b"<?xml version='1.0' encoding='UTF-7'?>+ADw-!DOCTYPE x+AD4-" +
        xml_call("login").split(b"?>", 1)[1]), fault=-503)

    # ---- nesting ------------------------------------------------------------------------------------------
    def nest_arrays(n):
        return b"<value><array><data>" * n + b"<value><i4>1</i4></value>" + b"</data></array></value>" * n

    # the pre-parse scan refuses element nesting deeper than 64 (README, Security model); n arrays nest 3n + 5
    # elements here, so xmlrpc-c's own limit (32 values) is never reached through HTTP
    C("10,000 nested arrays", P(body=raw_call(b"view", [s(sidb), nest_arrays(10000)])), http=400, cgi=True)
    C("10,000 nested structs", P(body=raw_call(b"login", [
        b"<value><struct><member><name>a</name>" * 10000 + b"<value><i4>1</i4></value>" +
        b"</member></struct></value>" * 10000])), http=400, cgi=True)
    C("20 nested arrays (65 elements)", P(body=raw_call(b"view", [s(sidb), nest_arrays(20)])), http=400)
    C("19 nested arrays as filters (62 elements, within the limit: fault 3)",
      P(body=raw_call(b"view", [s(sidb), nest_arrays(19)])), fault=3)

    # ---- huge strings and arrays ------------------------------------------------------------------
    big = "A" * (900 * 1024)
    C("900 kB order_by", P(body=xml_call("view", sid, {}, big)), fault=3)
    C("900 kB session id", P(body=xml_call("view", big)), fault=2)
    C("900 kB filter value", P(body=xml_call("view", sid, {"tcp_state": big})), fault=3)
    C("900 kB digit string as a kill id", P(body=xml_call("kill", sid, ["1" * (900 * 1024)])), fault=3)
    C("900 kB string in login's parameters (ignored under Apache auth)", P(body=xml_call("login", big, big[:1000])),
      ok=lambda v: len(v) == 64, new_sessions=[("admin", 1)])
    body = xml_call("view", sid, {}, "")
    body = xml_call("view", sid, {}, "A" * (1048576 - 64 - len(body)))
    C(f"body of {len(body)} bytes (just under 1 MiB)", P(body=body), fault=3, cgi=True)
    body = xml_call("view", sid, {}, "A" * 1048576)
    C(f"body of {len(body)} bytes (just over 1 MiB)", P(body=body), http=413, cgi=False)
    C("kill with 10,001 ids", P(body=xml_call("kill", sid, [tcp4] * 10001)), fault=3)
    body = raw_call(b"kill", [s(sidb), b"<value><array><data>" + b"<value/>" * 100000 + b"</data></array></value>"])
    C(f"kill with a 100,000-element array ({len(body)} bytes)", P(body=body), fault=3)
    C("kill with 10,000 ids none in the snapshot", P(body=xml_call("kill", sid, [str(i) for i in range(1, 10001)])),
      fault=5)
    body = xml_call("view", sid, {f"f{i}": i for i in range(10000)})
    C(f"view with 10,000 filters ({len(body)} bytes)", P(body=body), fault=3)

    # ---- NUL bytes and character set ----------------------------------------------------------------
    C("NUL byte in the body", P(body=xml_call("login").replace(b"login", b"log\0in")), http=400, cgi=True)
    C("NUL byte in a string value", P(body=raw_call(b"view", [s(sidb[:10] + b"\0" + sidb[10:])])), http=400)
    C("&#0; in a string value", P(body=raw_call(b"view", [s(sidb), b"<value><struct><member><name>tcp_state"
                                                                  b"</name>" + s(b"EST&#0;") +
                                                                  b"</member></struct></value>"])), fault=-503)
    C("&#1; (not an XML character) in the session", P(body=raw_call(b"view", [s(sidb + b"&#1;")])), fault=-503)
    for name, bad in (("bare 0x80", b"\x80"), ("bare 0xff 0xfe", b"\xff\xfe"), ("overlong '/' (C0 AF)", b"\xc0\xaf"),
                      ("UTF-16 surrogate (ED A0 80)", b"\xed\xa0\x80"), ("5-byte sequence", b"\xf8\x88\x80\x80\x80"),
                      ("truncated 3-byte sequence", b"\xe2\x82")):
        C(f"invalid UTF-8: {name} in order_by",
          P(body=raw_call(b"view", [s(sidb), b"<value><struct/></value>", s(b"id" + bad)])), fault=-503)
    latin = b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>"
    r = C("iso-8859-1 declared, order_dir 'D\\xe9croissant' (as PHP sends it): descending view",
          P(body=raw_call(b"view", [s(sidb), b"<value><struct></struct></value>", s(b"id"), s(b"D\xe9croissant")],
                          decl=latin)),
          ok=lambda v: [x["id"] for x in v["table"]] == sorted((x["id"] for x in v["table"]), key=int,
                                                               reverse=True) and v["total"] == 5)
    r = C("iso-8859-1 declared, filter name 'caf\\xe9': fault 3",
          P(body=raw_call(b"view", [s(sidb), b"<value><struct><member><name>caf\xe9</name><value><i4>1</i4>"
                                             b"</value></member></struct></value>"], decl=latin)), fault=3)
    t.ok("iso-8859-1: the fault names the filter in UTF-8 ('caf\\xc3\\xa9')", "'café'" in
         xmlrpc_fault_string(r), xmlrpc_fault_string(r))

    # ---- forged and foreign sessions ----------------------------------------------------------------
    for name, tok in (("random 64 hex", "%064x" % random.getrandbits(256)), ("63 hex", sid[:-1]),
                      ("65 hex", sid + "0"), ("upper-case copy of a real one", sid.upper()), ("empty", ""),
                      ("leading blank", " " + sid), ("trailing newline", sid + "\n"),
                      ("SQL: ' OR 1=1 --", "' OR 1=1 --"), ("SQL: '; DROP TABLE audit;--", "'; DROP TABLE audit;--"),
                      ("SQL: \" OR 1=1", "\" OR 1=1"), ("LIKE wildcard %", "%"), ("LIKE wildcard _", "_" * 64),
                      ("backslash", "\\" * 64)):
        C(f"forged session ({name}): view", P(body=xml_call("view", tok)), fault=2)
    C("forged session in kill", P(body=xml_call("kill", "%064x" % random.getrandbits(256), [tcp4])), fault=2)
    C("forged session in change", P(body=xml_call("change", "0" * 64, "mark", tcp4, 9)), fault=2)
    C("forged session in logout", P(body=xml_call("logout", "f" * 64)), fault=2)

    # ---- wrong types for every parameter of every method ------------------------------------------------
    B = xmlrpc.client.Binary(b"\x01\x02")
    nil = b"<value><nil/></value>"
    wrong = [
        ("view: session int", ("view", 42), 2), ("view: session struct", ("view", {"s": sid}), 2),
        ("view: session array", ("view", [sid]), 2), ("view: session base64", ("view", B), 2),
        ("view: session boolean", ("view", True), 2), ("view: no parameters", ("view",), 2),
        ("view: filters int", ("view", sid, 5), 3), ("view: filters string", ("view", sid, "x"), 3),
        ("view: filters array of structs", ("view", sid, [{"mark": 1}]), 3),
        ("view: filters base64", ("view", sid, B), 3),
        ("view: filter mark as struct", ("view", sid, {"mark": {"a": 1}}), 3),
        ("view: filter orig_port_src as array", ("view", sid, {"orig_port_src": [1]}), 3),
        ("view: filter orig_ipv4_src 1.5", ("view", sid, {"orig_ipv4_src": 1.5}), 3),
        ("view: order_by int", ("view", sid, {}, 5), 3), ("view: order_by struct", ("view", sid, {}, {"a": 1}), 3),
        ("view: order_by boolean", ("view", sid, {}, False), 3),
        ("view: order_dir int", ("view", sid, {}, "id", 1), 3),
        ("view: order_dir array", ("view", sid, {}, "id", ["a"]), 3),
        ("view: start 'abc'", ("view", sid, {}, "id", "a", "abc"), 3),
        ("view: start 1.5", ("view", sid, {}, "id", "a", 1.5), 3),
        ("view: start struct", ("view", sid, {}, "id", "a", {"a": 1}), 3),
        ("view: start boolean", ("view", sid, {}, "id", "a", True), 3),
        ("view: start -1", ("view", sid, {}, "id", "a", -1), 3),
        ("view: start 1e300", ("view", sid, {}, "id", "a", 1e300), 3),
        ("view: length 'x'", ("view", sid, {}, "id", "a", 0, "x"), 3),
        ("view: length array", ("view", sid, {}, "id", "a", 0, [1]), 3),
        ("view: length base64", ("view", sid, {}, "id", "a", 0, B), 3),
        ("view: 7 parameters", ("view", sid, {}, "id", "a", 0, 10, 1), 3),
        ("kill: session int", ("kill", 1, [tcp4]), 2), ("kill: no ids", ("kill", sid), 3),
        ("kill: ids string", ("kill", sid, tcp4), 3), ("kill: ids int", ("kill", sid, 5), 3),
        ("kill: ids struct", ("kill", sid, {"id": tcp4}), 3),
        ("kill: ids [struct]", ("kill", sid, [{"id": tcp4}]), 3), ("kill: ids [array]", ("kill", sid, [[tcp4]]), 3),
        ("kill: ids [boolean]", ("kill", sid, [True]), 3), ("kill: ids [1.5]", ("kill", sid, [1.5]), 3),
        ("kill: ids [base64]", ("kill", sid, [B]), 3), ("kill: ids ['abc']", ("kill", sid, ["abc"]), 3),
        ("kill: ids ['99999999999'] (> u32)", ("kill", sid, ["99999999999"]), 3),
        ("kill: one good id and one struct", ("kill", sid, [tcp4, {"a": 1}]), 3),
        ("kill: 3 parameters", ("kill", sid, [tcp4], 1), 3),
        ("change: field int", ("change", sid, 1, tcp4, 5), 3),
        ("change: field struct", ("change", sid, {"a": 1}, tcp4, 5), 3),
        ("change: field 'Mark' (case)", ("change", sid, "Mark", tcp4, 5), 3),
        ("change: id struct", ("change", sid, "mark", {"a": 1}, 5), 3),
        ("change: id array", ("change", sid, "mark", [tcp4], 5), 3),
        ("change: id 1.5", ("change", sid, "mark", 1.5, 5), 3),
        ("change: id boolean", ("change", sid, "mark", True, 5), 3),
        ("change: value 'abc'", ("change", sid, "mark", tcp4, "abc"), 3),
        ("change: value struct", ("change", sid, "mark", tcp4, {}), 3),
        ("change: value array", ("change", sid, "mark", tcp4, [5]), 3),
        ("change: value 1.5", ("change", sid, "mark", tcp4, 1.5), 3),
        ("change: value boolean", ("change", sid, "mark", tcp4, True), 3),
        ("change: timeout value 2^32", ("change", sid, "timeout", tcp4, 2.0 ** 32), 3),
        ("change: missing value", ("change", sid, "mark", tcp4), 3),
        ("set_autorefresh: seconds 'x'", ("set_autorefresh", sid, "x"), 3),
        ("set_autorefresh: seconds struct", ("set_autorefresh", sid, {}), 3),
        ("set_autorefresh: seconds -1", ("set_autorefresh", sid, -1), 3),
        ("set_autorefresh: seconds 86401", ("set_autorefresh", sid, 86401), 3),
        ("set_autorefresh: seconds 1.5", ("set_autorefresh", sid, 1.5), 3),
        ("set_autorefresh: seconds boolean", ("set_autorefresh", sid, True), 3),
        ("set_autorefresh: no seconds", ("set_autorefresh", sid), 3),
        ("set_autorefresh: session int", ("set_autorefresh", 3, 0), 2),
        ("refresh: session int", ("refresh", 5), 2), ("refresh: session array", ("refresh", [sid]), 2),
        ("refresh: 2 parameters", ("refresh", sid, 1), 3),
        ("logout: session struct", ("logout", {"s": sid}), 2), ("logout: session double", ("logout", 1.5), 2),
        ("whoami: session array", ("whoami", [sid]), 2), ("whoami: no parameters", ("whoami",), 2),
        ("kill_preview: session int", ("kill_preview", 1, {"orig_l4proto": 6}), 2),
        ("kill_preview: no filters", ("kill_preview", sid), 3),
        ("kill_preview: filters {} (no kill everything)", ("kill_preview", sid, {}), 3),
        ("kill_preview: filters [] (PHP's empty array)", ("kill_preview", sid, []), 3),
        ("kill_preview: filters int", ("kill_preview", sid, 5), 3),
        ("kill_preview: filters base64", ("kill_preview", sid, B), 3),
        ("kill_preview: filter orig_ipv4_src 1.5", ("kill_preview", sid, {"orig_ipv4_src": 1.5}), 3),
        ("kill_preview: filter orig_port_dst 65536", ("kill_preview", sid, {"orig_port_dst": 65536}), 3),
        ("kill_preview: filter tcp_state 'NOPE'", ("kill_preview", sid, {"tcp_state": "NOPE"}), 3),
        ("kill_preview: unknown filter", ("kill_preview", sid, {"nope": 1}), 3),
        ("kill_preview: 3 parameters", ("kill_preview", sid, {"orig_l4proto": 6}, 1), 3),
        ("kill_matching: session int", ("kill_matching", 1, "0" * 64), 2),
        ("kill_matching: no token", ("kill_matching", sid), 3),
        ("kill_matching: token int", ("kill_matching", sid, 5), 3),
        ("kill_matching: token struct", ("kill_matching", sid, {"t": 1}), 3),
        ("kill_matching: token base64", ("kill_matching", sid, B), 3),
        ("kill_matching: a forged token", ("kill_matching", sid, "%064x" % random.getrandbits(256)), 3),
        ("kill_matching: 3 parameters", ("kill_matching", sid, "0" * 64, 1), 3),
        ("audit: session int", ("audit", 1, {}), 2), ("audit: filters int", ("audit", sid, 5), 3),
        ("audit: unknown filter", ("audit", sid, {"nope": 1}), 3),
        ("audit: since 'x'", ("audit", sid, {"since": "x"}), 3),
        ("audit: result 'ok'", ("audit", sid, {"result": "ok"}), 3),
        ("audit: start -1", ("audit", sid, {}, -1), 3), ("audit: 5 parameters", ("audit", sid, {}, 0, 1, 2), 3),
        ("events: session int", ("events", 1, {}, {"wait": 0}), 2),
        ("events: filters int", ("events", sid, 5, {"wait": 0}), 3),
        ("events: filters base64", ("events", sid, B, {"wait": 0}), 3),
        ("events: unknown filter", ("events", sid, {"nope": 1}, {"wait": 0}), 3),
        ("events: options int", ("events", sid, {}, 5), 3),
        ("events: options wait 26", ("events", sid, {}, {"wait": 26}), 3),
        ("events: options wait 'x'", ("events", sid, {}, {"wait": "x"}), 3),
        ("events: options max 5001", ("events", sid, {}, {"max": 5001}), 3),
        ("events: options types 'new'", ("events", sid, {}, {"types": "new"}), 3),
        ("events: options types [base64]", ("events", sid, {}, {"types": [B]}), 3),
        ("events: unknown option", ("events", sid, {}, {"nope": 1}), 3),
        ("events: 4 parameters", ("events", sid, {}, {"wait": 0}, 1), 3),
        ("expectations: session int", ("expectations", 1, {}), 2),
        ("expectations: filters int", ("expectations", sid, 5), 3),
        ("expectations: unknown filter", ("expectations", sid, {"nope": 1}), 3),
        ("expectations: 3 parameters", ("expectations", sid, {}, 1), 3),
        ("kill_expectation: session int", ("kill_expectation", 1, ["1"]), 2),
        ("kill_expectation: no ids", ("kill_expectation", sid), 3),
        ("kill_expectation: ids string", ("kill_expectation", sid, "1"), 3),
        ("kill_expectation: ids [struct]", ("kill_expectation", sid, [{"id": 1}]), 3),
        ("kill_expectation: ids [base64]", ("kill_expectation", sid, [B]), 3),
        ("kill_expectation: an id never listed", ("kill_expectation", sid, ["12345"]), 5),
        ("kill_expectation: 3 parameters", ("kill_expectation", sid, ["1"], 1), 3),
    ]
    for desc, call, code in wrong:
        C(desc, P(body=xml_call(*call)), fault=code)
    C("view: session <nil/>", P(body=raw_call(b"view", [nil])), fault=2)
    C("kill: ids [<nil/>]", P(body=raw_call(b"kill", [s(sidb), b"<value><array><data>" + nil +
                                                       b"</data></array></value>"])), fault=3)
    C("change: value <i8>2^32</i8>", P(body=raw_call(b"change", [s(sidb), s(b"mark"), s(tcp4.encode()),
                                                                  b"<value><i8>4294967296</i8></value>"])), fault=3)
    for desc, params in (("struct and array", ({"a": 1}, ["x"])), ("base64 and boolean", (B, True)),
                         ("int and double", (1, 2.5))):
        C(f"login with {desc} (Apache auth: parameters ignored, a session for admin)",
          P(body=xml_call("login", *params)), ok=lambda v: len(v) == 64, new_sessions=[("admin", 1)])

    # ---- SQL metacharacters in every string parameter ----------------------------------------------
    for m in ("'; DROP TABLE audit;--", "\" OR 1=1", "%", "_", "\\"):
        q = m.replace("\\", "\\\\")
        C(f"SQL {q!r}: filter name", P(body=xml_call("view", sid, {m: 1})), fault=3)
        C(f"SQL {q!r}: filter tcp_state", P(body=xml_call("view", sid, {"tcp_state": m})), fault=3)
        C(f"SQL {q!r}: filter addr", P(body=xml_call("view", sid, {"addr": m})), fault=3)
        C(f"SQL {q!r}: filter username (no uid_mask: matches nothing)",
          P(body=xml_call("view", sid, {"username": m})), ok=lambda v: v["total"] == 0 and v["table"] == [])
        C(f"SQL {q!r}: filter id", P(body=xml_call("view", sid, {"id": m})), fault=3)
        C(f"SQL {q!r}: order_by", P(body=xml_call("view", sid, {}, m)), fault=3)
        C(f"SQL {q!r}: order_dir", P(body=xml_call("view", sid, {}, "id", m)), fault=3)
        C(f"SQL {q!r}: change field", P(body=xml_call("change", sid, m, tcp4, 1)), fault=3)
        C(f"SQL {q!r}: change id", P(body=xml_call("change", sid, "mark", m, 1)), fault=3)
        C(f"SQL {q!r}: kill ids", P(body=xml_call("kill", sid, [m, tcp4])), fault=3)
        C(f"SQL {q!r}: kill_preview filter name", P(body=xml_call("kill_preview", sid, {m: 1})), fault=3)
        C(f"SQL {q!r}: kill_matching token", P(body=xml_call("kill_matching", sid, m)), fault=3)
        C(f"SQL {q!r}: audit filter user (matches nobody)", P(body=xml_call("audit", sid, {"user": m})),
          ok=lambda v: v["total"] == 0 and v["entries"] == [])
        C(f"SQL {q!r}: audit filter action (matches nothing)", P(body=xml_call("audit", sid, {"action": m})),
          ok=lambda v: v["total"] == 0 and v["entries"] == [])
        C(f"SQL {q!r}: audit filter addr", P(body=xml_call("audit", sid, {"addr": m})), fault=3)
        C(f"SQL {q!r}: events filter name", P(body=xml_call("events", sid, {m: 1}, {"wait": 0})), fault=3)
        C(f"SQL {q!r}: events option", P(body=xml_call("events", sid, {}, {m: 0})), fault=3)
        C(f"SQL {q!r}: kill_expectation ids", P(body=xml_call("kill_expectation", sid, [m])), fault=3)
    r = C("SQL in a filter name is echoed back escaped, not executed",
          P(body=xml_call("view", sid, {"x'); DELETE FROM sessions;--<b>": 1})), fault=3)
    t.ok("the fault string quotes the name as sent", "x'); DELETE FROM sessions;--<b>" in xmlrpc_fault_string(r),
         xmlrpc_fault_string(r))

    # ---- multicall abuse ------------------------------------------------------------------------------
    mc = lambda calls: xml_call("system.multicall", [{"methodName": m, "params": list(p)} for m, p in calls])  # noqa
    C("multicall inside a multicall", P(body=mc([("system.multicall", ([{"methodName": "kill",
                                                                          "params": [sid, [tcp4]]}],))])),
      fault=-507)
    C("multicall with a string instead of the call array", P(body=xml_call("system.multicall", "kill")), fault=-501)
    body = mc([("whoami", (sid,))] * 10000)
    C(f"multicall of 10,000 calls ({len(body)} bytes)", P(body=body), http=413, cgi=False)
    n_mc = 4000
    body = raw_call(b"system.multicall", [b"<value><array><data>" + (
        b"<value><struct><member><name>methodName</name><value>whoami</value></member><member><name>params"
        b"</name><value><array><data><value>" + sidb + b"</value></data></array></value></member></struct>"
        b"</value>") * n_mc + b"</data></array></value>"])
    # max_multicall (32): a bigger multicall is refused whole, nothing run
    C(f"multicall of {n_mc} whoami calls ({len(body)} bytes, the most that fits 1 MiB) -> fault 3 (max_multicall)",
      P(body=body), fault=3)
    C("multicall of 32 whoami calls (max_multicall): every one answered",
      P(body=mc([("whoami", (sid,))] * 32)),
      ok=lambda v: len(v) == 32 and all(x == [{"user": "admin", "role": "operator"}] for x in v))
    C("viewer's multicall: login, view, kill, change, another's whoami, system.shutdown -> per-call faults",
      P(body=mc([("login", ()), ("view", (vsid,)), ("kill", (vsid, [tcp4])), ("change", (vsid, "mark", tcp4, 9)),
                 ("whoami", (sid,)), ("system.shutdown", ())]), user="viewer"),
      ok=lambda v: len(v) == 6 and len(v[0][0]) == 64 and v[1][0]["total"] == 5 and
      [x.get("faultCode") if isinstance(x, dict) else None for x in v[2:]] == [4, 4, 2, 4],
      new_sessions=[("viewer", 1)])
    C("admin's multicall: kill with an unknown id, kill with the viewer's session, change 'x' -> "
      "per-call faults 5, 2, 3",
      P(body=mc([("kill", (sid, [tcp4, "12345"])), ("kill", (vsid, [tcp4])), ("change", (sid, "mark", tcp4, "x"))])),
      ok=lambda v: [x.get("faultCode") for x in v] == [5, 2, 3])
    # one login per request: a multicall must not make thousands of sessions
    # (or, with a password file, try thousands of passwords) in one request
    C("multicall of login x 3: the first makes a session, the others fault 4",
      P(body=mc([("login", ())] * 3)),
      ok=lambda v: len(v) == 3 and len(v[0][0]) == 64 and
      [x.get("faultCode") if isinstance(x, dict) else None for x in v[1:]] == [4, 4],
      new_sessions=[("admin", 1)])
    n_lg = 5000
    C(f"multicall of login x {n_lg}: fault 3 (max_multicall), no session", P(body=mc([("login", ())] * n_lg)),
      fault=3)
    C("multicall of login x 32: still one session", P(body=mc([("login", ())] * 32)),
      ok=lambda v: len(v) == 32 and len(v[0][0]) == 64 and
      all(isinstance(x, dict) and x.get("faultCode") == 4 for x in v[1:]),
      new_sessions=[("admin", 1)])

    # ---- hidden connections and snapshots ---------------------------------------------------------------
    C("view filtered on the hidden entry's id", P(body=xml_call("view", sid, {"id": hidden})),
      ok=lambda v: v["total"] == 0 and v["table"] == [])
    C("view filtered on addr 127.0.0.1", P(body=xml_call("view", sid, {"addr": "127.0.0.1"})),
      ok=lambda v: v["total"] == 0)
    C("kill the hidden entry by its (guessed) id", P(body=xml_call("kill", sid, [hidden])), fault=5)
    C("kill a visible and the hidden entry together (all or nothing)", P(body=xml_call("kill", sid, [tcp4, hidden])),
      fault=5)
    C("change the hidden entry's mark", P(body=xml_call("change", sid, "mark", hidden, 1)), fault=5)
    r = C("kill_preview of the hidden entry's address: nothing matches",
          P(body=xml_call("kill_preview", sid, {"addr": "127.0.0.1"})),
          ok=lambda v: v["matched"] == 0 and v["sample"] == [] and v["top_sources"] == [])
    C("kill_matching of that preview: nothing destroyed, one summary audit row",
      P(body=xml_call("kill_matching", sid, r.value()["token"] if r.fault() is None else "0" * 64)),
      ok=lambda v: v == {"destroyed": 0, "gone": 0, "ambiguous": 0}, audit_rows=1)
    r = C("login: a fresh admin session (no snapshot yet)", P(body=xml_call("login")), ok=lambda v: len(v) == 64,
          new_sessions=[("admin", 1)])
    C("kill from a session that never viewed (ids seen by another session)",
      P(body=xml_call("kill", r.value(), [tcp4])), fault=5)
    C("change from a session that never viewed", P(body=xml_call("change", r.value(), "mark", tcp4, 1)), fault=5)

    # ---- the methods that exist ---------------------------------------------------------------------------
    r = C("system.listMethods", P(body=xml_call("system.listMethods")),
          ok=lambda v: set(v) == DOCUMENTED | LIBRARY)
    t.eq("no XML-RPC method beyond the documented ones and xmlrpc-c's own introspection",
         sorted(DOCUMENTED | LIBRARY), sorted(r.value()) if r.fault() is None else r.body[:200])
    C("system.shutdown", P(body=xml_call("system.shutdown", "bye")), fault=4)
    C("system.shutdown by the viewer", P(body=xml_call("system.shutdown", "bye"), user="viewer"), fault=4)
    C("system.methodExist('kill') (read-only)", P(body=xml_call("system.methodExist", "kill")), ok=lambda v: v is True)
    C("system.methodHelp('system.shutdown')", P(body=xml_call("system.methodHelp", "system.shutdown")),
      ok=lambda v: isinstance(v, str))
    C("viewer: kill", P(body=xml_call("kill", vsid, [tcp4]), user="viewer"), fault=4)
    C("viewer: change", P(body=xml_call("change", vsid, "mark", tcp4, 1), user="viewer"), fault=4)
    C("viewer: kill_preview", P(body=xml_call("kill_preview", vsid, {"orig_l4proto": 6}), user="viewer"), fault=4)
    C("viewer: kill_matching", P(body=xml_call("kill_matching", vsid, "0" * 64), user="viewer"), fault=4)
    C("viewer: audit", P(body=xml_call("audit", vsid, {}), user="viewer"), fault=4)

    # ---- expired sessions (rows aged through SQLite, as the web user) -----------------------------
    r = C("login for the idle-expiry case", P(body=xml_call("login")), ok=lambda v: len(v) == 64,
          new_sessions=[("admin", 1)])
    exp = r.value()
    w1 = as_web_user_sql(d.db, "UPDATE sessions SET last_used = last_used - 3600 WHERE hex(token_hash) = upper(?)",
                         hashlib.sha256(exp.encode()).hexdigest())
    t.ok("idle session aged by an hour (idle timeout 300 s)", w1.returncode == 0, w1.stderr)
    r = C("session idle for an hour: view", P(body=xml_call("view", exp)), fault=2)
    t.ok("the fault says expired", "expired" in xmlrpc_fault_string(r), xmlrpc_fault_string(r))
    C("session idle for an hour: kill", P(body=xml_call("kill", exp, [tcp4])), fault=2)
    r = C("login for the lifetime case (purges the idle-expired session)", P(body=xml_call("login")),
          ok=lambda v: len(v) == 64, new_sessions=[("admin", 1)], gone_sessions=[exp])
    old = r.value()
    w2 = as_web_user_sql(d.db, "UPDATE sessions SET created = created - 9 * 3600 WHERE hex(token_hash) = upper(?)",
                         hashlib.sha256(old.encode()).hexdigest())
    t.ok("session created 9 h ago (lifetime 8 h), used just now", w2.returncode == 0, w2.stderr)
    C("session past its lifetime: change", P(body=xml_call("change", old, "mark", tcp4, 9)), fault=2)

    # ---- control: real actions through Apache change exactly what they must -------------------------
    flows = {f["orig_src"]: f for f in ns.list()}

    def with_mark(tab, fid, mark):
        return sorted(x[:14] + (mark,) + x[15:] if x[0] == fid else x for x in tab)

    C("control: change mark of the UDP entry to 77", P(body=xml_call("change", sid, "mark", udp4, 77)),
      ok=lambda v: v is True, cgi=True, audit_rows=1,
      audit_check=lambda a: [(x[1], x[2], x[3], x[5], x[6]) for x in a] == [("admin", "change", udp4, "mark=77",
                                                                            "done")],
      table_changes=lambda tab: with_mark(tab, flows["10.70.0.3"]["id"], 77))
    C("control: kill the ICMP entry", P(body=xml_call("kill", sid, [icmp4])), ok=lambda v: v == 1, audit_rows=1,
      audit_check=lambda a: [(x[1], x[2], x[3], x[6]) for x in a] == [("admin", "kill", icmp4, "done")] and
      "type=8" in a[0][4],
      table_changes=lambda tab: [x for x in tab if x[0] != flows["10.70.0.5"]["id"]])
    C("control: the same kill again (gone since the snapshot: not counted)",
      P(body=xml_call("kill", sid, [icmp4])), ok=lambda v: v == 0, audit_rows=1,
      audit_check=lambda a: a[0][6] == "not found")
    C("the admin's session still works after all that", P(body=xml_call("whoami", sid)),
      ok=lambda v: v == {"user": "admin", "role": "operator"})
    print(f"# {H.n_cases} HTTP requests sent, each checked", flush=True)
    t.ok(f"at least 40 distinct hostile requests ({H.n_cases})", H.n_cases >= 40)

    # ---- random mutations of valid read-only calls (CTD_STRESS=long: many more) ------------------------
    mutate(t, H, sid)

    # ---- the helper's whitelist: every other request type is refused -----------------------------------
    helper_whitelist(t, ns, d, H)


def mutate(t, H, sid):
    """Byte flips, insertions, deletions and splices of view/whoami/refresh calls: each answer must be
    XML-RPC (a fault or not) or the CGI's own 400; the state checks run after every batch."""
    total = 3000 if os.environ.get("CTD_STRESS") == "long" else 60
    batch = 50 if total > 100 else 20
    rnd = random.Random(int(os.environ.get("CTD_HOSTILE_SEED", "0")) or random.randrange(1 << 30))
    seed = rnd.randrange(1 << 30)
    rnd = random.Random(seed)
    print(f"# mutation seed {seed} (CTD_HOSTILE_SEED={seed} repeats it)", flush=True)
    templates = [xml_call("view", sid, {"orig_ipv4_src": "10.70.0.0/16", "tcp_state": "ESTABLISHED"}, "rate", "d",
                          0, 10),
                 xml_call("view", sid, {"addr": "2001:db8::/32", "mark": -2147483647}, "orig_src", "a"),
                 xml_call("whoami", sid), xml_call("refresh", sid),
                 xml_call("system.multicall", [{"methodName": "whoami", "params": [sid]},
                                               {"methodName": "view", "params": [sid, [], "id", "a", 1, 2]}])]
    junk = [b"<", b">", b"&", b"&#0;", b"\0", b"\xff", b"\xc0\xaf", b"<value>", b"</value>", b"<array><data>",
            b"<struct>", b"<!DOCTYPE", b"]]>", b"<![CDATA[", b"\"", b"'", b"%", b"-2147483649", b"1e999"]
    done = 0
    while done < total:
        bad = []
        for _ in range(min(batch, total - done)):
            body = bytearray(rnd.choice(templates))
            for _ in range(rnd.randint(1, 4)):
                op, at = rnd.randrange(4), rnd.randrange(len(body))
                if op == 0:
                    body[at] = rnd.randrange(256)
                elif op == 1:
                    body[at:at] = rnd.choice(junk)
                elif op == 2:
                    del body[at:at + rnd.randint(1, 16)]
                else:
                    other = rnd.choice(templates)
                    j = rnd.randrange(len(other))
                    body[at:] = other[j:]
            r = H.send(H.http(body=bytes(body)))
            good = (r.status == 200 and r.fault() != "bad") or (r.status == 400 and b"refused" in r.body)
            if not good:
                bad.append(f"{bytes(body)[:120]!r} -> {r!r}"[:300])
            done += 1
        t.ok(f"mutated calls {done - batch + 1}..{done}: each answered with XML-RPC or the CGI's 400",
             not bad, "; ".join(bad[:3]))
        H.after(f"mutated calls up to {done}")


def xmlrpc_fault_string(r):
    f = body_fault(r.body)
    return f.faultString if f else ""


def helper_whitelist(t, ns, d, H):
    """tests/helper/test-helper-trust.py ("malformed frames") already sends type 99 and answer type 64 to the
    build-tree helper; here the installed setuid helper, run as the web user, gets every other
    type that matters: 0, 6..70 (all answer types included), byte and sign boundaries, and a random
    sample of the rest of the 16-bit space."""
    P = proto()
    rnd = random.Random(7)
    types = sorted(({0} | set(range(6, 71)) | {98, 100, 127, 128, 255, 256, 257, 0x7fff, 0x8000, 0xfffe, 0xffff} |
                    {rnd.randrange(71, 0x10000) for _ in range(150)}) - P.requests - {P.RSP_RECORDS, 99})
    frames = []
    for typ in types:
        frames.append(frame(typ))
        frames.append(frame(typ, bytes(P.size["dump_req"])))
    t0 = time.monotonic()
    res = helper_frames(ns, d.helper, frames)
    secs = time.monotonic() - t0
    bad = [(typ, rc) for typ, (rc, ans) in zip([x for x in types for _ in (0, 1)], res) if rc != P.EXIT_TYPE or ans]
    t.ok(f"installed setuid helper, run as the web user: {len(frames)} frames of {len(types)} types outside the "
         f"whitelist each refused with exit {P.EXIT_TYPE} and no answer ({secs:.1f} s)", not bad, f"{bad[:10]}")
    (rc, ans), = helper_frames(ns, d.helper, [frame(P.REQ_COUNT)])
    t.ok("control: a COUNT frame is served by the same helper (exit 0, a COUNT answer)",
         rc == 0 and len(ans) >= FRAME_HDR.size and FRAME_HDR.unpack_from(ans)[2] == P.RSP_COUNT,
         f"rc {rc} {ans[:16].hex()}")
    # one request per process: a DESTROY smuggled after a COUNT is never read
    flows = {f["orig_src"]: f for f in ns.list()}
    victim = flows["10.70.0.1"]
    destroy = frame(P.REQ_DESTROY, struct.pack("<II", 1, 0) + target(victim))
    (rc, ans), = helper_frames(ns, d.helper, [frame(P.REQ_COUNT) + destroy])
    t.ok("a DESTROY sent after a COUNT in the same conversation is not read (exit 0, COUNT answered)",
         rc == 0 and FRAME_HDR.unpack_from(ans)[2] == P.RSP_COUNT, f"rc {rc}")
    t.eq("the entry that DESTROY named is still there", H.table, ct_state(ns))
    (rc, ans), = helper_frames(ns, d.helper, [destroy])
    gone = ct_state(ns)
    t.ok("control: the same DESTROY frame alone does destroy it (so the frame was valid)",
         rc == 0 and victim["id"] not in [x[0] for x in gone] and len(gone) == len(H.table) - 1, f"rc {rc}")


if __name__ == "__main__":
    main()
