#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installation pieces checked on the host, without a VM: the systemd unit
# (it parses, and `systemd-analyze security` rates its sandbox at most 2.0),
# `make install` / `make uninstall` into a DESTDIR, the bash completion, the
# manual pages, and the DKMS sources of sovguard-dkms built with dkms
# against every installed Debian cloud kernel's headers (6.1 and 6.12), as
# DKMS does on a kernel upgrade. The package's install, upgrade, remove and
# purge run in the VM (tests/vm/s-package.sh).
#
# Runs as $O/tests/host/ops (a wrapper that sets SG_SRC and SG_BUILD).
set -u
SRC=${SG_SRC:?}
O=${SG_BUILD:?}
. "$SRC/tests/lib/ktap.sh"

T=$(mktemp -d "$O/ops-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
VERSION=$(sed -n 's/^VERSION\t*:= *//p' "$SRC/Makefile")
KDIRS=$(ls -d /usr/src/linux-headers-*-cloud-amd64 2>/dev/null)

ktap_plan $((9 + $(echo "$KDIRS" | grep -c .)))

# The unit as `make install PREFIX=/usr` writes it, with the built binaries.
sed -e "s|@SBINDIR@|$O|g" -e 's|@DOCDIR@|/usr/share/doc/sovguard|g' \
	"$SRC/etc/sovguard.service.in" >"$T/sovguard.service"

t_unit_verify()
{
	local out
	out=$(cd "$T" && systemd-analyze verify --man=no ./sovguard.service 2>&1)
	echo "$out"
	[ -z "$out" ]
}
ktap_check "sovguard.service: systemd-analyze verify has nothing to say" t_unit_verify

t_unit_security()
{
	local out score
	out=$(cd "$T" && systemd-analyze security --offline=true ./sovguard.service 2>&1)
	score=$(echo "$out" | sed -n 's/.*Overall exposure level for sovguard.service: \([0-9.]*\).*/\1/p')
	echo "exposure: ${score:-none}"
	echo "$out" | grep '✗' | tail -n 3
	[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'
}
ktap_check "sovguard.service: systemd-analyze security rates it <= 2.0" t_unit_security

t_unit_settings()
{
	local u=$T/sovguard.service k
	for k in 'WatchdogSec=30s' 'Type=notify' 'ProtectSystem=strict' 'ReadWritePaths=/sys/fs/bpf' \
		'ProtectControlGroups=yes' 'MemoryDenyWriteExecute=yes' 'PrivateTmp=yes' \
		'ProtectHome=yes' 'LockPersonality=yes' 'RestrictNamespaces=yes' \
		'RestrictAddressFamilies=AF_UNIX AF_NETLINK' 'ExecStartPre=-+/sbin/modprobe sovguard' \
		'CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_SYS_ADMIN'; do
		grep -qxF "$k" "$u" || { echo "missing: $k"; return 1; }
	done
}
ktap_check "sovguard.service: watchdog, module, sandbox settings present" t_unit_settings

# make install / uninstall into a DESTDIR, as a packager or an admin would.
t_install()
{
	local d=$T/root list
	make -s -C "$SRC" O="$O" DESTDIR="$d" PREFIX=/usr install >"$T/install.log" 2>&1 ||
		{ tail -n 5 "$T/install.log"; return 1; }
	list=$(cd "$d" && find . -type f | sort | tr '\n' ' ')
	echo "$list"
	for f in ./usr/sbin/sovguardd ./usr/sbin/sovguardctl ./lib/systemd/system/sovguard.service \
		./etc/sovguard/sovguard.conf ./etc/sovguard/rules.d/50-default.rules \
		./usr/share/bash-completion/completions/sovguardctl \
		./usr/share/man/man8/sovguardd.8 ./usr/share/man/man8/sovguardctl.8 \
		./usr/share/man/man5/sovguard.conf.5 ./usr/share/man/man5/sovguard.rules.5 \
		./usr/share/doc/sovguard/README.md ./usr/share/doc/sovguard/operations.md; do
		[ -f "$d/$f" ] || { echo "missing $f"; return 1; }
	done
	grep -q "^ExecStart=/usr/sbin/sovguardd --foreground$" "$d/lib/systemd/system/sovguard.service" &&
		grep -qx 'mode = audit' "$d/etc/sovguard/sovguard.conf"
}
ktap_check "make install DESTDIR PREFIX=/usr: every file, unit paths, audit mode" t_install

t_reinstall_keeps_config()
{
	local d=$T/root
	echo 'mode = enforce' >"$d/etc/sovguard/sovguard.conf"
	rm "$d/etc/sovguard/rules.d/50-default.rules"
	echo 'deny to cn' >"$d/etc/sovguard/rules.d/10-mine.rules"
	make -s -C "$SRC" O="$O" DESTDIR="$d" PREFIX=/usr install >/dev/null 2>&1 &&
		grep -qx 'mode = enforce' "$d/etc/sovguard/sovguard.conf" &&
		[ ! -e "$d/etc/sovguard/rules.d/50-default.rules" ]
}
ktap_check "make install again keeps the configuration and rules" t_reinstall_keeps_config

t_uninstall()
{
	local d=$T/root left
	make -s -C "$SRC" O="$O" DESTDIR="$d" PREFIX=/usr uninstall >/dev/null 2>&1 || return 1
	left=$(cd "$d" && find . -type f | sort | tr '\n' ' ')
	echo "left: $left"
	[ "$left" = "./etc/sovguard/rules.d/10-mine.rules ./etc/sovguard/sovguard.conf " ]
}
ktap_check "make uninstall removes everything but the configuration" t_uninstall

t_local_prefix()
{
	local d=$T/local
	make -s -C "$SRC" O="$O" DESTDIR="$d" install >/dev/null 2>&1 &&
		[ -f "$d/usr/local/lib/systemd/system/sovguard.service" ] &&
		grep -q "^ExecStart=/usr/local/sbin/sovguardd --foreground$" \
			"$d/usr/local/lib/systemd/system/sovguard.service"
}
ktap_check "make install (PREFIX=/usr/local): the unit where systemd reads it" t_local_prefix

t_completion()
{
	bash -c '
		. /usr/share/bash-completion/bash_completion || exit 1
		. "$1" || exit 1
		c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"
		      COMP_POINT=${#COMP_LINE}; COMPREPLY=(); _sovguardctl; echo "${COMPREPLY[*]}"; }
		[ "$(c sovguardctl mo)" = "module mode" ] &&
		[ "$(c sovguardctl mode "")" = "enforce audit off config --help" ] &&
		[ "$(c sovguardctl -j check-c)" = check-config ] &&
		[ "$(c sovguardctl module mode "")" = "enforce audit off" ] &&
		[ "$(c sovguardctl module mode enforce fail "")" = "open closed" ] &&
		[ "$(c sovguardctl check 1.1.1.1 --proto "")" = "tcp udp" ] &&
		[ "$(c sovguardctl check 1.1.1.1 --rules /etc --expect "")" = "allow deny audit" ] &&
		[ "$(c sovguardctl check 1.1.1.1 --rules /etc --ex)" = "--exe --expect" ] &&
		[ "$(c sovguardctl check-config --d)" = "--data" ]
	' _ "$SRC/etc/completion/sovguardctl"
}
ktap_check "bash completion of sovguardctl: commands, module modes, options" t_completion

t_man()
{
	local p
	for p in sovguardd.8 sovguardctl.8 sovguard.conf.5 sovguard.rules.5; do
		MANWIDTH=80 man -l "$O/man/$p" 2>/dev/null | grep -q '^NAME' || { echo "$p"; return 1; }
	done
	# Every sovguardctl command has its entry in sovguardctl(8).
	for p in $("$O/sovguardctl" --help | sed -n 's/^  \([a-z-]*\) .*/\1/p'); do
		grep -Eq "^\*$p\*( |$)" "$SRC/docs/man/sovguardctl.8.scd" ||
			{ echo "sovguardctl $p undocumented"; return 1; }
	done
	# Every option of sovguardd --help in sovguardd(8).
	for p in $("$O/sovguardd" --help | grep -o -- '--[a-z-]*' | sort -u); do
		grep -Eq -- "^(\*-[a-zA-Z]\*, )?\*$p\*( |$)" "$SRC/docs/man/sovguardd.8.scd" ||
			{ echo "sovguardd $p undocumented"; return 1; }
	done
}
ktap_check "man pages render; every command and option of --help is documented" t_man

# DKMS: the sources as sovguard-dkms ships them (make install-dkms), built
# the way DKMS builds them after a kernel upgrade.
make -s -C "$SRC" O="$O" DESTDIR="$T/dkms" install-dkms >/dev/null 2>&1
for kd in $KDIRS; do
	kver=${kd#/usr/src/linux-headers-}
	t_dkms()
	{
		local ko
		[ -f "$T/dkms/usr/src/sovguard-$VERSION/dkms.conf" ] || { echo "no dkms.conf"; return 1; }
		mkdir -p "$T/dkmstree"
		dkms build -m sovguard -v "$VERSION" -k "$kver" --sourcetree "$T/dkms/usr/src" \
			--dkmstree "$T/dkmstree" --kernelsourcedir "$kd" >"$T/dkms-$kver.log" 2>&1 ||
			{ tail -n 20 "$T/dkms-$kver.log"; return 1; }
		ko=$(find "$T/dkmstree/sovguard/$VERSION/$kver" -name 'sovguard.ko*' | head -n1)
		[ -n "$ko" ] && modinfo "$ko" | grep -q "^version: *$VERSION$" &&
			modinfo "$ko" | grep -q "^vermagic: *$kver "
	}
	ktap_check "dkms build of sovguard-dkms's sources for $kver" t_dkms
done

ktap_finish
