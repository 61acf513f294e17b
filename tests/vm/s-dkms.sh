#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vm-timeout: 1500
#
# sovguard-dkms as an operator meets it, under systemd as PID 1: dpkg -i
# builds sovguard.ko through DKMS for the running kernel (and for the
# newest installed kernel when that is another one, as dkms' own postinst
# does), installs it under updates/dkms, and systemd-modules-load — the
# service that loads modules at boot — loads it from the package's
# modules-load.d entry; the kernel hook that DKMS installs builds it for a
# kernel installed later; the daemon's package finds the module and talks
# to it; remove and purge take the module files away.
#
# Compiling under TCG is slow (minutes a kernel): this suite has its own
# timeout. The packages come from `make deb` ($SG_BUILD/deb/).
set -u
SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
SG_BUILD=${SG_BUILD:?SG_BUILD must name the build directory}
. "$SRC/tests/lib/ktap.sh"

KVER=$(uname -r)
DKMS_DEB=$(ls "$SG_BUILD"/deb/sovguard-dkms_*_all.deb 2>/dev/null | tail -n1)
DEB=$(ls "$SG_BUILD"/deb/sovguard_*_amd64.deb 2>/dev/null | tail -n1)
VERSION=${DKMS_DEB##*/sovguard-dkms_}
VERSION=${VERSION%%_all.deb}
VERSION=${VERSION%%-*}
# Another kernel with headers, for the "new kernel installed" case.
OTHER=$(for d in /lib/modules/*/build; do
	k=$(basename "$(dirname "$d")")
	[ "$k" != "$KVER" ] && [ -e "$d/Makefile" ] && echo "$k"
done | tail -n1)
NT=9

ktap_plan $NT

if [ -z "$DKMS_DEB" ] || [ -z "$DEB" ] || [ "$(id -u)" -ne 0 ] ||
	! command -v dkms >/dev/null; then
	ktap_bail $NT "no sovguard-dkms/sovguard .deb in $SG_BUILD/deb (make deb), no dkms, or not root"
fi

rm -f /usr/sbin/policy-rc.d
rm -f /run/systemd/system/sovguard.service
systemctl daemon-reload

cleanup()
{
	systemctl stop sovguard 2>/dev/null
	[ ! -x /usr/sbin/sovguardd ] || /usr/sbin/sovguardd --remove >/dev/null 2>&1
	dpkg -P sovguard sovguard-dkms >/dev/null 2>&1
	rmmod sovguard 2>/dev/null
}
trap cleanup EXIT

# Another suite may have left the build tree's module loaded.
rmmod sovguard 2>/dev/null

ko_of()
{
	find "/lib/modules/$1/updates/dkms" -name 'sovguard.ko*' 2>/dev/null | head -n1
}

t_install()
{
	local start=$SECONDS
	timeout 180 systemctl is-system-running --wait >/dev/null
	dpkg -i "$DKMS_DEB" >"$SG_BUILD/vm/dkms-install.$$.log" 2>&1 ||
		{ tail -n 20 "$SG_BUILD/vm/dkms-install.$$.log"; return 1; }
	echo "dpkg -i sovguard-dkms: $((SECONDS - start)) s; dkms status: $(dkms status -m sovguard 2>/dev/null)"
	dkms status -m sovguard -k "$KVER" 2>/dev/null | grep -q "^sovguard/$VERSION, $KVER, [^:]*: installed" &&
		[ -n "$(ko_of "$KVER")" ]
}
ktap_check "dpkg -i sovguard-dkms: DKMS builds and installs sovguard.ko for the running kernel" t_install

t_modinfo()
{
	[ "$(modinfo -k "$KVER" -F version sovguard)" = "$VERSION" ] &&
		modinfo -k "$KVER" -n sovguard | grep -q /updates/dkms/
}
ktap_check "modinfo finds the DKMS module, at the package's version" t_modinfo

# What loads it at boot: systemd-modules-load.service reads modules-load.d.
t_boot_load()
{
	grep -qx sovguard /usr/lib/modules-load.d/sovguard.conf &&
		[ ! -d /sys/module/sovguard ] &&
		systemctl restart systemd-modules-load.service &&
		[ "$(systemctl show -p Result --value systemd-modules-load.service)" = success ] &&
		[ -d /sys/module/sovguard ] &&
		[ "$(cat /sys/module/sovguard/version)" = "$VERSION" ]
}
ktap_check "systemd-modules-load (the boot-time loader) loads it from modules-load.d" t_boot_load

t_daemon_sees_module()
{
	local n=300
	dpkg -i "$DEB" || return 1
	while [ $n -gt 0 ]; do
		systemctl is-active -q sovguard && [ -e /run/sovguard/sovguardd.pid ] && break
		sleep 0.2
		n=$((n - 1))
	done
	local st
	st=$(sovguardctl module status 2>&1)
	echo "$st" | head -n 3
	# The daemon holds the module's lease once it has published.
	n=100
	while [ $n -gt 0 ] && ! echo "$st" | grep -q '^lease: *valid'; do
		sleep 0.2
		st=$(sovguardctl module status 2>&1)
		n=$((n - 1))
	done
	echo "$st" | grep -q "^module: *sovguard.ko $VERSION," && echo "$st" | grep -q '^lease: *valid' 
}
ktap_check "the sovguard service starts, takes the module's lease; sovguardctl reaches it" t_daemon_sees_module

# The hook every kernel package runs after installing a kernel.
t_new_kernel()
{
	local start=$SECONDS
	if [ -z "$OTHER" ]; then
		echo "no other kernel with headers under /lib/modules"
		return 1
	fi
	if [ -z "$(ko_of "$OTHER")" ]; then
		/etc/kernel/postinst.d/dkms "$OTHER" >/dev/null || return 1
	fi
	echo "module for $OTHER after $((SECONDS - start)) s"
	dkms status -m sovguard -k "$OTHER" 2>/dev/null | grep -q ": installed" &&
		[ "$(modinfo -k "$OTHER" -F vermagic "$(ko_of "$OTHER")" | cut -d' ' -f1)" = "$OTHER" ]
}
ktap_check "a kernel installed later gets its own build (the kernel postinst hook)" t_new_kernel

t_remove()
{
	systemctl stop sovguard
	dpkg -r sovguard || return 1
	# The package's prerm unloads the module (the lease went with the
	# service); DKMS removes it from every kernel.
	[ -d /sys/module/sovguard ] || { echo "the module was not loaded before dpkg -r"; return 1; }
	dpkg -r sovguard-dkms || return 1
	[ ! -d /sys/module/sovguard ] && [ -z "$(ko_of "$KVER")" ] && [ -z "$(ko_of "$OTHER")" ] &&
		! dkms status -m sovguard 2>/dev/null | grep -q installed
}
ktap_check "dpkg -r sovguard-dkms unloads the module and removes it from every kernel" t_remove

ktap_check "modprobe no longer finds it" sh -c '! modprobe -n sovguard 2>/dev/null'

ktap_check "the modules-load.d entry went with the package" test ! -e /usr/lib/modules-load.d/sovguard.conf

t_purge()
{
	dpkg -P sovguard-dkms &&
		! dpkg-query -W -f '${Status}\n' sovguard-dkms 2>/dev/null | grep -qv not-installed &&
		[ ! -d "/usr/src/sovguard-$VERSION" ] && [ ! -d /var/lib/dkms/sovguard ]
}
ktap_check "dpkg -P: no sources and no DKMS tree left" t_purge

ktap_finish
