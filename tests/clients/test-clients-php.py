#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi with a PHP client (php-xmlrpc, as pyctd's PHP frontend): requests
built by tests/clients/php/client.php (iso-8859-1, array() as filters, ids
as strings), run through the real CGI exactly as Apache would (environment,
body on stdin, as www-data, real setuid helper, private namespace), and the
answers decoded by php's xmlrpc_decode.  Oracle: conntrack -L."""
import grp
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import BUILD, OUT, TOP, T, Netns, need_root  # noqa: E402

t = T()
need_root(t)
NAME = os.path.basename(sys.argv[0])
if not shutil.which("php"):
    t.skip(NAME, "php missing (apt-get install php-cli php-xmlrpc)")
    t.done()
if "xmlrpc" not in subprocess.run(["php", "-m"], capture_output=True, text=True).stdout.split():
    t.skip(NAME, "php xmlrpc extension missing (php-xmlrpc)")
    t.done()
CGI, HELPER = os.path.join(BUILD, "ctd.cgi"), os.path.join(BUILD, "ctd-helper")
if not (os.access(CGI, os.X_OK) and os.access(HELPER, os.X_OK)):
    t.skip(NAME, "binaries not built")
    t.done()

PHPC = os.path.join(TOP, "tests", "clients", "php", "client.php")
if subprocess.run(["getent", "group", "ctd"], capture_output=True).returncode != 0:
    subprocess.run(["groupadd", "--system", "ctd"], check=True)
GID = grp.getgrnam("ctd").gr_gid
D = tempfile.mkdtemp(prefix="ctdtest.", dir="/var/tmp")
os.chmod(D, 0o755)
shutil.copy(CGI, f"{D}/ctd.cgi")
os.chmod(f"{D}/ctd.cgi", 0o755)
shutil.copy(HELPER, f"{D}/ctd-helper")
os.chown(f"{D}/ctd-helper", 0, GID)
os.chmod(f"{D}/ctd-helper", 0o4750)
os.mkdir(f"{D}/state", 0o700)
os.chown(f"{D}/state", 33, 33)
with open(f"{D}/ctd.conf", "w") as f:
    # admin changes and kills: an operator (default_role is viewer)
    f.write(f"database = {D}/state/ctd.db\nhelper = {D}/ctd-helper\ndefault_role = operator\n")
os.chmod(f"{D}/ctd.conf", 0o644)


def php(*args, data=None):
    return subprocess.run(["php", PHPC, *args], input=data, capture_output=True).stdout


class Call:
    """The CGI's whole output (headers and body) for one request, as Apache runs it."""

    def __init__(self, ns, user, req):
        env = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "text/xml", "CONTENT_LENGTH": str(len(req)),
               "REMOTE_USER": user, "REMOTE_ADDR": "127.0.0.1", "GATEWAY_INTERFACE": "CGI/1.1",
               "SERVER_PROTOCOL": "HTTP/1.1", "SCRIPT_NAME": "/RPC2", "CTD_CONFIG": f"{D}/ctd.conf"}
        self.out = ns.run("/usr/bin/env", "-i", *(f"{k}={v}" for k, v in env.items()), "/usr/bin/setpriv",
                          "--reuid=33", "--regid=33", f"--groups={GID}", f"{D}/ctd.cgi", input=req, text=False,
                          check=False).stdout
        with open(os.path.join(OUT, "test-cgi-php.last-out"), "wb") as f:
            f.write(self.out)
        # the body: everything after the first empty line
        m = re.search(rb"\r?\n\r?\n", self.out)
        self.head = (self.out[:m.start()] if m else self.out).decode("latin-1")
        self.body = self.out[m.end():] if m else b""


def php_call(ns, user, *args):
    """USER calls METHOD ARGS... through PHP -> the answer decoded by PHP (JSON: value, fault, nulls)."""
    c = Call(ns, user, php("request", *args))
    php_call.last = c
    try:
        return json.loads(php("decode", data=c.body))
    except ValueError:
        return {}


