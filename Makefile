# vtlmon: one Makefile for the monitor (host), the guest kernels (freestanding) and the tests.
#
# Conventions (new files are picked up without editing this file):
#   monitor/*/*.c hypercalls/*.c policy/*.c -> build/libvtlmon.a (host), monitor/main.c -> build/vtlmon
#     (monitor/ folders are layers: docs/architecture.md; `make check-layers` enforces them)
#   guestlib/*.c                          -> freestanding runtime shared by both guest kernels
#   vtl0/lib/*.{c,S} + guestlib/*.c       -> build/vtl0/libvtl0.a (freestanding VTL0 runtime)
#   vtl0/demo/*.c                         -> build/vtl0/demo.elf
#   vtl0/tests/NAME.c                     -> build/vtl0/tests/NAME.elf (one test guest per file)
#   vtl1/*.{c,S} + guestlib/*.c + policy/*.c -> build/vtl1/vtl1.elf (freestanding, -mcmodel=kernel)
#   tests/unit/*.c                        -> build/tests/unit-tests (Criterion, no /dev/kvm)
#   tests/kvm/*.c                         -> build/tests/kvm-tests  (Criterion, real /dev/kvm)
#   tests/scenarios/NAME/                 -> scenario tests through `vtlmon run` (scenarios.mk)
#   tests/cli/*.sh                        -> `make cli-test`: completion, man pages, install (no /dev/kvm)
#   docs/man/NAME.S.{head,tail}.md + a doc -> build/man/NAME.S (`make man`, pandoc)

B := build
CC ?= gcc
V ?= 0
Q := $(if $(filter 1,$(V)),,@)

# Capstone: headers only. vtlmon never links it (its relocations cost ~3 MiB of RSS at load, and it
# parses guest bytes): the decoder process dlopen()s it by soname (monitor/x86/csdl.c).
PKGS := libelf libseccomp libsodium
PKG_CFLAGS := $(shell pkg-config --cflags capstone $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CAPSTONE_SONAME := $(shell objdump -p $$(pkg-config --variable=libdir capstone 2>/dev/null)/libcapstone.so \
	2>/dev/null | awk '/SONAME/ {print $$2}')

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
DEP := -MMD -MP

HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) $(DEP) -Iinclude -I. -D_GNU_SOURCE $(PKG_CFLAGS) -pthread
HOST_LDFLAGS := -pthread
ifeq ($(SANITIZE),1)
HOST_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
HOST_LDFLAGS += -fsanitize=address,undefined
B := build-san
endif
# ThreadSanitizer (`make tsan`): Criterion's runner does not start under it, so only vtlmon runs.
ifeq ($(SANITIZE),thread)
HOST_CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
HOST_LDFLAGS += -fsanitize=thread
B := build-tsan
endif

GUEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) $(DEP) -Iinclude -I. \
	-ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone -fno-stack-protector \
	-mgeneral-regs-only -fno-asynchronous-unwind-tables -fcf-protection=none \
	-fno-tree-loop-distribute-patterns -fno-common -DVTL_GUEST=1
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack
VTL0_CFLAGS := $(GUEST_CFLAGS) -mcmodel=small -Ivtl0/lib -Iguestlib -DVTL_GUEST_VTL=0
VTL1_CFLAGS := $(GUEST_CFLAGS) -mcmodel=kernel -Ivtl1 -Iguestlib -DVTL_GUEST_VTL=1

# ---- sources -------------------------------------------------------------
# policy/*.c goes into both the host library and VTL1; policy/host/*.c (host-only) never into VTL1.
POLICY_SRCS := $(wildcard policy/*.c)
POLICY_HOST_SRCS := $(wildcard policy/host/*.c)
LIB_SRCS := $(wildcard monitor/*/*.c hypercalls/*.c) $(POLICY_SRCS) $(POLICY_HOST_SRCS)
LIB_ASM := $(wildcard monitor/*/*.S)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/host/%.o) $(LIB_ASM:%.S=$(B)/host/%.o)

