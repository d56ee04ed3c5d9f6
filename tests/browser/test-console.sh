#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The web console (apache/console/) end to end: the real demo (apache/demo.sh:
# Apache + ctd.cgi + setuid ctd-helper) in a private network namespace on a
# random port, 1,004 made entries and one live TCP connection in that
# namespace's conntrack table, and tests/browser/console-test.js driving
# Debian's headless Chromium (playwright-core) against it from inside the
# namespace.  Effects are checked in the kernel table with conntrack -L, by
# the browser test as it goes and here once more at the end.  Screenshots go
# to $CTD_TEST_OUT/console/.
. "$(dirname "$0")/../lib/harness.sh"
t_need_root

BROWSER_DIR=$CTD_TOP/tests/browser
OUT=$CTD_TEST_OUT/console
if [ ! -x /usr/bin/chromium ]; then
	t_skip "web console" "Debian's chromium is not installed (make deps)"; t_done
fi
if ! command -v node >/dev/null || [ ! -d "$BROWSER_DIR/node_modules/playwright-core" ]; then
	t_skip "web console" "node or playwright-core missing (make deps runs npm ci in tests/browser)"; t_done
fi
for c in apache2 htpasswd openssl python3 curl; do
	command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] || { t_skip "web console" "$c missing (make deps)"; t_done; }
done
rm -rf "$OUT"
mkdir -p "$OUT"
for f in "$CTD_TOP"/apache/console/*.js "$BROWSER_DIR"/console-test.js; do
	t_ok "$(basename "$f") parses" node --check "$f"
done

ns_new
ns_track "$NS"
# Addresses for the live connection: the documentation range, on this
# namespace's own loopback (traffic never leaves it), and outside 127.0.0.0/8,
# which ctd hides by default.
ip -n "$NS" addr add 192.0.2.1/32 dev lo
ip -n "$NS" addr add 192.0.2.2/32 dev lo

# ---- the entries: 1,000 IPv4 (700 tcp, 200 udp, 100 icmp) + 4 IPv6 udp ----
# entry i: src 198.51.100.(i%100+1), dst 203.0.113.(i/100+1), mark i%8,
# sport 20000+i; tcp and udp to ports 443 and 53, icmp echo with id i.
make_entries() {
	local i m src dst
	for ((i = 0; i < 1000; i++)); do
		src=198.51.100.$((i % 100 + 1)) dst=203.0.113.$((i / 100 + 1)) m=$((i % 10))
		if [ $m -lt 7 ]; then
			echo "-I -s $src -d $dst -p tcp --sport $((20000 + i)) --dport 443 --state ESTABLISHED --timeout $((1200 + i)) --mark $((i % 8))"
		elif [ $m -lt 9 ]; then
			echo "-I -s $src -d $dst -p udp --sport $((20000 + i)) --dport 53 --timeout $((1200 + i)) --mark $((i % 8))"
		else
			echo "-I -s $src -d $dst -p icmp --icmp-type 8 --icmp-code 0 --icmp-id $i --timeout $((1200 + i)) --mark $((i % 8))"
		fi
	done
	for ((i = 0; i < 4; i++)); do
		echo "-I -s 2001:db8::1 -d 2001:db8::2 -p udp --sport $((21000 + i)) --dport 53 --timeout 1200 --mark $i"
	done
}
make_entries | ip netns exec "$NS" bash -c 'n=0; while read -r a; do conntrack $a 2>/dev/null && n=$((n + 1)); done; echo $n' >"$OUT/made"
t_eq "1,004 entries made in the namespace" 1004 "$(cat "$OUT/made")"
FIXTURE='{"synthetic":1004,"tcp":700,"tcp_443":700,"udp":204,"ipv6":4,
 "cidr":"203.0.113.0/30","cidr_count":300,"host":"198.51.100.7","host_count":10,"edit_sport":20006,
 "kill_host":"198.51.100.4","kill_host_count":10,"mark5":125,"first_sport":20000,
 "auto_host":"198.51.100.250"}'

# ---- a live TCP connection carrying 3 MiB, then idle ----
LIVE_SPORT=45678 LIVE_DPORT=5555
ip netns exec "$NS" python3 - "$OUT/live-ready" "$LIVE_SPORT" "$LIVE_DPORT" >"$OUT/live.log" 2>&1 <<'PY' &
import socket, sys, threading, time
ready, sport, dport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("192.0.2.1", dport)); srv.listen(1)
got = []
def serve():
    c, _ = srv.accept(); n = 0
    while n < 3 * 1048576:
        b = c.recv(65536)
        if not b: break
        n += len(b)
    c.sendall(b"ok"); got.append(c)
threading.Thread(target=serve, daemon=True).start()
cli = socket.socket(); cli.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
cli.bind(("192.0.2.2", sport)); cli.connect(("192.0.2.1", dport))
cli.sendall(b"x" * (3 * 1048576))
assert cli.recv(2) == b"ok"
open(ready, "w").write("ready\n")
time.sleep(900)   # idle: no packet re-creates the entry once it is killed
PY
disown $! # the harness kills it with the namespace; no job notice then
for _ in $(seq 100); do [ -s "$OUT/live-ready" ] && break; sleep 0.1; done
t_ok "live TCP connection established and 3 MiB sent" test -s "$OUT/live-ready"
t_ok "conntrack -L shows it ESTABLISHED" \
	bash -c "ip netns exec $NS conntrack -L -p tcp --sport $LIVE_SPORT 2>/dev/null | grep -q ESTABLISHED"

# ---- the demo, private: own directory, random port and passwords ----
DEMO_DIR=$(mktemp -d /var/tmp/ctd-console.XXXXXX)
chmod 755 "$DEMO_DIR"
PORT=$((20000 + RANDOM % 20000))
ADMIN_PW=$(openssl rand -hex 12)
VIEWER_PW=$(openssl rand -hex 12)
export DEMO_DIR DEMO_NETNS=$NS DEMO_PORT=$PORT DEMO_ADMIN_PASSWORD=$ADMIN_PW DEMO_VIEWER_PASSWORD=$VIEWER_PW
at_exit "DEMO_DIR=$DEMO_DIR '$CTD_TOP/apache/demo.sh' stop; rm -rf '$DEMO_DIR'"
if ! "$CTD_TOP/apache/demo.sh" start >"$OUT/demo-start.log" 2>&1; then
	t_ok "demo starts in $NS on port $PORT" false
	tail -n 20 "$OUT/demo-start.log" | sed 's/^/#   /'
	t_done
fi
t_ok "demo starts in $NS on port $PORT" true

# ---- the browser test, inside the namespace ----
# ctgen (tests/tools/ctgen.c) adds 100,000 entries for the last admin step.
CTGEN=""
[ -x "$CTD_BUILD/tools/ctgen" ] && CTGEN=$CTD_BUILD/tools/ctgen
# the demo's database (from its generated ctd.conf), to expire sessions
DB=$(sed -n 's/^database *= *//p' "$DEMO_DIR/etc/ctd.conf")
command -v sqlite3 >/dev/null && [ -n "$DB" ] || DB=""
start=$SECONDS
ip netns exec "$NS" env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY \
	NODE_PATH="$BROWSER_DIR/node_modules" \
	CTD_URL="https://127.0.0.1:$PORT/ctd/" CTD_ADMIN_PASSWORD="$ADMIN_PW" CTD_VIEWER_PASSWORD="$VIEWER_PW" \
	CTD_SHOT_DIR="$OUT" CTD_CTGEN="$CTGEN" CTD_DB="$DB" CTD_LIVE_SPORT=$LIVE_SPORT CTD_LIVE_DPORT=$LIVE_DPORT CTD_FIXTURE="$FIXTURE" \
	timeout 400 node "$BROWSER_DIR/console-test.js" >"$OUT/browser.log" 2>&1
