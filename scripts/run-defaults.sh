#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make run`: start sovguardd in the foreground on the built-in default
# configuration (etc/sovguard.conf: audit mode, enforcing on the whole
# system), print its status, and keep it running until Ctrl-C.
#
# usage: run-defaults.sh BUILD_DIR
set -euo pipefail

O=${1:?build dir}
SRC=$(cd "$(dirname "$0")/.." && pwd)
# Copies of the tree's configuration and rules live here: sovguardd reads
# only what root alone can change, and a checkout may be anyone's.
DEV_DIR=/run/sovguard-dev

if [ "$(id -u)" -ne 0 ]; then
	echo "run-defaults: needs root (loading BPF programs)" >&2
	exit 1
fi

if [ -n "${SOVGUARD_CONF:-}" ]; then
	CONF=$SOVGUARD_CONF
else
	# The shipped configuration, with the rules from this tree.
	CONF=$DEV_DIR/sovguard.conf
	rm -rf "$DEV_DIR"
	install -d -m 0755 "$DEV_DIR" "$DEV_DIR/rules.d"
	install -m 0644 "$SRC"/etc/rules.d/*.rules "$DEV_DIR/rules.d/"
	sed "s|^rules_dir = .*|rules_dir = $DEV_DIR/rules.d|" "$SRC/etc/sovguard.conf" >"$CONF"
fi
RUN_DIR=$(sed -n 's/^run_dir *= *//p' "$CONF")
RUN_DIR=${RUN_DIR:-/run/sovguard}
PIN_ROOT=$(sed -n 's/^pin_root *= *//p' "$CONF")
PIN_ROOT=${PIN_ROOT:-/sys/fs/bpf/sovguard}

"$O/sovguardd" --check-config -c "$CONF"
rm -f "$RUN_DIR/sovguardd.pid"
"$O/sovguardd" --foreground --stderr -c "$CONF" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM

for _ in $(seq 100); do
	[ -e "$RUN_DIR/sovguardd.pid" ] && break
	kill -0 $pid 2>/dev/null || { wait $pid; exit 1; }
	sleep 0.1
done
"$O/sovguardctl" --pin-root "$PIN_ROOT" --run-dir "$RUN_DIR" status
cat <<MSG

sovguardd runs in the foreground (pid $pid); its decisions are logged here.
Stop it with Ctrl-C: enforcement stays pinned in $PIN_ROOT. To end it:
  $O/sovguardd --remove -c $CONF     (as root)
MSG
wait $pid
