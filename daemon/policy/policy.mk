# SPDX-License-Identifier: GPL-2.0
#
# Policy engine library: rule language, jurisdiction data, reference
# evaluator (daemon/policy/, docs/rules.md). Builds $(O)/libsgpolicy.a; its
# unit tests, fuzzers and benchmark are in tests/tests.mk.
#
# For users of the library:
#   SG_POLICY_LIB     the archive
#   SG_POLICY_LIBS    what to link after it
#   SG_POLICY_CFLAGS  include path for "policy.h"

SG_POLICY_DIR		:= $(SRC)/daemon/policy
SG_POLICY_LIB		:= $(O)/libsgpolicy.a
SG_POLICY_LIBS		:= -lloc -lmaxminddb -lcrypto
SG_POLICY_CFLAGS	:= -I$(SG_POLICY_DIR)

SG_POLICY_SRCS		:= $(wildcard daemon/policy/*.c)
SG_POLICY_OBJS		:= $(patsubst daemon/policy/%.c,$(O)/policy/%.o,$(SG_POLICY_SRCS))
# Whole-program builds (fuzzers, ASan) depend on every header; objects and
# unit tests on what they include (-MMD, DEPFLAGS).
SG_POLICY_HDRS		:= $(wildcard daemon/policy/*.h daemon/lib/*.h include/*.h)

.PHONY: policy
all: policy
policy: $(SG_POLICY_LIB)

$(O)/policy/%.o: daemon/policy/%.c | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) $(SG_POLICY_CFLAGS) -c -o $@ $<

$(SG_POLICY_LIB): $(SG_POLICY_OBJS)
	@echo "  AR       $@"
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^
