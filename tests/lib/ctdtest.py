# SPDX-License-Identifier: GPL-2.0-or-later
"""The test harness: every test entry point (tests/*/test-*) counts its
checks with T and ends with its summary line, which tests/run-tests.sh adds up.

    from ctdtest import T, Netns, need_root
    t = T()
    need_root(t)                 # skips the whole file with the reason unless root + netns
    with Netns() as ns:          # private conntrack table, removed on exit even on failure
        ns.ct("-I", "-s", "10.0.0.1", ...)
        t.eq("entries", 1, len(ns.list()))
    t.done()                     # prints "N passed, N failed, N skipped", exits 0/1
"""
import atexit
import functools
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import types
import xml.etree.ElementTree as ET

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CTD_BUILD", os.path.join(TOP, ".build"))
SAN_BUILD = os.environ.get("CTD_SAN_BUILD", os.path.join(TOP, ".build-san"))
OUT = os.environ.get("CTD_TEST_OUT", os.path.join(TOP, ".test-out"))
os.makedirs(OUT, exist_ok=True)

_live_ns = set()


def _cleanup_all():
    for name in list(_live_ns):
        _del_ns(name)


def _del_ns(name):
    try:
        pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout.split()
        for p in pids:
            try:
                os.kill(int(p), signal.SIGKILL)
            except OSError:
                pass
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
    finally:
        _live_ns.discard(name)


atexit.register(_cleanup_all)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))


