#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# demo.sh start|stop|status - ctd behind a private Apache, for trying it out.
#
#   sudo apache/demo.sh start      (what `sudo make demo` runs)
#   sudo apache/demo.sh stop       (what `sudo make demo-stop` runs)
#
# start: builds into $DEMO_DIR/build, installs into $DEMO_DIR/{prefix,etc,
# state,run} (never /etc, never the system Apache's configuration), makes a
# self-signed certificate and an htpasswd file (admin = operator, viewer =
# viewer), and starts Apache with its own configuration, pid file, logs and
# port on https://127.0.0.1:$DEMO_PORT/RPC2, using apache/ctd-site.conf as
# shipped, inside network namespace $DEMO_NETNS (default ctd-demo, created if
# missing, with conntrack accounting, timestamps and complete events switched
# on there).  The host's 127.0.0.1:$DEMO_PORT is forwarded into the namespace
# (socat, loopback on both sides), so a browser on the host sees the
# namespace's table.  Unless DEMO_TRAFFIC=0, apache/demo-traffic.py runs in
# the namespace and keeps a small firewall table alive there (synthetic
# entries of every kind, paced TCP flows, churn, an FTP expectation).
# stop: stops Apache, the forwarder, the traffic, the sampling (and the helper
# service in socket mode); every file stays, and so does the namespace, so
# the next start is quick and keeps users, passwords and the database.  While
# it runs, `ctd.cgi --sample` records a history sample every 10 s (as the web
# user, in the namespace: what ctd-sample.timer does every minute on a real
# install).
#
# Environment:
#   DEMO_PORT=8443              TCP port on 127.0.0.1
#   DEMO_NETNS=ctd-demo         run Apache (and the helper) inside this network
#                               namespace; created if missing.  host: run in
#                               this machine's own namespace and show its real
#                               table (no forwarder, no traffic)
#   DEMO_TRAFFIC=1              0: leave the namespace's table as it is (no
#                               synthetic entries, flows or churn; tests that
#                               compare with conntrack -L use it)
#   DEMO_HELPER_MODE=setuid     setuid | setcap | socket (see README, Helper modes)
#   DEMO_ADMIN_PASSWORD=...     passwords to set instead of random ones
#   DEMO_VIEWER_PASSWORD=...
#   DEMO_DIR=<checkout>/.demo   where everything lives (tests use their own)
#   DEMO_WEB_USER=www-data      the user Apache runs the CGI as
#   DEMO_SKIP_BUILD=1           reuse the binaries already installed in DEMO_DIR
#   DEMO_EXTRA_CONF=file        Apache configuration included after the site
#                               (the benchmark adds a second vhost with it)
#   DEMO_RLIMIT_MEM=bytes|max   the CGI's address-space limit instead of the
#                               site file's (max for an ASan build of ctd.cgi)
#   DEMO_RLIMIT_CPU=secs|max    the CGI's CPU-time limit instead of the site's
#
# Passwords: random ones are printed once, when they are made; later starts
# keep them (set DEMO_*_PASSWORD, or delete $DEMO_DIR/etc/htpasswd, for new
# ones).  They are stored only as bcrypt hashes.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT=${DEMO_PORT:-8443}
NETNS=${DEMO_NETNS:-ctd-demo}
[ "$NETNS" = host ] && NETNS=""
TRAFFIC=${DEMO_TRAFFIC:-1}
MODE=${DEMO_HELPER_MODE:-setuid}
WEB_USER=${DEMO_WEB_USER:-www-data}
DEMO_LINK=${DEMO_DIR:-$TOP/.demo}
HELPER_GROUP=ctd
HELPER_USER=ctd-helper
APACHE=${DEMO_APACHE:-/usr/sbin/apache2}
MODDIR=/usr/lib/apache2/modules

# Make variables of an outer `make demo PREFIX=...` must not leak into ours.
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
# what the demo writes is readable by the web user, never writable by others
umask 022

die() { echo "demo: $*" >&2; exit 1; }
say() { echo "demo: $*"; }

