# SPDX-License-Identifier: GPL-2.0
# Minimal KTAP output for shell tests, in the format of the kselftest
# harness so that scripts/check.sh can count them the same way:
#
#   ktap_plan N; ktap_ok "name"; ktap_fail "name" "why"; ktap_skip "name" "why"
#   ktap_finish   -> prints "# Totals: ..." and returns non-zero on failure

_ktap_n=0
_ktap_pass=0
_ktap_fail=0
_ktap_skip=0

ktap_plan()
{
	echo "TAP version 13"
	echo "1..$1"
}

ktap_ok()
{
	_ktap_n=$((_ktap_n + 1))
	_ktap_pass=$((_ktap_pass + 1))
	echo "ok $_ktap_n $1"
}

ktap_fail()
{
	_ktap_n=$((_ktap_n + 1))
	_ktap_fail=$((_ktap_fail + 1))
	echo "# $1: $2"
	echo "not ok $_ktap_n $1"
}

ktap_skip()
{
	_ktap_n=$((_ktap_n + 1))
	_ktap_skip=$((_ktap_skip + 1))
	echo "ok $_ktap_n $1 # SKIP $2"
}

# ktap_check NAME CMD...: one test that passes when CMD succeeds.
ktap_check()
{
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ktap_ok "$name"
	else
		ktap_fail "$name" "$(printf '%s' "$out" | tail -n 5 | tr '\n' ' ')"
	fi
}

ktap_finish()
{
	echo "# Totals: pass:$_ktap_pass fail:$_ktap_fail xfail:0 xpass:0 skip:$_ktap_skip error:0"
	[ "$_ktap_fail" -eq 0 ]
}

# ktap_bail N WHY: a suite whose prerequisites are missing fails all N of its
# planned tests (never skips them) and exits.
ktap_bail()
{
	local n=$1
	while [ "$n" -gt 0 ]; do
		ktap_fail "prerequisites" "$2"
		n=$((n - 1))
	done
	ktap_finish
	exit 1
}
