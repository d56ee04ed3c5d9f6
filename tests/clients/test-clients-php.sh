#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ctd.cgi with a PHP client (php-xmlrpc, as pyctd's PHP frontend): requests
# built by tests/clients/php/client.php (iso-8859-1, array() as filters, ids as
# strings), run through the real CGI exactly as Apache would (environment,
# body on stdin, as www-data, real setuid helper, private namespace), and
# the answers decoded by php's xmlrpc_decode.
. "$(dirname "$0")/../lib/harness.sh"
t_need_root
command -v php >/dev/null || { t_skip "$(basename "$0")" "php missing (apt-get install php-cli php-xmlrpc)"; t_done; }
php -m 2>/dev/null | grep -qx xmlrpc || { t_skip "$(basename "$0")" "php xmlrpc extension missing (php-xmlrpc)"; t_done; }
[ -x "$CTD_BUILD/ctd.cgi" ] && [ -x "$CTD_BUILD/ctd-helper" ] || { t_skip "$(basename "$0")" "binaries not built"; t_done; }

PHPC="$CTD_TOP/tests/clients/php/client.php"
getent group ctd >/dev/null || groupadd --system ctd
GID=$(getent group ctd | cut -d: -f3)
D=$(mktemp -d /var/tmp/ctdtest.XXXXXX)
at_exit "rm -rf '$D'"
chmod 755 "$D"
install -m 755 "$CTD_BUILD/ctd.cgi" "$D/ctd.cgi"
install -m 4750 -o root -g ctd "$CTD_BUILD/ctd-helper" "$D/ctd-helper"
mkdir -m 700 "$D/state" && chown 33:33 "$D/state"
printf 'database = %s\nhelper = %s\n' "$D/state/ctd.db" "$D/ctd-helper" >"$D/ctd.conf"
chmod 644 "$D/ctd.conf"

ns_new
ns_ct "$NS" -I -s 10.11.0.1 -d 10.11.0.2 -p tcp --sport 4001 --dport 80 --state ESTABLISHED --timeout 900 --mark 7 2>/dev/null
ns_ct "$NS" -I -s 10.11.0.1 -d 10.11.0.3 -p udp --sport 4002 --dport 53 --timeout 900 --mark 4294967295 2>/dev/null
ns_ct "$NS" -I -s 2001:db8:11::1 -d 2001:db8:11::2 -p udp --sport 4003 --dport 53 --timeout 900 2>/dev/null
ids_of() { ns_ct "$NS" -L -o id 2>/dev/null | grep -- "$1" | grep -oE 'id=[0-9]+$' | cut -d= -f2; }
ID1=$(ids_of 'sport=4001 ')
ID2=$(ids_of 'sport=4002 ')
ID3=$(ids_of 'sport=4003 ')
t_ok "test data: three entries with ids" test -n "$ID1" -a -n "$ID2" -a -n "$ID3"

# cgi_call REMOTE_USER: request body on stdin -> CGI stdout in $D/out, body in $D/body
cgi_call() {
	cat >"$D/req"
	ip netns exec "$NS" /usr/bin/env -i REQUEST_METHOD=POST CONTENT_TYPE=text/xml \
		CONTENT_LENGTH="$(stat -c %s "$D/req")" REMOTE_USER="$1" REMOTE_ADDR=127.0.0.1 \
		GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 SCRIPT_NAME=/RPC2 CTD_CONFIG="$D/ctd.conf" \
		/usr/bin/setpriv --reuid=33 --regid=33 --groups="$GID" "$D/ctd.cgi" <"$D/req" >"$D/out" 2>"$D/err"
	# body: everything after the first empty header line
	awk 'b { print; next } /^\r?$/ { b = 1 }' "$D/out" >"$D/body"
	cp "$D/out" "$CTD_TEST_OUT/test-cgi-php.last-out"
}
# php_call USER METHOD ARGS... -> JSON answer on stdout
php_call() {
	local u=$1; shift
	php "$PHPC" request "$@" | cgi_call "$u"
	php "$PHPC" decode <"$D/body"
}
jq_() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {"d": d}))' "$1"; }

