#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (not a test): dump of N entries (default 100k) through
# ctd-helper (ctd-hc: spawn, dump, records handed to a callback) against
# `conntrack -L -o id > /dev/null` on the same table, median of 5 runs
# each, and the ratio (target: helper >= 1.5x faster).  Also the rate of
# destroy and mark updates through the helper (10,000 targets per request).
# Needs root; works in a private network namespace.
#   tests/bench/helper-dump.sh [N]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${CTD_BUILD:-$top/.build}
N=${1:-100000}
RUNS=5
[ "$(id -u)" -eq 0 ] || { echo "helper-dump: needs root" >&2; exit 1; }
for x in "$B/ctd-helper" "$B/tools/ctd-hc" "$B/tools/ctgen"; do
	[ -x "$x" ] || { echo "helper-dump: $x missing: run make" >&2; exit 1; }
done
ns=ctdbench-$$
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true; rm -f "$tmp"' EXIT
tmp=$(mktemp)
ip netns exec "$ns" conntrack -L >/dev/null 2>&1 || true
ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_acct=1 >/dev/null
ip netns exec "$ns" "$B/tools/ctgen" "$N" 0 30

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timeit() { # prints seconds for one run of "$@"
	local a b
	a=$(date +%s.%N); "$@" >/dev/null 2>&1; b=$(date +%s.%N)
	echo "$b - $a" | bc -l
}
ct=$(for i in $(seq $RUNS); do timeit ip netns exec "$ns" conntrack -L -o id; done | median)
hc=$(for i in $(seq $RUNS); do timeit ip netns exec "$ns" "$B/tools/ctd-hc" -s "$B/ctd-helper" dump -q; done | median)
hcp=$(for i in $(seq $RUNS); do timeit ip netns exec "$ns" "$B/tools/ctd-hc" -s "$B/ctd-helper" dump; done | median)
n=$(ip netns exec "$ns" "$B/tools/ctd-hc" -s "$B/ctd-helper" dump -q | grep -oE '^[0-9]+')
printf 'dump of %d entries, median of %d:\n' "$n" "$RUNS"
printf '  conntrack -L -o id >/dev/null   %.3f s  %8.0f records/s\n' "$ct" "$(echo "$n / $ct" | bc -l)"
printf '  ctd-helper (records to callback) %.3f s  %8.0f records/s\n' "$hc" "$(echo "$n / $hc" | bc -l)"
printf '  ctd-helper (printed as text)     %.3f s  %8.0f records/s\n' "$hcp" "$(echo "$n / $hcp" | bc -l)"
printf '  ratio conntrack/helper: %.2fx (target >= 1.5x)\n' "$(echo "$ct / $hc" | bc -l)"
# CPU time (user + system, children included) is steadier than wall time
# on a busy machine; median of RUNS as well
cpu() { /usr/bin/time -o "$tmp.time" -f '%U %S' "$@" >/dev/null 2>&1; awk '{print $1 + $2}' "$tmp.time"; }
ctc=$(for i in $(seq $RUNS); do cpu ip netns exec "$ns" conntrack -L -o id; done | median)
hcc=$(for i in $(seq $RUNS); do cpu ip netns exec "$ns" "$B/tools/ctd-hc" -s "$B/ctd-helper" dump -q; done | median)
printf '  CPU time: conntrack %.3f s, helper + client %.3f s, ratio %.2fx\n' "$ctc" "$hcc" "$(echo "$ctc / $hcc" | bc -l)"

# mark / timeout / destroy rates: 10,000 targets per request (the protocol
# maximum); time of the hc_targets() calls alone (ctd-hc -T), not of
# ctd-hc's text parsing
ip netns exec "$ns" "$B/tools/ctd-hc" -s "$B/ctd-helper" dump > "$tmp"
split -l 10000 "$tmp" "$tmp.part."
rate() { # OP ARGS...: runs every part, prints total seconds
	local total=0 p el
	for p in "$tmp".part.*; do
		el=$(ip netns exec "$ns" "$B/tools/ctd-hc" -T -s "$B/ctd-helper" "$@" < "$p" 2>&1 >/dev/null |
			grep -oE '[0-9.]+' | head -1)
		total=$(echo "$total + $el" | bc -l)
	done
	echo "$total"
}
for op in "mark 0x10/0xf0" "timeout 500" "destroy"; do
	# shellcheck disable=SC2086
	s=$(rate $op)
	printf '%-16s %d entries: %.3f s, %.0f/s\n' "${op%% *}" "$n" "$s" "$(echo "$n / $s" | bc -l)"
done
marked=$(ip netns exec "$ns" conntrack -C)
printf 'entries left after destroy: %d\n' "$marked"
rm -f "$tmp".part.* "$tmp.time"
