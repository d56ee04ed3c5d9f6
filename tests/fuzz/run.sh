#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every libFuzzer target in DIR (fuzz_NAME) for SECONDS each, seeded
# from tests/fuzz/corpus/NAME/ (new inputs go to a scratch copy, the seeds
# stay as they are).  Ends with "N passed, N failed".
#   tests/fuzz/run.sh DIR SECONDS
set -uo pipefail
dir=${1:?usage: run.sh DIR SECONDS}
secs=${2:?usage: run.sh DIR SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
out=${CTD_TEST_OUT:-$here/../../.test-out}/fuzz
mkdir -p "$out"
pass=0 fail=0
for f in "$dir"/fuzz_*; do
	[ -x "$f" ] && [ -f "$f" ] || continue
	name=$(basename "$f"); name=${name#fuzz_}
	seeds=$here/corpus/$name
	work=$(mktemp -d "$out/$name.XXXXXX")
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
	log=$out/$name.log
	if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=$((64 * 1024)) \
		-artifact_prefix="$out/$name-" "$work" >"$log" 2>&1; then
		echo "ok - fuzz_$name: $(grep -oE '#[0-9]+.*(DONE|pulse).*' "$log" | tail -1)"
		pass=$((pass + 1))
	else
		echo "not ok - fuzz_$name (log: $log)"
		grep -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | head -5
		fail=$((fail + 1))
	fi
	rm -rf "$work"
done
if [ $((pass + fail)) -eq 0 ]; then
	echo "no fuzz targets in $dir"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
