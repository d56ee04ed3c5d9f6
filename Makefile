# SPDX-License-Identifier: GPL-2.0-or-later
# ctd - Netfilter conntrack over XML-RPC, behind Apache.
#
#   make            build .build/ctd.cgi and .build/ctd-helper (the product only)
#   make tools      build the test programs (tests/tools/) into .build/tools/
#   make deps       install the Debian packages to build and test (apt-get)
#   make check      install dependencies, build (normal + ASan/UBSan), run every test
#   make install    PREFIX, DESTDIR, HELPER_MODE=setuid|setcap|socket
#   make demo       private Apache on https://127.0.0.1:$${DEMO_PORT:-8443}/RPC2, in network
#                   namespace $${DEMO_NETNS:-ctd-demo} with a live synthetic table
#                   (DEMO_NETNS=host: this machine's table; DEMO_TRAFFIC=0: no traffic)
#   make demo-stop  stop it all (the namespace stays)
#   make fuzz       libFuzzer targets (clang), FUZZ_SECONDS each
#   make bench      benchmarks (tests/bench/)
#   make stress     make check with the long load and fuzz runs (CTD_STRESS=long)

.DEFAULT_GOAL := all
SHELL := /bin/bash

# ---- install layout ----------------------------------------------------
PREFIX      ?= /usr/local
DESTDIR     ?=
LIBEXECDIR  ?= $(PREFIX)/lib/ctd
SHAREDIR    ?= $(PREFIX)/share/ctd
MANDIR      ?= $(PREFIX)/share/man
SYSCONFDIR  ?= /etc/ctd
STATEDIR    ?= /var/lib/ctd
RUNDIR      ?= /run/ctd
SYSTEMDUNITDIR ?= /lib/systemd/system
WEB_USER    ?= www-data
HELPER_GROUP ?= ctd
HELPER_USER ?= ctd-helper
HELPER_MODE ?= setuid
HELPER_PATH ?= $(LIBEXECDIR)/ctd-helper
CONFIG_PATH ?= $(SYSCONFDIR)/ctd.conf
SOCKET_PATH ?= $(RUNDIR)/helper.sock

# ---- toolchain ------------------------------------------------------------
CC      ?= gcc
B       ?= .build
SAN     := .build-san
FUZZ    := .build-fuzz

PKGS_HELPER := libnetfilter_conntrack libmnl libcap
PKGS_CGI    := sqlite3 libxcrypt

