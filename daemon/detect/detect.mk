# SPDX-License-Identifier: GPL-2.0
#
# Detection library (daemon/detect/, docs/detection.md): the engine, its
# heuristics, the Zeek reader and `sovguardctl analyze`. Builds
# $(O)/libsgdetect.a, its unit tests into $(O)/tests/host/unit-detect-<name>,
# the labelled trace generator, the Zeek reader fuzzer and bench-detect.
#
# For users of the library:
#   SG_DETECT_LIB     the archive
#   SG_DETECT_LIBS    what to link after it
#   SG_DETECT_CFLAGS  include path for "detect.h"

SG_DETECT_DIR		:= $(SRC)/daemon/detect
SG_DETECT_LIB		:= $(O)/libsgdetect.a
SG_DETECT_LIBS		:= $(shell $(PKG_CONFIG) --libs json-c zlib libsystemd) -lm
SG_DETECT_CFLAGS	:= -I$(SG_DETECT_DIR) $(shell $(PKG_CONFIG) --cflags json-c zlib libsystemd)

SG_DETECT_SRCS		:= $(wildcard daemon/detect/*.c)
SG_DETECT_OBJS		:= $(patsubst daemon/detect/%.c,$(O)/detect/%.o,$(SG_DETECT_SRCS))
SG_DETECT_HDRS		:= $(wildcard daemon/detect/*.h)

# sovguardctl links the library for `analyze`.
SG_CTL_LIBS		+= $(SG_DETECT_LIB) $(SG_DETECT_LIBS)
SG_CTL_CFLAGS		+= $(SG_DETECT_CFLAGS)
$(O)/sovguardctl: $(SG_DETECT_LIB)
# sovguardd runs it live (daemon/detector.c).
SG_DAEMON_LIBS		+= $(SG_DETECT_LIB) $(SG_DETECT_LIBS)
$(O)/sovguardd: $(SG_DETECT_LIB)

.PHONY: detect
all: detect
detect: $(SG_DETECT_LIB)

$(O)/detect/%.o: daemon/detect/%.c $(SG_DETECT_HDRS) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(USER_CFLAGS) $(SG_DETECT_CFLAGS) -c -o $@ $<

$(SG_DETECT_LIB): $(SG_DETECT_OBJS)
	@echo "  AR       $@"
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

# The labelled Zeek trace generator: tests/detect/zeekgen.c (library for the
# tests and the bench) and its command sg-zeekgen.
SG_ZEEKGEN_SRCS		:= tests/detect/zeekgen.c
SG_ZEEKGEN_HDRS		:= $(wildcard tests/detect/*.h)

$(O)/tests/detect/sg-zeekgen: tests/detect/zeekgen_main.c $(SG_ZEEKGEN_SRCS) $(SG_ZEEKGEN_HDRS) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(USER_CFLAGS) $(SG_DETECT_CFLAGS) -I$(SRC)/tests/detect -o $@ $< \
		$(SG_ZEEKGEN_SRCS) $(SG_DETECT_LIBS)

# Unit tests: tests/detect/test_<name>.c -> $(O)/tests/host/unit-detect-<name>,
# run by `make check` with the host suites. They read detect.conf files as
# analyze does, through the daemon's configuration loader, which brings the
# policy library (trusted inputs) and the names of modes.
SG_DETECT_TEST_SRCS	:= $(wildcard tests/detect/test_*.c)
SG_DETECT_TEST_CONF	:= daemon/lib/config.c daemon/lib/names.c
SG_DETECT_TEST_CFLAGS	:= $(SG_POLICY_CFLAGS) -I$(SRC)/daemon/lib
SG_DETECT_TESTS		:= $(patsubst tests/detect/test_%.c,$(O)/tests/host/unit-detect-%,\
			   $(SG_DETECT_TEST_SRCS))

tests: $(SG_DETECT_TESTS) $(O)/tests/detect/sg-zeekgen

$(O)/tests/host/unit-detect-%: tests/detect/test_%.c $(SG_ZEEKGEN_SRCS) $(SG_ZEEKGEN_HDRS) \
		tests/lib/sg_child.c $(SG_DETECT_TEST_CONF) $(SG_DETECT_LIB) $(SG_POLICY_LIB) \
		| $(O) kselftest-harness
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(TEST_CFLAGS) -Wno-sign-compare $(SG_DETECT_CFLAGS) $(SG_DETECT_TEST_CFLAGS) \
		-I$(SRC)/tests/detect -o $@ $< $(SG_ZEEKGEN_SRCS) tests/lib/sg_child.c \
		$(SG_DETECT_TEST_CONF) $(SG_DETECT_LIB) $(SG_POLICY_LIB) $(SG_POLICY_LIBS) \
		$(SG_DETECT_LIBS)

# The subject of the live detector's records (daemon/det_subject.c), on its own.
$(O)/tests/host/unit-detect-subject: tests/detect/test_subject.c $(O)/daemon/det_subject.o \
		| $(O) kselftest-harness
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(TEST_CFLAGS) -Wno-sign-compare -I$(SRC)/daemon $(SG_DETECT_CFLAGS) \
		$(SG_POLICY_CFLAGS) $(LIBBPF_CFLAGS) -o $@ $< $(O)/daemon/det_subject.o

# The Zeek reader under libFuzzer, part of `make fuzz` and `make fuzz-smoke`
# (FUZZ_TARGETS and the run loop are in daemon/policy/policy.mk).
FUZZ_TARGETS		+= zeek
FUZZ_BINS		+= $(O)/fuzz/fuzz-zeek
fuzz-build: $(O)/fuzz/fuzz-zeek

$(O)/fuzz/fuzz-zeek: tests/fuzz/fuzz_zeek.c $(SG_DETECT_SRCS) $(SG_DETECT_HDRS) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  FUZZCC   $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(SG_DETECT_CFLAGS) -o $@ $< $(SG_DETECT_SRCS) \
		$(SG_DETECT_LIBS)

# The state directory's readers (baseline, alert store) under libFuzzer.
FUZZ_TARGETS		+= detect_state
FUZZ_BINS		+= $(O)/fuzz/fuzz-detect_state
fuzz-build: $(O)/fuzz/fuzz-detect_state

$(O)/fuzz/fuzz-detect_state: tests/fuzz/fuzz_detect_state.c $(SG_DETECT_SRCS) $(SG_DETECT_HDRS) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  FUZZCC   $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(SG_DETECT_CFLAGS) -o $@ $< $(SG_DETECT_SRCS) \
		$(SG_DETECT_LIBS)

# `make bench-detect` (part of `make bench`): analyze throughput and peak
# memory on a generated 1 M-line conn.log against zcat-style line counting.
$(O)/tests/bench/sg-bench-detect: tests/detect/bench_detect.c $(SG_ZEEKGEN_SRCS) \
		$(SG_ZEEKGEN_HDRS) $(SG_DETECT_LIB) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(USER_CFLAGS) -Wno-missing-prototypes $(SG_DETECT_CFLAGS) -I$(SRC)/tests/detect \
		-o $@ $< $(SG_ZEEKGEN_SRCS) $(SG_DETECT_LIB) $(SG_DETECT_LIBS)

.PHONY: bench-detect
bench-detect: $(O)/tests/bench/sg-bench-detect
	$(Q)$< $(BENCH_DETECT_ARGS)
bench: bench-detect

# The detection suites again under clang's ASan and UBSan, over the library's
# sources: `make check-detect-asan`.
SG_DETECT_ASAN_TESTS	:= $(patsubst tests/detect/test_%.c,$(O)/asan/unit-detect-%,\
			   $(SG_DETECT_TEST_SRCS))

$(O)/asan/unit-detect-%: tests/detect/test_%.c $(SG_ZEEKGEN_SRCS) $(SG_ZEEKGEN_HDRS) \
		tests/lib/sg_child.c $(SG_DETECT_SRCS) $(SG_DETECT_HDRS) $(SG_DETECT_TEST_CONF) \
		$(SG_POLICY_SRCS) | $(O) kselftest-harness
	$(Q)mkdir -p $(dir $@)
	@echo "  ASANCC   $@"
	$(Q)$(FUZZ_CC) -g -O1 -std=gnu11 -D_GNU_SOURCE -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-I$(SRC)/include $(SG_DETECT_CFLAGS) $(SG_DETECT_TEST_CFLAGS) -I$(SRC)/tests/detect \
		-I$(SRC)/tests/lib -I$(KSFT_DIR) -o $@ $< $(SG_ZEEKGEN_SRCS) tests/lib/sg_child.c \
		$(SG_DETECT_SRCS) $(SG_DETECT_TEST_CONF) $(SG_POLICY_SRCS) $(SG_POLICY_LIBS) \
		$(SG_DETECT_LIBS)

# test_subject.c is of daemon/det_subject.c, not of the library.
$(O)/asan/unit-detect-subject: tests/detect/test_subject.c daemon/det_subject.c \
		| $(O) kselftest-harness $(BPF_SKELS)
	$(Q)mkdir -p $(dir $@)
	@echo "  ASANCC   $@"
	$(Q)$(FUZZ_CC) -g -O1 -std=gnu11 -D_GNU_SOURCE -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-I$(SRC)/include -I$(O) -I$(SRC)/daemon $(SG_DETECT_CFLAGS) $(SG_POLICY_CFLAGS) \
		$(LIBBPF_CFLAGS) -I$(SRC)/tests/lib -I$(KSFT_DIR) -o $@ $< daemon/det_subject.c

.PHONY: check-detect-asan
check-detect-asan: $(SG_DETECT_ASAN_TESTS)
	$(Q)set -e; for t in $^; do \
		$$t >$$t.log 2>&1 || { cat $$t.log; echo "FAIL $$t"; exit 1; }; \
		echo "  ASAN     $$(basename $$t): $$(tail -n 1 $$t.log)"; \
	done

# `make bench-detector` (part of `make bench`): the live detector's
# throughput on one CPU, a paced 100,000 records a second through the real
# ring buffer, and its memory at a million destinations
# (tests/bench/bench_detector.c, tests/bpf/obs_feed.bpf.c).
SG_BENCH_DET_OBJS = $(patsubst %,$(O)/daemon/%.o,detector det_subject answer observe links dns \
		    lib/util lib/log lib/names)
$(O)/tests/bench/sg-bench-detector: tests/bench/bench_detector.c $(O)/tests/obs_feed.skel.h \
		$(SG_BENCH_DET_OBJS) $(SG_DETECT_LIB) $(SG_POLICY_LIB) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) -Wno-missing-prototypes -I$(SRC)/daemon -I$(O)/tests \
		$(SG_DETECT_CFLAGS) $(SG_POLICY_CFLAGS) $(LIBBPF_CFLAGS) -o $@ $< \
		$(SG_BENCH_DET_OBJS) $(SG_DETECT_LIB) $(SG_DETECT_LIBS) $(SG_POLICY_LIB) \
		$(SG_POLICY_LIBS) $(LIBBPF_LIBS) $(JSON_LIBS) -lpthread

.PHONY: bench-detector
bench-detector: $(O)/tests/bench/sg-bench-detector
	$(Q)$< $(BENCH_DETECTOR_ARGS)
bench: bench-detector
tests: $(O)/tests/bench/sg-bench-detector
