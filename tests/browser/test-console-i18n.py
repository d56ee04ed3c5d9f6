#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The console in French and English, its export and the page opened with
credentials in its URL, end to end (apache/console/i18n.js, export.js,
session.js): the real demo (apache/demo.sh, DEMO_TRAFFIC=0) in a private
network namespace holding 5,000 entries with mark 7 and 1,000 without
(tests/tools/ctgen, or conntrack -I without it), and
tests/browser/console-i18n-test.js driving Debian's headless Chromium
(playwright-core) from inside the namespace.  The exported CSV and JSON are
then compared here with the API read by python's xmlrpc.client: the same
ids in the same order.  Screenshots (the French console, an export in
progress) and the exported files go to $CTD_TEST_OUT/console-i18n/."""
import csv
import glob
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import BUILD, TOP, T, Netns, need_root  # noqa: E402
from ctdbrowser import BrowserDemo, ct_insert, drivers_parse, need_browser, shots_dir  # noqa: E402

t = T()
need_root(t)
need_browser(t, "console languages and export")
OUT = shots_dir("console-i18n")
MARK, COUNT, OTHERS = 7, 5000, 1000
drivers_parse(t, "console-i18n-test.js")

def message_keys():
    """i18n.js's keys per language, and every literal key the console's
    modules (t('key'...)) and index.html (data-i18n, data-i18n-attr) use."""
    console = os.path.join(TOP, "apache", "console")
    src = open(os.path.join(console, "i18n.js"), encoding="utf-8").read()
    en, fr = src[src.index("\ten: {"):src.index("\tfr: {")], src[src.index("\tfr: {"):src.index("\n};")]
    keys = [set(re.findall(r"^\t\t'([^']+)':", x, re.M)) for x in (en, fr)]
    used = set()
    for f in glob.glob(os.path.join(console, "*.js")):
        used |= set(re.findall(r"\bt\('([A-Za-z0-9_.]+)'[,)]", open(f, encoding="utf-8").read()))
    html = open(os.path.join(console, "index.html"), encoding="utf-8").read()
    used |= set(re.findall(r'data-i18n="([^"]+)"', html))
    for attrs in re.findall(r'data-i18n-attr="([^"]+)"', html):
        used |= {p.split(":", 1)[1] for p in attrs.split()}
    return keys, used


(en_keys, fr_keys), used = message_keys()
t.eq("i18n.js: English and French have the same keys", [], sorted(en_keys ^ fr_keys))
t.eq(f"every key the console uses ({len(used)}) is in the table", [], sorted(used - en_keys))

# The API, read from inside the namespace with python's own XML-RPC client:
# every id of view(filters, order) in order, and the unfiltered total.
API_PY = r"""
import json, ssl, sys, xmlrpc.client
url, pw, filters, order_by, order_dir = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4], sys.argv[5]
host = url.split("//", 1)[1].split("/", 1)[0]
s = xmlrpc.client.ServerProxy(f"https://admin:{pw}@{host}/RPC2", context=ssl._create_unverified_context())
sid = s.login()
ids, start = [], 0
while True:
    r = s.view(sid, filters, order_by, order_dir, start, 0)
    ids += [row["id"] for row in r["table"]]
    start += len(r["table"])
    if not r["table"] or start >= r["total"]:
        break
total = s.view(sid, {}, "id", "asc", 0, 1)["total"]
s.logout(sid)
print(json.dumps({"ids": ids, "total": total}))
"""


def fill(ns):
    """COUNT tcp entries with mark MARK, OTHERS in zone 1 without a mark."""
    ctgen = os.path.join(BUILD, "tools", "ctgen")
    if os.access(ctgen, os.X_OK):
        ns.run(ctgen, str(COUNT), str(MARK))
        ns.run(ctgen, str(OTHERS), "0", "0", "1")
        return
    ct_insert(ns, (["-I", "-s", f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}", "-d", "172.16.0.1", "-p", "tcp",
                    "--sport", str(1024 + i % 60000), "--dport", "80", "--state", "ESTABLISHED", "--timeout", "600",
                    "--mark", "0" if i >= COUNT else str(MARK), "--zone", "1" if i >= COUNT else "0"]
                   for i in range(COUNT + OTHERS)))


def same(desc, want, got):
    """Two id lists equal; on failure, where they first differ (not all 5,000)."""
    i = next((k for k, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
    return t.ok(desc, want == got, f"{len(want)} wanted, {len(got)} got; first difference at {i}: "
                f"{want[i:i + 3]!r} vs {got[i:i + 3]!r}")


with Netns() as ns:
    start = time.monotonic()
    fill(ns)
    made = ns.ct("-C", check=False).stdout.strip()
    marked = ns.ct("-L", "--mark", str(MARK), check=False).stdout.count("mark=")
    t.eq(f"{COUNT:,} entries with mark {MARK} made in the namespace ({time.monotonic() - start:.0f} s)", COUNT, marked)
    t.ok(f"and {OTHERS:,} without it ({made} in all)", made.isdigit() and int(made) >= COUNT + OTHERS)

    with BrowserDemo(t, ns, OUT) as demo:
        def api(filters, order_by, order_dir):
            r = ns.run("python3", "-c", API_PY, demo.ui_url, demo.admin_pw, json.dumps(filters), order_by, order_dir,
                       check=False)
            return json.loads(r.stdout) if r.returncode == 0 else {"ids": [], "total": -1, "err": r.stderr[-400:]}

        base = api({}, "id", "asc")
        t.ok(f"the API shows {base['total']:,} entries unfiltered", base["total"] >= COUNT + OTHERS, base.get("err"))
        demo.drive("console-i18n-test.js", CTD_EXPORT_MARK=str(MARK), CTD_EXPORT_COUNT=str(COUNT),
                   CTD_TOTAL=str(base["total"]))

        # ---- the exported files against the API ----
        want = api({"mark": MARK}, "orig_port_src", "desc")
        t.eq(f"the API lists {COUNT:,} ids for mark {MARK}", COUNT, len(want["ids"]))
        csv_path, json_path = os.path.join(OUT, "export.csv"), os.path.join(OUT, "export.json")
        if t.ok("the CSV export was saved", os.path.exists(csv_path)):
            raw = open(csv_path, encoding="utf-8-sig", newline="").read()
            t.eq(f"the CSV has {COUNT + 1:,} lines", COUNT + 1, len(raw.splitlines()))
            rows = list(csv.reader(raw.splitlines()))
            head = rows[0]
            t.eq("its first column is the id", "ID", head[0])
            same("its ids are the API's, in the API's order (source port, descending)", [str(i) for i in want["ids"]],
                 [r[0] for r in rows[1:]])
            t.ok("its raw id column equals the shown one", "id" in head and
                 all(r[head.index("id")] == r[0] for r in rows[1:]))
            t.ok(f"its raw mark is {MARK} on every row", "mark" in head and
                 all(r[head.index("mark")] == str(MARK) for r in rows[1:]))
        if t.ok("the JSON export was saved", os.path.exists(json_path)):
            arr = json.load(open(json_path, encoding="utf-8"))
            t.eq(f"the JSON is an array of {COUNT:,} objects", (list, COUNT), (type(arr), len(arr)))
            same("its ids are the API's, in the API's order", [str(i) for i in want["ids"]],
                 [str(o.get("id")) for o in arr])
        demo.check_error_logs()
t.done()
