#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vm-timeout: 900
#
# The Debian package under systemd as PID 1, as an operator meets it:
# install (the hardened unit enabled and running, audit mode: nothing is
# refused), the move to enforce from the README, reload, an upgrade over the
# running service with probes all along (no gap: the new daemon adopts the
# pins), stop leaving the policy pinned, remove (enforcement ends,
# configuration stays) and purge (nothing left).
#
# The packages come from `make deb` ($SG_BUILD/deb/). dpkg works here because
# the VM's root is the host's, read-only, under a tmpfs overlay: every change
# vanishes at power-off. sovguard-dkms has a suite of its own (s-dkms.sh):
# DKMS compiling under TCG costs minutes.
#
# Topology: the service guards the whole system (cgroup /, as shipped);
# probes join /sys/fs/cgroup/sgpkg, each in a fresh network namespace with
# only lo up (unshare -n): exit 1 is EPERM (refused), 101 ENETUNREACH (let
# through); nothing leaves the VM. 8.8.8.8 (US) is outside the EEA,
# 193.0.6.139 (NL) inside, in the libloc database the package uses.
set -u
SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
SG_BUILD=${SG_BUILD:?SG_BUILD must name the build directory}
. "$SRC/tests/lib/ktap.sh"
. "$SRC/tests/lib/probe.sh"

OUT=8.8.8.8
IN=193.0.6.139
CG=/sys/fs/cgroup/sgpkg
DEB=${SG_PKG_DEB:-$(ls "$SG_BUILD"/deb/sovguard_*_amd64.deb 2>/dev/null | tail -n1)}
CONF=/etc/sovguard/sovguard.conf
PIN=/sys/fs/bpf/sovguard
WORK=$SG_BUILD/vm/pkg.$$

NT=15
ktap_plan $NT

if [ -z "$DEB" ] || [ "$(id -u)" -ne 0 ]; then
	ktap_bail $NT "no $SG_BUILD/deb/sovguard_*_amd64.deb (make deb) or not root"
fi

# The host is a container image whose policy-rc.d forbids service starts
# in maintainer scripts; a server has none. The overlay's copy goes.
rm -f /usr/sbin/policy-rc.d
# A unit that another suite left in /run would shadow the package's.
rm -f /run/systemd/system/sovguard.service
systemctl daemon-reload
mkdir -p "$CG" "$WORK"

