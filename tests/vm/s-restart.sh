#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vm-timeout: 600
#
# Restarts and crashes under systemd never open a gap (the systemd variant
# of tests/host/restart.c, with fewer cycles): a prober in the guarded
# cgroup tries a denied connection every millisecond while the service is
# cycled SG_VM_RESTART_CYCLES times (default 12) through
#
#   systemctl restart;
#   kill -9 of the main process (a crash), which systemd restarts;
#   systemctl stop, then start;
#   a real OOM kill: MemoryMax= lowered under the daemon's usage makes the
#   kernel's OOM killer end it (Result=oom-kill), then lifted again;
#
# and not one try may get through. Every cycle ends with the service ready
# (a new main process, the control socket answering) and the prober seen
# trying. Pins and links on the cgroup stay the same in number.
#
# Topology: the service guards /sgrst; the prober joins it in a network
# namespace with only lo up (EPERM: refused; ENETUNREACH: a gap).
SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
SG_BUILD=${SG_BUILD:?SG_BUILD must name the build directory}
. "$SRC/tests/lib/ktap.sh"

CYCLES=${SG_VM_RESTART_CYCLES:-12}
CG=/sys/fs/cgroup/sgrst
PIN=/sys/fs/bpf/sovguard
WORK=$SG_BUILD/vm/restart.$$
COUNTS=$WORK/counts
NT=5

ktap_plan $NT

if [ "$(id -u)" -ne 0 ] || [ ! -x "$SG_BUILD/sovguardd" ] || [ ! -x "$SG_BUILD/tests/sg-probe" ]; then
	ktap_bail $NT "no $SG_BUILD/sovguardd or tests/sg-probe (make all tests), or not root"
fi

mkdir -p "$CG" "$WORK" /etc/sovguard/rules.d /var/lib/sovguard
install -m 0755 "$SG_BUILD/sovguardd" "$SG_BUILD/sovguardctl" /usr/local/sbin/
printf '1.1.1.0/24 AU as13335\n9.9.9.0/24 CH as19281\n' >/var/lib/sovguard/test.cidr
echo 'deny to au name no-au' >/etc/sovguard/rules.d/t.rules
cat >/etc/sovguard/sovguard.conf <<CONF
mode = enforce
cgroup = /sgrst
data = /var/lib/sovguard/test.cidr
data_unsigned = unsignable
scan_interval = 0
CONF
sed -e 's|@SBINDIR@|/usr/local/sbin|g' -e 's|@DOCDIR@|/usr/local/share/doc/sovguard|g' \
	"$SRC/etc/sovguard.service.in" >/run/systemd/system/sovguard.service
systemctl daemon-reload