# Values that end up in Apache's configuration and socat's addresses.
if ! [[ $PORT =~ ^[0-9]{1,5}$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
	die "DEMO_PORT=$PORT: give a TCP port, 1-65535"
fi
if [ -n "$NETNS" ] && ! [[ $NETNS =~ ^[A-Za-z0-9_.-]{1,64}$ ]]; then
	die "DEMO_NETNS=$NETNS: give a network namespace name (letters, digits, . _ -) or host"
fi

in_ns() { if [ -n "$NETNS" ]; then ip netns exec "$NETNS" "$@"; else "$@"; fi; }

# Does $1 (a directory) let the web user in?  Every parent must be
# traversable for Apache's CGI child and for the helper it execs.
web_user_can_enter() {
	setpriv --reuid="$WEB_USER" --regid="$WEB_USER" --init-groups test -x "$1" 2>/dev/null
}

# The runtime directory D: $DEMO_LINK itself when the web user can reach it,
# else a directory under /var/lib named after the checkout, with $DEMO_LINK
# a symlink to it (a checkout under /root is common).
resolve_dir() {
	if [ -L "$DEMO_LINK" ]; then
		D=$(readlink -f "$DEMO_LINK")
		[ -d "$D" ] || mkdir -p "$D"
		return
	fi
	if [ -d "$DEMO_LINK" ]; then
		D=$(cd "$DEMO_LINK" && pwd)
		web_user_can_enter "$D" && return
		die "$DEMO_LINK exists but $WEB_USER cannot enter it; move it away (or chmod its parents) and retry"
	fi
	local parent
	parent=$(cd "$(dirname "$DEMO_LINK")" && pwd)
	if web_user_can_enter "$parent"; then
		mkdir -m 0755 "$DEMO_LINK"
		D=$(cd "$DEMO_LINK" && pwd)
	else
		D=/var/lib/ctd-demo-$(printf '%s' "$parent/$(basename "$DEMO_LINK")" | sha256sum | cut -c1-12)
		mkdir -p -m 0755 "$D"
		ln -s "$D" "$DEMO_LINK"
		say "$parent is closed to $WEB_USER: the demo lives in $D ($DEMO_LINK links to it)"
	fi
}

set_paths() {
	CONF=$D/apache/apache2.conf
	APACHE_RUN=$D/apache/run
	PIDFILE=$APACHE_RUN/apache2.pid
	LOGDIR=$D/log
	ETC=$D/etc
	RUNDIR=$D/run
	SOCK=$RUNDIR/helper.sock
	ACT_PID=$D/apache/run/helper-activate.pid
	SAMPLE_PID=$D/apache/run/sample.pid
	FORWARD_PID=$D/apache/run/forward.pid
	TRAFFIC_PID=$D/apache/run/traffic.pid
	STATE=$D/demo.state
	MAKEVARS=(B="$D/build" PREFIX="$D/prefix" SYSCONFDIR="$ETC" STATEDIR="$D/state"
		RUNDIR="$RUNDIR" WEB_USER="$WEB_USER" HELPER_GROUP="$HELPER_GROUP"
		HELPER_USER="$HELPER_USER" SYSTEMDUNITDIR="$D/systemd")
	CGI=$D/prefix/lib/ctd/ctd.cgi
	HELPER=$D/prefix/lib/ctd/ctd-helper
}

# pid in file $1 if that process is alive and runs $2 (guards against a
# stale pid file whose number now belongs to something else).
live_pid() {
	local pid
	[ -s "$1" ] || return 1
	pid=$(tr -dc 0-9 <"$1")
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$2" ] || return 1
	echo "$pid"
}

setup_netns() {
	[ -n "$NETNS" ] || return 0
	[[ $NETNS =~ ^[A-Za-z0-9_.-]+$ ]] || die "DEMO_NETNS must be a plain name (letters, digits, _ . -) or host"
	if ! ip netns list | awk '{print $1}' | grep -qx -- "$NETNS"; then
		ip netns add "$NETNS" || die "cannot create network namespace $NETNS"
		say "created network namespace $NETNS"
	fi
	ip -n "$NETNS" link set lo up
	in_ns conntrack -L >/dev/null 2>&1 || true # loads the module: its sysctls appear
	in_ns sysctl -qw net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1 \
		net.netfilter.nf_conntrack_events=1 ||
		say "warning: could not switch on conntrack accounting/timestamps/events in $NETNS"
}

build_install() {
	local mode=$MODE log=$LOGDIR/build.log
	case "$mode" in setuid | setcap | socket) ;; *) die "DEMO_HELPER_MODE must be setuid, setcap or socket" ;; esac
	say "building and installing into $D (helper mode $mode; log: $log)"
	if ! make -C "$TOP" -j2 "${MAKEVARS[@]}" all >"$log" 2>&1; then
		tail -n 15 "$log" >&2
		die "build failed (full log: $log)"
	fi
	# Without SYSTEMDUNITDIR support, `make install HELPER_MODE=socket` would
	# write units to /lib/systemd/system: the demo does not need them, so it
	# installs in setuid layout and then makes the helper an ordinary file.
	local imode=$mode
	if [ "$mode" = socket ] && ! grep -q SYSTEMDUNITDIR "$TOP/Makefile"; then imode=setuid; fi
	if ! make -C "$TOP" "${MAKEVARS[@]}" HELPER_MODE="$imode" install >>"$log" 2>&1; then
		tail -n 15 "$log" >&2
		die "make install failed (full log: $log)"
	fi
	if [ "$mode" = socket ]; then
		chown root:root "$HELPER"
		chmod 0755 "$HELPER"
		setcap -r "$HELPER" 2>/dev/null || true
		getent passwd "$HELPER_USER" >/dev/null ||
			useradd --system --no-create-home --shell /usr/sbin/nologin -g "$HELPER_GROUP" "$HELPER_USER"
	fi
	# the web console (apache/console/), an empty directory until there is one
	rm -rf "$D/prefix/share/ctd/console"
	if [ -d "$TOP/apache/console" ]; then
		cp -r "$TOP/apache/console" "$D/prefix/share/ctd/console"
		chmod -R a+rX,go-w "$D/prefix/share/ctd/console"
	else
		mkdir -p -m 0755 "$D/prefix/share/ctd/console"
	fi
}

