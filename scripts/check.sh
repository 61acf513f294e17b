#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every test suite and print one closing line "N passed, N failed, N skipped".
#
# A suite is one program that prints kselftest/KTAP output ending in a
# "# Totals: pass:P fail:F xfail:X xpass:Y skip:S error:E" line. A suite that
# ends without that line (crash, VM that never booted, timeout) counts as one
# failure, so nothing that fails to run is ever counted as a pass.
#
# usage: check.sh BUILD_DIR [host|vm|all]
set -uo pipefail

O=${1:?build dir}
WHAT=${2:-all}
SRC=$(cd "$(dirname "$0")/.." && pwd)
LOGS=$O/test-logs
mkdir -p "$LOGS"

pass=0 fail=0 skip=0
failed_suites=()

# account NAME LOGFILE EXPECTED_SUITES
account()
{
	local name=$1 log=$2 expect=${3:-1} got=0 p f s e
	while read -r p f s e; do
		got=$((got + 1))
		pass=$((pass + p))
		fail=$((fail + f + e))
		skip=$((skip + s))
		[ $((f + e)) -eq 0 ] || failed_suites+=("$name")
	done < <(sed -n 's/.*# Totals: pass:\([0-9]*\) fail:\([0-9]*\) xfail:[0-9]* xpass:[0-9]* skip:\([0-9]*\) error:\([0-9]*\).*/\1 \2 \3 \4/p' "$log")
	if [ "$got" -lt "$expect" ]; then
		echo "check: $name: $((expect - got)) suite(s) ended without a result (see $log)"
		fail=$((fail + expect - got))
		failed_suites+=("$name(incomplete)")
	fi
}

# run_suite NAME TIMEOUT CMD...: run one suite, log it, count it.
run_suite()
{
	local name=$1 tmo=$2 log=$LOGS/$1.log
	shift 2
	echo "=== $name"
	timeout --kill-after=10 "$tmo" "$@" 2>&1 | tee "$log"
	account "$name" "$log" 1
}

# run_multi NAME TIMEOUT EXPECTED CMD...: one run that holds several suites
# (a VM boot runs all its suites); EXPECTED is how many Totals lines it owes.
run_multi()
{
	local name=$1 tmo=$2 expect=$3 log=$LOGS/$1.log
	shift 3
	echo "=== $name"
	timeout --kill-after=10 "$tmo" "$@" 2>&1 | tee "$log"
	account "$name" "$log" "$expect"
}

if [ "$WHAT" = host ] || [ "$WHAT" = all ]; then
	for t in "$O"/tests/host/*; do
		[ -x "$t" ] || continue
		run_suite "host-$(basename "$t")" 600 "$t"
	done
fi

if [ "$WHAT" = vm ] || [ "$WHAT" = all ]; then
	# shellcheck source=tests/vm/suites.sh
	. "$SRC/tests/vm/suites.sh"
	sg_vm_suites "$O"
fi

echo
if [ ${#failed_suites[@]} -gt 0 ]; then
	echo "failed: ${failed_suites[*]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
