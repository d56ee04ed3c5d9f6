#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile viewers and odd clients through the real Apache (README,
Security model: fail-closed roles, nesting, keep-alive, cross-site
requests, failed logins, the CGI's rlimits): the demo (apache/demo.sh,
setuid helper, TLS, Basic auth) in a private namespace with a small real
table.  Oracle: README "Security model" and the site file's comments.

- A name `roles` does not list (`VIEWER` for the viewer, as a
  case-insensitive LDAP login hands it over) is a viewer when ctd.conf
  says nothing of default_role: its kill and change are fault 4.
- Element nesting: 64 levels reach the CGI's methods (fault 3 here), 65
  are HTTP 400, and 1 MiB of nesting (which crashed ctd.cgi with SIGSEGV)
  is HTTP 400 in well under 2 s.
- One xmlrpc.client.ServerProxy, logged in, polls view after 10 s and 30 s
  idle on one kept-alive TLS connection (its local port never changes):
  no SSLEOFError, no reconnect.
- Cross-site: Sec-Fetch-Site cross-site, or an Origin that is not
  https://127.0.0.1:PORT, is HTTP 403 and the CGI never runs (access log);
  the same origin (what the console sends) and no Origin (scripts) work.
  A failed password-file login (a second vhost without Apache auth) is one
  error-log line naming the escaped, cut user name and the address; the
  database and its -wal/-shm files are mode 0600.
- The CGI runs under RLimitMEM 512 MiB and RLimitCPU 60 (its
  /proc/self/limits, read by a stand-in CGI at the end).
After each case: the conntrack table (ids, tuples, marks), the sessions
(token hash, user, bound), the audit log are unchanged except for what the
case must change, PRAGMA integrity_check is ok, and the error logs show no
crash.
"""
import base64
import http.client
import os
import re
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import xmlrpc.client

warnings.filterwarnings("ignore", category=DeprecationWarning)
import crypt  # noqa: E402  (python 3.11: a sha512-crypt password file)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from ctdtest import TOP, T, Netns, need_root  # noqa: E402

BAD_LOG = ("Premature end of script headers", "End of script output before headers", "Segmentation",
           "AddressSanitizer", "runtime error:", "core dumped", "stack smashing", "double free", "malloc(): ")
CT_KEYS = ("id", "l3proto", "l4proto", "orig_src", "orig_dst", "orig_sport", "orig_dport", "mark", "zone")
# seconds idle before each view of the keep-alive client (CTD_KEEPALIVE_POLLS=1,1 for a quick run)
POLLS = tuple(int(x) for x in os.environ.get("CTD_KEEPALIVE_POLLS", "10,10,10,30,30").split(","))


class Site:
    """Requests with exact headers (http.client over TLS, Connection: close), and the state checks."""

    def __init__(self, t, d, ns):
        self.t, self.d, self.ns = t, d, ns
        self.ctx = ssl.create_default_context(cafile=d.ca)
        self.logs = [d.error_log, os.path.join(os.path.dirname(d.error_log), "ctd-error.log")]
        self.log_pos = {p: self._size(p) for p in self.logs}
        self.n = 0
        self.rebase()

    @staticmethod
    def _size(p):
        try:
            return os.path.getsize(p)
        except OSError:
            return 0

    def table(self):
        return sorted({tuple(f.get(k) for k in CT_KEYS) for f in self.ns.list()})

    def sessions(self):
        return self.d.sql("SELECT token_hash, user, bound FROM sessions ORDER BY id")

    def audit(self):
        return self.d.sql("SELECT id, user, method, conn_id, tuple, result FROM audit ORDER BY id")

    def rebase(self):
        self.tab, self.sess, self.aud = self.table(), self.sessions(), self.audit()

    def post(self, body, user="admin", headers=None, port=None, timeout=60):
        """POST /RPC2?case=N; returns (status, body bytes, seconds, N)."""
        self.n += 1
        h = {"Content-Type": "text/xml", "Connection": "close"}
        if user:
            h["Authorization"] = "Basic " + base64.b64encode(f"{user}:{self.d.password(user)}".encode()).decode()
        h.update(headers or {})
        c = http.client.HTTPSConnection("127.0.0.1", port or self.d.port, context=self.ctx, timeout=timeout)
        t0 = time.monotonic()
        try:
            c.request("POST", f"/RPC2?case={self.n}", body=body, headers=h)
            r = c.getresponse()
            out = r.read()
            return r.status, out, time.monotonic() - t0, self.n
        finally:
            c.close()

    def cgi_ran(self, n):
        """The access log's line of case n: did the CGI run (cgi=CGI/1.1)?  None: no line."""
        for _ in range(100):
            try:
                with open(self.d.access_log, "rb") as f:
                    for line in f:
                        if f"/RPC2?case={n} ".encode() in line:
                            return line.rstrip().endswith(b"cgi=CGI/1.1")
            except OSError:
                pass
            time.sleep(0.02)
        return None

    def after(self, desc, new_sessions=(), table=None):
        """Everything as before but for new_sessions [(user, bound)] and, if given, the table expected."""
        t = self.t
        want = self.tab if table is None else table
        got = self.table()
        t.ok(f"{desc}: conntrack table unchanged (ids, tuples, marks)", got == want, f"before {want} after {got}")
        sess = self.sessions()
        new = [(u, b) for h, u, b in sess if (h, u, b) not in self.sess]
        t.ok(f"{desc}: sessions unchanged" + (f" but {list(new_sessions)} new" if new_sessions else ""),
             set(self.sess) <= set(sess) and sorted(new) == sorted(new_sessions),
             f"before {[(u, b) for _, u, b in self.sess]} after {[(u, b) for _, u, b in sess]}")
        aud = self.audit()
        t.eq(f"{desc}: audit log unchanged", self.aud, aud)
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
        t.ok(f"{desc}: no crash in Apache's error logs", not bad, "; ".join(bad)[:600])
        self.tab, self.sess, self.aud = got, sess, aud


