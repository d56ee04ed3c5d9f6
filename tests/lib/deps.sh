#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian packages ctd needs to build and test; do nothing slow
# when they are all present.  Usage: deps.sh PKG...
set -euo pipefail
missing=()
if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	echo "make deps: this is not a Debian-like system (no dpkg/apt-get)." >&2
	echo "Install these (or your distribution's equivalents) by hand, then run make again:" >&2
	echo "  $*" >&2
	exit 1
fi
for p in "$@"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "make deps: all ${#} packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "make deps: missing packages: ${missing[*]}" >&2
	echo "run as root (sudo make deps) or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "make deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}"
