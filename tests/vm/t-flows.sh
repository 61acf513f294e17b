#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Existing flows on the VM's kernel (Debian 6.1 / 6.12): a reload that makes
# an established flow's destination denied ends it through sock_diag's
# SOCK_DESTROY (CONFIG_INET_DIAG_DESTROY), a flow still allowed survives.
# The cases and the counters are tested on the host (tests/host/flows.c);
# this is the kernel's half on the kernels sovguard supports.
#
# Topology: a network namespace "world" with lo up and the test hosts
# 193.0.6.10 (NL in the suite's data) and 9.9.9.10 (CH) on it; a server of
# that namespace (not guarded) holds every connection it accepts; two
# clients of the guarded cgroup, in that namespace, connect one to each
# and wait on their socket. Nothing leaves the VM.
SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/vm/lib.sh"

sg_require
ktap_plan 4

CG=/sys/fs/cgroup/sgvmf
DIR=$(mktemp -d /run/sg-flows-XXXXXX)
CTL=$SG_BUILD/sovguardctl
PIN=/sys/fs/bpf/sgvmf
NS=sgflows
PID=

mkdir -p "$CG" "$DIR/rules.d"
printf '193.0.6.0/24 NL as3333\n9.9.9.0/24 CH as19281\n' >"$DIR/data.cidr"
echo 'default allow' >"$DIR/rules.d/t.rules"
sg_daemon_conf /sgvmf "detect.state_dir = $DIR/state"

cleanup()
{
	sg_bg_kill
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	"$SG_BUILD/sovguardd" --remove --stderr -c "$DIR/sovguard.conf" >/dev/null 2>&1
	ip netns del "$NS" 2>/dev/null
	rmdir "$CG" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 193.0.6.10/32 dev lo
ip -n "$NS" addr add 9.9.9.10/32 dev lo

# client NAME ADDR: a process of the guarded cgroup in the world's
# namespace connects to ADDR:7310, says "connected" in $DIR/NAME, then waits
# on its socket and writes what the wait ended with: "eof" or the error.
client()
{
	sg_bg sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" \
		ip netns exec "$NS" perl -MIO::Socket::INET -e '
			open(my $o, ">", $ARGV[0]) or die; $o->autoflush(1);
			my $s = IO::Socket::INET->new(PeerAddr => "$ARGV[1]:7310") or
				do { print $o "connect: $!\n"; exit 1 };
			print $o "connected\n";
			my $n = sysread($s, my $buf, 1);
			print $o defined($n) ? ($n ? "data\n" : "eof\n") : "error: $!\n";
			sleep 5' "$DIR/$1" "$2"
}

connected()
{
	grep -q '^connected$' "$DIR/$1" 2>/dev/null
}

aborted()
{
	grep -q '^error: Software caused connection abort$' "$DIR/$1" 2>/dev/null
}

# The world's server: holds every connection it accepts, sends nothing.
sg_bg ip netns exec "$NS" perl -MIO::Socket::INET -e '
	my @l = map { IO::Socket::INET->new(LocalAddr => "$_:7310", Listen => 8, ReuseAddr => 1)
		or die "$_: $!" } ("193.0.6.10", "9.9.9.10");
	my @held; my $r = ""; vec($r, fileno($_), 1) = 1 for @l;
	while (select(my $x = $r, undef, undef, 60)) {
		for (@l) { push @held, $_->accept if vec($x, fileno($_), 1) }
	}'

sg_daemon_start
t_flows()
{
	sg_daemon_started || return 1
	client nl 193.0.6.10
	client ch 9.9.9.10
	sg_wait_for 300 connected nl && sg_wait_for 300 connected ch ||
		{ cat "$DIR/nl" "$DIR/ch" "$DIR/kids.log" 2>/dev/null | tail -n 5; return 1; }
}
ktap_check "two flows of the guarded cgroup established, to NL and CH" t_flows

destroy_state()
{
	"$CTL" --pin-root "$PIN" --run-dir "$DIR/run" status -j | jq -r .flows.destroy
}

t_destroy()
{
	local s
	s=$(destroy_state)
	echo "destroy: $s"
	[ "$s" = available ]
}
ktap_check "SOCK_DESTROY is available on $(uname -r)" t_destroy

t_reload()
{
	echo 'deny to nl' >"$DIR/rules.d/t.rules"
	echo 'default allow' >>"$DIR/rules.d/t.rules"
	"$CTL" --pin-root "$PIN" --run-dir "$DIR/run" reload >/dev/null &&
		sg_wait_for 300 aborted nl ||
		{ cat "$DIR/nl"; grep -i "flow" "$DIR/log" | tail -n 3; return 1; }
}
ktap_check "a reload that denies NL ends the NL flow (ECONNABORTED)" t_reload

t_kept()
{
	sleep 1
	[ "$(cat "$DIR/ch")" = connected ] &&
		[ "$("$CTL" --pin-root "$PIN" --run-dir "$DIR/run" status -j | jq -r .flows.ended.tcp)" = 1 ] ||
		{ cat "$DIR/ch"; "$CTL" --pin-root "$PIN" --run-dir "$DIR/run" status -j | jq -c .flows; return 1; }
}
ktap_check "the CH flow lives on; status counts one TCP flow ended" t_kept

ktap_finish
