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
