#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi, black box, ASan+UBSan build of the CGI: hostile and malformed
input through the real CGI interface.  Not XML, deep nesting, a 10 MB body,
DOCTYPE / billion laughs, wrong types at each parameter of each method,
unknown method, too many ids, negative start, huge length, wrong HTTP
method and content type.  Each must be a fault or an HTTP error, never a
crash or a sanitizer report; nothing in conntrack is killed or changed; the
database stays intact."""
import os
import sys
import xmlrpc.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import SAN_BUILD, T, Netns, need_root  # noqa: E402
from ctdcgi import Cgi, body_fault, ct_add, ct_ext  # noqa: E402

t = T()
need_root(t)
SAN = os.path.isfile(os.path.join(SAN_BUILD, "ctd.cgi"))
if not SAN:
    t.skip("ASan build of ctd.cgi", f"{SAN_BUILD}/ctd.cgi missing: using the normal build")


def state(ns):
    return sorted((i, f.get("mark"), f["orig_src"], f.get("orig_sport")) for i, f in ct_ext(ns).items())


def fault_code(r):
    f = body_fault(r.body)
    return f.faultCode if f else None


def refused(desc, r, codes=None, http=None):
    """The request was answered with a fault (code in codes if given) or an HTTP error
    (status in http if given), with no crash."""
    fc = fault_code(r) if r.status == 200 else None
    ok_fault = r.status == 200 and fc is not None and (codes is None or fc in codes)
    ok_http = r.status is not None and r.status >= 400 and (http is None or r.status in http)
    if http is not None and codes is None:
        ok = ok_http
    elif codes is not None and http is None:
        ok = ok_fault
    else:
        ok = ok_fault or ok_http
    t.ok(desc, ok and -1 < r.rc < 128,
         f"status {r.status} fault {fc} rc {r.rc} body {r.body[:200]!r} stderr {r.stderr[-300:]!r}")


def call_xml(method, params):
    return xmlrpc.client.dumps(tuple(params), method)


with Netns() as ns, Cgi(t, ns, san=SAN) as fx:
    for n in range(1, 7):
        ct_add(ns, "10.8.0.1", f"10.8.0.{n + 1}", "tcp" if n % 2 else "udp", 2000 + n, 80, mark=n, timeout=900)
    ct_add(ns, "2001:db8::8", "2001:db8::9", "udp", 2100, 53, timeout=900)
    before = state(ns)
    ids = [str(i) for i in ct_ext(ns)]
    sid = fx.login()
    fx.call("set_autorefresh", sid, 0)
    fx.call("refresh", sid)
    v = fx.call("view", sid)
    t.eq("test data: 7 entries seen", 7, v["total"])

    run = fx.run_raw
    # ---- transport ----------------------------------------------------------------------
    body = call_xml("view", [sid])
    refused("GET -> 405", run(body, method_http="GET"), http=(405,))
    refused("PUT -> 405", run(body, method_http="PUT"), http=(405,))
    refused("Content-Type application/json -> 415", run(body, content_type="application/json"), http=(415,))
    refused("no Content-Type -> 415", run(body, content_type=None), http=(415,))
    refused("Content-Type text/html -> 415", run(body, content_type="text/html"), http=(415,))
    r = run(body, content_type="text/xml; charset=utf-8")
    t.ok("Content-Type 'text/xml; charset=utf-8' accepted", r.status == 200 and fault_code(r) is None, r)
    big = b"<?xml version='1.0'?><methodCall><methodName>view</methodName><params><param><value><string>" + \
        b"A" * (10 * 1024 * 1024) + b"</string></value></param></params></methodCall>"
    r = run(big)
    refused("10 MB body -> HTTP 413", r, http=(413,))
    print(f"# 10 MB body answered in {r.secs:.2f} s", flush=True)
    r = run(body, content_length=10 * 1024 * 1024 + 1)
    refused("CONTENT_LENGTH 10 MB announced (short body) -> HTTP 413", r, http=(413,))
    over = b"<?xml version='1.0'?><methodCall><methodName>login</methodName><params><param><value><string>" + \
        b"A" * (1024 * 1024) + b"</string></value></param></params></methodCall>"
    refused("body just over 1 MiB -> HTTP 413", run(over), http=(413,))
    under = b"<?xml version='1.0'?><methodCall><methodName>login</methodName><params><param><value><string>" + \
        b"A" * (1024 * 1024 - 400) + b"</string></value></param></params></methodCall>"
    r = run(under)
    t.ok(f"a {len(under)}-byte body (under 1 MiB) is accepted: login -> session", r.status == 200 and
         fault_code(r) is None and b"<string>" in r.body, r)
    r = run(body, content_length=len(body) + 500, timeout=30)
    refused("CONTENT_LENGTH larger than the body (truncated upload) -> error, no hang", r)
    refused("CONTENT_LENGTH -5 -> error", run(body, content_length=-5))
    refused("CONTENT_LENGTH 'abc' -> error", run(body, content_length="abc"))
    refused("empty body -> error", run(b""))

    # ---- not XML-RPC ----------------------------------------------------------------------
    refused("not XML -> fault or HTTP error", run(b"hello, this is not XML"))
    refused("truncated XML -> fault or HTTP error", run(body[: len(body) // 2]))
    refused("XML but not a methodCall -> fault", run(b"<?xml version='1.0'?><foo><bar/></foo>"))
    refused("binary garbage -> fault or HTTP error", run(bytes(range(256)) * 40))
    refused("invalid UTF-8 in a string -> fault or HTTP error",
            run(b"<?xml version='1.0'?><methodCall><methodName>view</methodName><params><param><value>"
                b"<string>\xff\xfe\xc3</string></value></param></params></methodCall>"))
    deep = "<value><array><data>" * 40 + "<value><int>1</int></value>" + "</data></array></value>" * 40
    deep_body = f"<?xml version='1.0'?><methodCall><methodName>view</methodName><params><param>" \
        f"<value><string>{sid}</string></value></param><param>{deep}</param></params></methodCall>"
    refused("nesting depth 40 (> 32) -> fault or HTTP error", run(deep_body))
    deeper = "<value><struct><member><name>a</name>" * 5000 + "<value><int>1</int></value>" + \
        "</member></struct></value>" * 5000
    refused("nesting depth 5000 -> fault or HTTP error, no stack overflow",
            run(f"<?xml version='1.0'?><methodCall><methodName>login</methodName><params><param>"
                f"{deeper}</param></params></methodCall>"))

    # ---- DOCTYPE / entities: refused before parsing ------------------------------------------
    login_body = call_xml("login", [])
    lol = "<?xml version='1.0'?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n" + "".join(
        f"<!ENTITY lol{i} \"" + (f"&lol{i - 1};" if i > 1 else "&lol;") * 10 + "\">\n" for i in range(1, 10)) + \
        "]>\n<methodCall><methodName>login</methodName><params><param><value><string>&lol9;</string>" \
        "</value></param></params></methodCall>"
    r = run(lol)
    refused("billion laughs -> fault or HTTP error", r)
    t.ok("billion laughs: no session id came back (the call was not parsed)",
         r.status != 200 or fault_code(r) is not None, r)
    print(f"# billion laughs answered in {r.secs:.2f} s", flush=True)
    doc = login_body.replace("<methodCall>", "<!DOCTYPE methodCall>\n<methodCall>", 1)
    r = run(doc)
    refused("a valid login call with a harmless <!DOCTYPE> is refused", r)
    ent = login_body.replace("<methodCall>", "<!DOCTYPE m [<!ENTITY x \"y\">]>\n<methodCall>", 1)
    refused("a valid login call with an <!ENTITY> is refused", run(ent))
    xxe = "<?xml version='1.0'?><!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><methodCall>" \
        "<methodName>view</methodName><params><param><value><string>&x;</string></value></param></params>" \
        "</methodCall>"
    r = run(xxe)
    refused("external entity (XXE) is refused", r)
    t.ok("XXE: /etc/passwd not echoed", b"root:" not in r.body, r.body[:200])

    # ---- unknown method, wrong parameter types ------------------------------------------------
    r = run(call_xml("no.such.method", [sid]))
    t.ok("unknown method -> library fault -500..-510", fault_code(r) is not None and -510 <= fault_code(r) <= -500,
         r)
    r = run(call_xml("system.multicall", ["x"]))
    refused("system.multicall with a string -> fault", r, codes=None)

    BAD = {  # method: list of (description, params, acceptable fault codes)
        "view": [
            ("session int", [42], (2, 3)), ("session struct", [{"a": 1}], (2, 3)),
            ("session array", [[sid]], (2, 3)), ("no params at all", [], (2, 3)),
            ("filters int", [sid, 5], (3,)), ("filters string", [sid, "x"], (3,)),
            ("filters array of structs", [sid, [{"mark": 1}]], (3,)),
            ("order_by int", [sid, {}, 5], (3,)), ("order_by struct", [sid, {}, {"a": 1}], (3,)),
            ("order_dir int", [sid, {}, "id", 1], (3,)), ("order_dir array", [sid, {}, "id", ["a"]], (3,)),
            ("start 'abc'", [sid, {}, "id", "a", "abc"], (3,)), ("start 1.5", [sid, {}, "id", "a", 1.5], (3,)),
            ("start struct", [sid, {}, "id", "a", {"a": 1}], (3,)), ("start -1", [sid, {}, "id", "a", -1], (3,)),
            ("start '-1'", [sid, {}, "id", "a", "-1"], (3,)),
            ("start 1e300", [sid, {}, "id", "a", 1e300], (3,)),
            ("length 'x'", [sid, {}, "id", "a", 0, "x"], (3,)), ("length array", [sid, {}, "id", "a", 0, [1]], (3,)),
            ("length true (boolean)", [sid, {}, "id", "a", 0, True], (3,)),
            ("7 params", [sid, {}, "id", "a", 0, 10, 1], (3,)),
        ],
        "kill": [
            ("session int", [1, [ids[0]]], (2, 3)), ("no ids", [sid], (3,)),
            ("ids string", [sid, ids[0]], (3,)), ("ids int", [sid, int(ids[0]) & 0x7fffffff], (3,)),
            ("ids struct", [sid, {"id": ids[0]}], (3,)),
            ("ids [struct]", [sid, [{"id": ids[0]}]], (3,)), ("ids ['abc']", [sid, ["abc"]], (3,)),
            ("ids [1.5]", [sid, [1.5]], (3,)), ("ids [[id]]", [sid, [[ids[0]]]], (3,)),
            ("ids ['-5']", [sid, ["-5x"]], (3,)), ("ids ['99999999999'] (> u32)", [sid, ["99999999999"]], (3, 5)),
            ("ids [true]", [sid, [True]], (3,)),
            ("one good id and one struct", [sid, [ids[0], {"a": 1}]], (3,)),
        ],
        "change": [
            ("field int", [sid, 1, ids[0], 5], (3,)), ("field struct", [sid, {"a": 1}, ids[0], 5], (3,)),
            ("field 'markx'", [sid, "markx", ids[0], 5], (3,)),
            ("id struct", [sid, "mark", {"a": 1}, 5], (3,)), ("id 'abc'", [sid, "mark", "abc", 5], (3,)),
            ("id array", [sid, "mark", [ids[0]], 5], (3,)), ("id 1.5", [sid, "mark", 1.5, 5], (3,)),
            ("value 'abc'", [sid, "mark", ids[0], "abc"], (3,)), ("value struct", [sid, "mark", ids[0], {}], (3,)),
            ("value array", [sid, "mark", ids[0], [5]], (3,)), ("value 1.5", [sid, "mark", ids[0], 1.5], (3,)),
            ("timeout value 'x'", [sid, "timeout", ids[0], "x"], (3,)),
            ("timeout value array", [sid, "timeout", ids[0], [1]], (3,)),
            ("missing value", [sid, "mark", ids[0]], (3,)), ("only a session", [sid], (3,)),
        ],
        "kill_preview": [
            ("session int", [1, {"addr": "10.8.0.1"}], (2, 3)), ("no filters", [sid], (3,)),
            ("filters {} (no kill everything)", [sid, {}], (3,)), ("filters [] (PHP)", [sid, []], (3,)),
            ("filters int", [sid, 5], (3,)), ("filters string", [sid, "x"], (3,)),
            ("filters array of structs", [sid, [{"mark": 1}]], (3,)),
            ("orig_ipv4_src 'x'", [sid, {"orig_ipv4_src": "x"}], (3,)),
            ("orig_ipv6_dst '10.8.0.1'", [sid, {"orig_ipv6_dst": "10.8.0.1"}], (3,)),
            ("addr '10.8.0.0/40'", [sid, {"addr": "10.8.0.0/40"}], (3,)),
            ("mark struct", [sid, {"mark": {}}], (3,)), ("orig_port_dst 65536", [sid, {"orig_port_dst": 65536}], (3,)),
            ("tcp_state 'NOPE'", [sid, {"tcp_state": "NOPE"}], (3,)), ("zone 1.5", [sid, {"zone": 1.5}], (3,)),
            ("id 'abc'", [sid, {"id": "abc"}], (3,)), ("unknown filter", [sid, {"nope": 1}], (3,)),
            ("a good filter and a bad one", [sid, {"addr": "10.8.0.1", "orig_l4proto": "x"}], (3,)),
            ("3 params", [sid, {"addr": "10.8.0.1"}, 1], (3,)),
        ],
        "kill_matching": [
            ("session int", [1, "0" * 64], (2, 3)), ("no token", [sid], (3,)), ("token int", [sid, 5], (3,)),
            ("token struct", [sid, {}], (3,)), ("token array", [sid, ["a"]], (3,)),
            ("token 64 zeros (unknown)", [sid, "0" * 64], (3,)), ("token 64 'g'", [sid, "g" * 64], (3,)),
            ("token 100 kB", [sid, "a" * 100000], (3,)), ("token 1.5", [sid, 1.5], (3,)),
            ("3 params", [sid, "0" * 64, 1], (3,)),
        ],
        "audit": [
            ("session int", [1, {}], (2, 3)), ("filters int", [sid, 5], (3,)), ("filters string", [sid, "x"], (3,)),
            ("unknown filter", [sid, {"x": 1}], (3,)), ("user struct", [sid, {"user": {}}], (3,)),
            ("since 'x'", [sid, {"since": "x"}], (3,)), ("until array", [sid, {"until": [1]}], (3,)),
            ("since 1e300", [sid, {"since": 1e300}], (3,)), ("result 'ok'", [sid, {"result": "ok"}], (3,)),
            ("addr 'x'", [sid, {"addr": "x"}], (3,)), ("addr a network", [sid, {"addr": "10.0.0.0/8"}], (3,)),
            ("start -1", [sid, {}, -1], (3,)), ("start 'x'", [sid, {}, "x"], (3,)),
            ("length struct", [sid, {}, 0, {}], (3,)), ("5 params", [sid, {}, 0, 1, 2], (3,)),
        ],
        "refresh": [("session int", [5], (2, 3)), ("session array", [[sid]], (2, 3)), ("none", [], (2, 3))],
        "set_autorefresh": [("seconds 'x'", [sid, "x"], (3,)), ("seconds struct", [sid, {}], (3,)),
                            ("seconds -1", [sid, -1], (3,)), ("seconds 1.5", [sid, 1.5], (3,)),
                            ("no seconds", [sid], (3,)), ("session int", [3, 0], (2, 3))],
        "logout": [("session struct", [{"s": sid}], (2, 3)), ("session int", [7], (2, 3))],
        "whoami": [("session array", [[sid]], (2, 3)), ("session double", [1.5], (2, 3))],
        "events": [("session int", [1, {}, {"wait": 0}], (2, 3)), ("filters int", [sid, 5, {"wait": 0}], (3,)),
                   ("options string", [sid, {}, "wait"], (3,)), ("options wait 'x'", [sid, {}, {"wait": "x"}], (3,)),
                   ("options wait 1e9", [sid, {}, {"wait": 1e9}], (3,)),
                   ("options max -1", [sid, {}, {"max": -1}], (3,)),
                   ("options types [1]", [sid, {}, {"types": [1]}], (3,)),
                   ("options types 4 names", [sid, {}, {"types": ["new", "new", "new", "new"]}], (3,))],
        "expectations": [("session int", [1, {}], (2, 3)), ("filters int", [sid, 5], (3,)),
                         ("filters unknown", [sid, {"x": 1}], (3,)), ("a third parameter", [sid, {}, 1], (3,))],
        "kill_expectation": [("no ids", [sid], (3,)), ("ids string", [sid, "1"], (3,)),
                             ("ids [struct]", [sid, [{"id": 1}]], (3,)), ("ids ['abc']", [sid, ["abc"]], (3,)),
                             ("ids [1.5]", [sid, [1.5]], (3,)),
                             ("an id never listed", [sid, ["12345"]], (5,))],
        "login": [("user struct, no REMOTE_USER", [{"a": 1}, "pw"], (1, 3)),
                  ("password array, no REMOTE_USER", ["admin", ["pw"]], (1, 3))],
    }
    for meth, cases in BAD.items():
        for desc, params, codes in cases:
            ru = None if meth == "login" else "admin"
            r = run(call_xml(meth, params), remote_user=ru)
            refused(f"{meth}: {desc} -> fault {codes}", r, codes=codes)
    fx.expect_ok("the session survived all that", "whoami", sid, check=lambda v: v.get("user") == "admin")

    # ---- sizes -------------------------------------------------------------------------------
    fake = [str(100000 + i) for i in range(1000)]
    fx.expect_fault("kill with 1000 ids none in the snapshot -> fault 5", 5, "kill", sid, fake)
    fx.expect_fault("kill with 1000 ids, one valid, 999 unknown -> fault 5", 5, "kill", sid, [ids[0]] + fake[:999])
    fx.expect_fault("kill with 10,001 ids -> fault 3", 3, "kill", sid, [ids[0]] * 10001)
    fx.expect_fault("view start -1 -> fault 3", 3, "view", sid, {}, "id", "a", -1, 10)
    fx.expect_ok("view length 2147483647 -> max page", "view", sid, {}, "id", "a", 0, 2147483647,
                 check=lambda v: len(v["table"]) == 7)
    fx.expect_ok("view start 2147483647 -> empty table", "view", sid, {}, "id", "a", 2147483647, 10,
                 check=lambda v: v["table"] == [] and v["total"] == 7)
    fx.expect_fault("view with 200 unknown filters -> fault 3", 3, "view", sid, {f"f{i}": i for i in range(200)})
    fx.expect_fault("view with a 100 kB order_by -> fault 3", 3, "view", sid, {}, "x" * 100000)
    fx.expect_fault("view with a 100 kB session id -> fault 2", (2, 3), "view", "s" * 100000)
    fx.expect_fault("filter with a NUL in a string (invalid XML) -> fault 3 or HTTP 400", (3, "http-400"), "view",
                    sid, {"tcp_state": "EST\x00X"})
    fx.expect_fault("filter orig_ipv4_src '10.0.0.1/8/9' -> fault 3", 3, "view", sid, {"orig_ipv4_src": "10.0.0.1/8/9"})
    fx.expect_fault("filter orig_ipv6_src 'fe80::1%lo' -> fault 3", 3, "view", sid, {"orig_ipv6_src": "fe80::1%lo"})
    fx.expect_fault("filter addr '' -> fault 3", 3, "view", sid, {"addr": ""})

    # the filters of DESIGN §7: a bad value of each kind is fault 3 naming the filter, in every
    # method that takes filters (summary reads the same parser as view)
    for name, bad in (("mark", "1/2/3"), ("mark", "0x/0xff"), ("mark", "5/0x100000000"), ("mark", "-1/5"),
                      ("mark", "1 /5"), ("mark", "/"), ("mark", [1, 2]),
                      ("flags", "ASSURED,BOGUS"), ("flags", ""), ("flags", ",,"), ("flags", 4),
                      ("flags", "A" * 5000), ("flags", {"ASSURED": 1}),
                      ("nat", "both"), ("nat", ""), ("nat", 9), ("nat", ["src"]),
                      ("repl_ipv4_src", "2001:db8::1"), ("repl_ipv4_dst", "10.0.0.0/33"),
                      ("repl_ipv6_src", "10.0.0.1"), ("repl_ipv6_dst", "2001:db8::/129"),
                      ("repl_port_src", 65536), ("repl_port_dst", -1), ("repl_port_dst", "http"),
                      ("orig_zone", 65536), ("orig_zone", "two"), ("reply_zone", -5), ("reply_zone", 1.5),
                      ("tcp_state", "LISTENING"), ("tcp_state", 10), ("sctp_state", "SYN_SENT"),
                      ("sctp_state", 10), ("sctp_state", "")):
        for method, extra in (("view", ("id", "a", 0, 10)), ("summary", ({},))):
            f = fx.expect_fault(f"{method} filter {name} = {str(bad)[:40]!r} -> fault 3", 3, method, sid,
                                {name: bad}, *extra)
            if f is not None:
                t.ok(f"... the fault names filters.{name}", f"filters.{name}" in f.faultString, f.faultString)

    # fault 3 names the parameter
    for desc, word, params in (
            ("view start -1", "start", ("view", sid, {}, "id", "a", -1, 10)),
            ("view length 'x'", "length", ("view", sid, {}, "id", "a", 0, "x")),
            ("view order_by 'nope'", "order_by", ("view", sid, {}, "nope", "a")),
            ("view filters 'x'", "filter", ("view", sid, "x")),
            ("kill 10,001 ids", "ids", ("kill", sid, ["1"] * 10001)),
            ("change field 'nope'", "field", ("change", sid, "nope", ids[0], 1)),
            ("change value 'x'", "value", ("change", sid, "mark", ids[0], "x")),
            ("set_autorefresh -1", "seconds", ("set_autorefresh", sid, -1)),
            ("kill_preview no filter", "filters", ("kill_preview", sid, {})),
            ("kill_preview orig_port_src 70000", "orig_port_src", ("kill_preview", sid, {"orig_port_src": 70000})),
            ("kill_preview orig_ipv4_dst 'x'", "orig_ipv4_dst", ("kill_preview", sid, {"orig_ipv4_dst": "x"})),
            ("kill_preview unknown filter", "nope", ("kill_preview", sid, {"nope": 1})),
            ("kill_matching token 5", "token", ("kill_matching", sid, 5)),
            ("audit since 'x'", "since", ("audit", sid, {"since": "x"})),
            ("audit start -1", "start", ("audit", sid, {}, -1))):
        f = fx.expect_fault(f"{desc} -> fault 3", 3, *params)
        if f is not None:
            t.ok(f"{desc}: fault 3 names the parameter ({word!r})", word in f.faultString.lower(), f.faultString)

    # ---- nothing happened ---------------------------------------------------------------------
    t.eq("conntrack -L before == after (nothing killed or changed)", before, state(ns))
    t.eq("no kill_matching audit row", 0, len([a for a in fx.audit_rows() if a.get("method") == "kill_matching"]))
    t.eq("PRAGMA integrity_check == ok", "ok", fx.integrity())
    fx.expect_ok("the CGI still answers normally", "view", sid, check=lambda v: v["total"] == 7)

t.done()
