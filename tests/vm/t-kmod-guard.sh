#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fail-safe guard. A fake daemon renews a short lease; when it stops,
# new connections from a network namespace to the test host are dropped,
# while loopback, an allow-listed address and an established connection keep
# working; renewal releases the guard; fail mode "open" counts but passes;
# unloading the module while the guard is engaged restores traffic.
#
#   netns sgc (client)                      netns sgs (test host)
#   +--------------------------+            +---------------------------------+
#   | sgc0 10.99.0.1/24        |<--veth---->| sgs0 10.99.0.2/24  fd99::2/64    |
#   |      fd99::1/64          |            |      10.99.1.2/24 (allow-listed) |
#   | lo: sg_tcp listen :8081  |            | sg_tcp listen :8080 (v4, v6)    |
#   +--------------------------+            +---------------------------------+
SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/vm/lib.sh"

LEASE_MS=2000
TMP=$(mktemp -d)
daemon_pid=
pids=()

cleanup()
{
	[ -z "$daemon_pid" ] || kill "$daemon_pid" 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del sgc 2>/dev/null
	ip netns del sgs 2>/dev/null
	sg_unload 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

sg_require
ktap_plan 17
sg_dmesg_mark

# Background processes write to files: ktap_check's $(...) would wait for them.
setup()
{
	# explicit: module autoload may not reach a chroot's /lib/modules
	modprobe veth 2>/dev/null
	ip netns add sgc && ip netns add sgs &&
		ip link add sgc0 netns sgc type veth peer name sgs0 netns sgs &&
		ip -n sgc link set lo up && ip -n sgs link set lo up &&
		ip -n sgc addr add 10.99.0.1/24 dev sgc0 &&
		ip -n sgc addr add fd99::1/64 dev sgc0 nodad &&
		ip -n sgs addr add 10.99.0.2/24 dev sgs0 &&
		ip -n sgs addr add 10.99.1.2/24 dev sgs0 &&
		ip -n sgs addr add fd99::2/64 dev sgs0 nodad &&
		ip -n sgc link set sgc0 up && ip -n sgs link set sgs0 up &&
		ip -n sgc route add 10.99.1.0/24 dev sgc0 || return 1
	ip netns exec sgs "$SG_TCP" listen 0.0.0.0 8080 >>"$TMP/listen.log" 2>&1 &
	pids+=($!)
	ip netns exec sgs "$SG_TCP" listen :: 8080 >>"$TMP/listen.log" 2>&1 &
	pids+=($!)
	ip netns exec sgc "$SG_TCP" listen 127.0.0.1 8081 >>"$TMP/listen.log" 2>&1 &
	pids+=($!)
	sg_wait_for 50 ip netns exec sgc "$SG_TCP" connect 10.99.0.2 8080 >/dev/null
}

conn()
{
	ip netns exec sgc "$SG_TCP" connect "$@"
}

refused()
{
	local out
	out=$(conn "$@")
	echo "$out"
	[ "$out" != ok ]
}

fake_daemon_start()
{
	(
		while :; do
			"$SG_CTL" module lease renew "$LEASE_MS" 7 || exit 1
			sleep 0.2
		done
	) >>"$TMP/daemon.log" 2>&1 &
	daemon_pid=$!
}

lease_valid()
{
	sg_wait_for 100 eval '[ "$(sg_status lease)" = valid ]' || {
		cat "$TMP/daemon.log"
		return 1
	}
}

fake_daemon_stop()
{
	kill "$daemon_pid" && wait "$daemon_pid" 2>/dev/null
	daemon_pid=
	return 0
}

ktap_check "load in enforce mode, fail closed" sg_load mode=enforce fail_mode=closed
ktap_check "topology and listeners" setup
ktap_check "emergency allow-list set" "$SG_CTL" module allow set 10.99.1.0/24 fd99:1::/64
# started here, not in ktap_check's subshell, so that daemon_pid is ours
fake_daemon_start
ktap_check "fake daemon renews a ${LEASE_MS} ms lease" lease_valid
ktap_check "connections pass while the lease holds" \
	eval 'conn 10.99.0.2 8080 && conn fd99::2 8080 && [ "$(sg_status guard)" = idle ]'

# An established connection, exercised only after the guard engages.
ip netns exec sgc "$SG_TCP" hold 10.99.0.2 8080 "$TMP/go" >"$TMP/hold.out" &
hold_pid=$!
sleep 0.5

lapse_mark=$(dmesg | wc -l)
fake_daemon_stop
t_engaged()
{
	sg_wait_for 100 eval '[ "$(sg_status guard)" = engaged ]' &&
		[ "$(sg_status lease)" = expired ]
}
ktap_check "lease lapses, guard engages" t_engaged

dropped0=$(sg_counter dropped)
ktap_check "new IPv4 connection to the test host is dropped" refused 10.99.0.2 8080
ktap_check "new IPv6 connection to the test host is dropped" refused fd99::2 8080
ktap_check "drops are counted" eval '[ "$(sg_counter dropped)" -gt "$dropped0" ]'
ktap_check "loopback still works" conn 127.0.0.1 8081
ktap_check "allow-listed address still works" conn 10.99.1.2 8080

t_established()
{
	touch "$TMP/go"
	wait "$hold_pid"
	cat "$TMP/hold.out"
	[ "$(cat "$TMP/hold.out")" = ok ]
}
ktap_check "established connection is not cut" t_established

t_logged_once()
{
	sg_dmesg_since "$lapse_mark" | grep sovguard
	[ "$(sg_dmesg_since "$lapse_mark" | grep -c 'guard engaged')" -eq 1 ]
}
ktap_check "transition logged once" t_logged_once

t_renew()
{
	"$SG_CTL" module lease renew 60000 8 && [ "$(sg_status guard)" = idle ] &&
		conn 10.99.0.2 8080
}
ktap_check "renewal releases the guard, traffic resumes" t_renew

t_open()
{
	local would0
	"$SG_CTL" module fail-mode open && "$SG_CTL" module lease renew 200 9 || return 1
	sg_wait_for 100 eval '[ "$(sg_status guard)" = open ]' || return 1
	would0=$(sg_counter would_drop)
	conn 10.99.0.2 8080 && [ "$(sg_counter would_drop)" -gt "$would0" ]
}
ktap_check "fail mode open: lapse counts but passes" t_open

t_unload_engaged()
{
	"$SG_CTL" module fail-mode closed &&
		sg_wait_for 50 eval '[ "$(sg_status guard)" = engaged ]' &&
		refused 10.99.0.2 8080 && rmmod sovguard && conn 10.99.0.2 8080
}
ktap_check "unloading while engaged restores traffic" t_unload_engaged
ktap_check "no warning in dmesg" sg_dmesg_clean
ktap_finish
