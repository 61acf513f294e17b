#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sovguard.ko lifecycle: parameters in modinfo, load, the family answers to
# two independent clients (iproute2's genl, libnl's genl-ctrl-list) and to
# sovguardctl, unload (family gone), load again, bad parameters refused.
SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/vm/lib.sh"

sg_require
ktap_plan 14
sg_dmesg_mark

t_modinfo()
{
	local p
	for p in mode fail_mode lease_timeout_ms; do
		modinfo -F parm "$SG_KO" | grep -q "^$p:.\{20,\}" || return 1
	done
	[ "$(modinfo -F alias "$SG_KO")" = "net-pf-16-proto-16-family-sovguard" ]
}
ktap_check "modinfo documents mode, fail_mode, lease_timeout_ms and the family alias" t_modinfo

ktap_check "insmod" sg_load

t_genl()
{
	local out
	out=$(genl ctrl get name sovguard) || return 1
	echo "$out"
	echo "$out" | grep -q "Name: sovguard" &&
		[ "$(echo "$out" | sed -n '/commands supported/,/multicast groups/p' |
			grep -c 'ID-0x')" -eq 7 ] &&
		echo "$out" | grep -q "events"
}
ktap_check "iproute2 genl: family, 7 operations, events group" t_genl

t_libnl()
{
	local out
	out=$(genl-ctrl-list -d) || return 1
	echo "$out" | sed -n '/sovguard/,/^0x/p'
	echo "$out" | grep -q "sovguard version 1" &&
		echo "$out" | sed -n '/sovguard/,/^0x/p' | grep -q 'events'
}
ktap_check "libnl genl-ctrl-list: family and group" t_libnl

t_ctl_status()
{
	local st
	st=$("$SG_BUILD/sovguardctl" status -j) || return 1
	echo "$st" | jq -e '.module.mode == "audit" and .module.fail_mode == "closed" and
		.module.lease == "none" and .module.guard == "idle" and
		(.module.version | length > 0)' >/dev/null
}
ktap_check "sovguardctl status -j shows module, lease and guard" t_ctl_status

t_ctl_text()
{
	"$SG_CTL" module status | grep -q "^module: *sovguard.ko .*mode audit" &&
		"$SG_CTL" module status | grep -q "^lease: *none" &&
		"$SG_CTL" module status | grep -q "^guard: *idle"
}
ktap_check "sovguardctl module status (text)" t_ctl_text

t_unpriv()
{
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SG_CTL" module status -j |
		jq -e '.mode == "audit"' >/dev/null &&
		! setpriv --reuid=65534 --regid=65534 --clear-groups "$SG_CTL" module mode enforce 2>/dev/null
}
ktap_check "status readable by nobody, mode change refused" t_unpriv

t_mode()
{
	"$SG_CTL" module mode enforce fail open &&
		[ "$(sg_status mode)" = enforce ] && [ "$(sg_status fail_mode)" = open ] &&
		"$SG_CTL" module mode audit fail closed
}
ktap_check "sovguardctl module mode" t_mode

ktap_check "rmmod" rmmod sovguard

t_gone()
{
	! genl ctrl get name sovguard >/dev/null 2>&1 &&
		"$SG_BUILD/sovguardctl" status -j | jq -e '.module == null' >/dev/null
}
ktap_check "family gone after rmmod, status says not loaded" t_gone

t_params()
{
	sg_load mode=enforce fail_mode=open lease_timeout_ms=500 &&
		[ "$(sg_status mode)" = enforce ] && [ "$(sg_status fail_mode)" = open ] &&
		"$SG_CTL" module lease renew &&
		[ "$(sg_status lease_timeout_ms)" = 500 ] && rmmod sovguard
}
ktap_check "load again with parameters, default lease timeout applies" t_params

t_bad_params()
{
	! insmod "$SG_KO" mode=bogus 2>/dev/null &&
		! insmod "$SG_KO" fail_mode=ajar 2>/dev/null &&
		! insmod "$SG_KO" lease_timeout_ms=5 2>/dev/null && ! sg_loaded
}
ktap_check "invalid parameters refuse the load" t_bad_params

ktap_check "load a third time" sg_load
ktap_check "no warning in dmesg" sg_dmesg_clean
sg_unload
ktap_finish
