# SPDX-License-Identifier: GPL-2.0
#
# Tests: host suites, unit tests of the policy library, fuzzers, benchmarks,
# the VM suites (tests/vm/vm.mk) and the module's test programs. C tests use
# the kernel's kselftest harness, extracted at build time from Debian's
# linux-source-6.1 tarball into $(O)/kselftest (never into git).

KSFT_TARBALL	?= /usr/src/linux-source-6.1.tar.xz
KSFT_DIR	:= $(O)/kselftest
KSFT_HDRS	:= $(KSFT_DIR)/kselftest_harness.h $(KSFT_DIR)/kselftest.h
TEST_CFLAGS	= $(USER_CFLAGS) -I$(KSFT_DIR) -I$(SRC)/tests/lib -Wno-missing-prototypes

$(KSFT_HDRS):
	$(Q)mkdir -p $(KSFT_DIR)
	@echo "  KSFT     $(KSFT_DIR)"
	$(Q)test -r $(KSFT_TARBALL) || { echo "missing $(KSFT_TARBALL): run scripts/install-deps.sh" >&2; exit 1; }
	$(Q)tar -xJf $(KSFT_TARBALL) -C $(KSFT_DIR) --strip-components=4 \
		--wildcards '*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h'
	$(Q)touch $(KSFT_HDRS)

.PHONY: kselftest-harness
kselftest-harness: $(KSFT_HDRS)

# Host tests link the shared test helpers and libbpf.
SG_TEST_OBJS	+= $(O)/tests/lib/sg_test.o $(O)/tests/lib/sg_child.o
SG_TEST_DEPS	+= $(SG_TEST_OBJS) $(O)/sovguardd $(O)/tests/sg-probe
SG_TEST_LIBS	+= $(shell $(PKG_CONFIG) --libs libbpf)

$(O)/tests/lib/%.o: tests/lib/%.c $(KSFT_HDRS)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(TEST_CFLAGS) $(DEPFLAGS) -c $< -o $@