# ctd.conf for the demo.  Regenerated on every start unless the user edited
# the last generated one (then it is kept, with a note).
write_ctd_conf() {
	local want=$ETC/.ctd.conf.generated conf=$ETC/ctd.conf helper_line
	if [ "$MODE" = socket ]; then helper_line="helper = unix:$SOCK"; else helper_line="helper = $HELPER"; fi
	mkdir -p "$ETC"
	local new
	new=$(
		cat <<EOF
# ctd.conf written by apache/demo.sh for the demo (see apache/ctd.conf.example
# for every key).  Edit freely: the demo then stops regenerating it.
database = $D/state/ctd.db
$helper_line
helper_timeout = 60
roles = admin:operator, viewer:viewer
default_role = viewer
EOF
	)
	if [ -e "$conf" ] && { [ ! -e "$want" ] || ! cmp -s "$conf" "$want"; }; then
		say "keeping your edited $conf (helper line should be: $helper_line)"
		return
	fi
	printf '%s\n' "$new" >"$want"
	install -m 0640 -g "$WEB_USER" "$want" "$conf"
}

make_cert() {
	local tls=$ETC/tls
	[ -s "$tls/cert.pem" ] && [ -s "$tls/key.pem" ] &&
		openssl x509 -checkend 86400 -noout -in "$tls/cert.pem" >/dev/null 2>&1 && return
	mkdir -p -m 0700 "$tls"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
		-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
		-addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth" \
		-keyout "$tls/key.pem" -out "$tls/cert.pem" >/dev/null 2>&1 || die "openssl could not make a certificate"
	chmod 0600 "$tls/key.pem"
	chmod 0644 "$tls/cert.pem"
	cp "$tls/cert.pem" "$ETC/demo-ca.pem" # clients trust this file
	say "made a self-signed certificate: $ETC/demo-ca.pem"
}

random_password() { openssl rand -base64 18 | tr -d '/+=' | cut -c1-16; }