def fault_of(body):
    try:
        xmlrpc.client.loads(body)
    except xmlrpc.client.Fault as f:
        return f.faultCode
    except Exception:  # noqa: BLE001 - not XML-RPC at all
        return "not XML-RPC"
    return None


def value_of(body):
    return xmlrpc.client.loads(body)[0][0]


def pw_vhost(d, port, conf):
    """A second vhost without Apache authentication (ctd's own password_file), same CGI and TLS."""
    return (f"Listen 127.0.0.1:{port} https\n<VirtualHost 127.0.0.1:{port}>\n\tServerName 127.0.0.1\n"
            f"\tErrorLog {d.dir}/log/pw-error.log\n\tSSLEngine on\n"
            f"\tSSLCertificateFile {d.dir}/etc/tls/cert.pem\n\tSSLCertificateKeyFile {d.dir}/etc/tls/key.pem\n"
            f"\tScriptAlias /RPC2 {d.cgi}\n\t<Location /RPC2>\n\t\tRequire all granted\n"
            f"\t\tSetEnv CTD_CONFIG {conf}\n\t</Location>\n</VirtualHost>\n")


def main():
    t = T()
    need_root(t)
    if not os.access("/usr/sbin/apache2", os.X_OK):
        t.skip("test-hostile-viewers", "apache2 missing: run make deps")
        t.done()
    from ctddemo import Demo, InNetns

    extra = tempfile.NamedTemporaryFile("w", prefix="ctd-viewers-", suffix=".conf", dir="/var/tmp", delete=False)
    extra.close()
    os.chmod(extra.name, 0o644)
    try:
        with Netns(track=False) as ns:
            d = Demo(ns, mode="setuid", log_name="test-hostile-viewers-demo", DEMO_EXTRA_CONF=extra.name)
            pw_port = d.port + 1 if d.port < 65000 else d.port - 1
            pw_conf = os.path.join(d.dir, "etc", "ctd-pw.conf")
            with open(extra.name, "w") as f:
                f.write(pw_vhost(d, pw_port, pw_conf))
            with d, InNetns(ns.name):
                run(t, ns, d, pw_port, pw_conf)
    finally:
        os.unlink(extra.name)
    t.done()


