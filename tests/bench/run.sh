#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: ctd end to end through the real demo Apache (tests/bench/bench.py)
# on tables of BENCH_SIZES entries (default 10000 100000 1000000), BENCH_RUNS
# runs per figure (default 5).  Needs root.  The conntrack table size limit
# is global: it is raised for the run (nf_conntrack_max, and the hash size)
# and both are put back on exit, Ctrl-C included.
#   tests/bench/run.sh [--profile N]     (profile.sh: perf of one N-entry view)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root" >&2; exit 1; }
export CTD_BUILD=${CTD_BUILD:-$top/.build}
export CTD_TEST_OUT=${CTD_TEST_OUT:-$top/.test-out/bench}
mkdir -p "$CTD_TEST_OUT"
sizes=${BENCH_SIZES:-10000 100000 1000000}
export BENCH_SIZES=$sizes

largest=0
for n in ${sizes//,/ } "$@"; do
	[[ $n =~ ^[0-9]+$ ]] && [ "$n" -gt "$largest" ] && largest=$n
done
# the table plus the 10,000 entries figure 4 adds, plus room for the other
# agents' namespaces (the limit is global)
want=$((largest + 10000 + 262144))

max_file=/proc/sys/net/netfilter/nf_conntrack_max
hash_file=/sys/module/nf_conntrack/parameters/hashsize
modprobe nf_conntrack 2>/dev/null || true
old_max=$(cat "$max_file")
old_hash=$(cat "$hash_file" 2>/dev/null || echo "")
restore() {
	echo "$old_max" >"$max_file" || echo "bench: could not restore nf_conntrack_max=$old_max" >&2
	if [ -n "$old_hash" ] && [ "$(cat "$hash_file")" != "$old_hash" ]; then
		echo "$old_hash" >"$hash_file" || echo "bench: could not restore hashsize=$old_hash" >&2
	fi
	echo "bench: restored nf_conntrack_max=$(cat "$max_file") hashsize=$(cat "$hash_file" 2>/dev/null)"
}
trap restore EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ "$want" -gt "$old_max" ]; then
	echo "$want" >"$max_file"
	# one bucket per entry keeps the chains short at 1M
	if [ -n "$old_hash" ] && [ "$want" -gt "$old_hash" ]; then
		echo $((want < 2097152 ? want : 2097152)) >"$hash_file" 2>/dev/null || true
	fi
fi
echo "bench: nf_conntrack_max $old_max -> $(cat "$max_file"), hashsize $old_hash -> $(cat "$hash_file" 2>/dev/null)" \
	"(restored at exit); $(nproc) cores, kernel $(uname -r), $(date -u '+%F %T UTC')"
# the machine may be shared: the load shows how much the absolute times mean
echo "bench: load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
python3 "$top/tests/bench/bench.py" "$@" || rc=$?
echo "bench: load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$rc"