# pkg-config and xmlrpc-c-config are only asked when building (not for deps/help).
pc_cflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pc_libs   = $(shell pkg-config --libs $(1) 2>/dev/null)
XMLRPC_CFLAGS = $(shell xmlrpc-c-config cgi-server --cflags 2>/dev/null)
XMLRPC_LIBS   = $(shell xmlrpc-c-config cgi-server --libs 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
DEFS    := -D_GNU_SOURCE \
	-DCTD_CONFIG_PATH='"$(CONFIG_PATH)"' \
	-DCTD_HELPER_PATH='"$(HELPER_PATH)"' \
	-DCTD_SOCKET_PATH='"$(SOCKET_PATH)"' \
	-DCTD_STATEDIR='"$(STATEDIR)"' \
	-DCTD_WEB_USER='"$(WEB_USER)"' \
	-DCTD_HELPER_GROUP='"$(HELPER_GROUP)"'
CFLAGS_BASE = -std=gnu11 $(WARN) $(HARDEN) $(DEFS) -Iinclude -Icgi -Ihelper \
	$(call pc_cflags,$(PKGS_HELPER) $(PKGS_CGI)) $(XMLRPC_CFLAGS)
OPT     ?= -O2 -g
LDHARD  := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack

LIBS_HELPER = $(call pc_libs,$(PKGS_HELPER))
LIBS_CGI    = $(call pc_libs,$(PKGS_CGI)) $(XMLRPC_LIBS)

SRC_SHARED := $(wildcard include/*.c)
SRC_HELPER := $(filter-out helper/main.c,$(wildcard helper/*.c))
SRC_CGI    := $(filter-out cgi/main.c,$(wildcard cgi/*.c))
SRC_UNIT   := $(wildcard tests/unit/test_*.c)
SRC_FUZZ   := $(wildcard tests/fuzz/fuzz_*.c)
HEADERS    := $(wildcard include/*.h cgi/*.h helper/*.h tests/unit/*.h sql/*.sql)
TOOLS      := $(wildcard tests/tools/*.c)

objs = $(patsubst %.c,$(1)/obj/%.o,$(2))

# ---- normal build ------------------------------------------------------------
.PHONY: all
all: $(B)/ctd.cgi $(B)/ctd-helper

$(B)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -c $< -o $@

$(B)/ctd-helper: $(call objs,$(B),helper/main.c $(SRC_HELPER) $(SRC_SHARED))
	$(CC) $(LDHARD) -o $@ $^ $(LIBS_HELPER)

$(B)/ctd.cgi: $(call objs,$(B),cgi/main.c $(SRC_CGI) $(SRC_SHARED))
	$(CC) $(LDHARD) -o $@ $^ $(LIBS_CGI)

# small test programs (entry generator, fixed-response CGI, helper client):
# built for the tests and the benchmarks, never installed
.PHONY: tools
tools: $(patsubst tests/tools/%.c,$(B)/tools/%,$(TOOLS))

$(B)/tools/%: tests/tools/%.c $(call objs,$(B),$(SRC_SHARED) $(wildcard cgi/helper_client.c cgi/events_window.c))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -I$(B)/tools $(OPT) $(LDHARD) -o $@ $(filter-out %.h,$^) $(LIBS_HELPER) $(LIBS_CGI)

# ctd-hc --proto-json prints every CTD_* constant and protocol struct size
# as the compiler sees them; their names are read here from the headers
# themselves (K(name), S(struct)), so a new constant needs no other edit.
$(B)/tools/ctd-hc: $(B)/tools/proto_names.h
$(B)/tools/proto_names.h: include/ctd_proto.h include/ctd_exit.h
	@mkdir -p $(dir $@)
	sed -nE -e 's/^[[:space:]]+(CTD_[A-Z0-9_]+)[[:space:]]*[=,].*/K(\1)/p' \
		-e 's/^#define[[:space:]]+(CTD_[A-Z0-9_]+)[[:space:]]+[(0-9].*/K(\1)/p' \
		-e 's/^struct[[:space:]]+(ctd_[a-z0-9_]+)[[:space:]]*\{.*/S(\1)/p' $^ >$@

$(B)/unit/%: tests/unit/%.c $(call objs,$(B),$(SRC_HELPER) $(SRC_CGI) $(SRC_SHARED))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) $(LDHARD) -o $@ $^ $(LIBS_HELPER) $(LIBS_CGI)

# ---- ASan + UBSan build ----------------------------------------------------
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

$(SAN)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -O1 -g $(SANFLAGS) -c $< -o $@

$(SAN)/ctd-helper: $(call objs,$(SAN),helper/main.c $(SRC_HELPER) $(SRC_SHARED))
	$(CC) $(SANFLAGS) $(LDHARD) -o $@ $^ $(LIBS_HELPER)

$(SAN)/ctd.cgi: $(call objs,$(SAN),cgi/main.c $(SRC_CGI) $(SRC_SHARED))
	$(CC) $(SANFLAGS) $(LDHARD) -o $@ $^ $(LIBS_CGI)

$(SAN)/unit/%: tests/unit/%.c $(call objs,$(SAN),$(SRC_HELPER) $(SRC_CGI) $(SRC_SHARED))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -O1 -g $(SANFLAGS) $(LDHARD) -o $@ $^ $(LIBS_HELPER) $(LIBS_CGI)

UNIT_BINS := $(patsubst tests/unit/%.c,%,$(SRC_UNIT))

.PHONY: unit san
unit: $(addprefix $(B)/unit/,$(UNIT_BINS))
san: $(SAN)/ctd.cgi $(SAN)/ctd-helper $(addprefix $(SAN)/unit/,$(UNIT_BINS))

# ---- fuzzing (clang, libFuzzer) ------------------------------------------------
FUZZ_SECONDS ?= 60
FUZZFLAGS := -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer

$(FUZZ)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	clang $(CFLAGS_BASE) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -c $< -o $@

$(FUZZ)/%: tests/fuzz/%.c $(call objs,$(FUZZ),$(SRC_HELPER) $(SRC_CGI) $(SRC_SHARED))
	@mkdir -p $(dir $@)
	clang $(CFLAGS_BASE) -O1 -g $(FUZZFLAGS) -o $@ $^ $(LIBS_HELPER) $(LIBS_CGI)

FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ)/%,$(SRC_FUZZ))

.PHONY: fuzz-build fuzz
fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	CTD_FUZZ_BUILD=$(CURDIR)/$(FUZZ) CTD_FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/test-fuzz.py

