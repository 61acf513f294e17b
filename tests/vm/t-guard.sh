#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bpf() guard on the VM's kernel (Debian 6.1 / 6.12, whose CONFIG_LSM
# ends in bpf: BPF LSM runs without an lsm= parameter). With the daemon
# running, bpftool's changes to its objects are refused with EPERM and
# status says "lsm": "active"; the refusals outlive a stopped daemon; a new
# daemon takes the guard over; `sovguardd --remove` ends it; with
# protect = off nothing is refused.
#
# Topology: probes run in the cgroup /sgguard and, each, in a fresh network
# namespace with only lo up (unshare -n): EPERM (exit 1) is a refusal,
# ENETUNREACH (exit 101) a connection let through; nothing leaves the VM.
SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/vm/lib.sh"
. "$SRC/tests/lib/probe.sh"

ktap_plan 14

CG=/sys/fs/cgroup/sgguard
PIN=/sys/fs/bpf/sgguard
DIR=$(mktemp -d /run/sg-guard-XXXXXX)
CTL=$SG_BUILD/sovguardctl
PID=

mkdir -p "$CG" "$DIR/rules.d"
printf '1.1.1.0/24 AU as13335\n9.9.9.0/24 CH as19281\n' >"$DIR/data.cidr"
echo 'deny to au' >"$DIR/rules.d/t.rules"
write_config()
{
	sg_daemon_conf /sgguard "$1"
}
write_config ""

cleanup()
{
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	"$SG_BUILD/sovguardd" --remove --stderr -c "$DIR/sovguard.conf" >/dev/null 2>&1
	rmdir "$CG" 2>/dev/null
	rm -rf "$DIR"
	# The suites after this one see the boot as it was.
	[ -z "$SECFS" ] || umount /sys/kernel/security
}
trap cleanup EXIT

# The initramfs boot does not mount securityfs; systemd does.
SECFS=
if [ ! -e /sys/kernel/security/lsm ]; then
	mount -t securityfs securityfs /sys/kernel/security && SECFS=1
fi

stop()
{
	kill -TERM "$PID" && wait "$PID"
	PID=
}

bstatus()
{
	"$CTL" --pin-root "$PIN" --run-dir "$DIR/run" status -j | jq -r ".bpf.$1"
}

lsm_is()
{
	local s
	s=$(bstatus lsm)
	echo "lsm: $s"
	[ "$s" = "$1" ]
}

# refused CMD...: bpftool fails with EPERM.
refused()
{
	local out
	out=$(bpftool "$@" 2>&1) && { echo "bpftool $*: succeeded"; return 1; }
	echo "$out"
	case $out in *"Operation not permitted"*) return 0 ;; esac
	return 1
}

t_lsm_listed()
{
	cat /sys/kernel/security/lsm
	grep -qw bpf /sys/kernel/security/lsm
}
ktap_check "the kernel runs BPF LSM ($(uname -r))" t_lsm_listed

sg_daemon_start
t_active()
{
	if sg_daemon_started && lsm_is active && grep -q "BPF LSM guard active" "$DIR/log"; then
		return 0
	fi
	grep -i "lsm\|guard" "$DIR/log"
	return 1
}
ktap_check "sovguardd starts with the guard; status says lsm active" t_active

t_detach()
{
	refused link detach pinned "$PIN/link_connect4" &&
		[ "$(bstatus links_attached)" = "$(bstatus "programs | length")" ] && sg_verdicts_are "$CG" 1.1.1.1 9.9.9.9
}
ktap_check "bpftool link detach of a hook's link is refused" t_detach

t_config()
{
	refused map update pinned "$PIN/sg_config" key 0 0 0 0 value 0 0 0 0 0 0 0 0 &&
		[ "$(bstatus mode)" = enforce ]
}
ktap_check "bpftool map update on sg_config is refused" t_config

t_policy()
{
	refused map delete pinned "$PIN/sg_policy" key 0 0 0 0 &&
		refused map delete pinned "$PIN/sg_policy" key 1 0 0 0 &&
		[ "$(bstatus policy.slot)" = 0 ]
}
ktap_check "bpftool map delete on sg_policy is refused" t_policy

