# SPDX-License-Identifier: GPL-2.0
#
# Policy engine library: rule language, jurisdiction data, reference
# evaluator (daemon/policy/, docs/rules.md). Builds $(O)/libsgpolicy.a, its
# unit tests into $(O)/tests/host/unit-<name> and the fuzzers.
#
# For users of the library:
#   SG_POLICY_LIB     the archive
#   SG_POLICY_LIBS    what to link after it
#   SG_POLICY_CFLAGS  include path for "policy.h"

SG_POLICY_DIR		:= $(SRC)/daemon/policy
SG_POLICY_LIB		:= $(O)/libsgpolicy.a
SG_POLICY_LIBS		:= -lloc -lmaxminddb
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

# Unit tests: tests/unit/<name>.c -> $(O)/tests/host/unit-<name>, run by
# `make check` with the host suites. The harness headers come from
# tests/tests.mk (kselftest-harness), which is read after this file.
SG_UNIT_SRCS		:= $(wildcard tests/unit/*.c)
SG_UNIT_TESTS		:= $(patsubst tests/unit/%.c,$(O)/tests/host/unit-%,$(SG_UNIT_SRCS))

tests: $(SG_UNIT_TESTS)

$(O)/tests/host/unit-%: tests/unit/%.c $(SG_POLICY_LIB) | $(O) kselftest-harness
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(TEST_CFLAGS) $(DEPFLAGS) -Wno-sign-compare $(SG_POLICY_CFLAGS) -I$(SRC)/tests/unit -o $@ $< \
		$(SG_POLICY_LIB) $(SG_POLICY_LIBS)

# Fuzzers (libFuzzer, ASan, UBSan; clang 14 with libclang-rt-14-dev).
#   make fuzz        every target for FUZZ_SECONDS (default 10) each
#   make fuzz-smoke  every target for a few seconds (CI)
# Seed corpora: tests/fuzz/corpus/<target>/ (text) and, generated at build
# time, $(O)/fuzz/seeds/<target>/ (small libloc and MMDB files). New inputs
# go to $(O)/fuzz/work/<target>/; crashes to $(O)/fuzz/crashes/.
FUZZ_SECONDS		?= 10
FUZZ_SMOKE_SECONDS	?= 3
FUZZ_CC			?= $(CLANG)
FUZZ_TARGETS		:= rules libloc mmdb tor cidr dns
FUZZ_CFLAGS		:= -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
			   -Wno-unused-parameter -fno-omit-frame-pointer \
			   -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
			   -I$(SRC)/include $(SG_POLICY_CFLAGS) -I$(SRC)/tests/unit
FUZZ_BINS		:= $(patsubst %,$(O)/fuzz/fuzz-%,$(FUZZ_TARGETS))

$(O)/fuzz/fuzz-%: tests/fuzz/fuzz_%.c $(SG_POLICY_SRCS) $(SG_POLICY_HDRS) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  FUZZCC   $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(SG_POLICY_SRCS) $(SG_POLICY_LIBS)

# The DNS answer parser of observation records (daemon/dns.c) stands alone.
$(O)/fuzz/fuzz-dns: tests/fuzz/fuzz_dns.c daemon/dns.c daemon/dns.h | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  FUZZCC   $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(SRC)/daemon -o $@ $< daemon/dns.c

$(O)/fuzz/gen-seeds: tests/fuzz/gen_seeds.c $(SG_POLICY_LIB) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) $(SG_POLICY_CFLAGS) -I$(SRC)/tests/unit -Wno-missing-prototypes \
		-o $@ $< $(SG_POLICY_LIB) $(SG_POLICY_LIBS)

$(O)/fuzz/seeds.stamp: $(O)/fuzz/gen-seeds
	$(Q)$< $(O)/fuzz/seeds
	$(Q)touch $@

.PHONY: fuzz fuzz-smoke fuzz-build
fuzz-build: $(FUZZ_BINS) $(O)/fuzz/seeds.stamp

# run_fuzz SECONDS: each target in turn; a crash fails the make.
define run_fuzz
	$(Q)set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(O)/fuzz/work/$$t $(O)/fuzz/seeds/$$t $(O)/fuzz/crashes; \
		echo "  FUZZ     $$t ($(1) s)"; \
		$(O)/fuzz/fuzz-$$t -max_total_time=$(1) -max_len=65536 -timeout=20 \
			-rss_limit_mb=2048 -print_final_stats=0 \
			-artifact_prefix=$(O)/fuzz/crashes/$$t- \
			$(O)/fuzz/work/$$t $(SRC)/tests/fuzz/corpus/$$t $(O)/fuzz/seeds/$$t \
			2>$(O)/fuzz/$$t.log || { tail -n 40 $(O)/fuzz/$$t.log; exit 1; }; \
		grep -h 'Done [0-9]* runs\|#[0-9]*.*DONE' $(O)/fuzz/$$t.log | tail -n 1; \
	done
endef

fuzz: fuzz-build
	$(call run_fuzz,$(FUZZ_SECONDS))

fuzz-smoke: fuzz-build
	$(call run_fuzz,$(FUZZ_SMOKE_SECONDS))

# Timing of the jurisdiction data: plain libloc enumeration versus loading
# through the library (enumeration, sort and overlap sweep).
$(O)/policy/bench-data: tests/unit/bench/bench_data.c $(SG_POLICY_LIB) | $(O)
	@echo "  CC       $@"
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) $(SG_POLICY_CFLAGS) -Wno-missing-prototypes -o $@ $< \
		$(SG_POLICY_LIB) $(SG_POLICY_LIBS)

.PHONY: bench-policy
bench-policy: $(O)/policy/bench-data
	$(Q)$< $(BENCH_DB)

# The unit tests again, built with clang's ASan and UBSan over the library's
# sources: `make check-policy-asan`.
SG_ASAN_TESTS		:= $(patsubst tests/unit/%.c,$(O)/asan/unit-%,$(SG_UNIT_SRCS))

$(O)/asan/unit-%: tests/unit/%.c $(wildcard tests/unit/*.h) $(SG_POLICY_SRCS) $(SG_POLICY_HDRS) \
		| $(O) kselftest-harness
	$(Q)mkdir -p $(dir $@)
	@echo "  ASANCC   $@"
	$(Q)$(FUZZ_CC) -g -O1 -std=gnu11 -D_GNU_SOURCE -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-I$(SRC)/include $(SG_POLICY_CFLAGS) -I$(SRC)/tests/unit -I$(KSFT_DIR) \
		-o $@ $< $(SG_POLICY_SRCS) $(SG_POLICY_LIBS)

.PHONY: check-policy-asan
check-policy-asan: $(SG_ASAN_TESTS)
	$(Q)set -e; for t in $^; do \
		$$t >$$t.log 2>&1 || { cat $$t.log; echo "FAIL $$t"; exit 1; }; \
		echo "  ASAN     $$(basename $$t): $$(tail -n 1 $$t.log)"; \
	done
