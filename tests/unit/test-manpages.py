#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The manual pages (apache/man/: ctd.cgi.8, ctd.conf.5, ctd-helper.8)
render without a warning (groff -ww -z -man prints nothing; man -l
renders them) and cannot fall behind the code: every method of cgi/rpc.c's
method table, and every method the built ctd.cgi's system.listMethods
returns, is a section, subsection or bold name of ctd.cgi.8; every key of
cgi/config.c's keys[] is a bold name of ctd.conf.5; every CTD_EXIT_* code
(include/ctd_exit.h, and ctd-hc --proto-json when built) is an entry of
ctd-helper.8's EXIT STATUS with the helper's own sentence for it
(include/exit.c), every start-up step of helper/startup.c's steps[] is
there with its line, and every request of helper/request.c's table is a
bold name; `make install` installs the three pages.
Oracle: the tables in the C sources, groff's and man's own warnings."""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import BUILD, TOP, T  # noqa: E402

t = T()
MAN = os.path.join(TOP, "apache", "man")
PAGES = {"ctd.cgi.8": None, "ctd.conf.5": None, "ctd-helper.8": None}


def src(*path):
    return open(os.path.join(TOP, *path)).read()


def roff_text(s):
    """A roff fragment as plain text: escapes undone, whitespace collapsed."""
    s = s.replace("\\-", "-").replace("\\(em", "-").replace("\\(dq", '"').replace("\\&", "")
    s = re.sub(r"\\f[BIRP]", "", s)
    return " ".join(s.split())


def plain(s):
    """A roff section as the text a reader sees: font macros' arguments
    joined (alternating ones without a space), other requests dropped."""
    out = []
    for line in s.splitlines():
        m = re.match(r"\.([A-Z]+)\b\s*(.*)$", line)
        if not m:
            out.append(line)
        elif m.group(1) in ("B", "I", "SS", "SH"):
            out.append(" ".join(args(m.group(2))))
        elif m.group(1) in ("BR", "BI", "IR", "RB", "IB", "RI"):
            out.append("".join(args(m.group(2))))
    return roff_text("\n".join(out))


def args(rest):
    try:
        return shlex.split(rest)
    except ValueError:
        return rest.split()


def names(page):
    """What a page sets as a name: .SH/.SS titles (each comma-separated
    item too), the bold words of .B/.BR/.BI/.RB/.IB lines and \\fB...\\fR."""
    out = set()
    for line in page.splitlines():
        m = re.match(r"\.(SH|SS|B|BR|BI|RB|IB|TP)\b\s*(.*)$", line)
        if not m:
            for b in re.findall(r"\\fB(.*?)\\f[RP]", line):
                out.add(roff_text(b))
            continue
        macro, rest = m.groups()
        if macro in ("SH", "SS"):
            title = roff_text(" ".join(args(rest)))
            out.add(title)
            out.update(x.strip() for x in title.split(","))
            continue
        a = args(rest)
        if macro == "B":
            bold = [" ".join(a)]
        elif macro in ("BR", "BI"):
            bold = a[0::2]
        elif macro in ("RB", "IB"):
            bold = a[1::2]
        else:
            bold = []
        for b in bold:
            b = roff_text(b)
            out.add(b)
            out.add(re.sub(r"[(),.;:]+$", "", b.split("(")[0]))
    return out


def section(page, title):
    """The roff source of one .SH section."""
    m = re.search(r"^\.SH \"?" + re.escape(title) + r"\"?\n(.*?)(?=^\.SH |\Z)", page, re.M | re.S)
    return m.group(1) if m else ""


for name in PAGES:
    path = os.path.join(MAN, name)
    if not t.ok(f"{name} exists in apache/man/", os.path.isfile(path)):
        continue
    PAGES[name] = open(path).read()
    if not shutil.which("groff"):
        t.skip(f"{name} renders", "groff missing (make deps: groff-base)")
        continue
    r = subprocess.run(["groff", "-ww", "-z", "-man", path], capture_output=True, text=True)
    t.ok(f"{name}: groff -ww -z -man prints nothing", r.returncode == 0 and not r.stdout and not r.stderr,
         (r.stdout + r.stderr).strip()[:300])
    if not shutil.which("man"):
        t.skip(f"{name}: man -l", "man missing (make deps: man-db)")
        continue
    r = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True,
                       env=dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat", MAN_KEEP_FORMATTING=""))
    t.ok(f"{name}: man -l renders it, no warning", r.returncode == 0 and not r.stderr.strip() and
         "NAME" in r.stdout and len(r.stdout.splitlines()) > 40, r.stderr.strip()[:300])

# ---- ctd.cgi.8: the methods --------------------------------------------------------------------------
cgi = PAGES["ctd.cgi.8"] or ""
cgi_names = names(cgi)
# the lines of the method table (cgi/rpc.c methods[]), as tests/stack/test-hostile-http.py reads them
TABLE = re.findall(r'^\s*\{"([a-z_]+)", [a-z_]+, CTD_ROLE_', src("cgi", "rpc.c"), re.M)
t.ok("cgi/rpc.c's method table read (at least login, view, kill)", {"login", "view", "kill"} <= set(TABLE),
     TABLE)
for m in TABLE:
    t.ok(f"ctd.cgi.8 documents method {m} (section or bold name)", m in cgi_names)
    t.ok(f"ctd.cgi.8 has a subsection for {m}", re.search(r"^\.SS " + re.escape(m) + r"\s*$", cgi, re.M))

# what the built CGI itself answers to system.listMethods (no session needed)
cgi_bin = os.path.join(BUILD, "ctd.cgi")
if not os.access(cgi_bin, os.X_OK):
    t.skip("system.listMethods of the built ctd.cgi", f"no {cgi_bin} (make, or CTD_BUILD)")
else:
    import xmlrpc.client
    work = tempfile.mkdtemp(prefix="ctd-mantest.")
    try:
        conf = os.path.join(work, "ctd.conf")
        with open(conf, "w") as f:
            f.write(f"database = {work}/ctd.db\n")
        body = xmlrpc.client.dumps((), "system.listMethods").encode()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "REQUEST_METHOD": "POST",
               "CONTENT_TYPE": "text/xml", "CONTENT_LENGTH": str(len(body)), "CTD_CONFIG": conf,
               "GATEWAY_INTERFACE": "CGI/1.1"}
        r = subprocess.run([cgi_bin], input=body, capture_output=True, env=env, timeout=60)
        out = r.stdout.decode(errors="replace")
        listed = []
        try:
            listed = xmlrpc.client.loads(out.split("\r\n\r\n", 1)[1])[0][0]
        except Exception as e:  # noqa: BLE001 - reported by the check below
            out += f" ({e!r})"
        if t.ok("system.listMethods answers a list with every method of the table", set(TABLE) <= set(listed),
                out[:300]):
            for m in sorted(listed):
                t.ok(f"ctd.cgi.8 documents {m} (from system.listMethods)", m in cgi_names)
    finally:
        shutil.rmtree(work, ignore_errors=True)

env_sec = section(cgi, "ENVIRONMENT")
for v in ("REQUEST_METHOD", "CONTENT_TYPE", "CONTENT_LENGTH", "REMOTE_USER", "REMOTE_ADDR", "CTD_CONFIG"):
    t.ok(f"ctd.cgi.8 ENVIRONMENT names {v}", re.search(r"^\.B " + v + r"\s*$", env_sec, re.M))
t.ok("ctd.cgi.8 documents --sample", "--sample" in names(cgi) or ".B \\-\\-sample" in cgi)
t.ok("ctd.cgi.8 has an EXIT STATUS section", section(cgi, "EXIT STATUS").strip())
fault_sec = section(cgi, "FAULTS")
for code in re.findall(r"CTD_F_[A-Z]+ = (\d+)", src("cgi", "fault.h")):
    t.ok(f"ctd.cgi.8 FAULTS explains fault {code}", re.search(r"^\.TP\n\.B " + code + r"\n", fault_sec, re.M))

# ---- ctd.conf.5: the keys -----------------------------------------------------------------------------
conf5 = PAGES["ctd.conf.5"] or ""
conf_names = names(conf5)
# every key the parser accepts: the lines of its key table (cgi/config.c keys[]), as
# tests/stack/test-e2e-config.py reads them
KEYS = re.findall(r'^\s*\{"([a-z_]+)", (?:PATH\(|KK_)', src("cgi", "config.c"), re.M)
t.ok("cgi/config.c's key table read (at least database, roles)", {"database", "roles"} <= set(KEYS), KEYS)
keys_sec = section(conf5, "KEYS")
for k in KEYS:
    t.ok(f"ctd.conf.5 documents key {k} (bold name)", k in conf_names)
    m = re.search(r"^\.TP\n\.BR " + re.escape(k) + r" ([^\n]*)\n(.*?)(?=^\.TP|\Z)", keys_sec, re.M | re.S)
    t.ok(f"ctd.conf.5: {k} is an entry of KEYS with its default and what a bad value says",
         m and "default" in m.group(1) and "Bad value:" in m.group(2))
# the numeric limits the parser applies are the page's
for k, lo, hi in re.findall(r'^\s*\{"([a-z_]+)", KK_UINT, false, NUM\([a-z_]+\), (\d+), (\d+)', src("cgi", "config.c"),
                            re.M):
    t.ok(f"ctd.conf.5 gives {k}'s range {lo}..{hi}", f"{lo}..{hi}" in plain(keys_sec))

# ---- ctd-helper.8: exit codes, steps, requests --------------------------------------------------------
helper = PAGES["ctd-helper.8"] or ""
exit_sec = section(helper, "EXIT STATUS")
documented = dict(re.findall(r"^\.TP\n\.B (\d+)\n(.*?)(?=^\.TP|^\.PP|\Z)", exit_sec, re.M | re.S))
CODES = {k: int(v) for k, v in re.findall(r"^\s*(CTD_EXIT_[A-Z]+) = (\d+)", src("include", "ctd_exit.h"), re.M)}
t.ok("include/ctd_exit.h read (CTD_EXIT_OK, CTD_EXIT_CALLER)", {"CTD_EXIT_OK", "CTD_EXIT_CALLER"} <= set(CODES))
hc = os.path.join(BUILD, "tools", "ctd-hc")
REASONS = {}
if os.access(hc, os.X_OK):
    from ctdtest import proto
    P = proto()
    built = {"CTD_" + k: v for k, v in vars(P).items() if k.startswith("EXIT_")}
    t.eq("ctd-hc --proto-json has the exit codes of include/ctd_exit.h", CODES, built)
    CODES.update(built)
    REASONS = P.exit_reason
else:
    t.skip("exit codes from ctd-hc --proto-json", f"no {hc} (make tools, or CTD_BUILD)")
# each code's sentence, from include/exit.c itself
for name, why in re.findall(r'\{(CTD_EXIT_[A-Z]+), ((?:"[^"]*"\s*)+)\}', src("include", "exit.c")):
    REASONS.setdefault(CODES.get(name), "".join(re.findall(r'"([^"]*)"', why)))
for name, code in sorted(CODES.items(), key=lambda kv: kv[1]):
    text = plain(documented.get(str(code), ""))
    t.ok(f"ctd-helper.8 EXIT STATUS has {code} ({name})", str(code) in documented)
    t.ok(f"ctd-helper.8 gives exit {code} the helper's sentence", REASONS.get(code, "?") in text,
         f"want {REASONS.get(code)!r}, page says {text!r}")
steps_sec = plain(section(helper, "START-UP STEPS"))
for n, code, what in re.findall(r'^\s*\[(\d+)\] = \{(CTD_EXIT_[A-Z]+), "([^"]+)"', src("helper", "startup.c"), re.M):
    t.ok(f"ctd-helper.8 START-UP STEPS has step {n} (exit {CODES.get(code)}) and its log line",
         f"{n} (exit {CODES.get(code)}) {what}" in steps_sec)
helper_names = names(helper)
for r in re.findall(r'^\s*\{(?:FIXED|TARGETS)\(CTD_REQ_[A-Z_]+.*?\), "([a-z-]+)", check_', src("helper", "request.c"),
                    re.M):
    t.ok(f"ctd-helper.8 REQUESTS documents request {r}", r in helper_names)
for mode in ("setuid", "setcap", "socket"):
    t.ok(f"ctd-helper.8 MODES documents {mode}", re.search(r"^\.TP\n\.BR? " + mode + r"\b", section(helper, "MODES"),
                                                          re.M))
log_sec = plain(section(helper, "LOGGING"))
for line in ("step N: WHAT", "refused (exit CODE): step N: REASON", "start-up complete", "request: NAME",
             "no request: WHY", "malformed request: WHY"):
    t.ok(f"ctd-helper.8 LOGGING shows the line '{line}'", line in log_sec)

# ---- make install puts them in man5/man8 --------------------------------------------------------------
r = subprocess.run(["make", "-n", "install", "DESTDIR=/nonexistent-ctd-mantest"], cwd=TOP, capture_output=True,
                   text=True)
for name in PAGES:
    sect = name.rsplit(".", 1)[1]
    t.ok(f"make install installs {name} into share/man/man{sect}",
         re.search(r"apache/man/" + re.escape(name) + r"\b.*share/man/man" + sect, r.stdout) or
         re.search(r"apache/man/" + re.escape(name) + r"\b[^\n]*\n?[^\n]*share/man/man" + sect, r.stdout),
         (r.stdout + r.stderr)[-300:])
t.done()
