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

# `make run`, `make check`, `make deps` and an install without DESTDIR need
# root. Started by a user, they run again through sudo, so that the
# README's commands work pasted into a root shell (where sudo is often not
# installed) and by a sudo user alike.
SG_ROOT_GOALS	:= run check check-host check-vm deps install uninstall install-kmod
SG_SUDO		:= $(and $(filter-out 0,$(shell id -u)),$(filter $(SG_ROOT_GOALS),$(MAKECMDGOALS)),$(if $(DESTDIR),,y))
ifneq ($(SG_SUDO),)
.PHONY: $(MAKECMDGOALS)
$(firstword $(MAKECMDGOALS)):
	@command -v sudo >/dev/null || { echo "make $(MAKECMDGOALS): needs root: run it in a root shell (su -)" >&2; exit 1; }
	sudo $(MAKE) $(MAKEOVERRIDES) $(MAKECMDGOALS)
$(wordlist 2,$(words $(MAKECMDGOALS)),$(MAKECMDGOALS)):
	@:
else
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
SYSCONFDIR	?= /etc

.SECONDEXPANSION:

.PHONY: all
all: bpf daemon

$(O):
	$(Q)mkdir -p $@

# The package `make check` installs in the VM (s-package).
SG_DEB		:= $(O)/deb/sovguard_$(VERSION)_amd64.deb

include bpf/bpf.mk
include daemon/policy/policy.mk
include daemon/detect/detect.mk
include daemon/daemon.mk
include kmod/kmod.mk
include tests/tests.mk
include docs/man/man.mk
include tests/ops/ops.mk

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

# `make install` / `make uninstall` for those who build from source; the
# Debian packages (debian/, `make deb`) install the same files with
# PREFIX=/usr. DESTDIR stages into a tree. The configuration is installed
# only where none exists, and uninstall leaves it (and enforcement) alone.
DOCDIR		?= $(PREFIX)/share/doc/sovguard
MANDIR		?= $(PREFIX)/share/man
BASHCOMPDIR	?= $(PREFIX)/share/bash-completion/completions
# systemd reads /usr/local/lib/systemd/system too; Debian's own is /lib.
UNITDIR		?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
MODPROBE	?= /sbin/modprobe
INSTALL_DOCS	:= README.md docs/configuration.md docs/rules.md docs/operations.md \
		   docs/kmod.md docs/design.md

