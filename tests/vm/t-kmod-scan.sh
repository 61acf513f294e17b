#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Integrity scan. A test module (tests/kmod/sg_test_hook.c) registers an
# IPv4 PRE_ROUTING hook at priority -1234; the scan lists it with that
# module's name and priority, flags it when it is not on the allow-list,
# and no longer lists it after removal. The scan needs CAP_NET_ADMIN and
# keeps working while hooks come and go.
SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/vm/lib.sh"

cleanup()
{
	rmmod sg_test_hook 2>/dev/null
	sg_unload 2>/dev/null
}
trap cleanup EXIT

sg_require
ktap_plan 10
sg_dmesg_mark

test_hook_listed()
{
	"$SG_CTL" scan -j | jq -e 'map(select(.owner == "sg_test_hook" and
		.owner_kind == "module" and .priority == -1234 and
		.family == "ipv4" and .hook == "prerouting")) | length == 1' >/dev/null
}

ktap_check "load sovguard.ko" sg_load
ktap_check "test module built" test -r "$SG_TEST_KO"
ktap_check "scan lists the guard's own hooks" eval '"$SG_CTL" scan -j | jq -e "
	[.[] | select(.owner == \"sovguard\" and .hook == \"output\" and .priority == -199) |
	.family] | sort == [\"ipv4\", \"ipv6\"]" >/dev/null'
ktap_check "load the test hook module" insmod "$SG_TEST_KO" priority=-1234
ktap_check "scan lists it with module name and priority" test_hook_listed

t_text()
{
	"$SG_CTL" scan | grep -E "^ipv4 +prerouting +-1234 +sg_test_hook +sg_test_hook_fn"
}
ktap_check "sovguardctl scan (text)" t_text

t_allow()
{
	local out rc
	out=$("$SG_CTL" scan -j --allow sovguard)
	rc=$?
	[ "$rc" -ne 0 ] && echo "$out" | jq -e 'map(select(.owner == "sg_test_hook") | .alert) |
		.[0] == "module not on the allow-list"' >/dev/null &&
		"$SG_CTL" scan --allow sovguard,sg_test_hook,nf_tables,nf_conntrack,nf_defrag_ipv4,nf_defrag_ipv6,iptable_filter,iptable_nat,br_netfilter >/dev/null
}
ktap_check "module outside --allow is flagged, exit status non-zero" t_allow

ktap_check "scan refused without CAP_NET_ADMIN" \
	eval '! setpriv --reuid=65534 --regid=65534 --clear-groups "$SG_CTL" scan 2>/dev/null'

t_removed()
{
	rmmod sg_test_hook && ! test_hook_listed &&
		"$SG_CTL" scan -j | jq -e 'map(select(.owner == "sg_test_hook")) | length == 0' >/dev/null
}
ktap_check "gone after removal" t_removed

t_concurrent()
{
	local i pid rc=0
	(
		for i in $(seq 40); do
			insmod "$SG_TEST_KO" priority=$((i - 1000)) && rmmod sg_test_hook || exit 1
		done
	) &
	pid=$!
	for i in $(seq 40); do
		"$SG_CTL" scan -j >/dev/null || rc=1
	done
	wait "$pid" || rc=1
	[ "$rc" -eq 0 ] && sg_dmesg_clean
}
ktap_check "scan while hooks are registered and removed" t_concurrent
ktap_finish
