#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd-helper's start-up and trust checks, and its frame decoder, with the
real binary: callers allowed and refused (each with its exit code, nothing
done), NO_NEW_PRIVS refused with a clear message, /proc/<pid>/status of a
helper waiting for its request (CapEff empty, CapPrm = cap_net_admin only,
CapBnd empty, NoNewPrivs 1, uid not 0) in setuid, setcap and socket mode,
malformed frames each ending the helper with its own code (also under
ASan), the request timeout, and the client library's error sentences."""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import (  # noqa: E402
    BUILD, CONVERSE_PY, FRAME_HDR, SAN_BUILD, Netns, T, answer_types, frame, need_root, proc_status, proto,
    syslog_capture)

t = T()
need_root(t)
HELPER = os.path.join(BUILD, "ctd-helper")
SAN_HELPER = os.path.join(SAN_BUILD, "ctd-helper")
HC = os.path.join(BUILD, "tools", "ctd-hc")
for p in (HELPER, HC):
    if not os.access(p, os.X_OK):
        t.skip("test-helper-trust", f"{p} not built: run make")
        t.done()

CAP_NET_ADMIN = 1 << 12
P = proto()
V = P.PROTO_VERSION
REQ_DUMP, REQ_COUNT, REQ_DESTROY = P.REQ_DUMP, P.REQ_COUNT, P.REQ_DESTROY
RSP_RECORDS, RSP_RESULTS, RSP_END, RSP_COUNT = P.RSP_RECORDS, P.RSP_RESULTS, P.RSP_END, P.RSP_COUNT


def dump_req(flags=0, mark=0, mask=0, family=0):
    return struct.pack("<IIIIIHBB", flags, mark, mask, 0, 0, 0, family, 0)


def events_req(types=1, duration_ms=100, mx=10, flags=0, l4=0, nexclude=0, exclude=b""):
    """struct ctd_events_req: types, duration, max, filter flags, l4proto,
    src/dst prefixes, nexclude, src, dst, then the excluded networks."""
    body = struct.pack("<IIIIBBBB4s4s", types, duration_ms, mx, flags, l4, 0, 0, nexclude, bytes(4), bytes(4))
    return body + exclude + bytes(P.size["events_req"] - len(body) - len(exclude))


# The caller's side, run as the caller's uid: make the socketpair, start
# the helper on fd 3 with an empty environment, optionally hold (print the
# helper's pid and wait for a line on stdin), send the bytes, read the answer.
SPAWN = r"""
import json, os, socket, sys
""" + CONVERSE_PY + r"""
helper, data, hold = sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3] == "hold"
a, b = socket.socketpair()
pid = os.fork()
if pid == 0:
    os.dup2(b.fileno(), 3)
    nul = os.open("/dev/null", os.O_RDWR)
    os.dup2(nul, 0); os.dup2(nul, 1)
    if len(sys.argv) > 4:  # stderr a regular file; SIGXFSZ as a C caller has it (python ignores it)
        os.dup2(os.open(sys.argv[4], os.O_WRONLY | os.O_TRUNC), 2)
        import signal; signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    os.closerange(4, 4096)
    os.execve(helper, ["ctd-helper"], {})
b.close()
if hold:
    print(pid, flush=True)
    sys.stdin.readline()
st, ans = converse(a, pid, data)
print(json.dumps({"rc": os.waitstatus_to_exitcode(st), "answer": ans.hex()}), flush=True)
"""


def syslog_run(ns, helper, data, uid=0):
    """One conversation (as uid, if given) with a private /dev/log: (exit code, syslog lines)."""
    res, log, err = syslog_capture(ns, [*as_user(uid or None), "python3", "-c", SPAWN, helper, data.hex(),
                                        "send"])
    return (res["rc"], log) if res else (None, [err])


def as_user(uid=None, nnp=False, groups=None):
    if uid is None:
        return []
    g = ["--clear-groups"] if not groups else [f"--groups={groups}"]
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", *g] + (["--no-new-privs"] if nnp else [])


def spawn(ns, helper, data, uid=None, nnp=False, groups=None):
    """Run one conversation; returns (exit code, answer bytes, stderr)."""
    r = ns.run(*as_user(uid, nnp, groups), "python3", "-c", SPAWN, helper, data.hex(), "send", check=False)
    try:
        j = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None, b"", r.stderr
    return j["rc"], bytes.fromhex(j["answer"]), r.stderr


