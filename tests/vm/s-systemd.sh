#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# systemd in the VM (vm-run --mode systemd): systemd is PID 1, the boot
# completes, and a oneshot unit runs sovguardctl. A unit that fails must be
# seen failing, so that the oneshot check can tell the two apart.
SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/vm/lib.sh"

CTL=$SG_BUILD/sovguardctl
UNITDIR=/run/systemd/system

ktap_plan 5

t_pid1()
{
	local comm
	comm=$(cat /proc/1/comm)
	echo "PID 1 is '$comm'"
	[ "$comm" = systemd ]
}
ktap_check "PID 1 is systemd" t_pid1

t_running()
{
	local state
	state=$(timeout 180 systemctl is-system-running --wait)
	echo "system state: $state"
	case $state in
	running) return 0 ;;
	degraded)
		echo "# failed units:"
		systemctl --failed --no-legend --plain | sed 's/^/#   /'
		return 0
		;;
	esac
	return 1
}
if t_running; then
	ktap_ok "boot completed (running or degraded)"
else
	ktap_fail "boot completed (running or degraded)" \
		"is-system-running: $(systemctl is-system-running 2>&1)"
fi

# run_oneshot NAME CMD...: a oneshot unit from a unit file, started and
# waited for; succeeds when the unit ran CMD and it exited 0.
run_oneshot()
{
	local unit=$1.service result status
	shift
	cat >"$UNITDIR/$unit" <<-EOF
	[Unit]
	Description=sovguard VM test $unit

	[Service]
	Type=oneshot
	Environment=SG_BUILD=$SG_BUILD
	ExecStart=$*
	EOF
	systemctl daemon-reload || return 1
	systemctl start "$unit"
	result=$(systemctl show -P Result "$unit")
	status=$(systemctl show -P ExecMainStatus "$unit")
	echo "$unit: Result=$result ExecMainStatus=$status"
	journalctl -b -u "$unit" -o cat --no-pager 2>/dev/null | tail -n 20
	systemctl reset-failed "$unit" 2>/dev/null
	rm -f "$UNITDIR/$unit"
	systemctl daemon-reload
	[ "$result" = success ] && [ "$status" = 0 ]
}

t_failing_unit()
{
	! run_oneshot sg-vm-false /bin/false
}
ktap_check "a oneshot unit that exits 1 is reported failed" t_failing_unit

ktap_check "$CTL exists and is executable" test -x "$CTL"

ktap_check "oneshot unit runs 'sovguardctl status'" run_oneshot sg-vm-ctl "$CTL" status

ktap_finish