# Host tests: tests/host/<name>.c -> $(O)/tests/host/<name>
HOST_TEST_SRCS	:= $(wildcard tests/host/*.c)
HOST_TESTS	:= $(patsubst tests/host/%.c,$(O)/tests/host/%,$(HOST_TEST_SRCS))

$(O)/tests/host/%: tests/host/%.c $(KSFT_HDRS) $(SG_TEST_DEPS) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(TEST_CFLAGS) $(DEPFLAGS) -o $@ $< $(SG_TEST_OBJS) $(SG_TEST_LIBS)

$(O)/tests/sg-probe: tests/lib/sg_probe_main.c | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) -o $@ $<

-include tests/vm/vm.mk

.PHONY: tests check check-host check-vm
tests: all $(HOST_TESTS) $(VM_TEST_BINS)

check: tests $(VM_CHECK_DEPS) $(SG_DEB)
	$(Q)$(SRC)/scripts/check.sh $(O) all

check-host: tests
	$(Q)$(SRC)/scripts/check.sh $(O) host

check-vm: tests $(VM_CHECK_DEPS) $(SG_DEB)
	$(Q)$(SRC)/scripts/check.sh $(O) vm


# The differential test links the compiler and the test BPF wrapper.
SG_DIFF_OBJS	= $(SG_COMPILE_OBJS) $(O)/daemon/publish.o
$(O)/tests/host/differential: tests/host/differential.c $(O)/tests/decide_test.skel.h \
		$(SG_DIFF_OBJS) $(SG_POLICY_LIB) $(KSFT_HDRS) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(TEST_CFLAGS) $(DEPFLAGS) -I$(SRC)/daemon -I$(O)/tests $(SG_POLICY_CFLAGS) -o $@ $< \
		$(SG_DIFF_OBJS) $(SG_POLICY_LIB) $(SG_POLICY_LIBS) $(shell $(PKG_CONFIG) --libs libbpf)

$(O)/tests/host/reload: tests/host/reload.c $(O)/tests/decide_test.skel.h $(SG_TEST_DEPS) \
		$(KSFT_HDRS) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(TEST_CFLAGS) $(DEPFLAGS) -I$(O)/tests -o $@ $< $(SG_TEST_OBJS) $(SG_TEST_LIBS) \
		-lpthread

# Benchmarks: make bench prints every figure with its ratio to a baseline
# measured in the same run (tests/bench/sg_bench.c).
$(O)/tests/bench/sg-bench: tests/bench/sg_bench.c $(O)/tests/decide_test.skel.h $(SG_DIFF_OBJS) \
		$$(SG_OBS_TEST_OBJS) $(SG_TEST_DEPS) $(SG_POLICY_LIB) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) -Wno-missing-prototypes -I$(SRC)/daemon -I$(SRC)/tests/lib \
		-I$(O)/tests $(SG_POLICY_CFLAGS) -o $@ $< $(SG_DIFF_OBJS) $(SG_TEST_OBJS) \
		$(SG_POLICY_LIB) $(SG_POLICY_LIBS) $(SG_TEST_LIBS) $(SG_OBS_TEST_OBJS) $(SYSTEMD_LIBS) -lm -lpthread

.PHONY: bench
bench: all $(O)/tests/bench/sg-bench
	$(Q)$(O)/tests/bench/sg-bench $(BENCH_ARGS)

# The signature test writes signed libloc databases with the unit fixtures.
$(O)/tests/host/signature: tests/host/signature.c $(SG_TEST_DEPS) $(KSFT_HDRS) \
		$(wildcard tests/unit/*.h) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(TEST_CFLAGS) $(SG_POLICY_CFLAGS) -I$(SRC)/tests/unit -o $@ $< \
		$(SG_TEST_OBJS) $(SG_TEST_LIBS) -lloc

# Tests of the module: kselftest binaries in $(O)/tests/vm/ (the VM suite
# runs each), helpers in $(O)/tests/kmod/.
KMOD_VM_TESTS	:= $(O)/tests/vm/kmod_genl
KMOD_TEST_HELPERS := $(O)/tests/kmod/sg_tcp $(O)/tests/kmod/sg_hammer \
		     $(O)/tests/kmod/sg_modloop
tests: $(KMOD_VM_TESTS) $(KMOD_TEST_HELPERS)

$(O)/tests/vm/kmod_genl: tests/kmod/genl_test.c include/uapi/sovguard.h \
		$(O)/kselftest/kselftest_harness.h
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $<

$(O)/tests/kmod/sg_tcp: tests/kmod/sg_tcp.c
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(USER_CFLAGS) -o $@ $<

# Helpers that speak to the module through daemon/lib/kmod_client.c.
$(O)/tests/kmod/sg_hammer $(O)/tests/kmod/sg_modloop: $(O)/tests/kmod/%: tests/kmod/%.c \
		$(SG_KMOD_CLIENT_SRCS) daemon/lib/kmod_client.h include/uapi/sovguard.h
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(USER_CFLAGS) -I$(SRC)/daemon/lib $(NL_CFLAGS) -o $@ $< $(SG_KMOD_CLIENT_SRCS) \
		$(NL_LIBS)

# Unit tests: tests/unit/<name>.c -> $(O)/tests/host/unit-<name>, run by
# `make check` with the host suites.
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
# += : daemon/detect/detect.mk, read before this file, adds its targets first.
FUZZ_TARGETS		+= rules libloc mmdb tor cidr dns
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

# The quarantine state file (daemon/quar_state.c), with the rule parser it checks entries with.
FUZZ_TARGETS		+= quarantine
FUZZ_BINS		+= $(O)/fuzz/fuzz-quarantine
$(O)/fuzz/fuzz-quarantine: tests/fuzz/fuzz_quarantine.c daemon/quar_state.c daemon/quar_state.h \
		$(SG_POLICY_SRCS) $(SG_POLICY_HDRS) $(SG_DETECT_SRCS) $(SG_DETECT_HDRS) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  FUZZCC   $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(SG_DETECT_CFLAGS) -I$(SRC)/daemon -o $@ $< \
		daemon/quar_state.c $(SG_POLICY_SRCS) $(SG_DETECT_SRCS) $(SG_POLICY_LIBS) \
		$(SG_DETECT_LIBS)

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

# The observation suite drives daemon/observe.c itself, as the daemon does.
SG_OBS_TEST_OBJS = $(patsubst %,$(O)/daemon/%.o,observe links dns lib/util lib/log lib/names)
$(O)/tests/host/observe: tests/host/observe.c $(SG_OBS_TEST_OBJS) $(SG_TEST_DEPS) $(KSFT_HDRS) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(TEST_CFLAGS) -Wno-sign-compare $(DEPFLAGS) -I$(SRC)/daemon -o $@ $< \
		$(SG_OBS_TEST_OBJS) \
		$(SG_TEST_OBJS) $(SG_TEST_LIBS) $(SYSTEMD_LIBS)
