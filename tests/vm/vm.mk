# SPDX-License-Identifier: GPL-2.0
#
# VM harness (scripts/vm-run, docs/testing.md): Debian's cloud kernels 6.1
# and 6.12, the ones whose headers are installed (the module is built
# against them), extracted with an initramfs into $(O)/vm/.
#
#   make vm-kernels               fetch and extract the kernels, build initramfs
#   make vm-shell KERNEL=6.12     interactive shell in a VM (MODE=systemd too)
#   make check-vm                 the VM suites (tests/vm/suites.sh)

VM_RUN		:= $(SRC)/scripts/vm-run
VM_KERNELS	?= 6.1 6.12
KERNEL		?= 6.1
MODE		?= initramfs
# 6.1 -> 6.1.0-56-cloud-amd64: the newest installed cloud headers of that
# series, as vm-run chooses it.
vm_kver		= $(shell $(VM_RUN) --kernel $(1) --print-kver 2>/dev/null)
VM_KVERS	:= $(foreach k,$(VM_KERNELS),$(call vm_kver,$(k)))
VM_CHECK_DEPS	:= $(foreach v,$(VM_KVERS),$(O)/vm/initramfs-$(v).cpio)

# The initramfs is rebuilt when vm-run changes; vm-run fetches the kernel
# package first when it is missing (apt-get download into $(O)/vm/cache).
$(O)/vm/initramfs-%.cpio: $(VM_RUN) | $(O)
	@echo "  VMKERNEL $*"
	$(Q)$(VM_RUN) --kernel $* --build $(O) --prepare

.PHONY: vm-kernels vm-shell
vm-kernels: $(VM_CHECK_DEPS)
ifneq ($(words $(VM_KERNELS)),$(words $(VM_KVERS)))
	@echo "vm-kernels: no cloud headers for some of '$(VM_KERNELS)' in /usr/src; run scripts/install-deps.sh" >&2
	@false
endif

vm-shell: $(O)/vm/initramfs-$(call vm_kver,$(KERNEL)).cpio
	$(Q)$(VM_RUN) --kernel $(KERNEL) --mode $(MODE) --build $(O) --timeout 86400 --interactive