req=$(php "$PHPC" request login)
t_ok "PHP request is declared iso-8859-1" grep -q 'encoding="iso-8859-1"' <<<"$req"
t_ok "PHP login carries raw Latin-1 bytes (not UTF-8)" bash -c "php '$PHPC' request login | grep -q \$'jos\\xe9'"
a=$(php_call admin login)
SID=$(jq_ 'd.get("value") if isinstance(d.get("value"), str) else ""' <<<"$a")
t_ok "login (iso-8859-1 request, REMOTE_USER) -> session string: $a" test ${#SID} -ge 22
t_eq "Status header 200" "Status: 200" "$(grep -oiE '^status: *[0-9]+' "$D/out" | head -1 | sed 's/ *: */: /; s/^s/S/')"
t_ok "Content-Type text/xml" grep -qiE '^content-type: *text/xml' "$D/out"
t_eq "whoami decoded by xmlrpc_decode" "admin operator" \
	"$(php_call admin whoami "$SID" | jq_ 'd["value"]["user"] + " " + d["value"]["role"]')"
t_eq "set_autorefresh 0 -> true (PHP bool)" "True" "$(php_call admin set_autorefresh "$SID" 0 | jq_ 'd["value"]')"
a=$(php_call admin view "$SID")
t_eq "view with array() as filters: total 3" "3" "$(jq_ 'd["value"]["total"]' <<<"$a")"
t_eq "view: no NULL anywhere in PHP's decoding (no <i8>/<nil/>)" "0" "$(jq_ 'd["nulls"]' <<<"$a")"
t_eq "view: ids are strings equal to conntrack's" "$(printf '%s\n' "$ID1" "$ID2" "$ID3" | sort | tr '\n' ' ')" \
	"$(jq_ '" ".join(sorted(r["id"] for r in d["value"]["table"])) + " "' <<<"$a")"
t_ok "view: ids decode as PHP strings" test "$(jq_ 'all(isinstance(r["id"], str) for r in d["value"]["table"])' <<<"$a")" = True
t_eq "view: mark 0xFFFFFFFF decodes as int -1" "-1" \
	"$(jq_ '[r["mark"] for r in d["value"]["table"] if r.get("orig_port_src") == 4002][0]' <<<"$a")"
t_eq "view: counters decode as PHP floats" "True" \
	"$(jq_ 'all(isinstance(r["orig_counter_bytes"], float) or r["orig_counter_bytes"] == 0 for r in d["value"]["table"])' <<<"$a")"
t_eq "view: accounting decodes as a boolean" "True" "$(jq_ 'isinstance(d["value"]["accounting"], bool)' <<<"$a")"
t_eq "view with a string filter value (orig_port_src '4001' from a form)" "1" \
	"$(php_call admin viewf "$SID" orig_port_src 4001 | jq_ 'd["value"]["total"]')"
t_eq "view ordered by orig_src DESC: IPv6 first" "10" \
	"$(php_call admin view "$SID" orig_src DESC 0 10 | jq_ 'd["value"]["table"][0]["orig_l3proto"]')"
t_eq "change mark with the id as a string -> true" "True" "$(php_call admin change "$SID" mark "$ID1" 99 | jq_ 'd["value"]')"
t_eq "conntrack -L shows mark 99" "1" "$(ns_ct "$NS" -L -o id 2>/dev/null | grep "id=$ID1\$" | grep -c 'mark=99 ')"
t_eq "kill with ids as strings -> 2" "2" "$(php_call admin kill "$SID" "$ID2" "$ID3" | jq_ 'd["value"]')"
t_eq "both gone from conntrack -L" "" "$(ids_of 'sport=400[23] ')"
t_eq "the third is alive" "$ID1" "$(ids_of 'sport=4001 ')"
t_eq "unknown id as string -> fault 5 via xmlrpc_is_fault" "5" "$(php_call admin kill "$SID" 12345 | jq_ 'd["fault"]')"
t_eq "bad filter -> fault 3" "3" "$(php_call admin viewf "$SID" nosuchfilter x | jq_ 'd["fault"]')"
t_eq "session as another REMOTE_USER -> fault 2" "2" "$(php_call bob whoami "$SID" | jq_ 'd["fault"]')"
t_eq "logout -> true" "True" "$(php_call admin logout "$SID" | jq_ 'd["value"]')"
t_eq "after logout -> fault 2" "2" "$(php_call admin view "$SID" | jq_ 'd["fault"]')"
t_done
