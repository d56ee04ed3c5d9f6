#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every C unit test binary (tests/unit/test_*.c; make unit san), in the
normal build and under ASan+UBSan: one line each, passing when the binary
exits 0 (each checks its own cases against values written in its source)."""
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import BUILD, SAN_BUILD, T  # noqa: E402

t = T()
env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1",
           UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
found = False
for build in (BUILD, SAN_BUILD):
    for u in sorted(glob.glob(os.path.join(build, "unit", "test_*"))):
        if not os.access(u, os.X_OK):
            continue
        found = True
        label = f"{os.path.basename(build)}/{os.path.basename(u)}"
        r = subprocess.run([u], capture_output=True, text=True, env=env)
        out = (r.stdout + r.stderr).strip().splitlines()
        if r.returncode == 0:
            t.ok(f"{label}: {out[-1] if out else ''}", True)
        else:
            print("\n".join([line for line in out if not line.startswith("ok - ")][-40:]))
            t.ok(label, False, f"exit {r.returncode}")
if not found:
    t.ok("unit test binaries exist (make unit san)", False)
t.done()
