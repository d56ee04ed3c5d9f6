#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared hosting, end to end: apache/ctd-site-suexec.conf as shipped, in a
private Apache inside a private network namespace, with Debian's suexec
running ctd.cgi (through the per-site wrapper the site file describes) as a
site user that is not www-data.  Shows: REMOTE_USER survives suexec,
CTD_CONFIG comes from the wrapper, the database belongs to the site user
(so the CGI really ran as that user), the helper serves the site user
because it is in group ctd -- and refuses it (fault 6) once it is not.
(helper installed setuid, root:ctd 4750.)
Oracle: conntrack -L in the namespace, file ownership, suexec's log."""
import atexit
import ctypes
import grp
import os
import pwd
import random
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import BUILD, OUT, TOP, T, Netns, need_root  # noqa: E402

t = T()
need_root(t)
SUEXEC = "/usr/lib/apache2/suexec"
MODDIR = "/usr/lib/apache2/modules"
if not os.path.exists(SUEXEC):
    t.skip("suexec end to end", "no /usr/lib/apache2/suexec (apt-get install apache2-suexec-pristine)")
    t.done()
for p in (os.path.join(BUILD, "ctd.cgi"), os.path.join(BUILD, "ctd-helper")):
    if not os.path.isfile(p):
        t.skip("suexec end to end", f"{p} not built yet (make -j2)")
        t.done()

_libc = ctypes.CDLL(None, use_errno=True)


def setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, 0x40000000) != 0:
            raise OSError(ctypes.get_errno(), "setns")
    finally:
        os.close(fd)


tag = f"{os.getpid() % 100000}{random.randrange(100)}"
user = f"ctdsx{tag}"
work = tempfile.mkdtemp(prefix="ctd-sx.", dir="/var/tmp")
os.chmod(work, 0o755)
site = f"/var/www/ctd-sx-{tag}"  # suexec runs programs only under /var/www
conf = os.path.join(work, "apache2.conf")
made_user = False


def cleanup():
    subprocess.run(["/usr/sbin/apache2", "-f", conf, "-k", "stop"], capture_output=True)
    for _ in range(50):
        if not os.path.exists(os.path.join(work, "apache2.pid")):
            break
        time.sleep(0.1)
    shutil.rmtree(site, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    if made_user:
        subprocess.run(["userdel", user], capture_output=True)
        subprocess.run(["groupdel", user], capture_output=True)


atexit.register(cleanup)

# ---- the site user, its files, the wrapper ----------------------------------------------
if subprocess.run(["getent", "group", "ctd"], capture_output=True).returncode != 0:
    subprocess.run(["groupadd", "--system", "ctd"], check=True)
subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
                "--groups", "ctd", user], check=True)
made_user = True
pw = pwd.getpwnam(user)
uid, gid = pw.pw_uid, pw.pw_gid
t.ok(f"site user {user} is a user suexec accepts (uid, gid >= 100)", uid >= 100 and gid >= 100, f"{uid}/{gid}")

shutil.copy(os.path.join(BUILD, "ctd.cgi"), os.path.join(work, "ctd.cgi"))
os.chmod(os.path.join(work, "ctd.cgi"), 0o755)
helper = os.path.join(work, "ctd-helper")
shutil.copy(os.path.join(BUILD, "ctd-helper"), helper)
os.chown(helper, 0, grp.getgrnam("ctd").gr_gid)
os.chmod(helper, 0o4750)

for d, mode in ((site, 0o755), (f"{site}/cgi-bin", 0o755), (f"{site}/ctd", 0o700)):
    os.makedirs(d, exist_ok=True)
    os.chown(d, uid, gid)
    os.chmod(d, mode)
with open(f"{site}/ctd/ctd.conf", "w") as f:
    f.write(open(os.path.join(TOP, "apache", "ctd.conf.example")).read())
    f.write(f"database = {site}/ctd/ctd.db\nhelper = {helper}\nroles = alice:operator\n")
os.chown(f"{site}/ctd/ctd.conf", uid, gid)
os.chmod(f"{site}/ctd/ctd.conf", 0o600)
wrapper = f"{site}/cgi-bin/ctd.cgi"
with open(wrapper, "w") as f:  # as in the header of ctd-site-suexec.conf
    f.write(f"#!/bin/sh\nCTD_CONFIG={site}/ctd/ctd.conf\nexport CTD_CONFIG\nexec {work}/ctd.cgi\n")
os.chown(wrapper, uid, gid)
os.chmod(wrapper, 0o755)

# ---- TLS, users, Apache ---------------------------------------------------------------------
cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-addext", "basicConstraints=critical,CA:FALSE", "-keyout", key, "-out", cert],
               capture_output=True, check=True)