# ---- dependencies ------------------------------------------------------------
DEPS_PKGS := gcc make pkg-config libnetfilter-conntrack-dev libmnl-dev \
	libxmlrpc-core-c3-dev xmlrpc-api-utils libcap-dev libcap2-bin libsqlite3-dev sqlite3 \
	libcrypt-dev apache2 apache2-utils conntrack iproute2 nftables socat procps openssl curl \
	python3 php-cli php-xmlrpc php-curl clang clang-format libclang-rt-14-dev \
	apache2-suexec-pristine systemd chromium fonts-dejavu-core nodejs time bc strace groff-base man-db

.PHONY: deps
# Installs only what dpkg does not list as installed, so a second run is quick.
deps:
	@if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then \
		echo "make deps: this is not a Debian-like system (no dpkg/apt-get)." >&2; \
		echo "Install these (or your distribution's equivalents) by hand, then run make again:" >&2; \
		echo "  $(DEPS_PKGS)" >&2; exit 1; fi
	@have=$$(dpkg-query -W -f='$${db:Status-Status} $${Package}\n' $(DEPS_PKGS) 2>/dev/null | sed -n 's/^installed //p'); \
	missing=$$(for p in $(DEPS_PKGS); do grep -qxF "$$p" <<<"$$have" || echo "$$p"; done | xargs); \
	if [ -z "$$missing" ]; then echo "make deps: all $(words $(DEPS_PKGS)) packages present"; \
	elif [ "$$(id -u)" -ne 0 ]; then \
		echo "make deps: missing packages: $$missing" >&2; \
		echo "run as root (sudo make deps) or: sudo apt-get install $$missing" >&2; exit 1; \
	else echo "make deps: installing $$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq $$missing; fi
	@if [ ! -d tests/browser/node_modules/playwright-core ] && command -v npm >/dev/null; then \
		cd tests/browser && npm ci --no-audit --no-fund; fi

# ---- tests -------------------------------------------------------------------
.PHONY: check check-only
check: deps
	$(MAKE) all tools unit san fuzz-build
	$(MAKE) check-only

check-only:
	CTD_BUILD=$(CURDIR)/$(B) CTD_SAN_BUILD=$(CURDIR)/$(SAN) CTD_FUZZ_BUILD=$(CURDIR)/$(FUZZ) \
		tests/run-tests.sh

.PHONY: bench stress
bench: all tools
	CTD_BUILD=$(CURDIR)/$(B) tests/bench/run.sh
	CTD_BUILD=$(CURDIR)/$(B) tests/bench/helper-dump.sh
	CTD_BUILD=$(CURDIR)/$(B) tests/bench/events.py
stress: deps
	$(MAKE) all tools unit san fuzz-build
	CTD_STRESS=long CTD_BUILD=$(CURDIR)/$(B) CTD_SAN_BUILD=$(CURDIR)/$(SAN) CTD_FUZZ_BUILD=$(CURDIR)/$(FUZZ) \
		tests/run-tests.sh

# ---- install -----------------------------------------------------------------
.PHONY: install check-helper-mode
check-helper-mode:
	@case "$(HELPER_MODE)" in setuid|setcap|socket) ;; \
	*) echo "make install: unknown HELPER_MODE '$(HELPER_MODE)': use setuid, setcap or socket" >&2; exit 2;; esac

