# SPDX-License-Identifier: GPL-2.0
#
# sovguard.ko, built out of tree through the top-level Kbuild and kmod/Kbuild.
# The sources are copied into $(O)/kmod/<release>/tree (6.1 has no MO=), so
# the source tree never holds an object file; the module lands in
# $(O)/kmod/<release>/sovguard.ko.
#
#   make kmod       against KDIR (default: the running kernel's headers)
#   make kmod-all   against every installed kernel header package
#   make kmod-tests as kmod-all, plus the test module tests/kmod/
#   make kmod-lint  checkpatch, kernel-doc and sparse on the module sources

KDIR		?= /lib/modules/$(shell uname -r)/build
# The copy in $(O)/kmod/<release>/ drops debug info (tree/ keeps it).
KMOD_STRIP	?= strip --strip-debug
KMOD_SRCS	:= Kbuild kmod/Kbuild $(wildcard kmod/*.c kmod/*.h) \
		   include/uapi/sovguard.h
KMOD_TEST_SRCS	:= $(wildcard tests/kmod/Kbuild tests/kmod/*.c)
KMOD_LINT_SRCS	:= $(wildcard kmod/*.c kmod/*.h tests/kmod/sg_test_hook.c) \
		   include/uapi/sovguard.h
# Debian header packages: /usr/src/linux-headers-<release>/ with Module.symvers
KMOD_KDIRS	:= $(patsubst %/Module.symvers,%,\
		   $(wildcard /usr/src/linux-headers-*/Module.symvers))
kmod_release	= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
		    $(1)/include/generated/utsrelease.h 2>/dev/null)
KMOD_KVERS	:= $(foreach d,$(KMOD_KDIRS),$(call kmod_release,$(d)))
KMOD_ALL	:= $(foreach v,$(KMOD_KVERS),$(O)/kmod/$(v)/sovguard.ko)
KMOD_TEST_ALL	:= $(foreach v,$(KMOD_KVERS),$(O)/kmod/$(v)/sg_test_hook.ko)

# kmod_build KDIR RELEASE EXTRA-MAKE-ARGS
define kmod_build
	$(Q)mkdir -p $(O)/kmod/$(2)/tree
	$(Q)cp -p --parents $(KMOD_SRCS) $(KMOD_TEST_SRCS) $(O)/kmod/$(2)/tree/
	+$(Q)$(MAKE) --no-print-directory -C $(1) O= M=$(O)/kmod/$(2)/tree \
		KCFLAGS=-Werror SG_KMOD_VERSION=$(VERSION) $(3) modules \
		$(if $(Q),>$(O)/kmod/$(2)/build.log 2>&1 || \
		{ cat $(O)/kmod/$(2)/build.log; exit 1; })
	$(Q)! grep -i 'warning' $(O)/kmod/$(2)/build.log 2>/dev/null
endef

.PHONY: kmod kmod-all kmod-tests kmod-lint
all: kmod-all
tests: kmod-tests

kmod:
	$(Q)test -d $(KDIR) || { \
		echo "kmod: no kernel headers at KDIR=$(KDIR)." >&2; \
		echo "kmod: install linux-headers-$$(uname -r), pass KDIR=<headers dir>, or use 'make kmod-all'." >&2; \
		exit 1; }
	$(eval KMOD_KVER := $(or $(call kmod_release,$(KDIR)),$(shell uname -r)))
	@echo "  KMOD     $(O)/kmod/$(KMOD_KVER)/sovguard.ko"
	$(call kmod_build,$(KDIR),$(KMOD_KVER),)
	$(Q)$(KMOD_STRIP) $(O)/kmod/$(KMOD_KVER)/tree/kmod/sovguard.ko \
		-o $(O)/kmod/$(KMOD_KVER)/sovguard.ko

kmod-all: $(KMOD_ALL)
ifeq ($(KMOD_KDIRS),)
	@echo "  KMOD     skipped: no /usr/src/linux-headers-*; run scripts/install-deps.sh"
endif

kmod-tests: $(KMOD_TEST_ALL)

# One rule per installed kernel.
define kmod_rules
$(O)/kmod/$(2)/sovguard.ko: $(KMOD_SRCS) kmod/kmod.mk
	@echo "  KMOD     $$@"
	$(call kmod_build,$(1),$(2),)
	$(Q)$(KMOD_STRIP) $(O)/kmod/$(2)/tree/kmod/sovguard.ko -o $$@

$(O)/kmod/$(2)/sg_test_hook.ko: $(O)/kmod/$(2)/sovguard.ko $(KMOD_TEST_SRCS)
	@echo "  KMOD     $$@"
	$(call kmod_build,$(1),$(2),SG_KMOD_TESTS=m)
	$(Q)$(KMOD_STRIP) $(O)/kmod/$(2)/tree/tests/kmod/sg_test_hook.ko -o $$@
endef
$(foreach d,$(KMOD_KDIRS),$(eval $(call kmod_rules,$(d),$(call kmod_release,$(d)))))

# Kernel style checks from Debian's linux-source package (checkpatch.pl is
# not in the header packages), kernel-doc from the headers, and sparse.
KMOD_CHECKPATCH_DIR := $(O)/checkpatch
KMOD_CHECKPATCH	:= $(KMOD_CHECKPATCH_DIR)/scripts/checkpatch.pl
KMOD_LINT_KDIR	:= $(firstword $(KMOD_KDIRS))

$(KMOD_CHECKPATCH):
	$(Q)mkdir -p $(KMOD_CHECKPATCH_DIR)
	@echo "  EXTRACT  $@"
	$(Q)test -r $(KSFT_TARBALL) || { echo "missing $(KSFT_TARBALL): run scripts/install-deps.sh" >&2; exit 1; }
	$(Q)tar -xJf $(KSFT_TARBALL) -C $(KMOD_CHECKPATCH_DIR) --strip-components=1 \
		--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	$(Q)touch $@

kmod-lint: $(KMOD_CHECKPATCH)
	@echo "  CHECKPATCH kmod"
	$(Q)mkdir -p $(O)/kmod
	$(Q)for f in $(KMOD_LINT_SRCS); do \
		$(KMOD_CHECKPATCH) --no-tree --quiet --terse --show-types \
			--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES \
			--max-line-length=100 -f $$f >$(O)/kmod/checkpatch.log 2>&1 || \
			{ grep -v '^total:' $(O)/kmod/checkpatch.log; exit 1; }; \
	done
	@echo "  KERNELDOC kmod"
	$(Q)test -z "$(KMOD_LINT_KDIR)" || { \
		out=$$(perl $(KMOD_LINT_KDIR)/scripts/kernel-doc -none -Werror $(wildcard kmod/*.c) 2>&1); \
		[ -z "$$out" ] || { echo "$$out"; exit 1; }; }
	@echo "  SPARSE   kmod"
	$(Q)test -n "$(KMOD_LINT_KDIR)" || { echo "kmod-lint: no kernel headers" >&2; exit 1; }
	$(Q)rm -rf $(O)/kmod/lint && mkdir -p $(O)/kmod/lint
	$(Q)cp -p --parents $(KMOD_SRCS) $(KMOD_TEST_SRCS) $(O)/kmod/lint/
	+$(Q)$(MAKE) --no-print-directory -C $(KMOD_LINT_KDIR) O= M=$(O)/kmod/lint \
		C=2 CHECK="sparse -Wno-decl" SG_KMOD_TESTS=m modules >$(O)/kmod/lint.log 2>&1 || \
		{ cat $(O)/kmod/lint.log; exit 1; }
	$(Q)! grep -E 'warning|error' $(O)/kmod/lint.log
