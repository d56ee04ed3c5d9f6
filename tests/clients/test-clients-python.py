#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ctd.cgi with python's own xmlrpc.client as the client: a real ServerProxy
(its marshalling, its fault handling) whose transport runs the CGI the way
Apache would; every method, introspection, and system.multicall through
xmlrpc.client.MultiCall (authorization per call)."""
import os
import sys
import xmlrpc.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdtest import T, Netns, need_root  # noqa: E402
from ctdcgi import Cgi, Flow, ct_add, ct_ext  # noqa: E402

t = T()
need_root(t)


def fault_of(fn):
    try:
        fn()
    except xmlrpc.client.Fault as f:
        return f.faultCode
    return None


flow = None
with Netns(track=True) as ns, Cgi(t, ns) as fx:
    try:
        ns.run("ip", "addr", "add", "10.79.0.1/32", "dev", "lo")
        flow = Flow(ns, "10.79.0.1", 5201, rate=0)
        for n in range(1, 5):
            ct_add(ns, "10.7.0.1", f"10.7.0.{n + 1}", "udp", 3000 + n, 53, mark=n, timeout=900)
        ct_add(ns, "2001:db8:7::1", "2001:db8:7::2", "tcp", 3100, 443, timeout=900)
        ct = ct_ext(ns)
        srv = fx.proxy()
        sid = srv.login()
        t.ok("ServerProxy.login() -> session string", isinstance(sid, str) and len(sid) >= 22, sid)
        t.eq("ServerProxy.whoami()", {"user": "admin", "role": "operator"}, srv.whoami(sid))
        t.eq("ServerProxy.set_autorefresh(sid, 0)", True, srv.set_autorefresh(sid, 0))
        t.eq("ServerProxy.refresh(sid)", True, srv.refresh(sid))
        v = srv.view(sid, {}, "orig_src", "ASC", 0, 100)
        t.eq("ServerProxy.view: total = entries (incl. the live TCP connection)", len(ct), v["total"])
        t.eq("ServerProxy.view: ids = conntrack -L ids", sorted(str(i) for i in ct),
             sorted(r["id"] for r in v["table"]))
        t.ok("ServerProxy.view: orig_src order puts IPv4 before IPv6",
             [r["orig_l3proto"] for r in v["table"]][-1] == 10, [r["orig_l3proto"] for r in v["table"]])
        tcp = [r for r in v["table"] if r.get("orig_port_dst") == 5201]
        t.ok("the real TCP connection is in the view, ESTABLISHED", tcp and tcp[0].get("tcp_state") == "ESTABLISHED",
             tcp)
        v2 = srv.view(sid, [], "mark", "d")
        t.eq("ServerProxy.view with [] as filters, mark descending", [4, 3, 2, 1],
             [r["mark"] for r in v2["table"]][:4])
        meths = srv.system.listMethods()
        t.ok("system.listMethods via ServerProxy", "view" in meths and "system.multicall" in meths, meths)
        t.ok("system.methodHelp('kill') via ServerProxy", isinstance(srv.system.methodHelp("kill"), str))
        sig = srv.system.methodSignature("view")
        t.ok("system.methodSignature('view') via ServerProxy", isinstance(sig, (list, str)), sig)

        # multicall through xmlrpc.client.MultiCall
        fx.conf(roles="viewer:viewer")
        vsrv = fx.proxy(remote_user="viewer")
        vsid = vsrv.login()
        mc = xmlrpc.client.MultiCall(srv)
        mc.whoami(sid)
        mc.view(sid, {"orig_port_dst": 5201})
        mc.view("forged-session-id-0123456789abcdef")
        mc.kill(vsid, [tcp[0]["id"]] if tcp else ["1"])
        mc.change("forged-session-id-0123456789abcdef", "mark", tcp[0]["id"] if tcp else "1", 9)
        res = mc()
        out = []
        for i in range(5):
            try:
                out.append(("ok", res[i]))
            except xmlrpc.client.Fault as f:
                out.append(("fault", f.faultCode))
        t.eq("MultiCall[0] whoami", ("ok", {"user": "admin", "role": "operator"}), out[0])
        t.ok("MultiCall[1] view of the TCP connection", out[1][0] == "ok" and out[1][1]["total"] == 1, out[1])
        t.eq("MultiCall[2] forged session -> Fault 2", ("fault", 2), out[2])
        t.eq("MultiCall[3] another user's session (viewer's, REMOTE_USER admin) -> Fault 2", ("fault", 2), out[3])
        t.eq("MultiCall[4] change with a forged session -> Fault 2", ("fault", 2), out[4])
        t.ok("the TCP connection survived the multicall, mark unchanged",
             tcp and int(tcp[0]["id"]) in ct_ext(ns) and ct_ext(ns)[int(tcp[0]["id"])].get("mark") == 0)
        vmc = xmlrpc.client.MultiCall(vsrv)
        vmc.view(vsid)
        vmc.kill(vsid, [tcp[0]["id"]] if tcp else ["1"])
        vres = vmc()
        t.ok("viewer MultiCall: view works", vres[0]["total"] == len(ct))
        t.eq("viewer MultiCall: kill -> Fault 4", 4, fault_of(lambda: vres[1]))

        # actions through ServerProxy: ids as int and as string
        ids = {r["orig_port_src"]: r["id"] for r in v["table"] if "orig_port_src" in r}
        t.eq("ServerProxy.change(mark) with the id as string", True, srv.change(sid, "mark", ids[3001], 11))
        t.eq("... conntrack -L shows mark 11", 11, ct_ext(ns)[int(ids[3001])]["mark"])
        iid = int(ids[3002])
        iid = iid - (1 << 32) if iid >= 1 << 31 else iid
        t.eq("ServerProxy.kill with the id as int", 1, srv.kill(sid, [iid]))
        t.eq("ServerProxy.kill of the live TCP connection", 1, srv.kill(sid, [tcp[0]["id"]]) if tcp else None)
        t.ok("... gone from conntrack -L", tcp and int(tcp[0]["id"]) not in ct_ext(ns))
        t.eq("ServerProxy: unknown id -> Fault 5", 5, fault_of(lambda: srv.kill(sid, ["7"])))
        t.eq("ServerProxy: bad filter -> Fault 3", 3, fault_of(lambda: srv.view(sid, {"nope": 1})))
        t.ok("ServerProxy: unknown method -> library Fault (-500..-510)",
             -510 <= (fault_of(lambda: srv.nosuch(sid)) or 0) <= -500)
        t.eq("ServerProxy.logout", True, srv.logout(sid))
        t.eq("ServerProxy after logout -> Fault 2", 2, fault_of(lambda: srv.view(sid)))
        try:
            fx.proxy(method_http="GET").system.listMethods()
            t.ok("GET through the transport -> ProtocolError 405", False, "no error")
        except xmlrpc.client.ProtocolError as e:
            t.eq("GET through the transport -> ProtocolError 405", 405, e.errcode)
    finally:
        if flow:
            flow.stop()

t.done()
