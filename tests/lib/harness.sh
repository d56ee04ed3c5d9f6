# SPDX-License-Identifier: GPL-2.0-or-later
# Shared test harness for bash tests: counting, root/namespace checks, and
# private network namespaces that are always removed (trap), even when a
# test fails or is interrupted.  Source it:  . "$(dirname "$0")/lib/harness.sh"
#
#   t_ok DESC CMD...       passes if CMD exits 0
#   t_fail DESC CMD...     passes if CMD exits non-zero
#   t_eq DESC WANT GOT     passes if the strings are equal
#   t_skip DESC WHY        counts a skip
#   t_need_root            skips the whole file (with the reason) unless root with netns
#   ns_new                 makes a fresh namespace, name in $NS (lo up, acct+timestamps on);
#                          call it directly, not in $(...), so the trap knows it
#   ns_exec NS CMD...      runs CMD inside NS
#   ns_ct NS ARGS...       conntrack ARGS inside NS
#   ns_track NS            nft rule so real traffic inside NS is tracked
#   t_done                 prints "N passed, N failed, N skipped" and exits

T_PASS=0 T_FAIL=0 T_SKIP=0
T_NS=()
T_CLEANUP=()
CTD_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTD_BUILD=${CTD_BUILD:-$CTD_TOP/.build}
CTD_SAN_BUILD=${CTD_SAN_BUILD:-$CTD_TOP/.build-san}
CTD_TEST_OUT=${CTD_TEST_OUT:-$CTD_TOP/.test-out}
mkdir -p "$CTD_TEST_OUT"

t_ok() {
	local d=$1; shift
	if "$@" >>"$CTD_TEST_OUT/last-cmd.log" 2>&1; then T_PASS=$((T_PASS + 1)); echo "ok - $d"
	else T_FAIL=$((T_FAIL + 1)); echo "not ok - $d   (command: $*)"; fi
}
t_fail() {
	local d=$1; shift
	if "$@" >>"$CTD_TEST_OUT/last-cmd.log" 2>&1; then T_FAIL=$((T_FAIL + 1)); echo "not ok - $d   (command succeeded: $*)"
	else T_PASS=$((T_PASS + 1)); echo "ok - $d"; fi
}
t_eq() {
	if [ "$2" = "$3" ]; then T_PASS=$((T_PASS + 1)); echo "ok - $1"
	else T_FAIL=$((T_FAIL + 1)); echo "not ok - $1"; echo "#   want: $2"; echo "#   got:  $3"; fi
}
t_skip() { T_SKIP=$((T_SKIP + 1)); echo "skip - $1: $2"; }
t_done() {
	echo "$T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	[ "$T_FAIL" -eq 0 ]
	exit $?
}
t_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		t_skip "$(basename "$0")" "needs root (network namespaces, conntrack); run with sudo"; t_done
	fi
	if ! ip netns add "ctdt-probe-$$" 2>/dev/null; then
		t_skip "$(basename "$0")" "cannot create network namespaces here"; t_done
	fi
	ip netns del "ctdt-probe-$$"
	if ! command -v conntrack >/dev/null; then
		t_skip "$(basename "$0")" "conntrack(8) missing: run make deps"; t_done
	fi
}

t_cleanup() {
	local ns f
	for f in "${T_CLEANUP[@]}"; do eval "$f" >/dev/null 2>&1 || true; done
	for ns in "${T_NS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

# at_exit CMD: run CMD (a string) when the test exits
at_exit() { T_CLEANUP+=("$1"); }

ns_new() {
	local ns="ctdt-$$-${#T_NS[@]}-$RANDOM"
	ip netns add "$ns" || return 1
	T_NS+=("$ns")
	ip -n "$ns" link set lo up
	# the conntrack module must be loaded before its sysctls exist
	ip netns exec "$ns" conntrack -L >/dev/null 2>&1 || true
	ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1 >/dev/null 2>&1 || true
	NS=$ns
}
ns_exec() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ns_ct() { local ns=$1; shift; ip netns exec "$ns" conntrack "$@"; }
ns_track() {
	ip netns exec "$1" nft -f - <<'NFT'
table inet ctdtest {
	chain in { type filter hook input priority 0; ct state established accept; }
	chain out { type filter hook output priority 0; ct state established accept; }
}
NFT
}