# htpasswd -B; the passwords printed are remembered only for this run
make_users() {
	local f=$ETC/htpasswd user var pw
	NEW_PASSWORDS=()
	[ -e "$f" ] || { install -m 0640 -g "$WEB_USER" /dev/null "$f"; }
	for user in admin viewer; do
		var=DEMO_${user^^}_PASSWORD
		pw=${!var:-}
		if [ -n "$pw" ]; then
			htpasswd -v -b "$f" "$user" "$pw" >/dev/null 2>&1 || htpasswd -B -b "$f" "$user" "$pw" >/dev/null 2>&1
		elif ! grep -q "^$user:" "$f"; then
			pw=$(random_password)
			htpasswd -B -b "$f" "$user" "$pw" >/dev/null 2>&1
			NEW_PASSWORDS+=("$user" "$pw")
		fi
	done
	chgrp "$WEB_USER" "$f"
	chmod 0640 "$f"
}

write_apache_conf() {
	mkdir -p "$D/apache" "$APACHE_RUN" "$LOGDIR"
	local mpm=event cgimod=cgid
	cat >"$CONF" <<EOF
# Written by apache/demo.sh on every start; edit apache/ctd-site.conf instead.
ServerRoot /etc/apache2
LoadModule mpm_${mpm}_module $MODDIR/mod_mpm_${mpm}.so
LoadModule authz_core_module $MODDIR/mod_authz_core.so
LoadModule authz_user_module $MODDIR/mod_authz_user.so
LoadModule authn_core_module $MODDIR/mod_authn_core.so
LoadModule authn_file_module $MODDIR/mod_authn_file.so
LoadModule auth_basic_module $MODDIR/mod_auth_basic.so
LoadModule mime_module $MODDIR/mod_mime.so
LoadModule dir_module $MODDIR/mod_dir.so
LoadModule socache_shmcb_module $MODDIR/mod_socache_shmcb.so
LoadModule ssl_module $MODDIR/mod_ssl.so
LoadModule ${cgimod}_module $MODDIR/mod_${cgimod}.so
LoadModule alias_module $MODDIR/mod_alias.so
LoadModule env_module $MODDIR/mod_env.so
LoadModule setenvif_module $MODDIR/mod_setenvif.so
LoadModule headers_module $MODDIR/mod_headers.so
LoadModule rewrite_module $MODDIR/mod_rewrite.so
LoadModule reqtimeout_module $MODDIR/mod_reqtimeout.so

PidFile $PIDFILE
DefaultRuntimeDir $APACHE_RUN
Mutex file:$APACHE_RUN default
ScriptSock $APACHE_RUN/cgid.sock
ErrorLog $LOGDIR/error.log
LogLevel warn
User $WEB_USER
Group $WEB_USER
Listen 127.0.0.1:$PORT https
ServerName 127.0.0.1
ServerTokens Prod
ServerSignature Off
TraceEnable off
Timeout 75
KeepAlive On
# >= 65 s: clients polling every 10-60 s keep their connection (the site
# file says the same for its vhost)
KeepAliveTimeout 65
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
TypesConfig /etc/mime.types
SSLSessionCache shmcb:$APACHE_RUN/ssl_scache(512000)
RequestReadTimeout header=20-40,MinRate=500 body=20,MinRate=500

Define CTD_VHOST 127.0.0.1:$PORT
Define CTD_SERVERNAME 127.0.0.1
Define CTD_CGI $CGI
Define CTD_CONFIG $ETC/ctd.conf
Define CTD_CONSOLE $D/prefix/share/ctd/console
Define CTD_HTPASSWD $ETC/htpasswd
Define CTD_CERT $ETC/tls/cert.pem
Define CTD_KEY $ETC/tls/key.pem
Define CTD_LOGDIR $LOGDIR
${DEMO_RLIMIT_MEM:+Define CTD_RLIMIT_MEM $DEMO_RLIMIT_MEM}
${DEMO_RLIMIT_CPU:+Define CTD_RLIMIT_CPU $DEMO_RLIMIT_CPU}
Include $TOP/apache/ctd-site.conf
EOF
	if [ -n "${DEMO_EXTRA_CONF:-}" ]; then
		[ -r "$DEMO_EXTRA_CONF" ] || die "DEMO_EXTRA_CONF $DEMO_EXTRA_CONF is not readable"
		echo "Include $DEMO_EXTRA_CONF" >>"$CONF"
	fi
}

