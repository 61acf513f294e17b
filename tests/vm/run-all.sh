#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every VM suite, one after the other, inside the VM (scripts/vm-run).
#
# usage: run-all.sh [--systemd] [--list]
#
# A suite is an executable tests/vm/t-*.sh of the source tree or any
# executable file in $SG_BUILD/tests/vm/ (kselftest binaries); with
# --systemd, the executable tests/vm/s-*.sh instead (they need systemd as
# PID 1). Each prints kselftest/KTAP output ending in a "# Totals:" line;
# scripts/check.sh counts those lines, and a suite that crashes or times out
# leaves its line out and so counts as failed.
#
# Before the suites comes "vm-env", a suite of this script that checks the
# VM itself (kernel, root, mounts), so that every boot owes at least one
# Totals line. --list prints the suite names, one a line, on the host as in
# the VM: check.sh takes the number of Totals lines it expects from it.
#
# Each suite runs under SG_VM_SUITE_TIMEOUT seconds (default 300); a shell
# suite that needs more says so in a comment among its first 20 lines:
#   # vm-timeout: 900
# --budget prints the sum of the timeouts, for the VM's own timeout.
#
# Environment: SG_SRC, SG_BUILD (set by vm-run), SG_VM_KVER (the kernel the
# VM should be running), SG_VM_SUITE_TIMEOUT.
set -uo pipefail

SG_SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
SG_BUILD=${SG_BUILD:-$SG_SRC/build}
export SG_SRC SG_BUILD
suite_tmo=${SG_VM_SUITE_TIMEOUT:-300}
systemd=0
list=0
budget=0

while [ $# -gt 0 ]; do
	case $1 in
	--systemd) systemd=1 ;;
	--list) list=1 ;;
	--budget) budget=1 ;;
	*) echo "usage: run-all.sh [--systemd] [--list|--budget]" >&2; exit 2 ;;
	esac
	shift
done

suites()
{
	local f
	if [ "$systemd" -eq 1 ]; then
		for f in "$SG_SRC"/tests/vm/s-*.sh; do
			[ -f "$f" ] && [ -x "$f" ] && echo "$f"
		done
	else
		for f in "$SG_SRC"/tests/vm/t-*.sh "$SG_BUILD"/tests/vm/*; do
			[ -f "$f" ] && [ -x "$f" ] && echo "$f"
		done
	fi
	return 0
}

# suite_timeout FILE: its "# vm-timeout: N" or the default.
suite_timeout()
{
	local t
	t=$(head -n 20 "$1" 2>/dev/null | tr -d '\0' |
		sed -n 's/^# *vm-timeout: *\([0-9][0-9]*\) *$/\1/p' | head -n1)
	echo "${t:-$suite_tmo}"
}

if [ "$list" -eq 1 ]; then
	echo vm-env
	suites
	exit 0
fi
if [ "$budget" -eq 1 ]; then
	total=60
	while read -r s; do
		total=$((total + $(suite_timeout "$s")))
	done < <(suites)
	echo "$total"
	exit 0
fi

. "$SG_SRC/tests/lib/ktap.sh"

fstype()
{
	awk -v m="$1" '$2 == m { t = $3 } END { print t }' /proc/mounts
}

# vm-env: the VM is the one we asked for, and what the suites rely on is
# there. Run in a subshell so that its KTAP counters stay its own.
vm_env()
{
	local kver=${SG_VM_KVER:-}

	echo "# === vm-env"
	ktap_plan 7
	if [ -z "$kver" ]; then
		ktap_skip "kernel release" "SG_VM_KVER not set"
	elif [ "$(uname -r)" = "$kver" ]; then
		ktap_ok "kernel release $kver"
	else
		ktap_fail "kernel release" "running $(uname -r), wanted $kver"
	fi
	ktap_check "modules of the running kernel (modules.dep)" \
		test -s "/lib/modules/$(uname -r)/modules.dep"
	ktap_check "root is the overlay over the host" test "$(fstype /)" = overlay
	ktap_check "build directory $SG_BUILD" test -d "$SG_BUILD"
	ktap_check "bpffs at /sys/fs/bpf" test "$(fstype /sys/fs/bpf)" = bpf
	ktap_check "module autoload (veth pair)" \
		sh -c 'ip link add sg-env0 type veth peer name sg-env1 && ip link del sg-env0'
	if [ "$systemd" -eq 1 ]; then
		ktap_check "PID 1 is systemd" grep -qx systemd /proc/1/comm
	else
		ktap_check "cgroup2 at /sys/fs/cgroup" test "$(fstype /sys/fs/cgroup)" = cgroup2
	fi
	ktap_finish
}

failed=0
(vm_env) || failed=$((failed + 1))

mapfile -t all < <(suites)
for s in "${all[@]}"; do
	name=${s#"$SG_SRC"/}
	name=${name#"$SG_BUILD"/}
	echo "# === $name"
	start=$SECONDS
	tmo=$(suite_timeout "$s")
	(cd "$SG_BUILD" && exec timeout --kill-after=10 "$tmo" "$s") </dev/null
	rc=$?
	case $rc in
	0) ;;
	124 | 137) echo "# $name: timed out after ${tmo}s"; failed=$((failed + 1)) ;;
	*) echo "# $name: exit status $rc"; failed=$((failed + 1)) ;;
	esac
	echo "# $name: $((SECONDS - start))s"
done

[ "$failed" -eq 0 ]