GUESTLIB_SRCS := $(wildcard guestlib/*.c)
VTL0_LIB_SRCS := $(wildcard vtl0/lib/*.c vtl0/lib/*.S) $(GUESTLIB_SRCS)
VTL0_LIB_OBJS := $(patsubst %,$(B)/guest/%.o,$(basename $(VTL0_LIB_SRCS)))
VTL0_DEMO_OBJS := $(patsubst %.c,$(B)/guest/%.o,$(wildcard vtl0/demo/*.c))
VTL0_TEST_SRCS := $(wildcard vtl0/tests/*.c)
VTL0_TEST_ELFS := $(patsubst vtl0/tests/%.c,$(B)/vtl0/tests/%.elf,$(VTL0_TEST_SRCS))

VTL1_SRCS := $(wildcard vtl1/*.c vtl1/*.S)
VTL1_OBJS := $(patsubst %,$(B)/guest1/%.o,$(basename $(VTL1_SRCS))) \
	$(GUESTLIB_SRCS:%.c=$(B)/guest1/%.o) $(POLICY_SRCS:%.c=$(B)/guest1/%.o)

# tests/lib/*.c (queries on the event log) is linked into every test program.
TESTLIB_SRCS := $(wildcard tests/lib/*.c)
UNIT_SRCS := $(wildcard tests/unit/*.c) $(TESTLIB_SRCS)
KVM_SRCS := $(wildcard tests/kvm/*.c) $(TESTLIB_SRCS)

VTLMON := $(B)/vtlmon
LIBVTLMON := $(B)/libvtlmon.a
DEMO_ELF := $(B)/vtl0/demo.elf
VTL1_ELF := $(B)/vtl1/vtl1.elf
GUESTS := $(DEMO_ELF) $(VTL1_ELF) $(VTL0_TEST_ELFS)

.PHONY: all test unit-test kvm-test cli-test bench valgrind deps format check-format check-layers clean \
	guests linux man install uninstall FORCE
all: $(VTLMON) $(GUESTS)
guests: $(GUESTS)

# ---- host ----------------------------------------------------------------
$(B)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -c $< -o $@

# The built-in demo images are embedded with .incbin, so they are prerequisites.
$(B)/host/monitor/image/embedded.o: monitor/image/embedded.S $(DEMO_ELF) $(VTL1_ELF) $(B)/vtl0/tests/bench.elf \
		$(B)/vtl0/tests/cr_latency.elf policy/examples/default.policy
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -DDEMO_ELF='"$(DEMO_ELF)"' -DVTL1_ELF='"$(VTL1_ELF)"' \
		-DBENCH_ELF='"$(B)/vtl0/tests/bench.elf"' \
		-DCR_LATENCY_ELF='"$(B)/vtl0/tests/cr_latency.elf"' \
		-DDEFAULT_POLICY='"policy/examples/default.policy"' \
		-c $< -o $@

$(B)/host/monitor/x86/csdl.o: HOST_CFLAGS += $(if $(CAPSTONE_SONAME),-DCSDL_SONAME='"$(CAPSTONE_SONAME)"')

$(LIBVTLMON): $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(VTLMON): $(B)/host/monitor/main.o $(LIBVTLMON)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# ---- guests --------------------------------------------------------------
$(B)/guest/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(VTL0_CFLAGS) -c $< -o $@
$(B)/guest/%.o: %.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(VTL0_CFLAGS) -c $< -o $@
$(B)/guest1/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(VTL1_CFLAGS) -c $< -o $@
$(B)/guest1/%.o: %.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(VTL1_CFLAGS) -c $< -o $@

$(B)/vtl0/libvtl0.a: $(VTL0_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(DEMO_ELF): $(VTL0_DEMO_OBJS) $(B)/vtl0/libvtl0.a vtl0/vtl0.ld
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_LDFLAGS) -T vtl0/vtl0.ld -o $@ $(VTL0_DEMO_OBJS) $(B)/vtl0/libvtl0.a -lgcc

$(B)/vtl0/tests/%.elf: $(B)/guest/vtl0/tests/%.o $(B)/vtl0/libvtl0.a vtl0/vtl0.ld
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_LDFLAGS) -T vtl0/vtl0.ld -o $@ $< $(B)/vtl0/libvtl0.a -lgcc

$(VTL1_ELF): $(VTL1_OBJS) vtl1/vtl1.ld
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_LDFLAGS) -T vtl1/vtl1.ld -o $@ $(VTL1_OBJS) -lgcc

# ---- tests ---------------------------------------------------------------
TEST_CFLAGS := $(HOST_CFLAGS) -Wno-missing-prototypes -DGUEST_DIR='"$(abspath $(B))"' \
	-DVTLMON_BIN='"$(abspath $(VTLMON))"' -DSRC_DIR='"$(abspath .)"'
$(B)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(B)/tests/unit-tests: $(UNIT_SRCS:tests/%.c=$(B)/tests/%.o) $(LIBVTLMON)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcriterion
$(B)/tests/kvm-tests: $(KVM_SRCS:tests/%.c=$(B)/tests/%.o) $(LIBVTLMON)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcriterion

# Criterion forks a process per test; -j1 keeps KVM tests from competing for
# the two cores (timing is never asserted, but watchdogs are).
CRITERION_ARGS ?= --jobs 1
unit-test: $(B)/tests/unit-tests
	$(B)/tests/unit-tests $(CRITERION_ARGS)
kvm-test: $(B)/tests/kvm-tests all linux
	@if [ ! -c /dev/kvm ]; then echo "kvm-test: /dev/kvm missing: KVM tests cannot run" >&2; exit 1; fi
	$(B)/tests/kvm-tests $(CRITERION_ARGS)

# The SMP runs under ThreadSanitizer (build-tsan/): the race guest and the demo on 4 vCPUs, a
# stress seed that kexecs and resets on 4, Linux on 2 when `make linux-smp` has built it. Not in
# CI (minutes, and a data race is a finding to read, not a pass/fail line). --no-sandbox: TSan
# makes system calls of its own.
# The seed module (tests/kvm/test_stress.c's layout): seed 0x8c9a7c948dde5b79, 400 iterations, deny.
TSAN_STRESS_SEED := /tmp/vtlmon-tsan-seed.bin
.PHONY: tsan
tsan:
	$(MAKE) SANITIZE=thread all
	printf '\171\133\336\215\224\174\232\214\220\001\000\000\001\000\000\000' >$(TSAN_STRESS_SEED)
	TSAN_OPTIONS=halt_on_error=1 build-tsan/vtlmon run --no-sandbox --quiet \
		--vtl0 build-tsan/vtl0/tests/race.elf --cpus 4 2>/dev/null
	TSAN_OPTIONS=halt_on_error=1 build-tsan/vtlmon run --no-sandbox --quiet --cpus 4 2>/dev/null
	TSAN_OPTIONS=halt_on_error=1 build-tsan/vtlmon run --no-sandbox --quiet --cpus 4 \
		--vtl0 build-tsan/vtl0/tests/stress.elf --policy tests/policies/stress-deny.policy \
		--module $(TSAN_STRESS_SEED) --timeout 200 2>/dev/null; \
		st=$$?; [ $$st -ne 66 ] || { echo "tsan: a data race (status 66)" >&2; exit 1; }
	if [ -f $(LINUX_SMP_DIR)/vmlinux ]; then TSAN_OPTIONS=halt_on_error=1 build-tsan/vtlmon run \
		--no-sandbox --quiet --kernel $(LINUX_SMP_DIR)/vmlinux \
		--initrd $(LINUX_DIR)/initramfs.cpio --policy policy/examples/linux.policy \
		--append "rodata=off" --cpus 2 --timeout 300 2>/dev/null; fi
	@echo "tsan: no data race in the SMP runs"

# Longer seeded runs than `make test` (which runs 40 stress seeds per policy, 12 per SMP size and
# 5 race seeds per size): the hostile stress suite on 1, 2 and 4 vCPUs and the SMP race suite.
STRESS_SEEDS ?= 200
RACE_SEEDS ?= 40
.PHONY: stress
stress: $(B)/tests/kvm-tests all
	VTLMON_STRESS_SEEDS=$(STRESS_SEEDS) $(B)/tests/kvm-tests $(CRITERION_ARGS) --filter 'stress/*'
	VTLMON_RACE_SEEDS=$(RACE_SEEDS) $(B)/tests/kvm-tests $(CRITERION_ARGS) --filter 'smp/race*'
include tests/scenarios/scenarios.mk

test: all unit-test kvm-test scenario-selftest scenario-test cli-test

# The shell tests of what a user meets outside a guest run: the bash completion, the man
# pages and `make install` (tests/cli/install.sh runs `make install DESTDIR=...` itself).
CLI_TESTS := $(wildcard tests/cli/*.sh)
cli-test: $(VTLMON) man
	$(Q)fails=0; for t in $(CLI_TESTS); do \
		VTLMON=$(abspath $(VTLMON)) MAN_DIR=$(abspath $(B)/man) MAKE="$(MAKE)" bash $$t || fails=$$((fails + 1)); \
	done; \
	if [ $$fails -ne 0 ]; then echo "cli-test: $$fails of $(words $(CLI_TESTS)) scripts failed" >&2; exit 1; fi; \
	echo "cli-test: $(words $(CLI_TESTS)) scripts passed"

bench: all
	$(VTLMON) bench

# Monitor instructions per PROTECT call and per exit (callgrind on real KVM; docs/results.md).
.PHONY: bench-instr
bench-instr: all
	bash bench/instr.sh $(VTLMON) $(B)/vtl0/tests/bench.elf

# Launch wall time and peak RSS against QEMU -M microvm, each running a guest that exits at once
# (bench/compare.sh; docs/results.md); skipped without qemu-system-x86_64. QEMU's guest is a PVH
# image of its own, bench/pvh_exit.S (the object from the VTL0 $(B)/guest/%.o rule); the runs
# are timed and their peak RSS read by bench/measure.c (the object from the host rule).
PVH_EXIT_ELF := $(B)/bench/pvh-exit.elf
BENCH_METER := $(B)/bench/measure
.PHONY: bench-compare
bench-compare: $(BENCH_METER) $(VTLMON) $(B)/vtl0/tests/launch.elf $(PVH_EXIT_ELF)
	bash bench/compare.sh $(BENCH_METER) $(VTLMON) $(B)/vtl0/tests/launch.elf $(PVH_EXIT_ELF) $(BENCH_COMPARE_RUNS)

$(PVH_EXIT_ELF): $(B)/guest/bench/pvh_exit.o bench/pvh_exit.ld
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_LDFLAGS) -T bench/pvh_exit.ld -o $@ $<

$(BENCH_METER): $(B)/host/bench/measure.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $<

# The demo under memcheck: no errors, no leaks. --no-sandbox because valgrind
# cannot run a seccomp filter (the monitor refuses to start without it).
valgrind: all
	valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect $(VTLMON) run --quiet --no-sandbox --timeout 60

# apt-get waits up to 10 minutes for the dpkg lock (another apt, unattended-upgrades)
# instead of failing at once.
APT_GET := apt-get -o DPkg::Lock::Timeout=600
deps:
	$(APT_GET) update -q
	DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -q --no-install-recommends \
		gcc make pkg-config binutils linux-libc-dev libcapstone-dev libelf-dev \
		libseccomp-dev libcriterion-dev libsodium-dev clang-format valgrind libxml2-utils \
		clang libclang-rt-14-dev llvm \
		linux-source-6.1 bc flex bison libssl-dev cpio patch lz4 xz-utils python3 \
		pandoc man-db groff-base

# ---- install paths (make install, and named in the man pages) --------------
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
POLICYDIR ?= $(DATADIR)/vtlmon/policies
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
DOCDIR ?= $(DATADIR)/doc/vtlmon
EXAMPLE_POLICIES := $(wildcard policy/examples/*.policy)

# ---- man pages -------------------------------------------------------------
# build/man/vtlmon.1 from docs/cli.md, build/man/vtlmon-policy.5 from docs/policy.md: each is
# docs/man/PAGE.head.md (NAME, SYNOPSIS, DESCRIPTION), the doc without its title line and
# docs/man/PAGE.tail.md (FILES, SEE ALSO), with headings moved up one level (the doc's `##`
# become sections) and tables turned into lists (docs/man/man.lua). The version is
# monitor/base/version.h's; the date that of the last commit that changed docs/.
VERSION := $(shell sed -n 's/^\#define VTLMON_VERSION "\(.*\)"$$/\1/p' monitor/base/version.h)
MAN_DATE ?= $(or $(shell git log -1 --format=%cs -- docs 2>/dev/null),$(shell date -u +%Y-%m-%d))
MAN_PAGES := $(B)/man/vtlmon.1 $(B)/man/vtlmon-policy.5
man: $(MAN_PAGES)

$(B)/man/vtlmon.1: docs/cli.md
$(B)/man/vtlmon-policy.5: docs/policy.md
$(B)/man/%: docs/man/%.head.md docs/man/%.tail.md docs/man/man.lua monitor/base/version.h $(B)/man/paths \
		Makefile
	@command -v pandoc >/dev/null || { echo "man: pandoc is missing (make deps)" >&2; exit 1; }
	$(Q){ cat docs/man/$*.head.md; sed '1{/^# /d}' $(filter-out docs/man/%,$(filter %.md,$^)); \
		cat docs/man/$*.tail.md; } | \
		sed -e 's|@POLICYDIR@|$(POLICYDIR)|g' -e 's|@BASHCOMPDIR@|$(BASHCOMPDIR)|g' | \
		pandoc -f markdown -t man -s --lua-filter docs/man/man.lua --shift-heading-level-by=-1 \
			-M footer='vtlmon $(VERSION)' -M date='$(MAN_DATE)' -M adjusting=l \
			-M hyphenate=false -V header-includes='.nr HY 0' \
			-o $@

# The installed paths named in the pages: rewritten (so the pages rebuilt) only when they change.
$(B)/man/paths: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(POLICYDIR)' '$(BASHCOMPDIR)' | cmp -s - $@ || \
		printf '%s\n' '$(POLICYDIR)' '$(BASHCOMPDIR)' > $@
FORCE:

# ---- install ---------------------------------------------------------------
# The guest images vtlmon needs at run time (reference VTL1, demo and bench VTL0 kernels,
# default policy) are linked into the binary (monitor/image/embedded.S): nothing to install
# for them, and an installed vtlmon never looks in build/.
install: $(VTLMON) $(MAN_PAGES)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(POLICYDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(VTLMON) $(DESTDIR)$(BINDIR)/vtlmon
	install -m 0644 $(B)/man/vtlmon.1 $(DESTDIR)$(MANDIR)/man1/vtlmon.1
	install -m 0644 $(B)/man/vtlmon-policy.5 $(DESTDIR)$(MANDIR)/man5/vtlmon-policy.5
	install -m 0644 $(EXAMPLE_POLICIES) $(DESTDIR)$(POLICYDIR)/
	install -m 0644 completion/vtlmon.bash $(DESTDIR)$(BASHCOMPDIR)/vtlmon
	install -m 0644 LICENSE $(DESTDIR)$(DOCDIR)/LICENSE

# Removes what install put there; a policy of your own in POLICYDIR stays, and so does its folder.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vtlmon $(DESTDIR)$(MANDIR)/man1/vtlmon.1 \
		$(DESTDIR)$(MANDIR)/man5/vtlmon-policy.5 $(DESTDIR)$(BASHCOMPDIR)/vtlmon \
		$(DESTDIR)$(DOCDIR)/LICENSE $(addprefix $(DESTDIR)$(POLICYDIR)/,$(notdir $(EXAMPLE_POLICIES)))
	rmdir $(DESTDIR)$(POLICYDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	rmdir $(DESTDIR)$(DATADIR)/vtlmon 2>/dev/null || true

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	@clang-format -i $(FORMAT_FILES)
check-format:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "check-format: $(words $(FORMAT_FILES)) files formatted"

# monitor/ layers depend one way, no file cycles, ioctl() only in monitor/kvm/ (docs/architecture.md).
check-layers:
	@bash tests/check-layers.sh

clean:
	rm -rf build build-san

.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)

include tests/fuzz/fuzz.mk
include vtl0/linux/linux.mk
