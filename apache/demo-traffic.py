#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""demo-traffic.py - keeps a small, live firewall table in the demo's network
namespace (started by apache/demo.sh inside `ip netns exec`; README: What the
demo shows).  It refuses to run in the namespace of PID 1: it never touches
a real table.

What it does, all inside the namespace:
- switches on conntrack accounting, timestamps and complete events
  (net.netfilter.nf_conntrack_{acct,timestamp,events} = 1);
- adds 192.0.2.1-3/32 and 2001:db8:ffff::1-2/128 to lo (127.0.0.0/8 and ::1
  are hidden by ctd's default hide_networks) and loads an nftables table
  `inet ctd_demo` that tracks traffic and gives TCP port 21 the kernel's
  FTP helper (nf_conntrack_ftp through a `ct helper` object);
- inserts ~1,500 synthetic entries with `conntrack -I` (TCP in eight states,
  UDP, ICMP, ICMPv6, IPv6, SNAT and DNAT, marks with bit 31 set, zones 1-3)
  with timeouts of minutes to hours; every REFILL seconds each one that
  expired or was killed is followed by a new connection of its kind (another
  source port or ICMP id), so the table keeps its shape, what was killed
  stays killed, and the Live tab sees new and destroy events;
- runs paced TCP flows between those addresses (about 4 kB/s to 1 MB/s,
  rates that drift), short HTTP-like connections (half of them reset) and
  UDP queries that come and go, and an FTP-like session every FTP_PERIOD
  seconds whose PASV reply makes the kernel expect a data connection
  (`conntrack -L expect`).

--netns NAME: the namespace it must find itself in (else it exits).
--ready FILE: written with a one-line summary once the table is filled.
"""
import argparse
import concurrent.futures
import math
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

LO4 = ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
LO6 = ["2001:db8:ffff::1", "2001:db8:ffff::2"]
SERVER4, SERVER6 = "192.0.2.2", "2001:db8:ffff::2"
REFILL = 15          # seconds between passes that re-create missing entries
FTP_PERIOD = 30      # a new FTP session this often
FTP_HOLD = 80        # seconds a session keeps its expectation before using it
FLOWS = [            # (client, server, bytes/s): paced, long-lived
    ("192.0.2.1", SERVER4, 4_000),
    ("192.0.2.1", SERVER4, 40_000),
    ("192.0.2.3", SERVER4, 250_000),
    ("192.0.2.3", SERVER4, 1_000_000),
    ("2001:db8:ffff::1", SERVER6, 120_000),
]
FLOW_PORT, HTTP_PORT, DNS_PORT, FTP_PORT = 5001, 80, 53, 21

NFT_RULES = """\
table inet ctd_demo
delete table inet ctd_demo
table inet ctd_demo {
	ct helper ftph {
		type "ftp" protocol tcp;
	}
	chain out {
		type filter hook output priority 0; policy accept;
		tcp dport 21 ct helper set "ftph"
	}
	chain in {
		type filter hook input priority 0; policy accept;
		ct state established,related accept
	}
}
"""


def log(msg):
    print(time.strftime("%Y-%m-%d %H:%M:%S"), msg, flush=True)


def run(*argv, check=False):
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=check)
    except FileNotFoundError:
        if check:
            raise
        return subprocess.CompletedProcess(argv, 127, "", f"{argv[0]}: not found")


# ---- the namespace -------------------------------------------------------------------------------
def refuse_host_namespace(name):
    """Runs only inside the named namespace (`ip netns exec NAME`), and
    never in PID 1's when that can be read."""
    def ns(path):
        st = os.stat(path)
        return st.st_dev, st.st_ino
    try:
        here, named = ns("/proc/self/ns/net"), ns(f"/run/netns/{name}")
    except OSError as e:
        sys.exit(f"demo-traffic: cannot check the network namespace ({e}); refusing to run")
    if here != named:
        sys.exit(f"demo-traffic: not running inside network namespace {name}; refusing to touch this table")
    try:
        host = ns("/proc/1/ns/net")
    except OSError:
        host = None
    if here == host:
        sys.exit("demo-traffic: this is PID 1's network namespace; refusing to touch its table")


def setup():
    for key in ("acct", "timestamp", "events"):
        try:
            with open(f"/proc/sys/net/netfilter/nf_conntrack_{key}", "w") as f:
                f.write("1\n")
        except OSError as e:
            log(f"warning: nf_conntrack_{key}: {e}")
    run("ip", "link", "set", "lo", "up", check=True)
    for a in LO4:
        run("ip", "addr", "replace", f"{a}/32", "dev", "lo", check=True)
    for a in LO6:
        run("ip", "-6", "addr", "replace", f"{a}/128", "dev", "lo", "nodad", check=True)
    run("modprobe", "nf_conntrack_ftp")  # nft would request it too; absent modprobe is fine
    r = subprocess.run(["nft", "-f", "-"], input=NFT_RULES, capture_output=True, text=True)
    if r.returncode != 0:
        log(f"warning: nft: {r.stderr.strip()} (no FTP helper: no expectation)")


# ---- synthetic entries ---------------------------------------------------------------------------
TCP_STATES = [("ESTABLISHED", 60), ("TIME_WAIT", 12), ("SYN_SENT", 6), ("SYN_RECV", 4), ("FIN_WAIT", 5),
              ("CLOSE_WAIT", 5), ("LAST_ACK", 4), ("CLOSE", 4)]


class Entry:
    """One `conntrack -I` entry; key is its original tuple and zone as
    `conntrack -L` prints them.  Once made, an entry that has gone (expired,
    or killed in the console) comes back as a new connection in its place:
    another source port (ICMP: another id), a new state and timeout, so
    what was killed stays killed while the table keeps its shape."""

    def __init__(self, rng, proto, src, dst, a, b, nat=None, zone=0, mark=0):
        self.rng, self.proto, self.src, self.dst, self.a, self.b = rng, proto, src, dst, a, b
        self.nat, self.zone, self.mark, self.made = nat, zone, mark, False
        self.build()

    def build(self):
        rng, proto = self.rng, self.proto
        self.key = (proto, self.src, self.dst, str(self.a), str(self.b), str(self.zone))
        args = ["-s", self.src, "-d", self.dst, "-p", proto]
        if proto in ("tcp", "udp"):
            args += ["--sport", str(self.a), "--dport", str(self.b)]
        elif proto == "icmp":
            args += ["--icmp-type", str(self.a), "--icmp-code", "0", "--icmp-id", str(self.b)]
        else:
            args += ["--icmpv6-type", str(self.a), "--icmpv6-code", "0", "--icmpv6-id", str(self.b)]
        if proto == "tcp":
            state = rng.choices([s for s, _ in TCP_STATES], [w for _, w in TCP_STATES])[0]
            args += ["--state", state]
            if state not in ("SYN_SENT", "CLOSE"):
                args += ["-u", "SEEN_REPLY,ASSURED"]
            self.tmo = (900, 7200) if state == "ESTABLISHED" else (300, 1800)
        elif proto == "udp":
            if rng.random() < 0.7:
                args += ["-u", "SEEN_REPLY,ASSURED"]
            self.tmo = (120, 900)
        else:
            if rng.random() < 0.8:
                args += ["-u", "SEEN_REPLY"]
            self.tmo = (60, 600)
        if self.nat:
            args += list(self.nat)
        if self.zone:
            args += ["--zone", str(self.zone)]
        if self.mark:
            args += ["--mark", str(self.mark)]
        self.args = args

    def create(self):
        """Makes the entry (a successor, if it was made before); True if the kernel took it."""
        if self.made:
            if self.proto in ("tcp", "udp"):
                self.a = self.rng.randrange(32768, 61000)
            else:
                self.b = self.rng.randrange(1, 65536)
            self.build()
        t = self.rng.randint(*self.tmo)
        ok = run("conntrack", "-I", *self.args, "--timeout", str(t)).returncode == 0
        self.made = self.made or ok
        return ok


def synthetic_entries():
    rng = random.Random(20061)
    out = []

    def extras():
        zone = rng.choice((1, 2, 3)) if rng.random() < 0.22 else 0
        r = rng.random()
        mark = (0x80000000 | rng.randrange(1 << 20)) if r < 0.3 else (rng.randrange(1, 64) if r < 0.45 else 0)
        return {"zone": zone, "mark": mark}

    def lan():
        return f"10.0.{rng.randrange(2, 12)}.{rng.randrange(2, 250)}"

    def internet():
        return f"{rng.choice(('198.51.100', '203.0.113'))}.{rng.randrange(20, 250)}"

    def port():
        return rng.randrange(32768, 61000)

    snat = ("--src-nat", "203.0.113.1")
    # LAN clients out to the internet through SNAT
    for _ in range(200):
        out.append(Entry(rng, "tcp", lan(), internet(), port(), rng.choice((443, 443, 443, 80, 22, 993, 8443)),
                         nat=snat, **extras()))
    for _ in range(90):
        out.append(Entry(rng, "udp", lan(), internet(), port(), rng.choice((53, 123, 443, 4500)), nat=snat,
                         **extras()))
    for i in range(110):
        out.append(Entry(rng, "icmp", lan(), internet(), 8, 1000 + i, nat=snat, **extras()))
    # the internet to published services through DNAT
    for _ in range(180):
        out.append(Entry(rng, "tcp", internet(), "198.51.100.10", port(), rng.choice((443, 443, 80, 25)),
                         nat=("--dst-nat", f"10.0.1.{rng.randrange(10, 14)}"), **extras()))
    for _ in range(75):
        out.append(Entry(rng, "udp", internet(), "198.51.100.10", port(), 51820, nat=("--dst-nat", "10.0.1.20"),
                         **extras()))
    # routed and local, no NAT
    for _ in range(60):
        out.append(Entry(rng, "tcp", lan(), f"10.0.1.{rng.randrange(10, 14)}", port(),
                         rng.choice((22, 445, 3306, 5432)), **extras()))
    for _ in range(110):
        out.append(Entry(rng, "udp", lan(), "10.0.0.1", port(), rng.choice((53, 53, 67, 123, 514)), **extras()))
    for i in range(170):
        out.append(Entry(rng, "icmp", lan(), rng.choice(("10.0.0.1", internet())), 8, 2000 + i, **extras()))
    # IPv6: no NAT
    def lan6():
        return f"2001:db8:1:{rng.randrange(1, 9):x}::{rng.randrange(2, 0xffff):x}"

    def net6():
        return f"2001:db8:{rng.randrange(0x100, 0xfff):x}::{rng.randrange(1, 0xff):x}"

    for _ in range(150):
        out.append(Entry(rng, "tcp", lan6(), net6(), port(), rng.choice((443, 443, 80, 22)), **extras()))
    for _ in range(80):
        out.append(Entry(rng, "udp", lan6(), net6(), port(), rng.choice((53, 443, 123)), **extras()))
    for i in range(270):
        out.append(Entry(rng, "icmpv6", lan6(), net6(), 128, 3000 + i, **extras()))
    # one entry per key (a random collision would only be an EEXIST)
    seen, uniq = set(), []
    for e in out:
        if e.key not in seen:
            seen.add(e.key)
            uniq.append(e)
    return uniq


def present_keys():
    """Original tuples (and zone) of what the table holds now."""
    keys = set()
    r = run("conntrack", "-L")
    for line in r.stdout.splitlines():
        toks = line.split()
        if not toks:
            continue
        proto = toks[0] if toks[0] not in ("ipv4", "ipv6") else toks[2]
        f = {}
        zone = "0"
        for t in toks:
            k, eq, v = t.partition("=")
            if not eq:
                continue
            if k == "zone":
                zone = v
            elif k not in f:
                f[k] = v
        if proto in ("tcp", "udp"):
            a, b = f.get("sport"), f.get("dport")
        else:
            a, b = f.get("type"), f.get("id")
        keys.add((proto, f.get("src"), f.get("dst"), a, b, zone))
    return keys


def fill(entries, pool):
    have = present_keys()
    missing = [e for e in entries if e.key not in have]
    made = sum(pool.map(lambda e: e.create(), missing))
    return made, len(missing)


# ---- real traffic --------------------------------------------------------------------------------
def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listener(addr, port, kind=socket.SOCK_STREAM):
    s = socket.socket(family(addr), kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    if kind == socket.SOCK_STREAM:
        s.listen(64)
    return s


def forever(name, fn, *args):
    """Runs fn in a daemon thread, again after a pause whenever it fails
    (a failure that repeats is logged once a minute, not every time)."""
    def loop():
        last, when = None, 0.0
        while True:
            try:
                fn(*args)
            except Exception as e:  # noqa: BLE001 - a demo keeps going
                msg = f"{name}: {e!r}"
                if msg != last or time.monotonic() - when > 60:
                    log(msg)
                    last, when = msg, time.monotonic()
            time.sleep(2)
    threading.Thread(target=loop, name=name, daemon=True).start()


def serve(sock, handler):
    def quietly(c):
        try:
            handler(c)
        except OSError:  # a peer that went away: nothing to tell
            pass
    while True:
        c, _ = sock.accept()
        threading.Thread(target=quietly, args=(c,), daemon=True).start()


def sink(c):
    """Flow server: reads everything, answers 1 byte in 20."""
    with c:
        while True:
            d = c.recv(65536)
            if not d:
                return
            c.sendall(b"a" * max(1, len(d) // 20))


def flow(src, dst, rate):
    """A long TCP connection sending about `rate` bytes/s, drifting by up to
    half either way over a few minutes, reading the server's answers."""
    s = socket.create_connection((dst, FLOW_PORT), timeout=30, source_address=(src, 0))
    s.setblocking(False)
    phase = random.random() * 6.28
    tick = 0.1
    with s:
        next_t = time.monotonic()
        while True:
            now = time.monotonic()
            r = rate * (1 + 0.5 * math.sin(phase + now / 40))
            buf = b"x" * max(1, int(r * tick))
            view = memoryview(buf)
            while view:
                try:
                    view = view[s.send(view):]
                except BlockingIOError:
                    time.sleep(0.01)
            try:
                while s.recv(65536):
                    pass
                return  # the server closed
            except BlockingIOError:
                pass
            next_t += tick
            time.sleep(max(0.0, next_t - time.monotonic()))


def http_handler(c):
    with c:
        c.settimeout(10)
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 4096:
            d = c.recv(4096)
            if not d:
                break
            req += d
        body = b"y" * random.randrange(200, 20000)
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


def churn():
    """Short connections: an HTTP-like GET and a UDP query, every second or so.
    One GET in two ends with a reset (the entry is CLOSE, gone 10 s later),
    the others in TIME_WAIT (gone after 120 s); the UDP ones after 30 s."""
    rng = random.Random()
    while True:
        with socket.create_connection((SERVER4, HTTP_PORT), timeout=10, source_address=("192.0.2.3", 0)) as c:
            c.sendall(b"GET / HTTP/1.0\r\nHost: demo\r\n\r\n")
            while c.recv(65536):
                pass
            if rng.random() < 0.5:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((rng.choice(("192.0.2.1", "192.0.2.3")), 0))
            u.settimeout(0.5)
            u.sendto(b"\x12\x34query", (SERVER4, DNS_PORT))
            try:
                u.recv(512)
            except socket.timeout:
                pass
        time.sleep(rng.uniform(0.3, 1.5))


def dns_server(sock):
    while True:
        d, peer = sock.recvfrom(512)
        sock.sendto(d + b"answer", peer)


def ftp_handler(c):
    """Just enough FTP for the kernel's helper: 220, USER, PASV (227 with the
    data address, which the helper reads), LIST over the data connection, QUIT."""
    data = None
    with c:
        c.settimeout(FTP_HOLD + 60)
        f = c.makefile("rb")
        c.sendall(b"220 ctd demo FTP\r\n")
        for line in f:
            cmd = line.strip().split(b" ")[0].upper()
            if cmd == b"USER":
                c.sendall(b"230 Logged in\r\n")
            elif cmd == b"PASV":
                if data:
                    data.close()
                data = listener(SERVER4, 0)
                p = data.getsockname()[1]
                c.sendall(b"227 Entering Passive Mode (%s,%d,%d).\r\n"
                          % (SERVER4.replace(".", ",").encode(), p >> 8, p & 255))
            elif cmd == b"LIST" and data:
                c.sendall(b"150 Here it comes\r\n")
                data.settimeout(10)
                d, _ = data.accept()
                with d:
                    d.sendall(b"-rw-r--r-- 1 ftp ftp 1024 Nov 30 06:00 README\r\n")
                data.close()
                data = None
                c.sendall(b"226 Done\r\n")
            elif cmd == b"NOOP":
                c.sendall(b"200 OK\r\n")
            elif cmd == b"QUIT":
                c.sendall(b"221 Bye\r\n")
                break
            else:
                c.sendall(b"502 Not here\r\n")
    if data:
        data.close()


def ftp_session():
    """One client session: PASV (the kernel now expects the data connection),
    FTP_HOLD seconds of NOOPs, then the LIST that uses it, then QUIT."""
    with socket.create_connection((SERVER4, FTP_PORT), timeout=30, source_address=("192.0.2.3", 0)) as c:
        f = c.makefile("rb")

        def cmd(line):
            c.sendall(line + b"\r\n")
            return f.readline()

        f.readline()
        cmd(b"USER anonymous")
        reply = cmd(b"PASV")
        nums = reply[reply.index(b"(") + 1:reply.index(b")")].split(b",")
        host, port = ".".join(n.decode() for n in nums[:4]), int(nums[4]) * 256 + int(nums[5])
        end = time.monotonic() + FTP_HOLD
        while time.monotonic() < end:
            time.sleep(min(20, max(0.0, end - time.monotonic())))
            cmd(b"NOOP")
        c.sendall(b"LIST\r\n")
        f.readline()
        with socket.create_connection((host, port), timeout=10, source_address=("192.0.2.3", 0)) as d:
            while d.recv(4096):
                pass
        f.readline()
        cmd(b"QUIT")


def ftp_clients():
    while True:
        threading.Thread(target=lambda: forever_once("ftp session", ftp_session), daemon=True).start()
        time.sleep(FTP_PERIOD)


def forever_once(name, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        log(f"{name}: {e!r}")


def start_traffic():
    s4 = listener(SERVER4, FLOW_PORT)
    s6 = listener(SERVER6, FLOW_PORT)
    forever("flow server", serve, s4, sink)
    forever("flow server v6", serve, s6, sink)
    forever("http server", serve, listener(SERVER4, HTTP_PORT), http_handler)
    forever("dns server", dns_server, listener(SERVER4, DNS_PORT, socket.SOCK_DGRAM))
    forever("ftp server", serve, listener(SERVER4, FTP_PORT), ftp_handler)
    for i, (src, dst, rate) in enumerate(FLOWS):
        forever(f"flow {i} {src}->{dst} {rate} B/s", flow, src, dst, rate)
    forever("churn", churn)
    forever("ftp clients", ftp_clients)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--netns", required=True, help="the namespace it must be running in (ip netns name)")
    ap.add_argument("--ready", help="file to write a summary to once the table is filled")
    opt = ap.parse_args()
    refuse_host_namespace(opt.netns)
    setup()
    entries = synthetic_entries()
    pool = concurrent.futures.ThreadPoolExecutor(4)
    t0 = time.monotonic()
    made, _ = fill(entries, pool)
    start_traffic()
    summary = (f"{len(entries)} synthetic entries ({made} made in {time.monotonic() - t0:.1f} s), "
               f"{len(FLOWS)} paced TCP flows, churn, an FTP session every {FTP_PERIOD} s")
    log(summary)
    if opt.ready:
        with open(opt.ready + ".tmp", "w") as f:
            f.write(summary + "\n")
        os.replace(opt.ready + ".tmp", opt.ready)
    while True:
        time.sleep(REFILL)
        try:
            fill(entries, pool)
        except Exception as e:  # noqa: BLE001
            log(f"refill: {e!r}")


if __name__ == "__main__":
    main()