htpasswd = os.path.join(work, "htpasswd")
secret = "".join(random.choice("abcdefghijkmnopqrstuvwxyz23456789") for _ in range(16))
subprocess.run(["htpasswd", "-B", "-b", "-c", htpasswd, "alice", secret], capture_output=True, check=True)
os.chown(htpasswd, 0, 33)
os.chmod(htpasswd, 0o640)
port = random.randrange(20000, 60000)
mods = ["mpm_event", "cgid", "suexec", "authz_core", "authz_user", "authn_core", "authn_file", "auth_basic", "mime",
        "socache_shmcb", "ssl", "alias", "env", "setenvif", "headers", "rewrite", "reqtimeout"]
lines = ["ServerRoot /etc/apache2"] + [f"LoadModule {m}_module {MODDIR}/mod_{m}.so" for m in mods]
lines += [f"PidFile {work}/apache2.pid", f"DefaultRuntimeDir {work}", f"Mutex file:{work} default",
          f"ScriptSock {work}/cgid.sock", f"ErrorLog {work}/error.log", "User www-data", "Group www-data",
          f"Listen 127.0.0.1:{port} https", "ServerName 127.0.0.1", "TypesConfig /etc/mime.types",
          f"SSLSessionCache shmcb:{work}/ssl_scache(512000)",
          f"Define CTD_SX_VHOST 127.0.0.1:{port}", "Define CTD_SX_SERVERNAME 127.0.0.1",
          f"Define CTD_SX_USER {user}", f"Define CTD_SX_ROOT {site}", f"Define CTD_SX_HTPASSWD {htpasswd}",
          f"Define CTD_SX_CERT {cert}", f"Define CTD_SX_KEY {key}", f"Define CTD_SX_LOGDIR {work}",
          f"Include {TOP}/apache/ctd-site-suexec.conf"]
with open(conf, "w") as f:
    f.write("\n".join(lines) + "\n")

with Netns() as ns:
    ns.ct("-I", "-s", "10.9.0.1", "-d", "10.9.0.2", "-p", "tcp", "--sport", "4321", "--dport", "443",
          "--state", "ESTABLISHED", "--timeout", "300")
    r = ns.run("/usr/sbin/apache2", "-f", conf, "-k", "start", check=False)
    t.ok("Apache starts with ctd-site-suexec.conf", r.returncode == 0, r.stdout + r.stderr)
    time.sleep(0.5)
    errlog = open(f"{work}/error.log").read()
    t.ok("Apache says suEXEC is enabled", "suEXEC mechanism enabled" in errlog, errlog[-400:])
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    setns(f"/run/netns/{ns.name}")
    try:
        ctx = ssl.create_default_context(cafile=cert)
        url = f"https://127.0.0.1:{port}/RPC2"
        code = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", cert,
                               "-u", f"alice:{secret}", url], capture_output=True, text=True).stdout
        t.eq("GET -> 405 (same refusals as ctd-site.conf)", "405", code)
        s = xmlrpc.client.ServerProxy(f"https://alice:{secret}@127.0.0.1:{port}/RPC2", context=ctx)
        try:
            sid = s.login()
        except Exception as e:  # noqa: BLE001
            sid = None
            t.ok("login through suexec", False, f"{e!r}; {open(f'{work}/ctd-{user}-error.log').read()[-500:]}")
        if sid:
            t.ok("login through suexec: a session id", isinstance(sid, str) and len(sid) >= 22)
            t.eq("whoami: REMOTE_USER survived suexec, role from the site's ctd.conf (CTD_CONFIG via the wrapper)",
                 {"user": "alice", "role": "operator"}, s.whoami(sid))
            st = os.stat(f"{site}/ctd/ctd.db")
            t.eq("the database was created by the site user (the CGI ran as it, not www-data)", (uid, gid),
                 (st.st_uid, st.st_gid))
            v = s.view(sid, {})
            want = sorted(str(f["id"]) for f in ns.list() if f.get("orig_src") == "10.9.0.1")
            t.eq("view through suexec: the helper served the site user (member of group ctd)", want,
                 sorted(row["id"] for row in v["table"]))
            subprocess.run(["gpasswd", "-d", user, "ctd"], capture_output=True, check=True)
            s.refresh(sid)
            try:
                s.view(sid, {})
                got = None
            except xmlrpc.client.Fault as f:
                # root:ctd 4750 stops a non-member at exec (exit 127); the
                # helper's own group check is the second wall behind it
                got = (f.faultCode, "cannot run the helper" in f.faultString or "caller not allowed" in f.faultString)
            t.eq("control: the site user out of group ctd -> no helper for it (fault 6)", (6, True), got)
        try:
            slog = open("/var/log/apache2/suexec.log").read()
            t.ok("suexec's log shows it ran the wrapper as the site user",
                 f"uid: ({uid}/{user})" in slog and f"cmd: ctd.cgi" in slog, slog[-300:])
        except OSError as e:
            t.ok("suexec's log readable", False, repr(e))
    finally:
        _libc.setns(home, 0x40000000)
        os.close(home)
        subprocess.run(["/usr/sbin/apache2", "-f", conf, "-k", "stop"], capture_output=True)
        for _ in range(50):
            if not os.path.exists(f"{work}/apache2.pid"):
                break
            time.sleep(0.1)
t.done()
