#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The shipped deployment files, checked by the programs that read them:
apache/ctd.conf.example names every configuration key and each of its
commented lines, uncommented alone, is accepted by the real ctd.cgi (a
broken one would be fault 8); apache/ctd-site.conf (mpm_event + cgid, and
prefork + cgi) and apache/ctd-site-suexec.conf pass `apache2 -t` with their
modules; the demo's generated Apache configuration does too.
Oracle: apache/ctd.conf.example (the key table), Apache's own parser."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xmlrpc.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import BUILD, TOP, T  # noqa: E402

t = T()
EXAMPLE = os.path.join(TOP, "apache", "ctd.conf.example")
# every key the parser accepts: the lines of its key table (cgi/config.c keys[])
KEYS = re.findall(r'^\s*\{"([a-z_]+)", (?:PATH\(|KK_)', open(os.path.join(TOP, "cgi", "config.c")).read(), re.M)
MODDIR = "/usr/lib/apache2/modules"

work = tempfile.mkdtemp(prefix="ctd-conftest.", dir="/var/tmp")
try:
    text = open(EXAMPLE).read()
    commented = re.findall(r"^#([a-z_]+)\s*=(.*)$", text, re.M)
    named = {k for k, _ in commented}
    t.eq("ctd.conf.example shows every key of the configuration contract", sorted(KEYS), sorted(named))
    t.ok("ctd.conf.example sets nothing (every key commented)",
         not re.search(r"^[a-z_]+\s*=", text, re.M))

    # ---- the real CGI reads each example line --------------------------------------
    cgi = os.path.join(BUILD, "ctd.cgi")
    if not os.access(cgi, os.X_OK):
        t.skip("ctd.conf.example against ctd.cgi", f"{cgi} not built (make)")
    else:
        body = xmlrpc.client.dumps((), "login").encode()

        def run_cgi(conf_text):
            conf = os.path.join(work, "ctd.conf")
            with open(conf, "w") as f:
                f.write(conf_text)
            env = {"PATH": "/usr/bin:/bin", "REQUEST_METHOD": "POST", "CONTENT_TYPE": "text/xml",
                   "CONTENT_LENGTH": str(len(body)), "REMOTE_USER": "admin", "CTD_CONFIG": conf,
                   "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1", "SCRIPT_NAME": "/RPC2"}
            r = subprocess.run([cgi], input=body, env=env, capture_output=True, timeout=30)
            out = r.stdout.decode("utf-8", "replace")
            m = re.search(r"<name>faultCode</name>\s*<value>\s*<(?:int|i4)>(-?\d+)<", out)
            return (int(m.group(1)) if m else None), out, r.stderr.decode("utf-8", "replace")

        db = f"database = {work}/ctd.db\n"
        code, out, err = run_cgi(text + "\n" + db)
        t.ok("the example as shipped (+ a database path) is accepted: login works",
             code is None and "<string>" in out, out[-300:] + err[-300:])
        for k, v in commented:
            # the example's database path is the real /var/lib/ctd: use ours
            line = db if k == "database" else f"{k} ={v}\n"
            code, out, err = run_cgi(text + "\n" + line + ("" if k == "database" else db))
            t.ok(f"example line accepted by ctd.cgi: #{k} ={v}", code != 8, out[-300:] + err[-300:])
        # the probe can fail: a misspelt key is fault 8 (so the checks above mean something)
        code, out, err = run_cgi(text + "\n" + db + "sesion_lifetime = 5\n")
        t.eq("control: a misspelt key is fault 8", 8, code)

    # ---- Apache parses the site files -----------------------------------------------
    apache = shutil.which("apache2") or "/usr/sbin/apache2"
    if not os.path.exists(apache) or not shutil.which("openssl"):
        t.skip("apache2 -t of the site files", "apache2/openssl missing: run make deps")
    else:
        cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                       capture_output=True, check=True)
        open(os.path.join(work, "htpasswd"), "w").close()
        os.makedirs(os.path.join(work, "console"), exist_ok=True)
        mods = ["authz_core", "authz_user", "authn_core", "authn_file", "auth_basic", "mime", "dir", "socache_shmcb",
                "ssl", "alias", "env", "setenvif", "headers", "rewrite", "reqtimeout"]

        def configtest(name, mpm, cgimod, extra_mods, include, defines):
            conf = os.path.join(work, name + ".conf")
            lines = ["ServerRoot /etc/apache2", f"LoadModule mpm_{mpm}_module {MODDIR}/mod_mpm_{mpm}.so",
                     f"LoadModule {cgimod}_module {MODDIR}/mod_{cgimod}.so"]
            lines += [f"LoadModule {m}_module {MODDIR}/mod_{m}.so" for m in mods + extra_mods]
            lines += [f"PidFile {work}/{name}.pid", f"DefaultRuntimeDir {work}", f"ErrorLog {work}/{name}.err",
                      "ServerName 127.0.0.1", "Listen 127.0.0.1:18999 https", "User www-data", "Group www-data"]
            lines += [f"Define {k} {v}" for k, v in defines.items()]
            lines.append(f"Include {include}")
            with open(conf, "w") as f:
                f.write("\n".join(lines) + "\n")
            r = subprocess.run([apache, "-t", "-f", conf], capture_output=True, text=True)
            return r.returncode == 0 and "Syntax OK" in r.stdout + r.stderr, r.stdout + r.stderr

        site = os.path.join(TOP, "apache", "ctd-site.conf")
        d = {"CTD_VHOST": "127.0.0.1:18999", "CTD_CGI": "/bin/true", "CTD_CONFIG": EXAMPLE,
             "CTD_CONSOLE": os.path.join(work, "console"), "CTD_HTPASSWD": os.path.join(work, "htpasswd"),
             "CTD_CERT": cert, "CTD_KEY": key, "CTD_LOGDIR": work}
        ok, out = configtest("event", "event", "cgid", [], site, d)
        t.ok("apache2 -t: ctd-site.conf with mpm_event + mod_cgid", ok, out)
        ok, out = configtest("prefork", "prefork", "cgi", [], site, d)
        t.ok("apache2 -t: ctd-site.conf with mpm_prefork + mod_cgi (CGIScriptTimeout)", ok, out)
        sx = os.path.join(TOP, "apache", "ctd-site-suexec.conf")
        d = {"CTD_SX_VHOST": "127.0.0.1:18999", "CTD_SX_USER": "www-data", "CTD_SX_ROOT": work,
             "CTD_SX_HTPASSWD": os.path.join(work, "htpasswd"), "CTD_SX_CERT": cert, "CTD_SX_KEY": key,
             "CTD_SX_LOGDIR": work}
        if not os.path.exists("/usr/lib/apache2/suexec"):
            # Apache refuses SuexecUserGroup without the binary
            t.skip("apache2 -t: ctd-site-suexec.conf", "no /usr/lib/apache2/suexec (apache2-suexec-pristine)")
        else:
            ok, out = configtest("suexec", "event", "cgid", ["suexec"], sx, d)
            t.ok("apache2 -t: ctd-site-suexec.conf with mod_suexec", ok, out)
        # control: the parser really reads the file (a broken include fails)
        broken = os.path.join(work, "broken.conf")
        with open(broken, "w") as f:
            f.write(open(site).read().replace("RewriteEngine On", "RewriteEngine Sideways"))
        ok, out = configtest("broken", "event", "cgid", [], broken,
                             {"CTD_VHOST": "127.0.0.1:18999", "CTD_CERT": cert, "CTD_KEY": key,
                              "CTD_LOGDIR": work, "CTD_HTPASSWD": os.path.join(work, "htpasswd")})
        t.ok("control: apache2 -t refuses a broken copy of the site file", not ok, out)
finally:
    shutil.rmtree(work, ignore_errors=True)
t.done()
