#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The test harness itself: namespaces are private and always removed.
. "$(dirname "$0")/../lib/harness.sh"
t_need_root

ns_new; a=$NS
ns_new; b=$NS
t_ok "namespace $a exists" ip netns exec "$a" true
t_ok "insert a TCP entry in $a" ns_ct "$a" -I -s 10.9.0.1 -d 10.9.0.2 -p tcp --sport 1234 --dport 80 \
	--state ESTABLISHED --timeout 100 --mark 5
t_eq "the entry is in $a" 1 "$(ns_ct "$a" -L 2>/dev/null | grep -c 'sport=1234')"
t_eq "and not in $b (private tables)" 0 "$(ns_ct "$b" -L 2>/dev/null | grep -c 'sport=1234')"
t_eq "accounting switched on in the namespace" 1 "$(ns_exec "$a" sysctl -n net.netfilter.nf_conntrack_acct)"

# a failing child test still cleans up: run one in a subshell and look after
child=$(bash -c ". '$CTD_TOP/tests/lib/harness.sh'; ns_new; echo \$NS; false; t_done" 2>/dev/null | head -1)
t_ok "child made namespace $child" test -n "$child"
t_fail "child's namespace removed by its trap" ip netns exec "$child" true
t_done