rc=$?
echo "# browser test: exit $rc, $((SECONDS - start)) s (log: $OUT/browser.log)"
grep -vE '^[0-9]+ passed, [0-9]+ failed' "$OUT/browser.log"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$OUT/browser.log" | tail -1)
if [ -z "$summary" ]; then
	t_ok "browser test ran to its summary (exit $rc)" false
else
	read -r bp _ bf _ bs _ <<<"${summary//,/}"
	T_PASS=$((T_PASS + bp)) T_FAIL=$((T_FAIL + bf)) T_SKIP=$((T_SKIP + bs))
	t_eq "browser test exit status matches its failures" "$([ "$bf" -eq 0 ] && echo 0 || echo 1)" "$rc"
fi

# ---- the kernel table afterwards, checked once more from here ----
# by address too: ctgen's 100k entries reuse these ports
ct_entry() { ip netns exec "$NS" conntrack -L -p tcp -s "$1" --sport "$2" 2>/dev/null; }
t_eq "afterwards: the live connection is not in conntrack -L" "" "$(ct_entry 192.0.2.2 $LIVE_SPORT)"
t_eq "afterwards: the edited entry carries mark 4294967280" "mark=4294967280" \
	"$(ct_entry 198.51.100.7 20006 | grep -o 'mark=[0-9]*')"
t_eq "afterwards: the 3 killed entries are gone" "" \
	"$(ct_entry 198.51.100.4 20003; ct_entry 198.51.100.4 20103; ct_entry 198.51.100.4 20203)"
t_eq "afterwards: the other 7 of that host remain" 7 \
	"$(ip netns exec "$NS" conntrack -L -p tcp -s 198.51.100.4 2>/dev/null | grep -c ESTABLISHED)"
t_ok "afterwards: Apache's error log has no CGI crash" \
	bash -c "! grep -qiE 'segfault|premature end of script' $DEMO_DIR/log/*error.log"
cp "$DEMO_DIR"/log/*error.log "$OUT/" 2>/dev/null || true
t_done