# Observation is the detectors' sight: its links and maps are guarded alike.
t_observe()
{
	[ -e "$PIN/obs_exec" ] || { echo "no observation pins:" $(ls "$PIN"); grep -i observ "$DIR/log"; return 1; }
	refused link detach pinned "$PIN/obs_exec" &&
		refused link detach pinned "$PIN/obs_ingress" &&
		refused map update pinned "$PIN/sg_obs_config" key 0 0 0 0 \
			value 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 &&
		[ "$(bpftool -j link show pinned "$PIN/obs_exec" | jq -r .prog_id)" != null ]
}
ktap_check "bpftool on observation links and maps is refused" t_observe

t_alert()
{
	sg_wait_for 30 grep -q "ALERT tamper: bpf: .* refused" "$DIR/log"
	local r=$?
	grep "ALERT tamper: bpf" "$DIR/log" | head -n 3
	return $r
}
ktap_check "the daemon alerts on the refusals" t_alert

t_self()
{
	local prog map id key
	prog=$(bpftool -j link show pinned "$PIN/guard_link" | jq -r .prog_id)
	for id in $(bpftool -j prog show id "$prog" | jq -r '.map_ids[]'); do
		[ "$(bpftool -j map show id "$id" | jq -r .name)" = sg_guard_allow ] && map=$id
	done
	echo "allow map: ${map:-none}"
	# This shell's tgid made allowed: what an intruder would try first.
	read -r -a key <<<"$(($$ & 255)) $(($$ >> 8 & 255)) $(($$ >> 16 & 255)) $(($$ >> 24 & 255))"
	[ -n "$map" ] && refused map update id "$map" key "${key[@]}" value 1
}
ktap_check "the guard's own allow map is refused to bpftool" t_self

OLD=$(bpftool -j link show pinned "$PIN/guard_link" | jq -r .id)
stop
t_after_stop()
{
	lsm_is active && refused link detach pinned "$PIN/link_connect6" &&
		refused map update pinned "$PIN/sg_config" key 0 0 0 0 value 0 0 0 0 0 0 0 0
}
ktap_check "after SIGTERM the guard still refuses" t_after_stop

sg_daemon_start
t_restart()
{
	local new
	sg_daemon_started && lsm_is active || return 1
	new=$(bpftool -j link show pinned "$PIN/guard_link" | jq -r .id)
	echo "guard link $OLD -> $new"
	[ "$new" != "$OLD" ] && ! bpftool link show id "$OLD" >/dev/null 2>&1 &&
		refused map delete pinned "$PIN/sg_policy" key 0 0 0 0 &&
		sg_verdicts_are "$CG" 1.1.1.1 9.9.9.9
}
ktap_check "a new daemon takes the guard over (one guard, still refusing)" t_restart

t_unpin()
{
	rm "$PIN/guard_link" && sg_wait_for 20 test -e "$PIN/guard_link" &&
		refused link detach pinned "$PIN/link_connect4"
}
ktap_check "the guard's pin removed under a running daemon: pinned again" t_unpin

stop
t_remove()
{
	local id
	id=$(bpftool -j link show pinned "$PIN/guard_link" | jq -r .id)
	"$SG_BUILD/sovguardd" --remove --stderr -c "$DIR/sovguard.conf" || return 1
	! test -e "$PIN" && sg_wait_for 20 sh -c "! bpftool link show id $id >/dev/null 2>&1" &&
		lsm_is off
}
ktap_check "sovguardd --remove ends the guard with enforcement" t_remove

write_config "protect = off"
sg_daemon_start
t_off()
{
	sg_daemon_started && lsm_is off && grep -q "protect = off" "$DIR/log" &&
		bpftool map update pinned "$PIN/sg_config" key 0 0 0 0 value 0 0 0 0 0 0 0 0
}
ktap_check "protect = off: status says off, bpftool may write (the watchdog restores)" t_off

t_off_restored()
{
	sg_wait_for 20 grep -q "ALERT tamper: sg_config" "$DIR/log" &&
		[ "$(bstatus mode)" = enforce ]
}
ktap_check "... and the watchdog restores sg_config" t_off_restored
stop

ktap_finish
