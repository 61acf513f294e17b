# SPDX-License-Identifier: GPL-2.0
#
# The host suite of the installation pieces (tests/ops/host.sh) runs among
# the host suites as $(O)/tests/host/ops.

$(O)/tests/host/ops: tests/ops/ops.mk | $(O)
	$(Q)mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nSG_SRC=%s SG_BUILD=%s exec %s/tests/ops/host.sh "$$@"\n' \
		'$(SRC)' '$(O)' '$(SRC)' >$@.tmp && chmod +x $@.tmp && mv $@.tmp $@

tests: $(O)/tests/host/ops man
