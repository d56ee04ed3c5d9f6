#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The C sources (cgi/, helper/, include/: *.c, *.h) pass the repository's
.clang-format as they are: clang-format --dry-run --Werror, one line per
file.  On a failure, clang-format -i FILE fixes it."""
import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import TOP, T  # noqa: E402

t = T()
if not shutil.which("clang-format"):
    t.skip("clang-format", "clang-format missing (make deps)")
    t.done()
for f in sorted(glob.glob(os.path.join(TOP, "*", "*.[ch]"))):
    rel = os.path.relpath(f, TOP)
    if rel.split(os.sep)[0] not in ("cgi", "helper", "include"):
        continue
    r = subprocess.run(["clang-format", "--dry-run", "--Werror", f], capture_output=True, text=True, cwd=TOP)
    first = r.stderr.strip().splitlines()[:1]
    t.ok(f"{rel} is clang-formatted", r.returncode == 0, f"{len(r.stderr.splitlines()) // 3} places, first: "
         f"{first[0] if first else ''}")
t.done()
