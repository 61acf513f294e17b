#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sovguardd on the VM's kernel (Debian 6.1 / 6.12): the BPF programs load
# and decide there, and the daemon holds sovguard.ko's lease: a clean stop
# releases it, a crash lets it lapse and engages the guard, a new daemon
# takes it up again.
#
# Topology: probes run in the cgroup /sgvm and, each, in a fresh network
# namespace with only lo up (unshare -n): EPERM (exit 1) is a refusal,
# ENETUNREACH (exit 101) a connection let through; nothing leaves the VM.
SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/vm/lib.sh"
. "$SRC/tests/lib/probe.sh"

sg_require
ktap_plan 9

CG=/sys/fs/cgroup/sgvm
DIR=$(mktemp -d /run/sg-daemon-XXXXXX)
PID=

mkdir -p "$CG" "$DIR/rules.d"
printf '1.1.1.0/24 AU as13335\n9.9.9.0/24 CH as19281\n' >"$DIR/data.cidr"
echo 'deny to au' >"$DIR/rules.d/t.rules"
cat >"$DIR/sovguard.conf" <<CONF
mode = enforce
cgroup = /sgvm
pin_root = /sys/fs/bpf/sgvm
run_dir = $DIR/run
rules_dir = $DIR/rules.d
data = $DIR/data.cidr
data_unsigned = unsignable
lease_timeout_ms = 1500
scan_interval = 0
CONF

cleanup()
{
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	"$SG_BUILD/sovguardd" --remove --stderr -c "$DIR/sovguard.conf" >/dev/null 2>&1
	sg_unload
	rmdir "$CG" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT

probe()
{
	sg_probe_in "$CG" "$1"
}

lease_is()
{
	[ "$(sg_status lease)" = "$1" ]
}

guard_is()
{
	[ "$(sg_status guard)" = "$1" ]
}

ktap_check "insmod sovguard.ko" sg_load
sg_daemon_start
ktap_check "sovguardd starts on $(uname -r)" sg_daemon_started

ktap_check "the programs refuse and let through on $(uname -r)" \
	sg_verdicts_are "$CG" 1.1.1.1 9.9.9.9

t_lease_taken()
{
	sg_wait_for 100 lease_is valid &&
		[ "$(sg_status daemon_pid)" = "$PID" ] && [ "$(sg_status mode)" = enforce ]
}
ktap_check "the daemon holds the lease and set the module's mode" t_lease_taken

kill -TERM "$PID" && wait "$PID"
PID=
t_clean_stop()
{
	lease_is none && sleep 2 && guard_is idle
}
ktap_check "systemctl stop semantics: SIGTERM releases the lease, no guard" t_clean_stop

sg_daemon_start
sg_daemon_started && sg_wait_for 100 lease_is valid
kill -KILL "$PID"
wait "$PID" 2>/dev/null
PID=
t_crash()
{
	sg_wait_for 100 guard_is engaged && lease_is expired
}
ktap_check "a crashed daemon lets the lease lapse: the guard engages" t_crash


sg_daemon_start
t_takeover()
{
	sg_daemon_started && sg_wait_for 100 lease_is valid && sg_wait_for 50 guard_is idle
}
ktap_check "a new daemon takes the lease and releases the guard" t_takeover

t_scan_alert()
{
	# A netfilter hook of a module the configuration does not expect.
	insmod "$SG_TEST_KO" priority=-777 || return 1
	sed -i 's/^scan_interval = .*/scan_interval = 1\nhook_allow = nf_conntrack nf_defrag_ipv4 nf_defrag_ipv6/' \
		"$DIR/sovguard.conf"
	kill -HUP "$PID"
	sg_wait_for 300 grep -q 'alert: netfilter hook: .*sg_test_hook' "$DIR/log"
	local r=$?
	grep 'alert: netfilter hook' "$DIR/log" | head -n 3
	rmmod sg_test_hook
	return $r
}
ktap_check "the daemon's integrity scan alerts on an unexpected module's hook" t_scan_alert

t_log()
{
	grep -q "lease released" "$DIR/log" && grep -q "lease of 1500 ms taken" "$DIR/log"
}
ktap_check "the daemon logged take-over and release" t_log

ktap_finish
