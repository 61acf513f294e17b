# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# VM suites for scripts/check.sh (sourced; uses its run_multi). For each
# kernel: one boot in initramfs mode runs tests/vm/run-all.sh (every t-*.sh
# and every binary in $O/tests/vm/), one boot in systemd mode runs the
# s-*.sh suites. The number of suites is counted on the host before the
# boot, so a VM that never boots counts as that many failures.
#
# SG_VM_KERNELS selects the kernels (default "6.1 6.12"),
# SG_VM_SUITE_TIMEOUT the seconds per suite (default 300; a suite may ask
# for more with "# vm-timeout: N", see run-all.sh).

# sg_vm_boot NAME O KERNEL MODE RUN-ALL-ARGS...
sg_vm_boot()
{
	local name=$1 o=$2 k=$3 mode=$4 src n tmo start
	shift 4
	src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	n=$(SG_SRC=$src SG_BUILD=$o "$src/tests/vm/run-all.sh" --list "$@" | wc -l)
	# Boot and shutdown, then every suite at most its own timeout.
	tmo=$((180 + $(SG_SRC=$src SG_BUILD=$o "$src/tests/vm/run-all.sh" --budget "$@")))
	start=$SECONDS
	run_multi "$name" $((tmo + 60)) "$n" \
		"$src/scripts/vm-run" --kernel "$k" --mode "$mode" --build "$o" \
		--timeout "$tmo" --env "SG_VM_SUITE_TIMEOUT=${SG_VM_SUITE_TIMEOUT:-300}" \
		-- "$src/tests/vm/run-all.sh" "$@"
	echo "check: $name: $n suite(s), $((SECONDS - start))s"
}

sg_vm_suites()
{
	local o=$1 k
	for k in ${SG_VM_KERNELS:-6.1 6.12}; do
		sg_vm_boot "vm-$k" "$o" "$k" initramfs
		sg_vm_boot "vm-$k-systemd" "$o" "$k" systemd --systemd
	done
}
