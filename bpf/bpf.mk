# SPDX-License-Identifier: GPL-2.0
#
# BPF objects: clang -target bpf with -Werror, vmlinux.h generated from the
# running kernel's BTF, and a bpftool skeleton per object. -mcpu=v3 (kernel
# 5.12+ for its atomics): the programs claim their per-CPU work slot with an
# atomic fetch-and-or.

BTF_VMLINUX	?= /sys/kernel/btf/vmlinux
BPF_ARCH	:= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BPF_CFLAGS	:= -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(BPF_ARCH) -Wall -Werror \
		   -I$(O) -I$(SRC)/include
BPF_SRCS	:= $(wildcard bpf/*.bpf.c)
BPF_OBJS	:= $(patsubst bpf/%.bpf.c,$(O)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS	:= $(patsubst bpf/%.bpf.c,$(O)/%.skel.h,$(BPF_SRCS))

$(O)/vmlinux.h: | $(O)
	@echo "  BTF      $@"
	$(Q)$(BPFTOOL) btf dump file $(BTF_VMLINUX) format c > $@.tmp && mv $@.tmp $@

$(O)/bpf/%.bpf.o: bpf/%.bpf.c $(O)/vmlinux.h $(wildcard include/*.h bpf/*.h) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  BPF      $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(O)/%.skel.h: $(O)/bpf/%.bpf.o
	@echo "  SKEL     $@"
	$(Q)$(BPFTOOL) gen skeleton $< name sg_$*_bpf > $@.tmp && mv $@.tmp $@

# Test-only BPF objects (tests/bpf/): the same rules, into $(O)/tests/bpf/.
TEST_BPF_SRCS	:= $(wildcard tests/bpf/*.bpf.c)
TEST_BPF_SKELS	:= $(patsubst tests/bpf/%.bpf.c,$(O)/tests/%.skel.h,$(TEST_BPF_SRCS))

$(O)/tests/bpf/%.bpf.o: tests/bpf/%.bpf.c $(O)/vmlinux.h $(wildcard include/*.h bpf/*.h) | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  BPF      $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -I$(SRC)/bpf -c $< -o $@

$(O)/tests/%.skel.h: $(O)/tests/bpf/%.bpf.o
	@echo "  SKEL     $@"
	$(Q)$(BPFTOOL) gen skeleton $< name sg_$*_bpf > $@.tmp && mv $@.tmp $@

.SECONDARY: $(patsubst tests/bpf/%.bpf.c,$(O)/tests/bpf/%.bpf.o,$(TEST_BPF_SRCS))

.SECONDARY: $(BPF_OBJS)

.PHONY: bpf
bpf: $(BPF_SKELS)
