# SPDX-License-Identifier: GPL-2.0
# Shared by tests/vm/t-kmod-*.sh: paths of the module under test and helpers.
# Sourced after tests/lib/ktap.sh; needs SG_BUILD (the build directory).

SG_BUILD=${SG_BUILD:?SG_BUILD must name the build directory}
SG_KREL=$(uname -r)
SG_KO=$SG_BUILD/kmod/$SG_KREL/sovguard.ko
SG_TEST_KO=$SG_BUILD/kmod/$SG_KREL/sg_test_hook.ko
SG_CTL=$SG_BUILD/sovguardctl
SG_TCP=$SG_BUILD/tests/kmod/sg_tcp

sg_loaded()
{
	grep -q '^sovguard ' /proc/modules
}

sg_unload()
{
	! sg_loaded || rmmod sovguard
}

# sg_load [PARAM=VALUE...]: a fresh load with these parameters.
sg_load()
{
	sg_unload && insmod "$SG_KO" "$@"
}

# sg_status KEY: one field of `sovguardctl module status -j`.
sg_status()
{
	"$SG_CTL" module status -j | jq -r ".$1"
}

# sg_counter NAME: one of the guard counters.
sg_counter()
{
	"$SG_CTL" module status -j | jq -r ".counters.$1"
}

# sg_dmesg_mark; ...; sg_dmesg_since: kernel messages since the mark.
sg_dmesg_mark()
{
	_sg_dmesg_lines=$(dmesg | wc -l)
}

sg_dmesg_since()
{
	dmesg | tail -n +$((${1:-$_sg_dmesg_lines} + 1))
}

# sg_dmesg_clean: no warning, oops or leak report since the mark.
sg_dmesg_clean()
{
	! sg_dmesg_since | grep -E 'WARNING:|BUG:|Oops|Call Trace|kmemleak|refcount_t|general protection|sovguard: .*(leak|error)'
}

# sg_wait_for TRIES CMD...: retry CMD every 0.1 s.
sg_wait_for()
{
	local n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# sg_require: a module built for the running kernel and root; without them
# the suite fails as a whole (a missing build is a defect, not a skip).
sg_require()
{
	local why=
	[ -r "$SG_KO" ] || why="no $SG_KO (make kmod-all)"
	[ "$(id -u)" -eq 0 ] || why="must run as root"
	[ -n "$why" ] || return 0
	ktap_plan 1
	ktap_fail "prerequisites" "$why"
	ktap_finish
	exit 1
}
