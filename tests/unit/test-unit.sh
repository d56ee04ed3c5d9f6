#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every unit test binary, in the normal build and under ASan+UBSan.
. "$(dirname "$0")/../lib/harness.sh"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
found=0
for dir in "$CTD_BUILD/unit" "$CTD_SAN_BUILD/unit"; do
	for u in "$dir"/test_*; do
		[ -x "$u" ] || continue
		found=1
		label="$(basename "$(dirname "$dir")")/$(basename "$u")"
		if out=$("$u" 2>&1); then t_ok "$label: $(tail -1 <<<"$out")" true
		else echo "$out" | grep -v '^ok - ' | tail -40; t_ok "$label" false; fi
	done
done
[ $found -eq 1 ] || t_ok "unit test binaries exist (make unit san)" false
t_done
