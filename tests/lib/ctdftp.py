# SPDX-License-Identifier: GPL-2.0-or-later
"""A real FTP expectation in a test's network namespace: the kernel's FTP
helper (nf_conntrack_ftp) assigned by an nftables `ct helper` rule to
TCP port 21, and a PASV exchange between two addresses on the namespace's
own loopback.  The server's 227 reply makes the kernel expect a data
connection from the client to the announced port (conntrack -L expect).
The control connection stays open (an expectation dies with its master)
until the namespace is removed.

    with Netns() as ns:
        ftp = FtpExpectation(ns)          # addresses, rule, exchange
        ftp.wait()                        # True once conntrack -L expect lists it
"""
import os
import shutil
import subprocess
import tempfile
import time

SERVER, CLIENT, PORT, DATA_PORT = "192.0.2.21", "192.0.2.22", 21, 50000

NFT = """table inet ctdftp {
 ct helper ftp-std { type "ftp" protocol tcp; }
 chain pre { type filter hook prerouting priority 0; tcp dport 21 ct helper set "ftp-std"; }
 chain out { type filter hook output priority 0; tcp dport 21 ct helper set "ftp-std"; }
}
"""

# both ends in one process: the server answers PASV with DATA_PORT, the
# client reads it; then both sleep with the connection open
EXCHANGE = r"""
import socket, sys, time
srv_addr, cli_addr, port, data_port, ready = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((srv_addr, port)); srv.listen(1)
cli = socket.socket(); cli.bind((cli_addr, 0)); cli.connect((srv_addr, port))
conn, _ = srv.accept()
conn.sendall(b"220 ctd test ftp\r\n"); cli.recv(100)
cli.sendall(b"PASV\r\n"); conn.recv(100)
a = srv_addr.replace(".", ",")
conn.sendall(("227 Entering Passive Mode (%s,%d,%d).\r\n" % (a, data_port >> 8, data_port & 255)).encode())
cli.recv(100)
open(ready, "w").write("ready\n")
time.sleep(3600)
"""


class FtpExpectation:
    def __init__(self, ns, server=SERVER, client=CLIENT, data_port=DATA_PORT):
        self.ns, self.server, self.client, self.data_port = ns, server, client, data_port
        if shutil.which("modprobe"):  # else built into the kernel, or absent (wait() says)
            subprocess.run(["modprobe", "nf_conntrack_ftp"], capture_output=True)
        for a in (server, client):
            ns.run("ip", "addr", "add", a + "/32", "dev", "lo", check=False)
        ns.run("nft", "-f", "-", input=NFT)
        fd, self.ready = tempfile.mkstemp(prefix="ctd-ftp.")
        os.close(fd)
        self.proc = ns.popen("python3", "-c", EXCHANGE, server, client, str(PORT), str(data_port), self.ready,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def listed(self):
        out = self.ns.ct("-L", "expect", check=False).stdout
        return [line for line in out.splitlines() if f"dport={self.data_port}" in line]

    def wait(self, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.listed():
                return True
            time.sleep(0.2)
        return False

    def close(self):
        self.proc.kill()
        self.proc.wait()
        try:
            os.unlink(self.ready)
        except OSError:
            pass