cleanup()
{
	systemctl stop sovguard 2>/dev/null
	[ ! -x /usr/sbin/sovguardd ] || /usr/sbin/sovguardd --remove >/dev/null 2>&1
	dpkg -P sovguard >/dev/null 2>&1
	rmdir "$CG" 2>/dev/null
	rm -rf "$WORK"
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

wait_active()
{
	local n=600
	while [ $n -gt 0 ]; do
		[ "$(systemctl show -p ActiveState --value sovguard)" = active ] &&
			[ -e /run/sovguard/sovguardd.pid ] && return 0
		sleep 0.2
		n=$((n - 1))
	done
	systemctl status sovguard --no-pager 2>&1 | tail -n 20
	return 1
}

t_install()
{
	timeout 180 systemctl is-system-running --wait >/dev/null
	dpkg -i "$DEB" && wait_active && systemctl is-enabled sovguard &&
		sovguardctl status | grep -Eq "programs:  ([0-9]+) of \1 attached"
}
ktap_check "dpkg -i: sovguard.service enabled, started, programs attached" t_install

t_fresh_audit()
{
	grep -qx 'mode = audit' "$CONF" && sovguardctl status | grep -Eq '^mode: +audit' &&
		[ "$(probe $OUT)" = 101 ] && [ "$(probe $IN)" = 101 ]
}
ktap_check "a fresh install is in audit mode: nothing is refused" t_fresh_audit

t_audit_logged()
{
	local n=100
	while [ $n -gt 0 ]; do
		journalctl -u sovguard -o json --no-pager |
			grep '"SG_DEST":"8.8.8.8"' | grep -q '"SG_VERDICT":"audit"' && return 0
		sleep 0.2
		n=$((n - 1))
	done
	journalctl -u sovguard --no-pager | tail -n 5
	return 1
}
ktap_check "what would be refused is in the journal (SG_VERDICT=audit)" t_audit_logged

t_hardened()
{
	local score
	score=$(systemd-analyze security sovguard --no-pager 2>/dev/null |
		sed -n 's/.*Overall exposure level for sovguard.service: \([0-9.]*\).*/\1/p')
	echo "exposure $score, WatchdogUSec=$(systemctl show -p WatchdogUSec --value sovguard)"
	[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' &&
		[ "$(systemctl show -p WatchdogUSec --value sovguard)" = 30s ] &&
		[ "$(systemctl show -p ProtectSystem --value sovguard)" = strict ]
}
ktap_check "the running unit: exposure <= 2.0, watchdog 30s, ProtectSystem=strict" t_hardened

t_status_text()
{
	systemctl show -p StatusText --value sovguard | grep -Eq '^mode audit, [0-9]+ rules, generation [0-9]+, data [0-9]+ days old( \(stale\))?$'
}
ktap_check "systemctl status shows mode, rules and generation (STATUS=)" t_status_text

# Group sovguard (postinst) reads through the control socket; only root
# changes anything; others are refused.
t_control_group()
{
	local as_member="setpriv --reuid=65534 --regid=65534 --groups=sovguard"
	echo "group: $(getent group sovguard); socket: $(stat -c '%U:%G %a' /run/sovguard/control);" \
		"dir: $(stat -c '%U:%G %a' /run/sovguard); as member:" \
		"$($as_member sovguardctl metrics 2>&1 | grep -e error -e denied -e sovguard_mode | head -n 3)"
	getent group sovguard >/dev/null &&
		[ "$(stat -c '%U:%G %a' /run/sovguard/control)" = "root:sovguard 660" ] &&
		! setpriv --reuid=65534 --regid=65534 --clear-groups sovguardctl metrics \
			>/dev/null 2>&1 &&
		$as_member sovguardctl metrics | grep -qx 'sovguard_mode{mode="audit"} 1' &&
		$as_member sovguardctl reload 2>&1 | grep -q "permission denied: 'reload' needs root"
}
ktap_check "group sovguard reads status and metrics, only root reloads" t_control_group

# The README's way to enforce.
t_enforce()
{
	local n=300
	sed -i 's/^mode = audit$/mode = enforce/' "$CONF" || return 1
	if ! systemctl reload sovguard; then
		journalctl -u sovguard -n 5 --no-pager
		return 1
	fi
	# systemctl reload returns once ExecReload has sent SIGHUP; the daemon
	# reloads the world's database after that (seconds under TCG).
	while [ $n -gt 0 ] && ! systemctl show -p StatusText --value sovguard | grep -q '^mode enforce'; do
		sleep 0.1
		n=$((n - 1))
	done
	echo "StatusText: $(systemctl show -p StatusText --value sovguard)"
	systemctl show -p StatusText --value sovguard | grep -q '^mode enforce' &&
		sg_verdicts_are "$CG" $OUT $IN
}
ktap_check "mode = enforce and systemctl reload: outside the EEA is refused" t_enforce

# An upgrade: the same package as a newer version.
t_upgrade()
{
	local old new ver pp=$WORK/probes rc=0
	ver=$(dpkg-deb -f "$DEB" Version)
	dpkg-deb -R "$DEB" "$WORK/deb" &&
		sed -i "s/^Version: .*/Version: $ver+t1/" "$WORK/deb/DEBIAN/control" &&
		dpkg-deb -Zgzip -b "$WORK/deb" "$WORK/new.deb" >/dev/null || return 1
	old=$(mainpid)
	: >"$pp"
	(
		while [ ! -e "$WORK/stop" ]; do
			probe $OUT >>"$pp"
		done
	) &
	local loop=$!
	sleep 1
	dpkg -i "$WORK/new.deb" || rc=1
	wait_active || rc=1
	sleep 1
	touch "$WORK/stop"
	wait $loop
	new=$(mainpid)
	echo "daemon $old -> $new, $(wc -l <"$pp") probes, verdicts: $(sort "$pp" | uniq -c | tr '\n' ' ')"
	[ $rc -eq 0 ] && [ "$new" != "$old" ] &&
		[ "$(dpkg-query -W -f '${Version}' sovguard)" = "$ver+t1" ] &&
		[ -s "$pp" ] && [ -z "$(grep -vx 1 "$pp")" ]
}
ktap_check "upgrade over the running service: restarted, every probe refused throughout" t_upgrade

t_conffile_kept()
{
	grep -qx 'mode = enforce' "$CONF" && sg_verdicts_are "$CG" $OUT $IN
}
ktap_check "the upgrade kept the edited sovguard.conf (a conffile)" t_conffile_kept

t_stop()
{
	systemctl stop sovguard && ! systemctl is-active sovguard && [ -d "$PIN" ] &&
		[ "$(probe $OUT)" = 1 ]
}
ktap_check "systemctl stop: the policy stays pinned and enforced" t_stop

t_restart()
{
	systemctl start sovguard && wait_active && sg_verdicts_are "$CG" $OUT $IN
}
ktap_check "systemctl start adopts the pins" t_restart

t_remove()
{
	dpkg -r sovguard && [ ! -e /usr/sbin/sovguardd ] && [ ! -d "$PIN" ] &&
		! systemctl is-active sovguard && [ "$(probe $OUT)" = 101 ]
}
ktap_check "dpkg -r: the service stops and enforcement ends" t_remove

ktap_check "dpkg -r keeps the configuration" test -f "$CONF"

t_purge()
{
	dpkg -P sovguard && [ ! -e /etc/sovguard ] && [ ! -e /var/lib/sovguard ] &&
		! dpkg-query -W sovguard 2>/dev/null
}
ktap_check "dpkg -P removes configuration and state" t_purge

ktap_check "no unit left behind" sh -c '! systemctl cat sovguard >/dev/null 2>&1'

ktap_finish
