# Linux test kernel for VTL0, included by the Makefile: `make linux` builds it once and caches it.
#
#   build/linux/vmlinux          ELF, PT_LOADs at their physical addresses (also a PVH image)
#   build/linux/bzImage         the same kernel, LZ4-compressed
#   build/linux/System.map      symbols (the driver's section bounds, for tests and docs)
#   build/linux/initramfs.cpio  uncompressed newc cpio: /init (vtl0/linux/init.c), /dev/console
#   build/linux/initramfs-kexec.cpio  the same with /kexec/bzImage, for the kexec scenario
#   build/linux/src/            Debian's linux-source-6.1, patched, with the driver (kernel.sh)
#
# The kernel is rebuilt only when one of its inputs changes (the config fragment, a patch,
# the driver, the ABI headers it includes, the script), and then incrementally. A clean
# build takes about 4 minutes on 2 cores and needs nothing but Debian packages (`make deps`).
# docs/linux.md says what each piece is for.

# Not $(B)/linux: the kernel does not depend on how the monitor is built (SANITIZE=1 reuses it).
LINUX_DIR ?= build/linux
LINUX_TAR ?= /usr/src/linux-source-6.1.tar.xz
LINUX_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
LINUX_KERNEL_INPUTS := vtl0/linux/kernel.sh vtl0/linux/vtlmon.config vtl0/linux/vtlmon.c \
	vtl0/linux/vtlmon_attack.c \
	vtl0/linux/Kconfig $(sort $(wildcard vtl0/linux/patches/*.patch vtl0/linux/shim/*.h)) \
	include/vtl_call.h include/vtl_device.h include/vtl_layout.h include/vtl_status.h \
	include/vtl1_abi.h

# /init is freestanding: no libc, its own system call stubs, one static ELF of a few KiB.
LINUX_INIT_CFLAGS := -std=gnu11 -Os $(WARN) -static -nostdlib -ffreestanding -fno-pic -fno-pie \
	-no-pie -fno-stack-protector -fno-asynchronous-unwind-tables -fcf-protection=none \
	-mgeneral-regs-only -fno-tree-loop-distribute-patterns -Wl,--build-id=none \
	-Wl,-z,noexecstack -Wl,-z,max-page-size=4096

.PHONY: linux-force
linux: $(LINUX_DIR)/vmlinux $(LINUX_DIR)/bzImage $(LINUX_DIR)/initramfs.cpio \
	$(LINUX_DIR)/initramfs-foreign.cpio $(LINUX_DIR)/initramfs-kexec.cpio

# The input list itself is an input: removing a patch must rebuild too. The file is
# rewritten only when the list changes, so its mtime says when it last did.
$(LINUX_DIR)/kernel-inputs: linux-force
	@mkdir -p $(@D)
	@echo '$(LINUX_KERNEL_INPUTS) $(LINUX_TAR)' | cmp -s - $@ || \
		echo '$(LINUX_KERNEL_INPUTS) $(LINUX_TAR)' >$@

# MAKEFLAGS is dropped so that none of this Makefile's variables (B, V, SANITIZE...)
# leak into the kernel's make; it gets its own -j.
$(LINUX_DIR)/vmlinux $(LINUX_DIR)/bzImage $(LINUX_DIR)/System.map &: $(LINUX_KERNEL_INPUTS) \
		$(LINUX_DIR)/kernel-inputs $(wildcard $(LINUX_TAR))
	$(Q)env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL LINUX_TAR='$(LINUX_TAR)' JOBS='$(LINUX_JOBS)' \
		sh vtl0/linux/kernel.sh $(LINUX_DIR)

$(LINUX_DIR)/init: vtl0/linux/init.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(LINUX_INIT_CFLAGS) -o $@ $<

# gen_init_cpio is the kernel's own (built with it in usr/): device nodes need no root.
# -t 0 dates the directories and the node (files keep their own mtime).
$(LINUX_DIR)/initramfs.cpio: vtl0/linux/initramfs.list $(LINUX_DIR)/init $(LINUX_DIR)/vmlinux
	$(Q)sed 's|@INIT@|$(abspath $(LINUX_DIR)/init)|' $< >$@.list
	$(Q)$(LINUX_DIR)/src/usr/gen_init_cpio -t 0 $@.list >$@.tmp && mv $@.tmp $@
	$(Q)rm -f $@.list

# The test initramfs plus the kernel's own bzImage at /kexec/bzImage: what /init kexecs
# through the driver when the command line says vtltest.kexec=/kexec/bzImage.
$(LINUX_DIR)/initramfs-kexec.cpio: vtl0/linux/initramfs.list $(LINUX_DIR)/init $(LINUX_DIR)/bzImage
	$(Q)sed 's|@INIT@|$(abspath $(LINUX_DIR)/init)|' $< >$@.list
	$(Q)printf 'dir /kexec 0755 0 0\nfile /kexec/bzImage %s 0644 0 0\n' \
		'$(abspath $(LINUX_DIR)/bzImage)' >>$@.list
	$(Q)$(LINUX_DIR)/src/usr/gen_init_cpio -t 0 $@.list >$@.tmp && mv $@.tmp $@
	$(Q)rm -f $@.list

# The SMP variant (vtlmon-smp.config over vtlmon.config) in a tree of its own: only the SMP
# scenario boots it, with the uniprocessor kernel's initramfs (docs/linux.md).
LINUX_SMP_DIR ?= build/linux-smp
.PHONY: linux-smp
linux-smp: $(LINUX_SMP_DIR)/vmlinux linux

$(LINUX_SMP_DIR)/kernel-inputs: linux-force
	@mkdir -p $(@D)
	@echo '$(LINUX_KERNEL_INPUTS) vtl0/linux/vtlmon-smp.config $(LINUX_TAR)' | cmp -s - $@ || \
		echo '$(LINUX_KERNEL_INPUTS) vtl0/linux/vtlmon-smp.config $(LINUX_TAR)' >$@

$(LINUX_SMP_DIR)/vmlinux $(LINUX_SMP_DIR)/bzImage $(LINUX_SMP_DIR)/System.map &: \
		$(LINUX_KERNEL_INPUTS) vtl0/linux/vtlmon-smp.config $(LINUX_SMP_DIR)/kernel-inputs \
		$(wildcard $(LINUX_TAR))
	$(Q)env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL LINUX_TAR='$(LINUX_TAR)' JOBS='$(LINUX_JOBS)' \
		sh vtl0/linux/kernel.sh $(LINUX_SMP_DIR) vtl0/linux/vtlmon-smp.config

# Linux boot under vtlmon against QEMU microvm, same kernel and initramfs, interleaved
# (a measurement: skipped with a message when QEMU is not installed).
.PHONY: bench-linux
bench-linux: linux $(VTLMON) $(BENCH_METER)
	bash vtl0/linux/bench-linux.sh $(BENCH_METER) $(VTLMON) $(LINUX_DIR) $(BENCH_LINUX_RUNS)

# A /init that is not ours: a static libc program (the host's glibc), in its own initramfs.
$(LINUX_DIR)/foreign-init: vtl0/linux/foreign_init.c
	@mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -O2 $(WARN) -static -o $@ $<

$(LINUX_DIR)/initramfs-foreign.cpio: vtl0/linux/initramfs-foreign.list $(LINUX_DIR)/foreign-init \
		$(LINUX_DIR)/vmlinux
	$(Q)sed 's|@INIT@|$(abspath $(LINUX_DIR)/foreign-init)|' $< >$@.list
	$(Q)$(LINUX_DIR)/src/usr/gen_init_cpio -t 0 $@.list >$@.tmp && mv $@.tmp $@
	$(Q)rm -f $@.list
