#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload sovguard.ko 200 times while genetlink clients hammer the
# family and traffic flows through the guard's hooks, every fourth time with
# the guard engaged. No warning, oops or leftover hook may follow.
#
#   netns sgl: lo only; sg_tcp listen 127.0.0.1:8082 and a connect loop to it
#   init netns: two sg_hammer clients (status, renew, allow, mode, scan),
#               ping to 127.0.0.1
SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/vm/lib.sh"

ROUNDS=${SG_KMOD_LOOP_ROUNDS:-200}
TMP=$(mktemp -d)
pids=()
hammer=()

cleanup()
{
	for p in "${pids[@]}" "${hammer[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del sgl 2>/dev/null
	sg_unload 2>/dev/null
	rmmod sg_test_hook 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

sg_require
ktap_plan 6
sg_dmesg_mark

# The loop itself is tests/kmod/sg_modloop.c: syscalls, not insmod/rmmod
# processes, so that it measures the module (and fits the suite timeout).
t_load()
{
	# progress straight to the suite's output, as KTAP comments
	"$SG_BUILD/tests/kmod/sg_modloop" "$SG_KO" "$ROUNDS" >&3
}

# Keep the LOCAL_OUT static keys on (see tests/kmod/sg_test_hook.c): the
# loop is about sovguard.ko, not about the emulator's code patching.
insmod "$SG_TEST_KO" local_out=1 priority=1000
ip netns add sgl && ip -n sgl link set lo up
ip netns exec sgl "$SG_TCP" listen 127.0.0.1 8082 >/dev/null 2>&1 &
pids+=($!)
ip netns exec sgl "$SG_TCP" flood 127.0.0.1 8082 3600 >/dev/null 2>&1 &
pids+=($!)
ping -q -i 0.01 127.0.0.1 >/dev/null 2>&1 &
pids+=($!)
"$SG_BUILD/tests/kmod/sg_hammer" 3600 >"$TMP/hammer1" 2>&1 &
hammer=($!)
"$SG_BUILD/tests/kmod/sg_hammer" 3600 >"$TMP/hammer2" 2>&1 &
hammer+=($!)
exec 3>&1

ktap_check "$ROUNDS loads and unloads under genetlink calls and traffic" t_load

hammer_rc=0
kill -TERM "${hammer[@]}"
for h in "${hammer[@]}"; do
	wait "$h" || hammer_rc=1
done
hammer=()
t_hammer()
{
	cat "$TMP"/hammer*
	[ "$hammer_rc" -eq 0 ] && grep -q "[1-9][0-9]* ok," "$TMP/hammer1"
}
ktap_check "genetlink clients saw only success or no module" t_hammer
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
pids=()

ktap_check "module gone" eval '! sg_loaded'
t_hooks()
{
	sg_load && [ "$("$SG_CTL" scan -j | jq '[.[] | select(.owner == "sovguard")] | length')" -eq 2 ]
}
ktap_check "one more load: exactly two guard hooks, none left over" t_hooks
ktap_check "unload" rmmod sovguard
ktap_check "no warning, oops or leak report in dmesg" sg_dmesg_clean
ktap_finish
