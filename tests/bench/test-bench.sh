#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The benchmark still runs (make bench: tests/bench/run.sh), in its
# smallest form: a 2000-entry table, one run per figure.  Checks that every
# figure is printed with a number, the Apache error log stays clean, no
# unexpected fault under the 32 concurrent clients, and that the global
# conntrack sysctls it raises are put back.  Speed is not judged here
# (figures on a loaded CI machine mean little); make bench reports them.
. "$(dirname "$0")/../lib/harness.sh"
t_need_root
max_file=/proc/sys/net/netfilter/nf_conntrack_max
hash_file=/sys/module/nf_conntrack/parameters/hashsize
modprobe nf_conntrack 2>/dev/null || true
max0=$(cat "$max_file")
hash0=$(cat "$hash_file" 2>/dev/null || echo none)
out=$(BENCH_SIZES=2000 BENCH_RUNS=1 CTD_TEST_OUT="${CTD_TEST_OUT:-/tmp}/bench" "$CTD_TOP/tests/bench/run.sh" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
t_eq "bench exits 0" 0 "$rc"
for fig in " 5 " " 1 " " 2 " " 3a " " 3b " " 4 " " 6a " " 6b "; do
	line=$(grep -E "^ *${fig# }" <<<"$out" | grep -E '[0-9]' | head -1)
	t_ok "figure${fig% } printed with a figure" test -n "$line"
done
t_ok "figure 7: 32 clients, calls/s printed" grep -qE 'calls/s' <<<"$out"
t_ok "figure 7: no unexpected fault" grep -qE 'unexpected 0' <<<"$out"
t_ok "a final count of targets met and missed" grep -qE '^targets: [0-9]+ PASS, [0-9]+ MISS' <<<"$out"
t_ok "Apache error log clean" grep -q 'Apache error log: clean' <<<"$out"
t_eq "nf_conntrack_max restored" "$max0" "$(cat "$max_file")"
t_eq "hashsize restored" "$hash0" "$(cat "$hash_file" 2>/dev/null || echo none)"
t_done
