#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The benchmark still runs (make bench: tests/bench/run.sh), in its
smallest form: a 2000-entry table, one run per figure.  Checks that every
figure is printed with a number, the Apache error log stays clean, no
unexpected fault under the 32 concurrent clients, and that the global
conntrack sysctls it raises are put back.  Speed is not judged here
(figures on a loaded CI machine mean little); make bench reports them."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import OUT, TOP, T, need_root  # noqa: E402

t = T()
need_root(t)
MAX_FILE = "/proc/sys/net/netfilter/nf_conntrack_max"
HASH_FILE = "/sys/module/nf_conntrack/parameters/hashsize"


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return "none"


# the module may be built in, or already loaded, or modprobe absent (no kmod)
if shutil.which("modprobe"):
    subprocess.run(["modprobe", "nf_conntrack"], capture_output=True)
max0, hash0 = read(MAX_FILE), read(HASH_FILE)
r = subprocess.run([os.path.join(TOP, "tests", "bench", "run.sh")], capture_output=True, text=True,
                   env=dict(os.environ, BENCH_SIZES="2000", BENCH_RUNS="1", CTD_TEST_OUT=os.path.join(OUT, "bench")))
out = r.stdout + r.stderr
print("\n".join("# " + line for line in out.splitlines()))
t.eq("bench exits 0", 0, r.returncode)
for fig in ("5", "1", "2", "8", "3a", "3b", "4", "6a", "6b", "11", "12"):
    t.ok(f"figure {fig} printed with a figure",
         any(re.match(rf"^ *{fig} ", line) and re.search(r"[0-9]", line) for line in out.splitlines()))
t.ok("figure 7: 32 clients, calls/s printed", "calls/s" in out)
t.ok("figure 7: no unexpected fault", re.search(r"unexpected 0", out))
t.ok("a final count of targets met and missed", re.search(r"^targets: [0-9]+ PASS, [0-9]+ MISS", out, re.M))
t.ok("Apache error log clean", "Apache error log: clean" in out)
t.eq("nf_conntrack_max restored", max0, read(MAX_FILE))
t.eq("hashsize restored", hash0, read(HASH_FILE))
t.done()
