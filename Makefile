# SPDX-License-Identifier: GPL-2.0
#
# sovguard top-level build. Each part keeps its rules in a fragment:
#   bpf/bpf.mk        BPF objects, vmlinux.h, skeletons
#   daemon/policy/policy.mk  the policy library
#   daemon/daemon.mk  sovguardd, sovguardctl and their shared daemon/lib/
#   daemon/detect/detect.mk  detection library, analyze, its tests
#   kmod/kmod.mk      sovguard.ko through Kbuild (this directory's Kbuild)
#   tests/tests.mk    every test, fuzzer and benchmark, the kselftest harness
# Everything generated lands in $(O) (default build/), never in git.

VERSION		:= 0.1.0
O		?= build
O		:= $(abspath $(O))
SRC		:= $(abspath .)

CC		?= gcc
CLANG		?= clang
BPFTOOL		?= bpftool
PKG_CONFIG	?= pkg-config

ifeq ($(V),1)
Q :=
else
Q := @
endif

CFLAGS		?= -O2 -g
WARNFLAGS	:= -Wall -Wextra -Werror -Wno-unused-parameter \
		   -Wmissing-prototypes -Wstrict-prototypes -Wshadow
USER_CFLAGS	:= $(CFLAGS) $(WARNFLAGS) -std=gnu11 -D_GNU_SOURCE -fno-strict-aliasing \
		   -I$(SRC)/include -I$(O) -DSG_VERSION=\"$(VERSION)\"

# Every C compile also writes its header list next to the output (foo.o ->
# foo.d, a binary foo -> foo.d), read back below: a header change rebuilds
# what includes it and nothing else; -MP keeps a removed header harmless.
DEPFLAGS	:= -MMD -MP

PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
UNITDIR		?= /lib/systemd/system
SYSCONFDIR	?= /etc

.SECONDEXPANSION:

.PHONY: all
all: bpf daemon

$(O):
	$(Q)mkdir -p $@

include bpf/bpf.mk
include daemon/policy/policy.mk
include daemon/detect/detect.mk
include daemon/daemon.mk
include kmod/kmod.mk
include tests/tests.mk

-include $(wildcard $(O)/daemon/*.d $(O)/daemon/*/*.d $(O)/policy/*.d $(O)/fuzz/*.d $(O)/tests/*.d \
		    $(O)/tests/host/*.d $(O)/tests/lib/*.d $(O)/tests/bench/*.d)

# `make run`: set up, build, start the daemon in the foreground in audit
# mode with the built-in default policy, and print status.
.PHONY: run deps
deps:
	$(Q)$(SRC)/scripts/install-deps.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(SRC)/scripts/run-defaults.sh $(O)

.PHONY: clean
clean:
	$(Q)rm -rf $(O)
	$(Q)find kmod tests -name '*.o' -o -name '*.ko' -o -name '*.mod*' \
		-o -name '.*.cmd' -o -name 'Module.symvers' -o -name 'modules.order' \
		| xargs -r rm -f

DOCDIR		?= $(PREFIX)/share/doc/sovguard

.PHONY: install
install: all
	install -D -m 0755 $(O)/sovguardd $(DESTDIR)$(SBINDIR)/sovguardd
	install -D -m 0755 $(O)/sovguardctl $(DESTDIR)$(SBINDIR)/sovguardctl
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/sovguard/rules.d
	test -e $(DESTDIR)$(SYSCONFDIR)/sovguard/sovguard.conf || \
		install -m 0644 etc/sovguard.conf $(DESTDIR)$(SYSCONFDIR)/sovguard/sovguard.conf
	test -n "$$(ls $(DESTDIR)$(SYSCONFDIR)/sovguard/rules.d)" || \
		install -m 0644 etc/rules.d/*.rules $(DESTDIR)$(SYSCONFDIR)/sovguard/rules.d/
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
		etc/sovguard.service.in > $(O)/sovguard.service
	install -D -m 0644 $(O)/sovguard.service $(DESTDIR)$(UNITDIR)/sovguard.service

# cppcheck does not model __attribute__((cleanup)) ownership: resourceLeak
# reports on cleanup-owned variables are false, so that check is left to
# ASan/LSan in the fuzzers and to valgrind.
CPPCHECK_FLAGS	:= --quiet --error-exitcode=1 --enable=warning,performance,portability \
		   --std=c11 -D__linux__ -I include -I daemon -I daemon/lib -I daemon/policy \
		   -I daemon/detect \
		   --suppress=missingIncludeSystem --suppress=unknownMacro \
		   --suppress=resourceLeak --inline-suppr

.PHONY: lint lint-user
lint: lint-user kmod-lint

lint-user:
	@echo "  CPPCHECK daemon tests/lib tests/detect"
	$(Q)cppcheck $(CPPCHECK_FLAGS) $(wildcard daemon/*.c daemon/*/*.c tests/lib/*.c \
		tests/detect/*.c)
	$(Q)! git ls-files | grep -E '(^|/)vmlinux\.h$$|\.skel\.h$$|\.ko$$|\.o$$' || \
		{ echo "lint: generated files are tracked by git" >&2; exit 1; }
