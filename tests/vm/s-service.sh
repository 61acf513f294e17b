#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sovguard.service under systemd as PID 1, the way an operator runs it:
# start, status, a policy enforced, reload with new rules, a reload with a
# broken rules file rejected (the running policy stays), decisions in the
# journal, stop (enforcement stays pinned, the module's lease released), and
# a crash that systemd restarts (the new daemon takes the lease again).
#
# Topology: the service guards the cgroup /sgsvc only; probes join it, each
# in a fresh network namespace with only lo up (unshare -n): exit 1 is
# EPERM (refused), 101 ENETUNREACH (let through); nothing leaves the VM.
SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/vm/lib.sh"
. "$SRC/tests/lib/probe.sh"

sg_require
ktap_plan 12

CG=/sys/fs/cgroup/sgsvc
RULES=/etc/sovguard/rules.d/t.rules

mkdir -p "$CG" /etc/sovguard/rules.d /var/lib/sovguard
install -m 0755 "$SG_BUILD/sovguardd" "$SG_BUILD/sovguardctl" /usr/local/sbin/
printf '1.1.1.0/24 AU as13335\n9.9.9.0/24 CH as19281\n' >/var/lib/sovguard/test.cidr
echo 'deny to au name no-au' >"$RULES"
cat >/etc/sovguard/sovguard.conf <<CONF
mode = enforce
cgroup = /sgsvc
data = /var/lib/sovguard/test.cidr
data_unsigned = unsignable
lease_timeout_ms = 3000
scan_interval = 0
CONF
sed -e 's|@SBINDIR@|/usr/local/sbin|g' -e 's|@DOCDIR@|/usr/local/share/doc/sovguard|g' \
	"$SRC/etc/sovguard.service.in" >/run/systemd/system/sovguard.service
systemctl daemon-reload

cleanup()
{
	systemctl stop sovguard 2>/dev/null
	/usr/local/sbin/sovguardd --remove >/dev/null 2>&1
	sg_unload
	rmdir "$CG" 2>/dev/null
}
trap cleanup EXIT

probe()
{
	sg_probe_in "$CG" "$1"
}

mainpid()
{
	systemctl show -p MainPID --value sovguard
}

ktap_check "insmod sovguard.ko" sg_load

t_start()
{
	systemctl start sovguard && systemctl is-active sovguard &&
		sovguardctl status | grep -Eq "programs:  ([0-9]+) of \1 attached"
}
ktap_check "systemctl start sovguard; status shows the programs" t_start

ktap_check "the policy is enforced" sg_verdicts_are "$CG" 1.1.1.1 9.9.9.9

# The bpf() guard loads with the unit's capabilities (Debian's kernels run
# BPF LSM; tests/vm/t-guard.sh tests it in detail).
t_bpf_guard()
{
	local out
	[ "$(sovguardctl status -j | jq -r .bpf.lsm)" = active ] || return 1
	out=$(bpftool map update pinned "$(sovguardctl status -j | jq -r .bpf.pin_root)/sg_config" \
		key 0 0 0 0 value 0 0 0 0 0 0 0 0 2>&1) && return 1
	echo "$out"
	case $out in *"Operation not permitted"*) return 0 ;; esac
	return 1
}
ktap_check "the service runs the bpf() guard: bpftool may not write sg_config" t_bpf_guard

t_journal()
{
	sg_wait_for 50 sh -c "journalctl -u sovguard -o json | grep -q '\"SG_RULE\":\"t.rules:1 no-au\"'" &&
		journalctl -u sovguard -o json | grep '"SG_VERDICT":"deny"' | grep -q '"SG_DEST":"1.1.1.1"'
}
ktap_check "the decision is in the journal with its fields" t_journal

t_reload()
{
	echo 'deny to ch' >"$RULES"
	systemctl reload sovguard && sg_verdicts_are "$CG" 9.9.9.9 1.1.1.1
}
ktap_check "systemctl reload applies new rules" t_reload

t_bad_reload()
{
	echo 'deny to xx' >"$RULES"
	! systemctl reload sovguard && systemctl is-active sovguard &&
		sg_verdicts_are "$CG" 9.9.9.9 1.1.1.1
}
ktap_check "a broken rules file is refused by reload; the running policy stays" t_bad_reload
echo 'deny to ch' >"$RULES"

t_lease()
{
	sg_wait_for 100 sh -c "[ \"\$(sovguardctl module status -j | jq -r .lease)\" = valid ]" &&
		[ "$(sg_status daemon_pid)" = "$(mainpid)" ]
}
ktap_check "the service holds the module's lease" t_lease

t_crash()
{
	local old
	old=$(mainpid)
	kill -KILL "$old"
	sg_wait_for 100 sh -c "[ \"\$(systemctl show -p MainPID --value sovguard)\" != $old ] &&
		[ \"\$(systemctl show -p MainPID --value sovguard)\" != 0 ]" &&
		sg_wait_for 100 sh -c "[ \"\$(sovguardctl module status -j | jq -r .daemon_pid)\" = \"\$(systemctl show -p MainPID --value sovguard)\" ]" &&
		[ "$(probe 9.9.9.9)" = 1 ]
}
ktap_check "a crashed daemon is restarted and takes the lease again" t_crash
ktap_check "the restarted daemon took the bpf() guard over" t_bpf_guard

t_stop()
{
	systemctl stop sovguard && ! systemctl is-active sovguard &&
		[ "$(sg_status lease)" = none ] && [ "$(sg_status guard)" = idle ]
}
ktap_check "systemctl stop releases the lease; the guard stays idle" t_stop

ktap_check "after stop the pinned policy still decides" sg_verdicts_are "$CG" 9.9.9.9 1.1.1.1

ktap_finish