try:
    with Netns() as ns:
        ns.ct("-I", "-s", "10.11.0.1", "-d", "10.11.0.2", "-p", "tcp", "--sport", "4001", "--dport", "80",
              "--state", "ESTABLISHED", "--timeout", "900", "--mark", "7", check=False)
        ns.ct("-I", "-s", "10.11.0.1", "-d", "10.11.0.3", "-p", "udp", "--sport", "4002", "--dport", "53",
              "--timeout", "900", "--mark", "4294967295", check=False)
        ns.ct("-I", "-s", "2001:db8:11::1", "-d", "2001:db8:11::2", "-p", "udp", "--sport", "4003", "--dport", "53",
              "--timeout", "900", check=False)

        def ids_of(pattern):
            return [m.group(1) for line in ns.ct("-L", "-o", "id", check=False).stdout.splitlines()
                    if re.search(pattern, line) for m in [re.search(r"id=([0-9]+)$", line)] if m]

        ID1, ID2, ID3 = (ids_of(f"sport={p} ") for p in (4001, 4002, 4003))
        t.ok("test data: three entries with ids", ID1 and ID2 and ID3)
        ID1, ID2, ID3 = (x[0] if x else "" for x in (ID1, ID2, ID3))

        req = php("request", "login")
        t.ok("PHP request is declared iso-8859-1", b'encoding="iso-8859-1"' in req)
        t.ok("PHP login carries raw Latin-1 bytes (not UTF-8)", b"jos\xe9" in req)
        a = php_call(ns, "admin", "login")
        SID = a.get("value") if isinstance(a.get("value"), str) else ""
        t.ok(f"login (iso-8859-1 request, REMOTE_USER) -> session string: {a}", len(SID) >= 22)
        head = php_call.last.head
        st = re.search(r"^status: *([0-9]+)", head, re.I | re.M)
        t.eq("Status header 200", "Status: 200", f"Status: {st.group(1)}" if st else "")
        t.ok("Content-Type text/xml", re.search(r"^content-type: *text/xml", head, re.I | re.M))
        w = php_call(ns, "admin", "whoami", SID).get("value", {})
        t.eq("whoami decoded by xmlrpc_decode", "admin operator", f"{w.get('user')} {w.get('role')}")
        t.eq("set_autorefresh 0 -> true (PHP bool)", True,
             php_call(ns, "admin", "set_autorefresh", SID, "0").get("value"))
        a = php_call(ns, "admin", "view", SID)
        v = a.get("value", {})
        table = v.get("table", [])
        t.eq("view with array() as filters: total 3", 3, v.get("total"))
        t.eq("view: no NULL anywhere in PHP's decoding (no <i8>/<nil/>)", 0, a.get("nulls"))
        t.eq("view: ids are strings equal to conntrack's", sorted([ID1, ID2, ID3]), sorted(r.get("id") for r in table))
        t.ok("view: ids decode as PHP strings", table and all(isinstance(r["id"], str) for r in table))
        t.eq("view: mark 0xFFFFFFFF decodes as int -1", [-1],
             [r["mark"] for r in table if r.get("orig_port_src") == 4002][:1])
        t.ok("view: counters decode as PHP floats",
             table and all(isinstance(r["orig_counter_bytes"], float) or r["orig_counter_bytes"] == 0 for r in table))
        t.ok("view: accounting decodes as a boolean", isinstance(v.get("accounting"), bool))
        t.eq("view with a string filter value (orig_port_src '4001' from a form)", 1,
             php_call(ns, "admin", "viewf", SID, "orig_port_src", "4001").get("value", {}).get("total"))
        t.eq("view ordered by orig_src DESC: IPv6 first", 10,
             (php_call(ns, "admin", "view", SID, "orig_src", "DESC", "0", "10").get("value", {}).get("table") or
              [{}])[0].get("orig_l3proto"))
        t.eq("change mark with the id as a string -> true", True,
             php_call(ns, "admin", "change", SID, "mark", ID1, "99").get("value"))
        t.eq("conntrack -L shows mark 99", 1, sum(line.endswith(f"id={ID1}") and "mark=99 " in line
                                                  for line in ns.ct("-L", "-o", "id", check=False).stdout.splitlines()))
        t.eq("kill with ids as strings -> 2", 2, php_call(ns, "admin", "kill", SID, ID2, ID3).get("value"))
        t.eq("both gone from conntrack -L", [], ids_of("sport=400[23] "))
        t.eq("the third is alive", [ID1], ids_of("sport=4001 "))
        t.eq("unknown id as string -> fault 5 via xmlrpc_is_fault", 5,
             php_call(ns, "admin", "kill", SID, "12345").get("fault"))
        t.eq("bad filter -> fault 3", 3, php_call(ns, "admin", "viewf", SID, "nosuchfilter", "x").get("fault"))
        t.eq("session as another REMOTE_USER -> fault 2", 2, php_call(ns, "bob", "whoami", SID).get("fault"))
        t.eq("logout -> true", True, php_call(ns, "admin", "logout", SID).get("value"))
        t.eq("after logout -> fault 2", 2, php_call(ns, "admin", "view", SID).get("fault"))
finally:
    shutil.rmtree(D, ignore_errors=True)
t.done()