# The helper is the only privileged file: root:$(HELPER_GROUP) 4750 (setuid),
# or 0750 + cap_net_admin+p (setcap), or a plain binary run by systemd as
# $(HELPER_USER) with AmbientCapabilities (socket).  The web user joins
# $(HELPER_GROUP) so that it, and nobody else, may run it.
I = $(DESTDIR)
install: check-helper-mode all
	install -d -m 0755 $(I)$(LIBEXECDIR) $(I)$(SHAREDIR) $(I)$(SHAREDIR)/sql $(I)$(SYSCONFDIR)
	install -m 0755 $(B)/ctd.cgi $(I)$(LIBEXECDIR)/ctd.cgi
	install -m 0644 sql/*.sql $(I)$(SHAREDIR)/sql/
	install -d -m 0755 $(I)$(MANDIR)/man5 $(I)$(MANDIR)/man8
	install -m 0644 apache/man/ctd.cgi.8 apache/man/ctd-helper.8 $(I)$(MANDIR)/man8/
	install -m 0644 apache/man/ctd.conf.5 $(I)$(MANDIR)/man5/
	install -d -m 0755 $(I)$(SHAREDIR)/console
	for f in apache/console/*; do case $$f in *.png) ;; *) install -m 0644 $$f $(I)$(SHAREDIR)/console/;; esac; done
	if [ -z "$(DESTDIR)" ]; then \
		getent group $(HELPER_GROUP) >/dev/null || groupadd --system $(HELPER_GROUP); \
		id -nG $(WEB_USER) 2>/dev/null | tr ' ' '\n' | grep -qx $(HELPER_GROUP) || usermod -aG $(HELPER_GROUP) $(WEB_USER); \
	fi
	case "$(HELPER_MODE)" in \
	setuid) install -m 0750 $(B)/ctd-helper $(I)$(HELPER_PATH); \
		if [ -z "$(DESTDIR)" ]; then chown root:$(HELPER_GROUP) $(I)$(HELPER_PATH); fi; \
		chmod 4750 $(I)$(HELPER_PATH);; \
	setcap) install -m 0750 $(B)/ctd-helper $(I)$(HELPER_PATH); \
		if [ -z "$(DESTDIR)" ]; then chown root:$(HELPER_GROUP) $(I)$(HELPER_PATH); fi; \
		setcap cap_net_admin+p $(I)$(HELPER_PATH);; \
	socket) install -m 0755 $(B)/ctd-helper $(I)$(HELPER_PATH); \
		install -d -m 0755 $(I)$(SYSTEMDUNITDIR); \
		for u in helper/ctd-helper.socket helper/ctd-helper@.service; do \
			[ -f $$u ] && sed -e 's|@HELPER_PATH@|$(HELPER_PATH)|g' -e 's|@SOCKET_PATH@|$(SOCKET_PATH)|g' \
			  -e 's|@HELPER_USER@|$(HELPER_USER)|g' -e 's|@HELPER_GROUP@|$(HELPER_GROUP)|g' \
			  $$u > $(I)$(SYSTEMDUNITDIR)/$$(basename $$u); done; \
		if [ -z "$(DESTDIR)" ]; then getent passwd $(HELPER_USER) >/dev/null || \
			useradd --system --no-create-home --shell /usr/sbin/nologin -g $(HELPER_GROUP) $(HELPER_USER); fi;; \
	esac
	# never overwrite an administrator's configuration
	if [ ! -e $(I)$(CONFIG_PATH) ]; then install -m 0640 apache/ctd.conf.example $(I)$(CONFIG_PATH); \
		if [ -z "$(DESTDIR)" ]; then chgrp $(WEB_USER) $(I)$(CONFIG_PATH); fi; \
	else echo "keeping existing $(CONFIG_PATH)"; fi
	install -d -m 0700 $(I)$(STATEDIR)
	if [ -z "$(DESTDIR)" ]; then chown $(WEB_USER):$(WEB_USER) $(I)$(STATEDIR); fi
	# history's samples between dumps: ctd-sample.timer runs `ctd.cgi --sample`
	# as the web user every minute; enabled where systemd runs and looks
	install -d -m 0755 $(I)$(SYSTEMDUNITDIR)
	for u in apache/ctd-sample.service apache/ctd-sample.timer; do \
		sed -e 's|@CGI_PATH@|$(LIBEXECDIR)/ctd.cgi|g' -e 's|@CONFIG_PATH@|$(CONFIG_PATH)|g' \
		  -e 's|@WEB_USER@|$(WEB_USER)|g' -e 's|@HELPER_GROUP@|$(HELPER_GROUP)|g' \
		  $$u > $(I)$(SYSTEMDUNITDIR)/$$(basename $$u) && chmod 0644 $(I)$(SYSTEMDUNITDIR)/$$(basename $$u); done
	case "$(DESTDIR):$(SYSTEMDUNITDIR)" in \
	:/lib/systemd/system|:/usr/lib/systemd/system|:/etc/systemd/system) \
		if [ -d /run/systemd/system ]; then systemctl daemon-reload && systemctl enable --now ctd-sample.timer || \
			echo "warning: could not enable ctd-sample.timer" >&2; \
		else echo "history samples: systemd does not run here; enable ctd-sample.timer where it does"; fi;; \
	*) echo "history samples: systemctl enable --now ctd-sample.timer (units in $(I)$(SYSTEMDUNITDIR))";; esac

# ---- demo --------------------------------------------------------------------
.PHONY: demo demo-stop
demo: deps
	apache/demo.sh start
demo-stop:
	apache/demo.sh stop

.PHONY: clean
clean:
	rm -rf $(B) $(SAN) $(FUZZ)
