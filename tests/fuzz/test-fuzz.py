#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A run of every libFuzzer target (make fuzz-build: CTD_FUZZ_BUILD/fuzz_NAME),
seeded from tests/fuzz/corpus/NAME/ (new inputs go to a scratch copy, the
seeds stay as they are): 20 s each in make check, 300 s each under
CTD_STRESS=long (make stress), CTD_FUZZ_SECONDS overrides (make fuzz sets
it).  A target passes when it ends its time without a crash, leak,
timeout or sanitizer report."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import OUT, TOP, T  # noqa: E402

t = T()
fz = os.environ.get("CTD_FUZZ_BUILD", os.path.join(TOP, ".build-fuzz"))
targets = sorted(f for f in glob.glob(os.path.join(fz, "fuzz_*")) if os.path.isfile(f) and os.access(f, os.X_OK))
if not targets:
    t.skip("fuzz", f"no fuzz build in {fz} (make fuzz-build needs clang)")
    t.done()
secs = int(os.environ.get("CTD_FUZZ_SECONDS") or (300 if os.environ.get("CTD_STRESS") == "long" else 20))
out = os.path.join(OUT, "fuzz")
os.makedirs(out, exist_ok=True)
for f in targets:
    name = os.path.basename(f).removeprefix("fuzz_")
    work = tempfile.mkdtemp(prefix=name + ".", dir=out)
    seeds = os.path.join(TOP, "tests", "fuzz", "corpus", name)
    if os.path.isdir(seeds):
        shutil.copytree(seeds, work, dirs_exist_ok=True)
    log = os.path.join(out, name + ".log")
    with open(log, "w") as lf:
        rc = subprocess.run([f, f"-max_total_time={secs}", "-timeout=10", "-rss_limit_mb=2048",
                             f"-max_len={64 * 1024}", f"-artifact_prefix={out}/{name}-", work],
                            stdout=lf, stderr=subprocess.STDOUT).returncode
    text = open(log, errors="replace").read()
    shutil.rmtree(work, ignore_errors=True)
    last = re.findall(r"#[0-9]+.*(?:DONE|pulse).*", text)
    if not t.ok(f"fuzz_{name}: {last[-1] if last else ''}" if rc == 0 else f"fuzz_{name} (log: {log})", rc == 0):
        print("\n".join([line for line in text.splitlines() if re.search(r"ERROR|SUMMARY|==[0-9]+==", line)][:5]))
t.done()
