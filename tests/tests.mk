# SPDX-License-Identifier: GPL-2.0
#
# Tests. C tests use the kernel's kselftest harness, extracted at build time
# from Debian's linux-source-6.1 tarball into $(O)/kselftest (never into git).

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
SG_TEST_OBJS	+= $(O)/tests/lib/sg_test.o
SG_TEST_DEPS	+= $(O)/tests/lib/sg_test.o $(O)/sovguardd $(O)/tests/sg-probe
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

check: tests $(VM_CHECK_DEPS)
	$(Q)$(SRC)/scripts/check.sh $(O) all

check-host: tests
	$(Q)$(SRC)/scripts/check.sh $(O) host

check-vm: tests $(VM_CHECK_DEPS)
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

# The observation suite drives daemon/observe.c itself, as the daemon does.
SG_OBS_TEST_OBJS = $(patsubst %,$(O)/daemon/%.o,observe dns util log)
$(O)/tests/host/observe: tests/host/observe.c $(SG_OBS_TEST_OBJS) $(SG_TEST_DEPS) $(KSFT_HDRS) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(TEST_CFLAGS) -Wno-sign-compare $(DEPFLAGS) -I$(SRC)/daemon -o $@ $< \
		$(SG_OBS_TEST_OBJS) \
		$(SG_TEST_OBJS) $(SG_TEST_LIBS) $(SYSTEMD_LIBS)