prober=
cleanup()
{
	touch "$COUNTS.stop"
	[ -z "$prober" ] || wait "$prober" 2>/dev/null
	systemctl set-property --runtime sovguard MemoryMax=infinity 2>/dev/null
	systemctl stop sovguard 2>/dev/null
	/usr/local/sbin/sovguardd --remove >/dev/null 2>&1
	rm -f /run/systemd/system/sovguard.service
	rm -rf /run/systemd/system.control/sovguard.service.d
	systemctl daemon-reload
	rmdir "$CG" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

mainpid()
{
	systemctl show -p MainPID --value sovguard
}

tries()
{
	local t
	read -r t _ <"$COUNTS" 2>/dev/null && echo "${t:-0}" || echo 0
}

# ready OLD-PID: the service is active with another main process than
# OLD-PID, and that process answers on the control socket.
ready()
{
	local n=600 pid
	while [ $n -gt 0 ]; do
		pid=$(mainpid)
		if [ "$(systemctl show -p ActiveState --value sovguard)" = active ] &&
			[ "$pid" != 0 ] && [ "$pid" != "$1" ] &&
			sovguardctl status -j 2>/dev/null | jq -e ".daemon.pid == $pid" >/dev/null; then
			return 0
		fi
		sleep 0.1
		n=$((n - 1))
	done
	systemctl status sovguard --no-pager 2>&1 | tail -n 10
	return 1
}

# The prober made at least one more try than @1.
tried_since()
{
	local n=300
	while [ $n -gt 0 ]; do
		[ "$(tries)" -gt "$1" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

links_on_cg()
{
	bpftool -j cgroup show "$CG" 2>/dev/null | jq length
}

t_start()
{
	systemctl start sovguard && ready 0
}
ktap_check "systemctl start: the service is ready" t_start

pins0=$(find "$PIN" -mindepth 1 | wc -l)
links0=$(links_on_cg)

unshare -n sh -c "ip link set lo up; echo \$\$ > $CG/cgroup.procs; exec $SG_BUILD/tests/sg-probe loop 1.1.1.1 443 $COUNTS" &
prober=$!

t_prober()
{
	tried_since 0 && [ "$(cut -d' ' -f2 "$COUNTS")" = 0 ]
}
ktap_check "the prober is refused (deny to au)" t_prober

cycle()
{
	local kind=$1 old before
	old=$(mainpid)
	before=$(tries)
	# Starts in quick succession would hit the unit's start rate limit.
	systemctl reset-failed sovguard 2>/dev/null
	case $kind in
	0) systemctl restart sovguard || return 1 ;;
	1) kill -KILL "$old" || return 1 ;;
	2) systemctl stop sovguard && systemctl start sovguard || return 1 ;;
	3)
		systemctl set-property --runtime sovguard MemoryMax=512K || return 1
		sg_wait_oom "$old" || return 1
		oom=$((oom + 1))
		systemctl set-property --runtime sovguard MemoryMax=infinity || return 1
		systemctl reset-failed sovguard 2>/dev/null
		systemctl start sovguard || return 1
		;;
	esac
	ready "$old" && tried_since "$before"
}

# The kernel's OOM killer ended @1 and systemd says so.
sg_wait_oom()
{
	local n=300
	while [ $n -gt 0 ]; do
		[ ! -d "/proc/$1" ] &&
			[ "$(systemctl show -p Result --value sovguard)" = oom-kill ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "MemoryMax=512K: pid $1 $([ -d "/proc/$1" ] && echo alive || echo gone)," \
		"Result=$(systemctl show -p Result --value sovguard)"
	return 1
}

oom=0
t_cycles()
{
	local i start=$SECONDS
	for i in $(seq 0 $((CYCLES - 1))); do
		cycle $((i % 4)) || { echo "cycle $i (kind $((i % 4))) failed"; return 1; }
	done
	echo "$CYCLES cycles in $((SECONDS - start)) s, $oom of $((CYCLES / 4)) ended by the OOM killer (Result=oom-kill), $(tries) tries"
	[ $oom -eq $((CYCLES / 4)) ]
}
ktap_check "$CYCLES cycles of restart, kill -9, stop/start and OOM kill: ready after each" t_cycles

# ktap_check runs its test in a subshell, which cannot wait for the prober.
touch "$COUNTS.stop"
wait "$prober"
prober_rc=$?
prober=
t_no_gap()
{
	echo "tries, got through: $(cat "$COUNTS"); prober exit $prober_rc"
	[ $prober_rc -eq 0 ] && [ "$(cut -d' ' -f2 "$COUNTS")" = 0 ] && [ "$(tries)" -gt "$CYCLES" ]
}
ktap_check "not one try got through" t_no_gap

t_no_leak()
{
	local pins links
	pins=$(find "$PIN" -mindepth 1 | wc -l)
	links=$(links_on_cg)
	echo "pins $pins0 -> $pins, links on the cgroup $links0 -> $links"
	[ "$pins" = "$pins0" ] && [ "$links" = "$links0" ]
}
ktap_check "no pin and no link leaked" t_no_leak

ktap_finish
