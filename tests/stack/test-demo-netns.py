#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The demo as a newcomer gets it (README: What the demo shows): apache/demo.sh
start without DEMO_NETNS runs in namespace ctd-demo, forwards the host's
127.0.0.1:PORT into it, and apache/demo-traffic.py fills it with a live table.

- reached from the host's 127.0.0.1 (through the forward) and from inside
  the namespace; the curl calls the demo prints (login, a page of view)
  work from the host as printed;
- the rows are the namespace's: every id `view` returns is in
  `ip netns exec NS conntrack -L -o id` taken just before or just after;
- >= 200 entries of every kind (TCP, UDP, ICMP, ICMPv6, IPv6, SNAT, DNAT,
  marks >= 2^31, zones != 0; TCP in >= 4 states) through the API within
  10 s of the start returning (by `view` filters: protocol, family, `nat`,
  `mark` VALUE/MASK; zones and states counted over all rows);
- a row with a non-zero rate after two refreshes;
- new and destroy events in `conntrack -E` within 30 s (churn: a reset
  connection's entry leaves 10 s after the reset);
- an FTP expectation in `conntrack -L expect` within the FTP period (30 s)
  (skipped when the kernel has no FTP helper: traffic.log says so);
- accounting, timestamps and events (=1) switched on in the namespace;
- `demo.sh stop` leaves nothing running (Apache, generator, forwarder,
  sampler; nothing listens on the host's port) and keeps the namespace, as
  documented; the test then deletes it.

Which namespace: the true default (no DEMO_NETNS, so ctd-demo) when no
namespace ctd-demo exists; when one does (a user's demo), a unique name
ctd-demo-tPID instead, so as not to disturb it (the output says which).
Test runs hold a lock while deciding, so two of them never share ctd-demo.
The host's conntrack table is never written; the demo's own directory and
port are private (ctddemo.Demo)."""
import atexit
import fcntl
import os
import re
import select
import shutil
import subprocess
import sys
import time
import xmlrpc.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import T, need_root  # noqa: E402
from ctddemo import Demo, DemoError, InNetns  # noqa: E402

t = T()
need_root(t)
for tool in ("apache2", "socat", "nft", "conntrack", "curl", "htpasswd"):
    if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
        t.skip("the namespaced demo", f"{tool} missing: run make deps")
        t.done()

DEFAULT_NS = "ctd-demo"
FTP_PERIOD = 30


def netns_list():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def ns_ids(name):
    out = subprocess.run(["ip", "netns", "exec", name, "conntrack", "-L", "-o", "id"], capture_output=True,
                         text=True).stdout
    return set(re.findall(r"\bid=(\d+)\s*$", out, re.M))


def processes():
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [line.strip() for line in out.splitlines()]


class Ns:
    def __init__(self, name):
        self.name = name


# ---- values that would reach Apache's configuration or socat: refused first ----------------------
DEMO_SH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "apache", "demo.sh")
for var, bad, says in (("DEMO_PORT", "8443 bad", "give a TCP port"), ("DEMO_PORT", "70000", "give a TCP port"),
                       ("DEMO_NETNS", "x;touch /tmp/ctd-demo-injected", "give a network namespace name")):
    r = subprocess.run(["bash", DEMO_SH, "start"], env=dict(os.environ, **{var: bad}), capture_output=True,
                       text=True, timeout=60)
    t.ok(f"{var}={bad!r} is refused before anything starts", r.returncode != 0 and says in r.stderr,
         (r.returncode, r.stderr[-300:]))
t.ok("nothing ran from the bad name", not os.path.exists("/tmp/ctd-demo-injected"))

# ---- which namespace ----------------------------------------------------------------------------
lock = open(os.path.join("/run/lock" if os.path.isdir("/run/lock") else "/tmp", "ctd-test-demo-netns.lock"), "w")
fcntl.flock(lock, fcntl.LOCK_EX)
if DEFAULT_NS in netns_list():
    name, default = f"ctd-demo-t{os.getpid()}", False
    print(f"# a namespace {DEFAULT_NS} exists (a user's demo?): testing with DEMO_NETNS={name} instead", flush=True)
else:
    name, default = DEFAULT_NS, True
    print(f"# no namespace {DEFAULT_NS}: testing the default (no DEMO_NETNS)", flush=True)

d = Demo(Ns(name), mode="setuid", log_name="test-demo-netns-demo")
d.env.pop("DEMO_TRAFFIC", None)          # the default: traffic on
if default:
    d.env.pop("DEMO_NETNS", None)


def cleanup():
    d.stop()
    if name in netns_list():
        subprocess.run(["ip", "netns", "del", name])
    fcntl.flock(lock, fcntl.LOCK_UN)


atexit.register(cleanup)

try:
    r = d.start()
except DemoError as e:
    t.ok("demo starts", False, str(e))
    t.done()
t_ready = time.monotonic()
t.ok(f"demo starts in namespace {name}, says it is forwarded and that the traffic runs",
     name in netns_list() and "forwarded" in r.stdout and "traffic running" in r.stdout, r.stdout[-800:])

# ---- reachable from the host and from inside ----------------------------------------------------
try:
    host = d.client("admin")
    hsid = host.login()
    who = host.whoami(hsid)
except Exception as e:  # noqa: BLE001
    who = repr(e)
t.eq("from the host's 127.0.0.1 (the forward): login, whoami", {"user": "admin", "role": "operator"}, who)
with InNetns(name):
    try:
        inside = d.client("viewer")
        isid = inside.login()
        iwho = inside.whoami(isid)
        itotal = inside.view(isid, {}, "id", "A", 0, 1)["total"]
    except Exception as e:  # noqa: BLE001
        iwho, itotal = repr(e), 0
t.ok("from inside the namespace: login, whoami, a non-empty view",
     iwho == {"user": "viewer", "role": "viewer"} and itotal > 0, f"{iwho} total {itotal}")
curl_line = next((ln.strip() for ln in r.stdout.splitlines() if ln.strip().startswith("curl ")), "")
data_line = next((ln.strip() for ln in r.stdout.splitlines() if ln.strip().startswith("--data ")), "")
cr = subprocess.run(["bash", "-c", curl_line.rstrip("\\") + " " + data_line], capture_output=True, text=True,
                    timeout=60)
m = re.search(r"<string>([0-9a-f]+)</string>", cr.stdout)
t.ok("the printed curl call works from the host (a session id)",
     curl_line.startswith("curl ") and "ip netns" not in curl_line and m,
     f"{curl_line!r} -> {cr.stdout[-300:]!r} {cr.stderr[-200:]!r}")
# the printed paged view: its lines from `curl` to `</methodCall>' URL`, SESSION replaced
out_lines = r.stdout.splitlines()
first = next((i for i, ln in enumerate(out_lines) if "methodName>view<" in ln), None)
view_cmd = ""
if first is not None and m:
    last = next(i for i in range(first, len(out_lines)) if "</methodCall>'" in out_lines[i])
    view_cmd = "\n".join(out_lines[first - 1:last + 1]).replace("SESSION", m.group(1))
vr = subprocess.run(["bash", "-c", view_cmd], capture_output=True, text=True, timeout=60) if view_cmd else None
try:
    page = xmlrpc.client.loads(vr.stdout)[0][0] if vr else {}
except Exception as e:  # noqa: BLE001
    page = {"error": repr(e)}
t.ok("the printed view call works from the host: 10 rows, the fastest first, a real total",
     len(page.get("table", [])) == 10 and page.get("total", 0) >= 200 and page["table"][0]["rate"] >= 0,
     f"{view_cmd[:200]!r} -> {str(page)[:300]}")


# ---- every kind, through the API ----------------------------------------------------------------
def all_rows(c, sid):
    rows, start = [], 0
    while True:
        v = c.view(sid, {}, "id", "A", start, 1000)
        rows += v["table"]
        start += len(v["table"])
        if not v["table"] or start >= v["total"]:
            return rows


def kinds(c, sid):
    c.refresh(sid)
    k = {}
    for label, f in (("TCP", {"orig_l4proto": 6}), ("UDP", {"orig_l4proto": 17}), ("ICMP", {"orig_l4proto": 1}),
                     ("ICMPv6", {"orig_l4proto": 58}), ("IPv6", {"orig_l3proto": 10})):
        k[label] = c.view(sid, f, "id", "A", 0, 1)["total"]
    rows = all_rows(c, sid)
    by_rows = {"SNAT": sum(1 for x in rows if x["status"] & (1 << 4)),
               "DNAT": sum(1 for x in rows if x["status"] & (1 << 5)),
               "mark>=2^31": sum(1 for x in rows if x["mark"] < 0)}
    # DESIGN §7's filters where the CGI has them, else counted over the rows
    for label, f in (("SNAT", {"nat": "src"}), ("DNAT", {"nat": "dst"}),
                     ("mark>=2^31", {"mark": "0x80000000/0x80000000"})):
        try:
            k[label] = c.view(sid, f, "id", "A", 0, 1)["total"]
        except xmlrpc.client.Fault:
            k[label] = by_rows[label]
    k["zone"] = sum(1 for x in rows if x.get("zone", 0) != 0)
    states = {}
    for x in rows:
        if "tcp_state" in x:
            states[x["tcp_state"]] = states.get(x["tcp_state"], 0) + 1
    return k, states, rows


k, states, took, looked = {}, {}, None, 0.0
while time.monotonic() - t_ready < 10:
    looked = time.monotonic() - t_ready
    k, states, rows = kinds(host, hsid)
    if min(k.values()) >= 200 and len(states) >= 4:
        took = time.monotonic() - t_ready
        break
    time.sleep(0.5)
print(f"# kinds: {k}; TCP states: {states}; total rows {len(rows)}; "
      + (f"all there in the look that began {looked:.1f} s after start returned (done at {took:.1f} s)"
         if took is not None else "not reached in 10 s"), flush=True)
t.ok("within 10 s: >= 200 entries of every kind (TCP, UDP, ICMP, ICMPv6, IPv6, SNAT, DNAT, mark >= 2^31, "
     "zone) and TCP in >= 4 states", took is not None, f"{k} {states}")

# ---- the namespace's rows, nothing else ---------------------------------------------------------
b1 = ns_ids(name)
host.refresh(hsid)
a = {x["id"] for x in all_rows(host, hsid)}
b2 = ns_ids(name)
stray = a - (b1 | b2)
t.ok(f"every id view returns ({len(a)}) is in the namespace's conntrack -L (before or after)",
     a and not stray, f"{len(stray)} not there: {sorted(stray)[:5]}")

# ---- rates --------------------------------------------------------------------------------------
host.refresh(hsid)
host.view(hsid, {}, "rate", "D", 0, 5)
time.sleep(2)
host.refresh(hsid)
top = host.view(hsid, {}, "rate", "D", 0, 5)
rates = [round(x["rate"]) for x in top["table"]]
print(f"# top rates after two refreshes {top['interval']:.1f} s apart: {rates} B/s", flush=True)
t.ok("a row with a non-zero rate after two refreshes", rates and rates[0] > 0, top["table"][:2])

# ---- sysctls, expectation -----------------------------------------------------------------------
sysctls = {}
for key in ("acct", "timestamp", "events"):
    sysctls[key] = subprocess.run(["ip", "netns", "exec", name, "sysctl", "-n", f"net.netfilter.nf_conntrack_{key}"],
                                  capture_output=True, text=True).stdout.strip()
t.eq("accounting, timestamps and events (1) on in the namespace", {"acct": "1", "timestamp": "1", "events": "1"},
     sysctls)
with open(os.path.join(d.dir, "log", "traffic.log")) as f:
    no_helper = "no FTP helper" in f.read()
exp, t0 = "", time.monotonic()
while time.monotonic() - t0 < FTP_PERIOD + 10:
    exp = subprocess.run(["ip", "netns", "exec", name, "conntrack", "-L", "expect"], capture_output=True,
                         text=True).stdout
    if "helper=ftp" in exp:
        break
    time.sleep(1)
if no_helper and "helper=ftp" not in exp:
    t.skip("an FTP expectation in conntrack -L expect", "the kernel's FTP helper is not available here (traffic.log)")
else:
    t.ok(f"an FTP expectation in conntrack -L expect (seen after {time.monotonic() - t0:.0f} s)",
         "helper=ftp" in exp, exp[-300:])


# conntrack -E until 2 new and 1 destroy event, or 30 s: the first destroys
# are the reset connections' CLOSE entries, 10 s after their reset, when the
# kernel's garbage collector meets them (later on a loaded machine)
ev = subprocess.Popen(["ip", "netns", "exec", name, "conntrack", "-E", "-e", "NEW,DESTROY"], stdout=subprocess.PIPE,
                      stderr=subprocess.DEVNULL)
got, news, dest = b"", 0, 0
t0 = time.monotonic()
while time.monotonic() - t0 < 30 and (news < 2 or dest < 1):
    if select.select([ev.stdout], [], [], 0.5)[0]:
        got += os.read(ev.stdout.fileno(), 65536)
        news, dest = got.count(b"[NEW]"), got.count(b"[DESTROY]")
ev.terminate()
ev.wait()
print(f"# conntrack -E in the namespace: {news} new, {dest} destroy in {time.monotonic() - t0:.1f} s", flush=True)
t.ok("the table churns: new and destroy events within 30 s (the Live tab moves)", news >= 2 and dest >= 1,
     f"{news} new, {dest} destroy")


# ---- stop ---------------------------------------------------------------------------------------
def demo_processes():
    found = {}
    for p in processes():
        if d.dir in p and "apache2" in p:
            found.setdefault("apache", []).append(p)
        elif "demo-traffic.py" in p and f"--netns {name}" in p:
            found.setdefault("generator", []).append(p)
        elif "socat" in p and f":{d.port}" in p:
            found.setdefault("socat", []).append(p)
        elif d.cgi in p and "--sample" in p:
            found.setdefault("sampler", []).append(p)
    return found


def host_listener():
    return subprocess.run(["ss", "-Hltn", f"sport = :{d.port}"], capture_output=True, text=True).stdout.strip()


running = demo_processes()
t.ok("while it runs: Apache, the generator, the forwarder and the sampler are seen",
     set(running) == {"apache", "generator", "socat", "sampler"} and host_listener(), sorted(running))
sr = d.run("stop")
time.sleep(0.5)
left = demo_processes()
t.ok("demo.sh stop: nothing of it left running, nothing listens on the host's port",
     sr.returncode == 0 and not left and not host_listener(), f"{left} {host_listener()!r} {sr.stdout}")
t.ok(f"the namespace {name} is kept (as documented)", name in netns_list())
subprocess.run(["ip", "netns", "del", name])
t.ok("and the test deletes it", name not in netns_list())
t.done()
