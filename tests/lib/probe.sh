# SPDX-License-Identifier: GPL-2.0
# sg_probe_in CGROUP ADDR: print the errno of one TCP connect() to ADDR:443
# made by sg-probe from CGROUP, in a fresh network namespace with only lo up
# (1: EPERM, refused; 101: ENETUNREACH, let through). Needs SG_BUILD.
sg_probe_in()
{
	unshare -n sh -c "ip link set lo up; echo \$\$ > $1/cgroup.procs; exec $SG_BUILD/tests/sg-probe tcp $2 443"
	echo $?
}

# sg_verdicts_are CGROUP REFUSED_ADDR PASSED_ADDR: the first is refused
# (EPERM), the second let through (ENETUNREACH); prints what was seen.
sg_verdicts_are()
{
	local d a
	d=$(sg_probe_in "$1" "$2") a=$(sg_probe_in "$1" "$3")
	echo "$2 -> $d, $3 -> $a"
	[ "$d" = 1 ] && [ "$a" = 101 ]
}