class T:
    """Counts checks; each prints one line; done() prints the summary."""

    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def ok(self, desc, cond, detail=""):
        if cond:
            self.passed += 1
            print(f"ok - {desc}", flush=True)
        else:
            self.failed += 1
            print(f"not ok - {desc}" + (f"   ({detail})" if detail else ""), flush=True)
        return bool(cond)

    def eq(self, desc, want, got):
        return self.ok(desc, want == got, f"want {want!r}, got {got!r}")

    def raises(self, desc, fn, check=None):
        """Passes if fn() raises and check(exc) (if given) is true."""
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - any exception is the point
            return self.ok(desc, check is None or check(e), f"raised {e!r}")
        return self.ok(desc, False, "did not raise")

    def skip(self, desc, why):
        self.skipped += 1
        print(f"skip - {desc}: {why}", flush=True)

    def done(self):
        print(f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped", flush=True)
        sys.exit(1 if self.failed else 0)


def need_root(t, what=None):
    name = what or os.path.basename(sys.argv[0])
    if os.geteuid() != 0:
        t.skip(name, "needs root (network namespaces, conntrack); run with sudo")
        t.done()
    probe = f"ctdt-probe-{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode != 0:
        t.skip(name, "cannot create network namespaces here")
        t.done()
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    if not shutil.which("conntrack"):
        t.skip(name, "conntrack(8) missing: run make deps")
        t.done()


# Python source for the small scripts the helper tests run as other users
# (python3 -c): one conversation with a helper started on the far end of
# socket `a`: send, half-close, read the whole answer, reap.  Returns the
# wait status and the answer.
CONVERSE_PY = r"""
def converse(a, pid, data, timeout=60):
    try:
        if data:
            a.sendall(data)
        a.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    ans = b""
    a.settimeout(timeout)
    try:
        while True:
            c = a.recv(65536)
            if not c:
                break
            ans += c
    except OSError:
        pass
    _, st = os.waitpid(pid, 0)
    return st, ans
"""

# In a private mount namespace: a tmpfs /dev with /dev/null and a /dev/log
# datagram socket read as syslogd would (a full queue blocks the sender);
# runs argv and prints {"out", "err", "log"} as JSON.
_SYSLOG_PY = r"""
import json, os, socket, stat, subprocess, sys, threading
subprocess.run(["mount", "-t", "tmpfs", "ctdtest", "/dev"], check=True)
os.mknod("/dev/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3)); os.chmod("/dev/null", 0o666)
log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); log.bind("/dev/log"); os.chmod("/dev/log", 0o666)
msgs, done = [], threading.Event()
def reader():
    log.settimeout(0.1)
    while not done.is_set():
        try:
            msgs.append(log.recv(4096).decode(errors="replace"))
        except socket.timeout:
            pass
th = threading.Thread(target=reader, daemon=True); th.start()
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
done.set(); th.join()
log.setblocking(False)
while True:
    try:
        msgs.append(log.recv(4096).decode(errors="replace"))
    except BlockingIOError:
        break
print(json.dumps({"out": r.stdout, "err": r.stderr, "log": msgs}))
"""


def syslog_capture(ns, argv):
    """Runs argv (inside ns) with a private /dev/log; returns (the last line
    argv printed, parsed as JSON, or None; syslog lines; stderr)."""
    r = ns.run("unshare", "-m", "--propagation", "private", "python3", "-c", _SYSLOG_PY, *argv,
               check=False)
    try:
        j = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None, [], r.stderr[-300:]
    try:
        res = json.loads(j["out"].strip().splitlines()[-1])
    except (ValueError, IndexError):
        res = None
    return res, j["log"], j["err"][-300:]


def proc_status(pid):
    """/proc/PID/status as {field: [values]}."""
    st = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        st[k] = v.split()
    return st


@functools.lru_cache(maxsize=None)
def proto():
    """The helper protocol's constants as the C compiler sees them in
    include/ctd_proto.h and include/ctd_exit.h (tests/tools/ctd-hc
    --proto-json), never retyped here.  Attributes are the C names without
    CTD_ (P.PROTO_VERSION, P.FRAME_MAX, P.REQ_DUMP, P.RSP_END, P.EXIT_CALLER);
    P.size["record"] is sizeof(struct ctd_record); P.requests the request
    types (CTD_REQ_*); P.exit_reason[code] the helper's sentence for an exit
    code."""
    hc = os.path.join(BUILD, "tools", "ctd-hc")
    j = json.loads(subprocess.run([hc, "--proto-json"], check=True, capture_output=True, text=True).stdout)
    names = {}
    for group, rows in j.items():
        if group not in ("sizes", "exit_reasons"):
            names.update({k.removeprefix("CTD_"): v for k, v in rows.items()})
    return types.SimpleNamespace(
        **names, size={k.removeprefix("ctd_"): v for k, v in j["sizes"].items()},
        requests={v for k, v in j["msg_types"].items() if k.startswith("CTD_REQ_")},
        exit_reason={int(k): v for k, v in j["exit_reasons"].items()})


FRAME_HDR = struct.Struct("<IHH")  # struct ctd_frame_hdr: len, version, type


def frame(typ, payload=b"", version=None, length=None):
    """One protocol frame: header (the protocol's version unless given;
    the payload's length unless given) and payload."""
    return FRAME_HDR.pack(len(payload) if length is None else length,
                          proto().PROTO_VERSION if version is None else version, typ) + payload


def answer_types(ans):
    """The frame types in a helper's answer (bytes), in order."""
    found, off = [], 0
    while off + FRAME_HDR.size <= len(ans):
        n, _, typ = FRAME_HDR.unpack_from(ans, off)
        found.append(typ)
        off += FRAME_HDR.size + n
    return found


MAX_PATH = "/proc/sys/net/netfilter/nf_conntrack_max"


def raise_conntrack_max(need):
    """nf_conntrack_max is global (host namespace): raise it for the run if
    `need` entries would not fit in one namespace, and restore it at exit."""
    with open(MAX_PATH) as f:
        old = int(f.read())
    if old >= need:
        print(f"# nf_conntrack_max is {old} (>= {need} needed): left as it is")
        return

    def restore():
        with open(MAX_PATH, "w") as f:
            f.write(str(old))
        print(f"# nf_conntrack_max restored to {old}")
    with open(MAX_PATH, "w") as f:
        f.write(str(need))
    atexit.register(restore)
    print(f"# nf_conntrack_max raised from {old} to {need} for this run (global; restored at exit)")


class Netns:
    """A private network namespace with its own conntrack table."""

    def __init__(self, accounting=True, timestamps=True, track=False):
        self.name = f"ctdt-{os.getpid()}-{random.randrange(1 << 30)}"
        self.accounting, self.timestamps, self.track = accounting, timestamps, track

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        _live_ns.add(self.name)
        self.run("ip", "link", "set", "lo", "up")
        self.run("conntrack", "-L", check=False)  # loads the module's sysctls
        self.sysctl("net.netfilter.nf_conntrack_acct", 1 if self.accounting else 0)
        self.sysctl("net.netfilter.nf_conntrack_timestamp", 1 if self.timestamps else 0)
        if self.track:
            self.track_traffic()
        return self

    def __exit__(self, *exc):
        _del_ns(self.name)
        return False

    def cmd(self, *argv):
        return ["ip", "netns", "exec", self.name, *argv]

    def run(self, *argv, check=True, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        return subprocess.run(self.cmd(*argv), check=check, **kw)

    def popen(self, *argv, **kw):
        return subprocess.Popen(self.cmd(*argv), **kw)

    def sysctl(self, key, value):
        self.run("sysctl", "-qw", f"{key}={value}", check=False)

    def ct(self, *args, check=True):
        return self.run("conntrack", *args, check=check)

    def track_traffic(self):
        rules = ("table inet ctdtest {\n"
                 " chain in { type filter hook input priority 0; ct state established accept; }\n"
                 " chain out { type filter hook output priority 0; ct state established accept; }\n}\n")
        self.run("nft", "-f", "-", input=rules)

    def list(self):
        """conntrack -L -o xml, parsed: a list of dicts (the independent view)."""
        xml = self.ct("-L", "-o", "xml,id", check=False).stdout
        return parse_conntrack_xml(xml)


def parse_conntrack_xml(xml):
    """Flows from `conntrack -L -o xml[,id]` as dicts with keys such as
    id, l3proto, l4proto, orig_src, orig_dst, orig_sport, orig_dport,
    repl_src, ..., mark, zone, timeout, state, orig_packets, orig_bytes, ..."""
    flows = []
    if not xml.strip():
        return flows
    # conntrack prints one <conntrack> document; be lenient about trailers
    start = xml.find("<conntrack>")
    end = xml.rfind("</conntrack>")
    if start < 0 or end < 0:
        return flows
    root = ET.fromstring(xml[start:end + len("</conntrack>")])
    for flow in root.findall("flow"):
        d = {}
        for meta in flow.findall("meta"):
            direction = meta.get("direction")
            if direction in ("original", "reply"):
                p = "orig" if direction == "original" else "repl"
                l3 = meta.find("layer3")
                l4 = meta.find("layer4")
                if l3 is not None:
                    d["l3proto"] = l3.get("protoname")
                    d[p + "_src"] = l3.findtext("src")
                    d[p + "_dst"] = l3.findtext("dst")
                if l4 is not None:
                    d["l4proto"] = l4.get("protoname")
                    for k in ("sport", "dport"):
                        v = l4.findtext(k)
                        if v is not None:
                            d[p + "_" + k] = int(v)
                    for k in ("type", "code", "id"):
                        v = l4.findtext(k)
                        if v is not None:
                            d[p + "_icmp_" + k] = int(v)
                c = meta.find("counters")
                if c is not None:
                    d[p + "_packets"] = int(c.findtext("packets"))
                    d[p + "_bytes"] = int(c.findtext("bytes"))
                z = meta.findtext("zone")
                if z is not None:
                    d[p + "_zone"] = int(z)
            elif direction == "independent":
                for k in ("state", "timeout", "mark", "id", "zone", "use"):
                    v = meta.findtext(k)
                    if v is not None:
                        d[k] = v if k == "state" else int(v)
                for k in ("assured", "unreplied"):
                    if meta.find(k) is not None:
                        d[k] = True
        flows.append(d)
    return flows