# The unit's paths follow SBINDIR and DOCDIR: written at install time.
.PHONY: install uninstall install-kmod
install: daemon man
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
		-e 's|/sbin/modprobe|$(MODPROBE)|g' etc/sovguard.service.in >$(O)/sovguard.service
	install -D -m 0755 $(O)/sovguardd $(DESTDIR)$(SBINDIR)/sovguardd
	install -D -m 0755 $(O)/sovguardctl $(DESTDIR)$(SBINDIR)/sovguardctl
	install -D -m 0644 $(O)/sovguard.service $(DESTDIR)$(UNITDIR)/sovguard.service
	install -D -m 0644 etc/completion/sovguardctl $(DESTDIR)$(BASHCOMPDIR)/sovguardctl
	$(foreach p,$(MAN_PAGES),install -D -m 0644 $(p) \
		$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p))$(newline))
	install -d -m 0755 $(DESTDIR)$(DOCDIR)
	install -m 0644 $(INSTALL_DOCS) $(DESTDIR)$(DOCDIR)/
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/sovguard/rules.d
	test -e $(DESTDIR)$(SYSCONFDIR)/sovguard/sovguard.conf || \
		install -m 0644 etc/sovguard.conf $(DESTDIR)$(SYSCONFDIR)/sovguard/sovguard.conf
	test -n "$$(ls $(DESTDIR)$(SYSCONFDIR)/sovguard/rules.d)" || \
		install -m 0644 etc/rules.d/*.rules $(DESTDIR)$(SYSCONFDIR)/sovguard/rules.d/
	$(Q)test -n "$(DESTDIR)" || ! command -v systemctl >/dev/null || \
		! test -d /run/systemd/system || systemctl daemon-reload

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/sovguardd $(DESTDIR)$(SBINDIR)/sovguardctl
	rm -f $(DESTDIR)$(UNITDIR)/sovguard.service $(DESTDIR)$(BASHCOMPDIR)/sovguardctl
	rm -f $(foreach p,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p)))
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "uninstall: $(DESTDIR)$(SYSCONFDIR)/sovguard kept (your configuration); remove it by hand"
	$(Q)test -n "$(DESTDIR)" || ! test -d /sys/fs/bpf/sovguard || \
		echo "uninstall: enforcement is still pinned in /sys/fs/bpf/sovguard: run 'sovguardd --remove' before uninstalling to end it" >&2

# The module's sources with their dkms.conf in /usr/src/sovguard-VERSION/
# (what sovguard-dkms ships): `dkms install sovguard/VERSION` then builds
# it for every kernel with headers, and again on each kernel upgrade.
DKMS_SRCDIR	= $(DESTDIR)/usr/src/sovguard-$(VERSION)
.PHONY: install-dkms
install-dkms:
	install -d -m 0755 $(DKMS_SRCDIR)/kmod $(DKMS_SRCDIR)/include/uapi
	install -m 0644 Kbuild $(DKMS_SRCDIR)/
	install -m 0644 kmod/Kbuild $(wildcard kmod/*.c kmod/*.h) $(DKMS_SRCDIR)/kmod/
	install -m 0644 include/uapi/sovguard.h $(DKMS_SRCDIR)/include/uapi/
	sed 's/#MODULE_VERSION#/$(VERSION)/g' debian/sovguard-dkms.dkms >$(DKMS_SRCDIR)/dkms.conf
	install -D -m 0644 debian/sovguard-dkms.modules-load.conf \
		$(DESTDIR)/usr/lib/modules-load.d/sovguard.conf

# The module for the running kernel (or KVER), where modprobe finds it.
# Prefer the sovguard-dkms package, which rebuilds it on kernel upgrades.
KVER		?= $(shell uname -r)
install-kmod:
	install -D -m 0644 $(O)/kmod/$(KVER)/sovguard.ko \
		$(DESTDIR)/lib/modules/$(KVER)/updates/sovguard.ko
	$(Q)test -n "$(DESTDIR)" || depmod -a $(KVER)

# The Debian packages, as CI builds them: dpkg-buildpackage writes into
# the parent directory; the results are moved to $(O)/deb/ and must pass
# lintian without an error or a warning (`make deb-lint` alone; overrides
# only with their reason, in debian/*.lintian-overrides).
.PHONY: deb deb-lint
deb:
	dpkg-buildpackage -us -uc -b
	$(Q)mkdir -p $(O)/deb
	$(Q)mv ../sovguard_$(VERSION)_* ../sovguard-dkms_$(VERSION)_* \
		../sovguard-dbgsym_$(VERSION)_* $(O)/deb/
	$(Q)ls $(O)/deb/
	$(Q)$(MAKE) --no-print-directory deb-lint

LINTIAN_FLAGS	:= --fail-on error,warning --tag-display-limit 0

deb-lint:
	@echo "  LINTIAN  $(O)/deb/sovguard_$(VERSION)_amd64.deb sovguard-dkms_$(VERSION)_all.deb"
	$(Q)lintian $(LINTIAN_FLAGS) $(O)/deb/sovguard_$(VERSION)_amd64.deb \
		$(O)/deb/sovguard-dkms_$(VERSION)_all.deb

# The VM suite s-package installs the packages of this build: `make check`
# builds them again when the programs changed (SG_DEB is set above).
$(SG_DEB): $(O)/sovguardd $(O)/sovguardctl
	$(Q)rm -f $(O)/deb/*.deb $(O)/deb/*.ddeb
	$(Q)$(MAKE) --no-print-directory deb

define newline


endef

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

endif # SG_SUDO