def run(t, ns, d, pw_port, pw_conf):
    for a in (("-s", "10.80.0.1", "-d", "10.80.0.2", "-p", "tcp", "--sport", "1234", "--dport", "80",
               "--state", "ESTABLISHED", "--mark", "5"),
              ("-s", "10.80.0.3", "-d", "10.80.0.4", "-p", "udp", "--sport", "53", "--dport", "5353", "--mark", "7"),
              ("-s", "2001:db8::1", "-d", "2001:db8::2", "-p", "tcp", "--sport", "4000", "--dport", "443",
               "--state", "ESTABLISHED")):
        ns.ct("-I", *a, "--timeout", "3600")
    # ctd.conf as an installation that never mentions default_role: the default decides
    with open(d.conf) as f:
        conf = f.read()
    conf = re.sub(r"^default_role\s*=.*\n", "", conf, flags=re.M)
    with open(d.conf, "w") as f:
        f.write(conf)
    t.ok("ctd.conf: roles admin:operator, viewer:viewer, no default_role line",
         "roles = admin:operator, viewer:viewer" in conf and "default_role" not in conf, conf)
    # VIEWER: the viewer's name as a case-insensitive backend (LDAP) accepts it
    htp = os.path.join(d.dir, "etc", "htpasswd")
    subprocess.run(["htpasswd", "-B", "-b", htp, "VIEWER", d.password("viewer")], check=True, capture_output=True)
    pwmap = {"admin": d.admin_pw, "viewer": d.viewer_pw, "VIEWER": d.viewer_pw}
    d.password = pwmap.__getitem__

    # ---- item 8: one kept-alive client polling, in the background while the rest runs --------
    poll = {"errors": [], "ports": [], "views": 0}
    cl = xmlrpc.client.ServerProxy(f"https://admin:{d.admin_pw}@127.0.0.1:{d.port}/RPC2",
                                   context=ssl.create_default_context(cafile=d.ca))
    psid = cl.login()

    def port_of():
        conn = cl._ServerProxy__transport._connection[1]
        return conn.sock.getsockname()[1] if conn is not None and conn.sock is not None else None

    poll["ports"].append(port_of())

    def poller():
        for secs in POLLS:
            time.sleep(secs)
            try:
                v = cl.view(psid)
                poll["views"] += v["total"] >= 3
            except Exception as e:  # noqa: BLE001 - SSLEOFError is the bug this catches
                poll["errors"].append(f"after {secs} s idle: {e!r}")
            poll["ports"].append(port_of())

    th = threading.Thread(target=poller, daemon=True)
    th.start()
    t0 = time.monotonic()

    S = Site(t, d, ns)
    st, body, _, _ = S.post(xmlrpc.client.dumps((), "login").encode())
    sid = value_of(body)
    st, body, _, _ = S.post(xmlrpc.client.dumps((), "login").encode(), user="viewer")
    vsid = value_of(body)
    rows = value_of(S.post(xmlrpc.client.dumps((sid,), "view").encode())[1])["table"]
    ids = {(r.get("orig_ipv4_src") or r.get("orig_ipv6_src")): r["id"] for r in rows}
    t.eq("admin's first view sees the 3 entries", 3, len(rows))
    S.rebase()

    # ---- item 9: the database is the CGI's own ---------------------------------------------------
    for suffix in ("", "-wal", "-shm"):
        p = d.db + suffix
        if os.path.exists(p):
            mode = stat.S_IMODE(os.stat(p).st_mode)
            t.ok(f"database file {os.path.basename(p)} is mode 0600 (umask 077 before it was created)",
                 mode == 0o600, oct(mode))

    # ---- item 2: a name roles does not list is a viewer -------------------------------------------
    st, body, _, _ = S.post(xmlrpc.client.dumps((), "login").encode(), user="VIEWER")
    usid = value_of(body) if st == 200 and fault_of(body) is None else None
    t.ok("login as VIEWER (the viewer's password, a name roles does not list): HTTP 200, a session",
         usid is not None, f"HTTP {st} {body[:200]!r}")
    S.after("login as VIEWER", new_sessions=[("VIEWER", 1)])
    if usid:
        st, body, _, _ = S.post(xmlrpc.client.dumps((usid,), "whoami").encode(), user="VIEWER")
        t.eq("whoami as VIEWER: role viewer (default_role defaults to viewer)",
             {"user": "VIEWER", "role": "viewer"}, value_of(body) if st == 200 and fault_of(body) is None else body)
        S.after("whoami as VIEWER")
        st, body, _, _ = S.post(xmlrpc.client.dumps((usid,), "view").encode(), user="VIEWER")
        t.ok("view as VIEWER: the 3 entries (a viewer may view; kill and change now act on this snapshot)",
             st == 200 and fault_of(body) is None and value_of(body)["total"] == 3, f"HTTP {st} {body[:200]!r}")
        S.after("view as VIEWER")
        st, body, _, _ = S.post(xmlrpc.client.dumps((usid, [ids["10.80.0.1"]]), "kill").encode(), user="VIEWER")
        t.eq("kill as VIEWER: HTTP 200, fault 4", (200, 4), (st, fault_of(body)))
        S.after("kill as VIEWER")
        st, body, _, _ = S.post(xmlrpc.client.dumps((usid, "mark", ids["10.80.0.3"], 99), "change").encode(),
                                user="VIEWER")
        t.eq("change mark as VIEWER: HTTP 200, fault 4", (200, 4), (st, fault_of(body)))
        S.after("change as VIEWER")
    site = open(os.path.join(TOP, "apache", "ctd-site.conf")).read()
    t.ok("ctd-site.conf's LDAP example sets AuthLDAPRemoteUserAttribute",
         re.search(r"^\s*#\s*AuthLDAPRemoteUserAttribute\s+\S+", site, re.M))

    # ---- item 4: nesting --------------------------------------------------------------------------
    def call(inner):
        return (b"<?xml version='1.0'?><methodCall><methodName>view</methodName><params><param><value><string>" +
                sid.encode() + b"</string></value></param><param>" + inner + b"</param></params></methodCall>")

    arrays = b"<value><array><data>" * 19  # levels 4..60
    close = b"</data></array></value>" * 19
    at64 = call(arrays + b"<value><struct><member><name>a</name><value>1</value></member></struct></value>" + close)
    at65 = call(arrays + b"<value><struct><member><name>a</name><value><string>1</string></value></member>"
                b"</struct></value>" + close)
    st, body, secs, n = S.post(at64)
    t.eq("view with filters nested 64 elements deep: HTTP 200, fault 3 (reached the method)",
         (200, 3), (st, fault_of(body)))
    S.after("64 levels")
    st, body, secs, n = S.post(at65)
    t.eq("view with filters nested 65 elements deep: HTTP 400", 400, st)
    t.ok("... answered as plain text, not XML-RPC", b"methodResponse" not in body, body[:200])
    S.after("65 levels")
    deep = b"<?xml version='1.0'?><methodCall><methodName>view</methodName><params><param>" + \
        b"<value><array><data>" * 50000
    st, body, secs, n = S.post(deep)
    t.ok(f"view with 150,000 nested elements ({len(deep)} bytes): HTTP 400 in under 2 s ({secs:.2f} s)",
         st == 400 and secs < 2, f"HTTP {st} {body[:200]!r}")
    S.after("150,000 levels")
    deep = b"<a>" * 349000
    st, body, secs, n = S.post(deep)
    t.ok(f"1 MiB of nested <a> ({len(deep)} bytes): HTTP 400 in under 2 s ({secs:.2f} s)",
         st == 400 and secs < 2, f"HTTP {st} {body[:200]!r}")
    S.after("349,000 levels")
    hidden = b"<!--" + b"<a>" * 1000 + b"--><![CDATA[" + b"<b>" * 1000 + b"]]>"
    st, body, secs, n = S.post(b"<?xml version='1.0'?><methodCall><methodName>whoami</methodName><params><param>"
                               b"<value><string>" + sid.encode() + b"</string></value>" + hidden +
                               b"</param></params></methodCall>")
    t.ok("2,000 tags inside a comment and a CDATA section are not nesting: whoami answers",
         st == 200 and fault_of(body) is None and value_of(body).get("user") == "admin", f"HTTP {st} {body[:200]!r}")
    S.after("tags in a comment and CDATA")

    # ---- item 9: cross-site requests ----------------------------------------------------------------
    own = f"https://127.0.0.1:{d.port}"
    who = xmlrpc.client.dumps((sid,), "whoami").encode()
    for desc, hdr in (("Sec-Fetch-Site: cross-site", {"Sec-Fetch-Site": "cross-site"}),
                      ("Origin: https://evil.example", {"Origin": "https://evil.example"}),
                      ("Origin: null (sandboxed frame, file:)", {"Origin": "null"}),
                      (f"Origin: https://127.0.0.1:{pw_port} (another port)", {"Origin": f"https://127.0.0.1:{pw_port}"}),
                      (f"Origin: http://127.0.0.1:{d.port} (another scheme)", {"Origin": f"http://127.0.0.1:{d.port}"}),
                      ("own Origin but Sec-Fetch-Site: cross-site",
                       {"Origin": own, "Sec-Fetch-Site": "cross-site"})):
        st, body, _, n = S.post(who, headers=hdr)
        t.eq(f"whoami with {desc}: HTTP 403", 403, st)
        t.eq(f"whoami with {desc}: the CGI did not run (access log)", False, S.cgi_ran(n))
        S.after(f"whoami with {desc}")
    st, body, _, n = S.post(xmlrpc.client.dumps((sid, [ids["10.80.0.1"]]), "kill").encode(),
                            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    t.eq("kill with the admin's credentials sent from https://evil.example: HTTP 403", 403, st)
    S.after("cross-site kill")
    for desc, hdr in ((f"Origin: {own}, Sec-Fetch-Site: same-origin (the console)",
                       {"Origin": own, "Sec-Fetch-Site": "same-origin"}),
                      ("no Origin, no Sec-Fetch-Site (a script)", {}),
                      ("Sec-Fetch-Site: none (typed by the user)", {"Sec-Fetch-Site": "none"})):
        st, body, _, n = S.post(who, headers=hdr)
        t.ok(f"whoami with {desc}: HTTP 200, answered", st == 200 and fault_of(body) is None, f"HTTP {st} {body[:200]!r}")
        t.eq(f"whoami with {desc}: the CGI ran", True, S.cgi_ran(n))
        S.after(f"whoami with {desc}")

    # ---- item 9: failed password-file logins are logged ------------------------------------------
    pwfile = os.path.join(d.dir, "etc", "ctd-passwords")
    with open(pwfile, "w") as f:
        f.write("alice:" + crypt.crypt("secret-alice", crypt.mksalt(crypt.METHOD_SHA512)) + "\n")
    os.chmod(pwfile, 0o644)
    with open(pw_conf, "w") as f:
        f.write(f"database = {d.db}\nhelper = {d.helper}\npassword_file = {pwfile}\nroles = alice:viewer\n")
    os.chmod(pw_conf, 0o644)
    pw_log = os.path.join(d.dir, "log", "pw-error.log")
    S.logs.append(pw_log)
    S.log_pos[pw_log] = S._size(pw_log)
    logdir = os.path.dirname(pw_log)
    # mod_cgid hands the CGI's stderr to the main server's or the vhost's error log: read every log
    at = {n: S._size(os.path.join(logdir, n)) for n in os.listdir(logdir) if n.endswith(".log")}
    # tab, newline and a forged log line, a right-to-left override, a non-ASCII letter, '"', '\\', then 90
    # more bytes (a name login takes: under 128 bytes): 29 bytes before the x's, 35 of them fit in the 64 logged
    evil = "al&#9;ice&#10;ctd.cgi: forged\u202e\u00e9\"\\" + "x" * 90
    body = (b"<?xml version='1.0'?><methodCall><methodName>login</methodName><params><param><value><string>" +
            evil.encode() + b"</string></value></param>"
            b"<param><value><string>wrong</string></value></param></params></methodCall>")
    st, out, _, _ = S.post(body, user=None, port=pw_port)
    t.eq("password-file login with a wrong password: HTTP 200, fault 1", (200, 1), (st, fault_of(out)))
    st, out, _, _ = S.post(xmlrpc.client.dumps(("alice", "secret-alice"), "login").encode(), user=None, port=pw_port)
    t.ok("password-file login with the right password: a session", st == 200 and fault_of(out) is None, out[:200])
    time.sleep(0.3)
    new_log = []
    for n in sorted(os.listdir(logdir)):
        if n.endswith("error.log"):
            with open(os.path.join(logdir, n), "rb") as f:
                f.seek(at.get(n, 0))
                new_log += f.read().decode("utf-8", "replace").splitlines()
    lines = [ln for ln in new_log if "failed login" in ln]
    want = "al\\x09ice\\x0actd.cgi: forged\\xe2\\x80\\xae\\xc3\\xa9\\x22\\x5c" + "x" * 35 + "..."
    t.ok("one error-log line for the failed login (none for the good one)", len(lines) == 1,
         f"{len(lines)} lines; new in the error logs: " + "\n".join(new_log)[-800:])
    line = lines[0] if lines else ""
    t.ok("... it names the user escaped and cut at 64 bytes, and the address 127.0.0.1",
         f'for user "{want}" from 127.0.0.1' in line, line)
    t.ok("... no raw tab or right-to-left override in it, no forged line of its own in the log",
         "\t" not in line and "\u202e" not in line and
         [ln for ln in new_log if "forged" in ln] == lines[:1], "\n".join(new_log)[-600:])
    S.after("password-file logins", new_sessions=[("alice", 0)])

    # ---- item 8: the poller's verdict ----------------------------------------------------------------
    th.join(timeout=sum(POLLS) + 120)
    t.eq(f"keep-alive ServerProxy: {len(POLLS)} views after {POLLS} s idle, no error", [], poll["errors"])
    t.eq(f"keep-alive ServerProxy: all {len(POLLS)} views saw the table", len(POLLS), poll["views"])
    t.ok(f"keep-alive ServerProxy: one TCP connection throughout (local ports {poll['ports']})",
         len(set(poll["ports"])) == 1 and None not in poll["ports"], str(poll["ports"]))
    print(f"# poller took {time.monotonic() - t0:.0f} s", flush=True)
    S.after("keep-alive polling")
    for f, name in ((os.path.join(TOP, "apache", "ctd-site.conf"), "ctd-site.conf"),
                    (os.path.join(TOP, "apache", "ctd-site-suexec.conf"), "ctd-site-suexec.conf")):
        m = re.findall(r"^\s*KeepAliveTimeout\s+(\d+)", open(f).read(), re.M)
        t.ok(f"{name}: KeepAliveTimeout >= 65 ({m})", m and all(int(x) >= 65 for x in m))

    # ---- item 1 (Apache's part): the limits the CGI runs under ---------------------------------------
    real = d.cgi + ".real"
    os.rename(d.cgi, real)
    try:
        with open(d.cgi, "w") as f:
            f.write("#!/bin/sh\ncat >/dev/null\nL=$(cat /proc/self/limits)\n"
                    "printf 'Status: 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\n\\r\\n%s' "
                    "\"${#L}\" \"$L\"\n")
        os.chmod(d.cgi, 0o755)
        try:
            st, out, _, _ = S.post(who)
        except Exception as e:  # noqa: BLE001 - reported by the checks below
            out = repr(e).encode()
    finally:
        os.replace(real, d.cgi)
    text = out.decode(errors="replace")
    m_as = re.search(r"^Max address space\s+(\S+)\s+(\S+)", text, re.M)
    m_cpu = re.search(r"^Max cpu time\s+(\S+)\s+(\S+)", text, re.M)
    t.eq("the CGI runs with RLimitMEM 512 MiB soft and hard (RLIMIT_AS)", ("536870912", "536870912"),
         m_as.groups() if m_as else text[:300])
    t.eq("the CGI runs with RLimitCPU 60 s soft and hard", ("60", "60"), m_cpu.groups() if m_cpu else text[:300])
    S.after("final")


if __name__ == "__main__":
    main()