# HELPER_MODE=socket without systemd as PID 1: systemd-socket-activate
# plays ctd-helper.socket (Accept=yes): it listens on $SOCK and runs one
# helper per connection with the connection as fd 3 (LISTEN_FDS=1), as
# $HELPER_USER:$HELPER_GROUP with the capabilities and NoNewPrivileges of
# the shipped unit helper/ctd-helper@.service (read from it, so the demo
# tests what systemd would run).
unit_value() {
	local unit=$TOP/helper/ctd-helper@.service
	[ -f "$unit" ] || return 0
	sed -n "s/^$1=[[:space:]]*//p" "$unit" | tail -n 1
}

# "CAP_NET_ADMIN CAP_X" -> ",+net_admin,+x" (setpriv's syntax)
setpriv_caps() {
	local c out=""
	for c in ${1//,/ }; do
		c=${c#CAP_}
		out+=",+${c,,}"
	done
	echo "$out"
}

start_socket_helper() {
	local pid
	if pid=$(live_pid "$ACT_PID" "$(readlink -f "$(command -v systemd-socket-activate)")"); then
		return 0
	fi
	command -v systemd-socket-activate >/dev/null || die "systemd-socket-activate missing (package systemd)"
	install -d -m 0750 -o root -g "$HELPER_GROUP" "$RUNDIR"
	rm -f "$SOCK"
	local ns=() ambient bounding nnp=()
	[ -n "$NETNS" ] && ns=(ip netns exec "$NETNS")
	ambient=$(setpriv_caps "$(unit_value AmbientCapabilities)")
	bounding=$(setpriv_caps "$(unit_value CapabilityBoundingSet)")
	[ -n "$ambient" ] || ambient=",+net_admin"
	[ -n "$bounding" ] || bounding=$ambient
	[ "$(unit_value NoNewPrivileges)" = yes ] && nnp=(--no-new-privs)
	# umask 0117: the socket is born rw for root and its group only.  The
	# subshell execs setsid, which execs (ip netns exec, then) the activator,
	# so $! is the activator's pid.
	(
		umask 0117
		exec setsid "${ns[@]}" systemd-socket-activate -l "$SOCK" --accept -- \
			setpriv --reuid="$HELPER_USER" --regid="$HELPER_GROUP" --clear-groups \
			--inh-caps="-all$ambient" --ambient-caps="-all$ambient" \
			--bounding-set="-all$bounding" "${nnp[@]}" "$HELPER"
	) </dev/null >>"$LOGDIR/helper.log" 2>&1 &
	local apid=$! i
	for i in $(seq 50); do
		[ -S "$SOCK" ] && break
		sleep 0.1
	done
	[ -S "$SOCK" ] || die "the helper socket $SOCK did not appear (see $LOGDIR/helper.log)"
	chgrp "$HELPER_GROUP" "$SOCK"
	chmod 0660 "$SOCK"
	echo "$apid" >"$ACT_PID"
}

stop_socket_helper() {
	local pid
	pid=$(live_pid "$ACT_PID" "$(readlink -f "$(command -v systemd-socket-activate 2>/dev/null || echo /nonexistent)")") || {
		rm -f "$ACT_PID"
		return 0
	}
	kill "$pid" 2>/dev/null || true
	local i
	for i in $(seq 30); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
	rm -f "$ACT_PID" "$SOCK"
}

# History samples every 10 s while the demo runs: ctd.cgi --sample as the
# web user (with its groups: the helper's), inside the namespace, in a loop
# of its own session so that stop ends it and whatever it runs at once.
start_sampler() {
	local bash pid
	bash=$(readlink -f "$(command -v bash)")
	pid=$(live_pid "$SAMPLE_PID" "$bash") && kill -- "-$pid" 2>/dev/null || true
	local ns=()
	[ -n "$NETNS" ] && ns=(ip netns exec "$NETNS")
	(
		exec setsid "${ns[@]}" setpriv --reuid="$WEB_USER" --regid="$WEB_USER" --init-groups \
			env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CTD_CONFIG="$ETC/ctd.conf" \
			"$bash" -c 'while :; do "$0" --sample; sleep 10; done' "$CGI"
	) </dev/null >/dev/null 2>>"$LOGDIR/sample.log" &
	echo $! >"$SAMPLE_PID"
}

stop_sampler() {
	local pid
	pid=$(live_pid "$SAMPLE_PID" "$(readlink -f "$(command -v bash)")") && kill -- "-$pid" 2>/dev/null
	rm -f "$SAMPLE_PID"
	return 0
}

# Background process groups (the forwarder, the traffic) are recorded as
# "PID STARTTIME" so that a stale pid file never names someone else's process.
proc_start() { [ -r "/proc/$1/stat" ] && sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }

record_group() { echo "$2 $(proc_start "$2")" >"$1"; }

live_group() {
	local pid start
	[ -s "$1" ] || return 1
	read -r pid start <"$1" || return 1
	[ -n "$pid" ] && [ -n "$start" ] && [ "$(proc_start "$pid")" = "$start" ] || return 1
	echo "$pid"
}

# stop_group FILE: TERM to the process group named in FILE, KILL if it lingers
stop_group() {
	local pid i
	if pid=$(live_group "$1"); then
		kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
		for i in $(seq 30); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
		kill -9 -- "-$pid" 2>/dev/null || true
	fi
	rm -f "$1"
}

# The host's 127.0.0.1:$PORT into the namespace's 127.0.0.1:$PORT: socat
# listens on the host's loopback only and, per connection, execs a second
# socat inside the namespace that connects to Apache there.  A port already
# taken on the host (another program, another demo) is a warning: the demo
# is then reached with ip netns exec.
FORWARDED=""
start_forwarder() {
	[ -n "$NETNS" ] || return 0
	stop_group "$FORWARD_PID"
	local socat pid i
	if ! socat=$(command -v socat); then
		say "warning: socat missing (sudo make deps): no forward from the host's 127.0.0.1:$PORT"
		return 0
	fi
	(
		exec setsid "$socat" "TCP-LISTEN:$PORT,bind=127.0.0.1,fork,reuseaddr,max-children=64" \
			"EXEC:ip netns exec $NETNS $socat STDIO TCP\:127.0.0.1\:$PORT"
	) </dev/null >/dev/null 2>>"$LOGDIR/forward.log" &
	pid=$!
	record_group "$FORWARD_PID" "$pid"
	for i in $(seq 30); do
		[ -d "/proc/$pid" ] || break
		if ss -Hltnp "sport = :$PORT" 2>/dev/null | grep -q "pid=$pid,"; then
			FORWARDED=1
			return 0
		fi
		sleep 0.1
	done
	stop_group "$FORWARD_PID"
	say "warning: could not listen on the host's 127.0.0.1:$PORT (in use? see $LOGDIR/forward.log);"
	say "         reach the demo from inside the namespace: ip netns exec $NETNS curl ..."
}

# apache/demo-traffic.py inside the namespace, in a session of its own; start
# waits until its first fill of the table is done (it writes $ready).
start_traffic() {
	[ -n "$NETNS" ] && [ "$TRAFFIC" != 0 ] || return 0
	stop_group "$TRAFFIC_PID"
	local py ready=$APACHE_RUN/traffic.ready pid i
	if ! py=$(command -v python3); then
		say "warning: python3 missing (sudo make deps): the namespace's table stays empty"
		return 0
	fi
	rm -f "$ready"
	(
		exec setsid ip netns exec "$NETNS" "$py" "$TOP/apache/demo-traffic.py" --netns "$NETNS" --ready "$ready"
	) </dev/null >>"$LOGDIR/traffic.log" 2>&1 &
	pid=$!
	record_group "$TRAFFIC_PID" "$pid"
	for i in $(seq 300); do
		[ -s "$ready" ] && break
		[ -d "/proc/$pid" ] || break
		sleep 0.1
	done
	if [ -s "$ready" ]; then
		say "traffic running in $NETNS: $(cat "$ready") (log: $LOGDIR/traffic.log)"
	else
		say "warning: the traffic generator did not get going (see $LOGDIR/traffic.log)"
	fi
}

print_usage() {
	local url="https://127.0.0.1:$PORT/RPC2" pre=""
	[ -n "$NETNS" ] && [ -z "$FORWARDED" ] && pre="ip netns exec $NETNS "
	echo
	echo "ctd demo running: $url   (helper mode $MODE${NETNS:+, network namespace $NETNS})"
	if [ -n "$NETNS" ]; then
		if [ -n "$FORWARDED" ]; then
			echo "  it shows namespace $NETNS's table (not this machine's); the host's 127.0.0.1:$PORT is forwarded there"
		else
			echo "  it shows namespace $NETNS's table (not this machine's); reach it from inside: ip netns exec $NETNS ..."
		fi
	else
		echo "  it shows THIS MACHINE's own table: a kill here cuts real connections"
	fi
	if [ ${#NEW_PASSWORDS[@]} -gt 0 ]; then
		echo "  new users (passwords are shown only now; they are stored hashed in $ETC/htpasswd):"
		local i
		for ((i = 0; i < ${#NEW_PASSWORDS[@]}; i += 2)); do
			printf '    %-7s %s   (%s)\n' "${NEW_PASSWORDS[i]}" "${NEW_PASSWORDS[i + 1]}" \
				"$([ "${NEW_PASSWORDS[i]}" = admin ] && echo operator || echo viewer)"
		done
	elif [ -n "${DEMO_ADMIN_PASSWORD:-}${DEMO_VIEWER_PASSWORD:-}" ]; then
		echo "  users admin (operator) and viewer (viewer); passwords from DEMO_ADMIN_PASSWORD / DEMO_VIEWER_PASSWORD"
	else
		echo "  users admin (operator) and viewer (viewer); passwords as printed by the first start"
		echo "  (sudo DEMO_ADMIN_PASSWORD=... DEMO_VIEWER_PASSWORD=... make demo sets new ones)"
	fi
	if [ -e "$D/prefix/share/ctd/console/index.html" ]; then
		echo "  web console: https://127.0.0.1:$PORT/ctd/${pre:+   (from inside the namespace)}"
	fi
	echo "  certificate to trust: $ETC/demo-ca.pem    logs: $LOGDIR/"
	# the admin password is known now if it was just made or given
	local p=PASSWORD i
	for ((i = 0; i < ${#NEW_PASSWORDS[@]}; i += 2)); do
		[ "${NEW_PASSWORDS[i]}" = admin ] && p=${NEW_PASSWORDS[i + 1]}
	done
	[ -n "${DEMO_ADMIN_PASSWORD:-}" ] && p=$(printf '%q' "$DEMO_ADMIN_PASSWORD")
	echo
	if [ "$p" = PASSWORD ]; then echo "Try it (replace PASSWORD with admin's):"; else echo "Try it:"; fi
	echo "  ${pre}curl --cacert $ETC/demo-ca.pem -u admin:$p -H 'Content-Type: text/xml' \\"
	echo "    --data '<?xml version=\"1.0\"?><methodCall><methodName>login</methodName><params/></methodCall>' $url"
	echo "  ${pre}xmlrpc -username admin -password $p -curlnoverifypeer -curlnoverifyhost $url login"
	echo "  # then, with the session id it returned (SESSION): who you are, and the 10 fastest connections"
	echo "  ${pre}xmlrpc -username admin -password $p -curlnoverifypeer -curlnoverifyhost $url whoami s/SESSION"
	echo "  ${pre}curl --cacert $ETC/demo-ca.pem -u admin:$p -H 'Content-Type: text/xml' --data '<?xml version=\"1.0\"?>"
	echo "    <methodCall><methodName>view</methodName><params><param><value>SESSION</value></param>"
	echo "    <param><value><struct/></value></param><param><value>rate</value></param><param><value>desc</value></param>"
	echo "    <param><value><int>0</int></value></param><param><value><int>10</int></value></param></params></methodCall>' $url"
	echo "  (the xmlrpc CLI cannot be given a CA file, hence -curlnoverify*; it sends no filter struct and"
	echo "  refuses answers above 512 KB, about 450 rows, so paged views are curl's, python's or PHP's job)"
	echo
	echo "Stop it with: sudo make demo-stop"
}

cmd_start() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (sudo make demo)"
	id "$WEB_USER" >/dev/null 2>&1 || die "web user $WEB_USER does not exist (is apache2 installed? make deps)"
	[ -x "$APACHE" ] || die "$APACHE missing: run make deps"
	resolve_dir
	set_paths
	mkdir -p "$LOGDIR" "$APACHE_RUN"
	local pid
	if pid=$(live_pid "$PIDFILE" "$APACHE"); then
		local running=""
		[ -s "$STATE" ] && running=$(cat "$STATE")
		say "already running (pid $pid${running:+; $running}); stop it first with: sudo make demo-stop"
		exit 0
	fi
	[ "$MODE" = socket ] || [ ! -e "$ACT_PID" ] || stop_socket_helper
	setup_netns
	write_ctd_conf
	if [ -n "${DEMO_SKIP_BUILD:-}" ] && [ -x "$CGI" ] && [ -x "$HELPER" ]; then
		say "DEMO_SKIP_BUILD: using the binaries already installed in $D/prefix"
	else
		build_install
	fi
	make_cert
	make_users
	write_apache_conf
	if ! in_ns "$APACHE" -t -f "$CONF" >"$LOGDIR/configtest.log" 2>&1; then
		cat "$LOGDIR/configtest.log" >&2
		die "Apache refused the configuration ($CONF)"
	fi
	[ "$MODE" = socket ] && start_socket_helper
	if ! in_ns "$APACHE" -f "$CONF" -k start; then
		tail -n 20 "$LOGDIR/error.log" >&2 || true
		stop_socket_helper
		die "Apache did not start (see $LOGDIR/error.log)"
	fi
	# up when an unauthenticated request gets its 401
	local code="" i
	for i in $(seq 50); do
		code=$(in_ns curl -s -o /dev/null -w '%{http_code}' --cacert "$ETC/demo-ca.pem" \
			"https://127.0.0.1:$PORT/RPC2" 2>/dev/null || true)
		[ "$code" = 401 ] && break
		sleep 0.1
	done
	if [ "$code" != 401 ]; then
		tail -n 20 "$LOGDIR/error.log" >&2 || true
		cmd_stop >/dev/null 2>&1 || true
		die "Apache is not answering on 127.0.0.1:$PORT as expected (HTTP '$code'; see $LOGDIR/error.log)"
	fi
	start_sampler
	start_forwarder
	start_traffic
	echo "port $PORT, helper mode $MODE${NETNS:+, netns $NETNS}" >"$STATE"
	print_usage
}

cmd_stop() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (sudo make demo-stop)"
	if [ ! -e "$DEMO_LINK" ]; then
		say "no demo here ($DEMO_LINK does not exist)"
		return 0
	fi
	D=$(readlink -f "$DEMO_LINK")
	set_paths
	local pid
	if pid=$(live_pid "$PIDFILE" "$APACHE"); then
		"$APACHE" -f "$CONF" -k stop 2>/dev/null || kill "$pid" 2>/dev/null || true
		local i
		for i in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
		if [ -d "/proc/$pid" ]; then
			kill -9 "$pid" 2>/dev/null || true
		fi
		say "stopped Apache (pid $pid)"
	else
		say "not running"
	fi
	rm -f "$PIDFILE"
	stop_group "$FORWARD_PID"
	stop_group "$TRAFFIC_PID"
	rm -f "$APACHE_RUN/traffic.ready"
	stop_sampler
	stop_socket_helper
	rm -f "$STATE"
}

cmd_status() {
	[ -e "$DEMO_LINK" ] || { echo "not running"; return 1; }
	D=$(readlink -f "$DEMO_LINK")
	set_paths
	local pid
	if pid=$(live_pid "$PIDFILE" "$APACHE"); then
		echo "running (pid $pid; $(cat "$STATE" 2>/dev/null))"
		if pid=$(live_group "$FORWARD_PID"); then echo "  forward from the host's 127.0.0.1: pid $pid"; fi
		if pid=$(live_group "$TRAFFIC_PID"); then echo "  traffic: pid $pid (log: $LOGDIR/traffic.log)"; fi
	else
		echo "not running"
		return 1
	fi
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
