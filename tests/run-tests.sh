#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every test entry point, tests/*/test-* (python, on tests/lib/ctdtest.py), folder by
# folder.  Each one ends its output with a line "N passed, N failed"
# (", N skipped" may follow).  This script adds them up and ends with one
# such line; it exits non-zero on any failure, or when a test exits
# non-zero or prints no summary.
#   CTD_TESTS='test-helper*'   run only the tests whose file name matches
#   CTD_TESTS='helper/*'       ... or whose path under tests/ matches
set -uo pipefail
cd "$(dirname "$0")"
out=${CTD_TEST_OUT:-$(cd .. && pwd)/.test-out}
mkdir -p "$out"
export CTD_TEST_OUT=$out
pattern=${CTD_TESTS:-test-*}
tp=0 tf=0 ts=0 broken=()
for t in */test-*; do
	[ -f "$t" ] || continue
	# shellcheck disable=SC2053 # the pattern is a glob on purpose
	[[ ${t##*/} == $pattern || $t == $pattern ]] || continue
	# a test that cannot run must not pass unseen
	if [ ! -x "$t" ]; then
		echo "--- $t: not executable: counted as 1 failed"
		tf=$((tf + 1)); broken+=("$t"); continue
	fi
	echo "=== $t"
	log="$out/${t//\//-}.log"
	start=$SECONDS
	./"$t" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -1)
	if [ -z "$line" ]; then
		echo "--- $t: exit $rc and no summary line: counted as 1 failed"
		tf=$((tf + 1)); broken+=("$t"); continue
	fi
	p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
	f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
	s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
	tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "--- $t: exit $rc with no failure counted: counted as 1 failed"
		tf=$((tf + 1))
	fi
	[ "$f" -gt 0 ] || [ "$rc" -ne 0 ] && broken+=("$t")
	echo "--- $t: $p passed, $f failed, $s skipped ($((SECONDS - start)) s)"
done
[ ${#broken[@]} -gt 0 ] && echo "failing: ${broken[*]}"
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" -eq 0 ]
