#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload sovguard.ko 200 times while genetlink clients hammer the
# family and traffic flows through the guard's hooks, every fourth time with
# the guard engaged. No warning, oops or leftover hook may follow.
#
#   netns sgl: lo only; sg_tcp listen 127.0.0.1:8082, a connect loop to it
#   init netns: sovguardctl status/lease/scan loops; ping to 127.0.0.1
set -u
SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/lib/ktap.sh"
. "$SRC/tests/kmod/lib.sh"

ROUNDS=${SG_KMOD_LOOP_ROUNDS:-200}
pids=()

cleanup()
{
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del sgl 2>/dev/null
	sg_unload 2>/dev/null
}
trap cleanup EXIT

sg_require
ktap_plan 5
sg_dmesg_mark

t_load()
{
	local i
	for i in $(seq "$ROUNDS"); do
		if [ $((i % 4)) -eq 0 ]; then
			insmod "$SG_KO" mode=enforce fail_mode=closed || return 1
			# a lease that lapses at once: the guard engages under traffic
			"$SG_CTL" module lease renew 100 "$i" >/dev/null 2>&1
			sleep 0.15
		else
			insmod "$SG_KO" || return 1
		fi
		rmmod sovguard || return 1
	done
	echo "$ROUNDS rounds"
}

ip netns add sgl && ip -n sgl link set lo up
ip netns exec sgl "$SG_TCP" listen 127.0.0.1 8082 & pids+=($!)
(while :; do ip netns exec sgl "$SG_TCP" connect 127.0.0.1 8082 >/dev/null; done) & pids+=($!)
(while :; do "$SG_CTL" module status -j >/dev/null 2>&1; done) & pids+=($!)
(while :; do "$SG_CTL" module lease renew 5000 1 >/dev/null 2>&1; done) & pids+=($!)
(while :; do "$SG_CTL" scan -j >/dev/null 2>&1; done) & pids+=($!)
(while :; do "$SG_CTL" module mode enforce >/dev/null 2>&1; done) & pids+=($!)
ping -q -i 0.01 127.0.0.1 >/dev/null 2>&1 & pids+=($!)

ktap_check "$ROUNDS loads and unloads under genetlink calls and traffic" t_load
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
