#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A run of every libFuzzer target (make fuzz-build): 20 s each in make check,
# 300 s each under CTD_STRESS=long (make stress); CTD_FUZZ_SECONDS overrides.
. "$(dirname "$0")/../lib/harness.sh"
fz=${CTD_FUZZ_BUILD:-$CTD_TOP/.build-fuzz}
if ! ls "$fz"/fuzz_* >/dev/null 2>&1; then
	t_skip "fuzz" "no fuzz build in $fz (make fuzz-build needs clang)"
	t_done
fi
secs=20
[ "${CTD_STRESS:-}" = long ] && secs=300
out=$("$CTD_TOP/tests/fuzz/run.sh" "$fz" "${CTD_FUZZ_SECONDS:-$secs}" 2>&1)
echo "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
line=$(echo "$out" | tail -1)
p=$(grep -oE '^[0-9]+' <<<"$line" || echo 0)
f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || echo 1)
T_PASS=$((T_PASS + p)); T_FAIL=$((T_FAIL + f))
t_done