def held(ns, helper, uid=None):
    """Start a helper that waits for its request; returns (Popen, helper pid)."""
    p = ns.popen(*as_user(uid), "python3", "-c", SPAWN, helper, frame(REQ_COUNT).hex(), "hold",
                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid = int(p.stdout.readline())
    # start-up is over once the last step (rlimits) is in place
    for _ in range(200):
        try:
            if "Max open files            0" in open(f"/proc/{pid}/limits").read():
                break
        except OSError:
            break
        time.sleep(0.01)
    return p, pid


def release(p):
    out, err = p.communicate("\n", timeout=30)
    return json.loads(out.strip().splitlines()[-1]), err


def check_status(desc, pid, want_uid, bnd_empty=True):
    st = proc_status(pid)
    t.eq(f"{desc}: CapEff empty between calls", 0, int(st["CapEff"][0], 16))
    t.eq(f"{desc}: CapPrm = cap_net_admin only", CAP_NET_ADMIN, int(st["CapPrm"][0], 16))
    t.eq(f"{desc}: CapInh and CapAmb empty", (0, 0), (int(st["CapInh"][0], 16), int(st["CapAmb"][0], 16)))
    if bnd_empty:
        t.eq(f"{desc}: CapBnd empty", 0, int(st["CapBnd"][0], 16))
    t.eq(f"{desc}: NoNewPrivs 1", "1", st["NoNewPrivs"][0])
    t.eq(f"{desc}: real, effective, saved uid all {want_uid}", [str(want_uid)] * 4, st["Uid"])
    t.ok(f"{desc}: uid not 0", want_uid != 0)


tmp = tempfile.mkdtemp(prefix="ctdtest.", dir="/var/tmp")
os.chmod(tmp, 0o755)
test_user = f"ctdt{os.getpid() % 100000}"
try:
    if subprocess.run(["getent", "group", "ctd"], capture_output=True).returncode != 0:
        subprocess.run(["groupadd", "--system", "ctd"], check=True)
    suid = os.path.join(tmp, "ctd-helper-suid")
    shutil.copy(HELPER, suid)
    os.chown(suid, 0, int(subprocess.run(["getent", "group", "ctd"], capture_output=True, text=True)
                          .stdout.split(":")[2]))
    # 4755, not the installed 4750, so the helper's own caller check (not
    # the file mode) is what refuses strangers here
    os.chmod(suid, 0o4755)
    setcap_copy = os.path.join(tmp, "ctd-helper-setcap")
    shutil.copy(HELPER, setcap_copy)
    os.chmod(setcap_copy, 0o755)
    have_setcap = subprocess.run(["setcap", "cap_net_admin+p", setcap_copy], capture_output=True).returncode == 0
    hc_copy = os.path.join(tmp, "ctd-hc")
    shutil.copy(HC, hc_copy)
    os.chmod(hc_copy, 0o755)
    subprocess.run(["useradd", "--system", "--no-create-home", "-g", "ctd", "-s", "/usr/sbin/nologin", test_user],
                   check=True, capture_output=True)
    member_uid = int(subprocess.run(["id", "-u", test_user], capture_output=True, text=True).stdout)

    with Netns() as ns:
        ns.ct("-I", "-s", "10.1.0.1", "-d", "10.1.0.2", "-p", "tcp", "--sport", "1", "--dport", "2",
              "--state", "ESTABLISHED", "--timeout", "300")
        recs = subprocess.run(ns.cmd(HC, "-s", HELPER, "dump"), capture_output=True, text=True).stdout
        target_line = recs.splitlines()[0]

        # ---- who may call ----
        rc, ans, err = spawn(ns, suid, frame(REQ_COUNT), uid=33)
        t.eq("setuid helper: www-data is served (COUNT answer)", (0, [RSP_COUNT]), (rc, answer_types(ans)))
        rc, ans, err = spawn(ns, suid, frame(REQ_COUNT), uid=member_uid)
        t.eq("setuid helper: a member of group ctd is served", (0, [RSP_COUNT]), (rc, answer_types(ans)))
        r = subprocess.run(ns.cmd(*as_user(65534), hc_copy, "-s", suid, "destroy"), input=target_line,
                           capture_output=True, text=True)
        t.ok(f"nobody: refused with exit {P.EXIT_CALLER} and the reason", "caller not allowed" in r.stderr and
             f"(exit {P.EXIT_CALLER})" in r.stderr, r.stderr.strip())
        t.ok("nobody: the helper says why on stderr", "is neither www-data nor in group ctd" in r.stderr)
        t.eq("nobody: nothing destroyed", 1, len(ns.list()))
        rc, ans, err = spawn(ns, suid, frame(REQ_COUNT), uid=65534, groups="33")
        t.eq("supplementary groups of the process do not count, only the user's", P.EXIT_CALLER, rc)

        r = subprocess.run(ns.cmd(*as_user(33, nnp=True), hc_copy, "-s", suid, "destroy"), input=target_line,
                           capture_output=True, text=True)
        t.ok(f"NO_NEW_PRIVS: refused with exit {P.EXIT_NNP}", f"(exit {P.EXIT_NNP})" in r.stderr, r.stderr.strip())
        t.ok("NO_NEW_PRIVS: clear message naming the cause and the fix",
             "NO_NEW_PRIVS is set" in r.stderr and "HELPER_MODE=socket" in r.stderr, r.stderr.strip())
        t.eq("NO_NEW_PRIVS: nothing destroyed", 1, len(ns.list()))

        plain = os.path.join(tmp, "ctd-helper-plain")
        shutil.copy(HELPER, plain)
        os.chmod(plain, 0o755)
        rc, ans, err = spawn(ns, plain, frame(REQ_COUNT), uid=33)
        t.eq(f"no setuid bit, no file capability: exit {P.EXIT_NOPRIV}", P.EXIT_NOPRIV, rc)

        # a setuid helper handed a socket made by someone else (root here)
        r = ns.run("python3", "-c", "import socket,os,sys\n"
                   "a,b=socket.socketpair()\nos.dup2(b.fileno(),3)\n"
                   f"os.execv('/usr/bin/setpriv',['setpriv','--reuid=33','--regid=33','--clear-groups','{suid}'])",
                   check=False)
        t.eq(f"setuid helper with another uid's socket: exit {P.EXIT_CALLER}", P.EXIT_CALLER, r.returncode)

        rc, ans, err = spawn(ns, suid, b"", uid=33)
        t.eq(f"no request at all: exit {P.EXIT_NOREQUEST}", P.EXIT_NOREQUEST, rc)
        r = ns.run("python3", "-c", f"import os\nos.execv('{suid}',['x'])", check=False)
        t.eq(f"fd 3 not a socket: exit {P.EXIT_NOSOCK}", P.EXIT_NOSOCK, r.returncode)

        # ---- stderr a regular file : RLIMIT_FSIZE 0, the caller's or the limits
        # step's, makes the refusal line fail; SIGXFSZ must not kill the helper and eat its exit code ----
        errfile = os.path.join(tmp, "helper-stderr")
        open(errfile, "w").close()
        os.chmod(errfile, 0o666)
        for desc, pre, uid, data, want in (
                ("a malformed request after start-up", [], None,
                 frame(REQ_DUMP, dump_req(flags=P.DUMP_F_FAMILY, family=3)), P.EXIT_VALUE),
                ("a refused caller under the caller's RLIMIT_FSIZE 0", ["prlimit", "--fsize=0:0"], 65534,
                 frame(REQ_COUNT), P.EXIT_CALLER)):
            r = ns.run(*pre, *as_user(uid), "python3", "-c", SPAWN, suid, data.hex(), "send", errfile, check=False)
            try:
                rc = json.loads(r.stdout.strip().splitlines()[-1])["rc"]
            except (ValueError, IndexError):
                rc = None
            t.eq(f"stderr a regular file, {desc}: exit {want}, not killed by SIGXFSZ", want, rc)

        # ---- the process while it waits for its request ----
        p, pid = held(ns, suid, uid=33)
        check_status("setuid, www-data", pid, 33)
        j, _ = release(p)
        t.eq("setuid helper still serves after the check", 0, j["rc"])

        p, pid = held(ns, HELPER)
        check_status("run by root directly (serves as nobody)", pid, 65534)
        release(p)

        if have_setcap:
            p, pid = held(ns, setcap_copy, uid=33)
            # no CAP_SETPCAP in setcap mode: the bounding set stays; NO_NEW_PRIVS covers exec
            check_status("setcap, www-data", pid, 33, bnd_empty=False)
            j, _ = release(p)
            t.eq("setcap helper serves", (0, [RSP_COUNT]), (j["rc"], answer_types(bytes.fromhex(j["answer"]))))
        else:
            t.skip("setcap mode", "setcap failed on this filesystem")

        # ---- socket mode, as systemd runs it (Accept=yes, fd 3, ambient cap, NNP) ----
        sock_path = os.path.join(tmp, "helper.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(sock_path)
        os.chmod(sock_path, 0o666)
        srv.listen(4)
        unit = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=+net_admin",
                "--ambient-caps=+net_admin", "--bounding-set=-all,+net_admin", "--no-new-privs", HELPER]
        cli = subprocess.Popen(ns.cmd(*as_user(33), hc_copy, "-s", "unix:" + sock_path, "dump"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        conn, _ = srv.accept()
        svc = subprocess.Popen(ns.cmd("sh", "-c", f'exec 3<&{conn.fileno()} {conn.fileno()}<&-; exec "$@"', "sh",
                                      *unit), pass_fds=(conn.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        conn.close()
        out, err = cli.communicate(timeout=30)
        svc.wait(timeout=30)
        t.eq("socket mode: www-data gets the dump", (0, 1), (cli.returncode, len(out.splitlines())), )
        t.eq("socket mode: the service exits 0", 0, svc.returncode)
        cli = subprocess.Popen(ns.cmd(*as_user(65534), hc_copy, "-s", "unix:" + sock_path, "count"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        conn, _ = srv.accept()
        svc = subprocess.Popen(ns.cmd("sh", "-c", f'exec 3<&{conn.fileno()} {conn.fileno()}<&-; exec "$@"', "sh",
                                      *unit), pass_fds=(conn.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        conn.close()
        out, err = cli.communicate(timeout=30)
        svc.wait(timeout=30)
        t.eq(f"socket mode: a stranger's connection is refused (exit {P.EXIT_CALLER})", P.EXIT_CALLER,
             svc.returncode)
        t.ok("socket mode: the client reports the refusal", cli.returncode == 1 and "helper closed" in err, err)
        # an events window the client ends (max 1: one event, then it
        # closes): the service sees EPIPE at its next send and exits 0
        cli = subprocess.Popen(ns.cmd(*as_user(33), hc_copy, "-s", "unix:" + sock_path, "events", "8000", "1"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        conn, _ = srv.accept()
        svc = subprocess.Popen(ns.cmd("sh", "-c", f'exec 3<&{conn.fileno()} {conn.fileno()}<&-; exec "$@"', "sh",
                                      *unit), pass_fds=(conn.fileno(),), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        conn.close()
        t0 = time.monotonic()
        for _ in range(3):  # until the service has subscribed
            time.sleep(0.3)
            ns.ct("-I", "-s", "10.9.0.1", "-d", "10.9.0.2", "-p", "udp", "--sport", str(4000 + _), "--dport", "53",
                  "--timeout", "60", check=False)
        out, err = cli.communicate(timeout=30)
        svc.wait(timeout=30)
        secs = time.monotonic() - t0
        t.ok(f"socket mode: an events window the client ends at max 1 ({secs:.1f} s, not the 8 s asked)",
             cli.returncode == 0 and out.startswith("events=1 ") and secs < 5, (out, err, secs))
        t.eq("socket mode: ... the service then exits 0 (EPIPE is the conversation's end)", 0, svc.returncode)
        srv.close()

        # ---- malformed frames: each ends the helper with its own code ----
        long_hdr = FRAME_HDR.pack(2 * P.FRAME_MAX, V, REQ_DUMP)
        target = bytes(P.size["target"])
        cases = [
            ("short header", b"\x18\x00\x00", P.EXIT_SHORT),
            ("over-long length", long_hdr, P.EXIT_TOOLONG),
            ("wrong version", frame(REQ_DUMP, dump_req(), version=V + 1), P.EXIT_VERSION),
            ("unknown type", frame(99, b""), P.EXIT_TYPE),
            ("answer type sent as a request", frame(RSP_RECORDS, bytes(P.size["record"])), P.EXIT_TYPE),
            ("wrong size for the type", frame(REQ_DUMP, dump_req()[:-1]), P.EXIT_SIZE),
            ("count with a payload", frame(REQ_COUNT, b"\0\0\0\0"), P.EXIT_SIZE),
            ("stats with a payload", frame(P.REQ_STATS, b"\0\0\0\0"), P.EXIT_SIZE),
            ("stats with a payload the size of its answer", frame(P.REQ_STATS, bytes(P.size["stats"])),
             P.EXIT_SIZE),
            ("bad family", frame(REQ_DUMP, dump_req(flags=P.DUMP_F_FAMILY, family=3)), P.EXIT_VALUE),
            ("unknown filter flag", frame(REQ_DUMP, dump_req(flags=0x100)), P.EXIT_VALUE),
            ("target count disagrees with length", frame(REQ_DESTROY, struct.pack("<II", 2, 0) + target),
             P.EXIT_VALUE),
            ("target with a bad family", frame(REQ_DESTROY, struct.pack("<II", 1, 0) + target), P.EXIT_VALUE),
            ("truncated stream", frame(REQ_DUMP, dump_req())[:15], P.EXIT_SHORT),
            ("events: one byte short", frame(P.REQ_EVENTS, events_req()[:-1]), P.EXIT_SIZE),
            ("events: one byte long", frame(P.REQ_EVENTS, events_req() + b"\0"), P.EXIT_SIZE),
            ("events: no event type", frame(P.REQ_EVENTS, events_req(types=0)), P.EXIT_VALUE),
            ("events: unknown event type flag", frame(P.REQ_EVENTS, events_req(types=0x8)), P.EXIT_VALUE),
            ("events: absurd duration (26.001 s)",
             frame(P.REQ_EVENTS, events_req(duration_ms=P.EVENTS_DURATION_MAX_MS + 1)), P.EXIT_VALUE),
            ("events: absurd duration (2^32-1 ms)", frame(P.REQ_EVENTS, events_req(duration_ms=0xffffffff)),
             P.EXIT_VALUE),
            ("events: max 0", frame(P.REQ_EVENTS, events_req(mx=0)), P.EXIT_VALUE),
            ("events: max above 5000", frame(P.REQ_EVENTS, events_req(mx=P.EVENTS_MAX + 1)), P.EXIT_VALUE),
            ("events: unknown filter flag", frame(P.REQ_EVENTS, events_req(flags=0x80)), P.EXIT_VALUE),
            ("events: l4proto without its flag", frame(P.REQ_EVENTS, events_req(l4=6)), P.EXIT_VALUE),
            ("events: too many excluded networks", frame(P.REQ_EVENTS, events_req(nexclude=9)), P.EXIT_VALUE),
            ("events: an excluded network with host bits past its prefix",
             frame(P.REQ_EVENTS, events_req(nexclude=1, exclude=struct.pack("<BBxx16s", 2, 8, bytes([127, 1]) +
                                                                          bytes(14)))), P.EXIT_VALUE),
            ("expect-dump with a payload", frame(P.REQ_EXPECT_DUMP, b"\0\0\0\0"), P.EXIT_SIZE),
            ("expect-destroy: count disagrees with length",
             frame(P.REQ_EXPECT_DESTROY, struct.pack("<II", 2, 0) + target), P.EXIT_VALUE),
            ("expect-destroy: a bad family", frame(P.REQ_EXPECT_DESTROY, struct.pack("<II", 1, 0) + target),
             P.EXIT_VALUE),
            ("expect-destroy: no target", frame(P.REQ_EXPECT_DESTROY, struct.pack("<II", 0, 0)), P.EXIT_SIZE),
        ]
        builds = [("", HELPER)]
        if os.access(SAN_HELPER, os.X_OK):
            builds.append(("ASan: ", SAN_HELPER))
        else:
            t.skip("ASan malformed-frame run", f"{SAN_HELPER} not built (make san)")
        for prefix, h in builds:
            for desc, data, code in cases:
                rc, ans, err = spawn(ns, h, data)
                t.ok(f"{prefix}{desc}: exit {code}, reason on stderr",
                     rc == code and "malformed request" in err and ans == b"", f"rc {rc}, stderr {err.strip()!r}")
                t.ok(f"{prefix}{desc}: no sanitizer report", "Sanitizer" not in err and "runtime error" not in err,
                     err.strip()[:300])
            rc, ans, err = spawn(ns, h, frame(REQ_DUMP, dump_req()))
            t.eq(f"{prefix}a good frame still works", (0, [RSP_RECORDS, RSP_END]), (rc, answer_types(ans)))
            rc, ans, err = spawn(ns, h, frame(P.REQ_STATS))
            t.eq(f"{prefix}a good stats frame: one STATS answer of its exact size",
                 (0, [P.RSP_STATS], 8 + P.size["stats"]), (rc, answer_types(ans), len(ans)))
            rc, ans, err = spawn(ns, h, frame(P.REQ_EVENTS, events_req(types=7, duration_ms=200, mx=5)))
            types = answer_types(ans)
            ticks = len(types) - 1
            t.eq(f"{prefix}a good events frame (200 ms, nothing happens): ticks of their exact size (one at "
                 f"the subscription, then at least every {P.EVENTS_TICK_MS} ms), then one EVENTS_END",
                 (0, [P.RSP_EVENTS_TICK] * ticks + [P.RSP_EVENTS_END],
                  ticks * (8 + P.size["events_tick"]) + 8 + P.size["events_end"], True),
                 (rc, types, len(ans), 200 // P.EVENTS_TICK_MS - 2 <= ticks <= 200 // P.EVENTS_TICK_MS + 2))
            rc, ans, err = spawn(ns, h, frame(P.REQ_EXPECT_DUMP))
            t.eq(f"{prefix}a good expect-dump frame (no expectation): one END",
                 (0, [P.RSP_END]), (rc, answer_types(ans)))
            t.ok(f"{prefix}good frame: no sanitizer report", "Sanitizer" not in err and "runtime error" not in err,
                 err.strip()[:300])

        # ---- syslog (LOG_AUTHPRIV): one line per step before it acts, the reason on refusal ----
        rc, log = syslog_run(ns, HELPER, frame(REQ_DUMP, dump_req()))
        text = "\n".join(log)
        t.eq("syslog: a served request exits 0", 0, rc)
        t.ok("syslog: every start-up step logged, in order, as authpriv.info (<86>)",
             all(any(m.startswith("<86>") and f"step {n}:" in m for m in log) for n in range(1, 14)) and
             [int(m.split("step ")[1].split(":")[0]) for m in log if "step " in m] ==
             sorted(int(m.split("step ")[1].split(":")[0]) for m in log if "step " in m), text[:500])
        t.ok("syslog: the request is logged", "request: dump" in text, text[:500])
        rc, log = syslog_run(ns, HELPER, frame(REQ_DUMP, dump_req(flags=P.DUMP_F_FAMILY, family=3)))
        t.ok("syslog: malformed frame refused with its reason as authpriv.err (<83>)",
             rc == P.EXIT_VALUE and any(m.startswith("<83>") and f"refused (exit {P.EXIT_VALUE})" in m and
                                        "bad family" in m for m in log), f"rc {rc}: {log[-1:]}")
        rc, log = syslog_run(ns, suid, frame(REQ_COUNT), uid=65534)
        t.ok(f"syslog: a refused caller is logged with uid and reason before exit {P.EXIT_CALLER}",
             rc == P.EXIT_CALLER and any(f"refused (exit {P.EXIT_CALLER})" in m and "uid 65534" in m for m in log),
             f"rc {rc}: {log[-1:]}")
        t.ok("syslog: the caller check is the last step a refused caller reaches",
             not any("step 6" in m for m in log), "\n".join(log)[:300])

        # ---- timeout: a caller that never sends ----
        p, pid = held(ns, HELPER)
        time.sleep(11)
        t.ok("helper waiting more than 10 s for its request has exited", not os.path.exists(f"/proc/{pid}/status")
             or proc_status(pid).get("State", ["Z"])[0] == "Z")
        j, err = release(p)
        t.eq(f"request timeout: exit {P.EXIT_TIMEOUT}", P.EXIT_TIMEOUT, j["rc"])

        # ---- the client library's sentences ----
        r = ns.run(HC, "-s", "/nonexistent/ctd-helper", "count", check=False)
        t.ok("missing helper: HC_UNAVAILABLE with a sentence", r.returncode == 1 and "kind=1" in r.stderr and
             "exit 127" in r.stderr, r.stderr.strip())
        stall = os.path.join(tmp, "stall")
        with open(stall, "w") as f:
            f.write("#!/bin/sh\nexec sleep 30\n")
        os.chmod(stall, 0o755)
        t0 = time.time()
        r = ns.run(HC, "-s", stall, "-t", "1", "count", check=False)
        t.ok("stalled helper: the client gives up after its timeout", time.time() - t0 < 5 and
             "timed out" in r.stderr, r.stderr.strip())
        # fake helpers that misbehave: the client says what happened and
        # leaves no child behind (-Z lists its remaining children)
        rec = P.size["record"]
        fakes = {
            "garbage": ("import os\nos.read(3, 4096)\nos.write(3, b'\\0' * 8)\n", "kind=2", "malformed answer"),
            "huge": ("import os\nos.read(3, 4096)\n"
                     f"os.write(3, {FRAME_HDR.pack((P.RECORDS_PER_FRAME + 1) * rec, V, RSP_RECORDS)!r})\n",
                     "kind=2", "too many elements"),
            "killed": ("import os, signal\nos.read(3, 4096)\n"
                       f"os.write(3, {frame(RSP_RECORDS, bytes(rec))!r})\n"
                       "os.kill(os.getpid(), signal.SIGKILL)\n", "kind=1", "died of signal 9"),
            "refuses": (f"import sys\nsys.exit({P.EXIT_CALLER})\n", "kind=1", "helper refused: caller not allowed"),
            "kernel": ("import os\nos.read(3, 4096)\n"
                       # struct ctd_error: code, errno (EPERM), message
                       "os.write(3, %r)\n" % frame(P.RSP_ERROR, struct.pack(f"<ii{P.ERRMSG_MAX}s", P.ERR_KERNEL, 1,
                                                                              b"dump: EPERM")),
                       "kind=3", "lacks CAP_NET_ADMIN"),
        }
        for name, (code, kind, words) in fakes.items():
            fake = os.path.join(tmp, "fake-" + name)
            with open(fake, "w") as f:
                f.write("#!/usr/bin/python3\n" + code)
            os.chmod(fake, 0o755)
            r = ns.run(HC, "-Z", "-s", fake, "dump", check=False)
            t.ok(f"client, helper that {name}: {kind}, '{words}'", r.returncode == 1 and kind in r.stderr and
                 words in r.stderr, r.stderr.strip())
            t.ok(f"client, helper that {name}: no child left", "children=[]" in r.stderr, r.stderr.strip())
        many = "".join(f"id={i} zone=0 l3=2 l4=6 src=10.0.0.1 dst=10.0.0.2 sport={i % 60000} dport=80\n"
                       for i in range(P.MAX_TARGETS))
        r = ns.run(HC, "-Z", "-s", os.path.join(tmp, "fake-refuses"), "destroy", input=many, check=False)
        t.ok("560 KB request to a helper that exits at once: no SIGPIPE, the refusal reported",
             r.returncode == 1 and f"exit {P.EXIT_CALLER}" in r.stderr and "children=[]" in r.stderr,
             (r.returncode, r.stderr))
        r = ns.run(HC, "-Z", "-s", stall, "-t", "1", "count", check=False)
        t.ok("stalled helper: killed and reaped", "children=[]" in r.stderr, r.stderr.strip())
        r = ns.run(HC, "-s", "unix:" + os.path.join(tmp, "nosock"), "count", check=False)
        t.ok("socket mode without a service: HC_UNAVAILABLE", "kind=1" in r.stderr and "cannot reach" in r.stderr,
             r.stderr.strip())
finally:
    subprocess.run(["userdel", test_user], capture_output=True)
    shutil.rmtree(tmp, ignore_errors=True)

t.done()
