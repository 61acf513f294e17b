# SPDX-License-Identifier: GPL-2.0
# The common prologue of the VM suites (tests/vm/t-*.sh, s-*.sh), sourced
# once SRC names the source tree:
#	SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
#	. "$SRC/tests/vm/lib.sh"
# Unset variables are errors; the KTAP helpers (tests/lib/ktap.sh) and the
# module's paths and helpers (tests/kmod/lib.sh, which needs SG_BUILD).
set -u
. "$SRC/tests/lib/ktap.sh"
. "$SRC/tests/kmod/lib.sh"

# A daemon of the suite's own configuration ($DIR/sovguard.conf, its run
# directory $DIR/run, its log $DIR/log) started in the background; PID names
# it. Call as is, not in a subshell, so that PID stays set.
sg_daemon_start()
{
	rm -f "$DIR/run/sovguardd.pid"
	"$SG_BUILD/sovguardd" --foreground --stderr -c "$DIR/sovguard.conf" >>"$DIR/log" 2>&1 &
	PID=$!
}

sg_daemon_ready_or_gone()
{
	test -e "$DIR/run/sovguardd.pid" || ! kill -0 "$PID" 2>/dev/null
}

# The daemon is ready (its pid file written); one that exits fails at once,
# with the end of its log as the reason.
sg_daemon_started()
{
	sg_wait_for 1200 sg_daemon_ready_or_gone
	test -e "$DIR/run/sovguardd.pid" || { tail -n 5 "$DIR/log"; false; }
}

# sg_daemon_conf CGROUP [LINES]: $DIR/sovguard.conf for a suite's daemon,
# enforcing on CGROUP (relative to the cgroup2 mount) with pins under $PIN,
# its rules in $DIR/rules.d and data in $DIR/data.cidr; LINES are added.
sg_daemon_conf()
{
	cat >"$DIR/sovguard.conf" <<CONF
mode = enforce
cgroup = $1
pin_root = $PIN
run_dir = $DIR/run
rules_dir = $DIR/rules.d
data = $DIR/data.cidr
data_unsigned = unsignable
scan_interval = 0
${2:-}
CONF
}

# sg_bg CMD...: CMD in the background, its output in $DIR/kids.log (not the
# suite's: ktap_check reads that to its end), its pid in $DIR/kids;
# sg_bg_kill ends them all.
sg_bg()
{
	"$@" >>"$DIR/kids.log" 2>&1 </dev/null &
	echo $! >>"$DIR/kids"
}

sg_bg_kill()
{
	local k
	for k in $(cat "$DIR/kids" 2>/dev/null); do kill -KILL "$k" 2>/dev/null; done
}
