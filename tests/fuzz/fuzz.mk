# libFuzzer targets for the parsers and validators that read guest bytes; included by the Makefile.
#
#   make fuzz-build      build every target into build/fuzz/ (clang, ASan + UBSan + libFuzzer)
#   make fuzz            fuzz each target for FUZZ_SECONDS on a copy of its seed corpus
#   make fuzz-regress    run every committed corpus and regression input once (fast, for CI)
#   make fuzz-pending    the regression inputs of reported, unfixed bugs, with their checks on
#   make fuzz-NAME       fuzz one target, e.g. make fuzz-policy FUZZ_SECONDS=600
#   make fuzz-coverage   line/region coverage of the code under test by the working corpora
#   make fuzz-seeds      regenerate the generated seeds in tests/fuzz/corpus/ (maintainers)
#   make fuzz-clean      remove build/fuzz/ (binaries, working corpora, crash artifacts)
#
# Targets are built straight from the sources they test, not from libvtlmon.a,
# so that only the code under test carries coverage instrumentation and each
# binary links only what it needs. Docs: docs/fuzzing.md.

FUZZ_B := build/fuzz
FUZZ_DIR := tests/fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_FLAGS ?=
FUZZ_Q := $(if $(filter 1,$(V)),,@)

FUZZ_TARGETS := callblock policy elf exit ptwalk inspect json insn permmap guestram events cli \
	vtl1 console report linux

# Sanitizers abort on the first report (no recovery), so libFuzzer saves the input.
FUZZ_SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
FUZZ_CFLAGS := -std=gnu11 -O1 -g $(FUZZ_WARN) -Iinclude -I. -I$(FUZZ_DIR) -D_GNU_SOURCE \
	$(shell pkg-config --cflags libelf capstone 2>/dev/null) \
	$(if $(CAPSTONE_SONAME),-DCSDL_SONAME='"$(CAPSTONE_SONAME)"')

# Per target: the sources under test, extra libraries, the largest input worth mutating.
FUZZ_SRCS_callblock := hypercalls/calls.c hypercalls/ops.c
FUZZ_MAXLEN_callblock := 4200
FUZZ_SRCS_policy := $(wildcard policy/*.c policy/host/*.c)
FUZZ_MAXLEN_policy := 8192
FUZZ_SRCS_elf := monitor/image/elf_load.c
FUZZ_LIBS_elf := $(shell pkg-config --libs libelf 2>/dev/null || echo -lelf)
FUZZ_MAXLEN_elf := 65536
FUZZ_SRCS_exit := monitor/kvm/exit.c
FUZZ_MAXLEN_exit := 4096
FUZZ_SRCS_ptwalk := monitor/x86/ptwalk.c
FUZZ_MAXLEN_ptwalk := 24576
# Capstone through monitor/x86/csdl.c (dlopen, in-process: no decoder process in a fuzzer).
FUZZ_DECODER_SRCS := monitor/x86/csdl.c monitor/x86/decoder.c monitor/base/log.c
FUZZ_SRCS_inspect := monitor/image/inspect.c monitor/image/elf_load.c monitor/x86/disasm.c \
	$(FUZZ_DECODER_SRCS)
FUZZ_LIBS_inspect := $(shell pkg-config --libs libelf libseccomp 2>/dev/null || echo -lelf -lseccomp) \
	-pthread
FUZZ_MAXLEN_inspect := 65536
FUZZ_SRCS_json := monitor/base/events.c monitor/base/log.c monitor/base/file.c
# The event-log reader decodes json_escape's output back, and parses the raw input too.
FUZZ_SRCS_json += monitor/base/evlog.c
FUZZ_LIBS_json := -pthread
FUZZ_MAXLEN_json := 2048
FUZZ_SRCS_insn := monitor/x86/insn.c monitor/x86/insn_len.c $(FUZZ_DECODER_SRCS)

# fuzz_insn.c also calls Capstone itself (its reference decoder): linked, and dlopen finds it loaded.
FUZZ_LIBS_insn := $(shell pkg-config --libs capstone libseccomp 2>/dev/null || echo -lcapstone -lseccomp) \
	-pthread
FUZZ_MAXLEN_insn := 256
FUZZ_SRCS_permmap := monitor/protect/permmap.c monitor/protect/perm.c monitor/base/mem.c monitor/base/log.c
FUZZ_MAXLEN_permmap := 2048
FUZZ_SRCS_guestram := monitor/base/mem.c monitor/base/log.c
FUZZ_SRCS_console := monitor/base/console_line.c
FUZZ_MAXLEN_console := 4096
FUZZ_MAXLEN_guestram := 9000
FUZZ_SRCS_events := monitor/base/events.c monitor/base/log.c monitor/base/file.c
FUZZ_LIBS_events := -pthread
FUZZ_MAXLEN_events := 8192
# cli.c and its file reads: the harness stubs the machine, the embedded images and the logger.
FUZZ_SRCS_cli := monitor/cmd/cli.c $(wildcard monitor/base/file.c) monitor/base/input.c
FUZZ_LIBS_cli := -lm -lsodium
FUZZ_MAXLEN_cli := 1024
# `vtlmon report` over any bytes: the reader, the summary in both forms, the SVG.
FUZZ_SRCS_report := monitor/cmd/report.c monitor/base/evlog.c monitor/base/events.c monitor/base/file.c \
	monitor/base/log.c
FUZZ_LIBS_report := -pthread
FUZZ_MAXLEN_report := 8192
# The Linux boot protocol on any kernel file (a VTL0 kexec image is the guest's choice): the
# harness stubs what linux_boot_vcpu calls (KVM, the boot area), which it never runs.
FUZZ_SRCS_linux := monitor/x86/linux_boot.c
FUZZ_MAXLEN_linux := 20480
# VTL1's freestanding sources built for the host: vtl1_host.c includes the files whose static
# state a run resets (FUZZ_VTL1_INCLUDED) and guestlib/console.c (behind the shims' include
# guards); every other vtl1/*.c is compiled as it is. The shims in vtl1_host/ come first.
FUZZ_VTL1_INCLUDED := vtl1/oplist.c vtl1/main.c vtl1/kexec.c vtl1/policy_apply.c
FUZZ_SRCS_vtl1 := $(FUZZ_DIR)/vtl1_host.c $(filter-out $(FUZZ_VTL1_INCLUDED),$(wildcard vtl1/*.c)) \
	guestlib/fmt.c hypercalls/ops.c $(wildcard policy/*.c)
FUZZ_CFLAGS_vtl1 := -iquote $(FUZZ_DIR)/vtl1_host -iquote guestlib -DVTL_GUEST_VTL=1
FUZZ_DEPS_vtl1 := $(wildcard vtl1/*.c vtl1/*.h guestlib/*.[ch] $(FUZZ_DIR)/vtl1_host/*.h) \
	$(wildcard policy/examples/*.policy)
FUZZ_COVER_vtl1 := $(wildcard vtl1/*.c) guestlib/fmt.c
FUZZ_MAXLEN_vtl1 := 4096

# Any header may change a struct layout the harnesses depend on.
FUZZ_HDRS := $(wildcard include/*.h monitor/*.h monitor/*/*.h hypercalls/*.h policy/*.h \
	$(FUZZ_DIR)/*.h)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz_%)

.PHONY: fuzz fuzz-build fuzz-regress fuzz-pending fuzz-coverage fuzz-seeds fuzz-clean \
	$(FUZZ_TARGETS:%=fuzz-%) \
	$(FUZZ_TARGETS:%=fuzz-coverage-%)

fuzz-build: $(FUZZ_BINS)

define FUZZ_TARGET_RULES
$(FUZZ_B)/fuzz_$(1): $(FUZZ_DIR)/fuzz_$(1).c $(FUZZ_SRCS_$(1)) $(FUZZ_DEPS_$(1)) $(FUZZ_HDRS)
	@mkdir -p $$(dir $$@)
	$(FUZZ_Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CFLAGS_$(1)) $(FUZZ_SAN) -o $$@ \
		$(FUZZ_DIR)/fuzz_$(1).c $(FUZZ_SRCS_$(1)) $(FUZZ_LIBS_$(1))

# Fuzzing mutates a working copy in build/fuzz/, so the committed corpus
# only changes when someone decides to add an input to it.
fuzz-$(1): $(FUZZ_B)/fuzz_$(1)
	@mkdir -p $(FUZZ_B)/corpus/$(1) $(FUZZ_B)/artifacts/$(1)
	@cp -n $(FUZZ_DIR)/corpus/$(1)/* $(FUZZ_B)/corpus/$(1)/ 2>/dev/null || true
	$(FUZZ_B)/fuzz_$(1) -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAXLEN_$(1)) \
		-timeout=20 -print_final_stats=1 \
		$(if $(wildcard $(FUZZ_DIR)/$(1).dict),-dict=$(FUZZ_DIR)/$(1).dict) \
		-artifact_prefix=$(FUZZ_B)/artifacts/$(1)/ $(FUZZ_FLAGS) $(FUZZ_B)/corpus/$(1)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_TARGET_RULES,$(t))))

# -k -j1: every target gets its turn even after one finds a crash, one at a time.
fuzz: fuzz-build
	$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) -k -j1 $(FUZZ_TARGETS:%=fuzz-%)

# Each input is passed as a file, so libFuzzer runs it once and writes nothing.
fuzz-regress: fuzz-build
	$(FUZZ_Q)fail=; for t in $(FUZZ_TARGETS); do \
		files=$$(find $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/regress/$$t -type f 2>/dev/null); \
		[ -n "$$files" ] || continue; \
		n=$$(echo "$$files" | wc -l); \
		if echo "$$files" | xargs $(FUZZ_B)/fuzz_$$t -runs=1 >$(FUZZ_B)/regress-$$t.log 2>&1; \
		then echo "fuzz-regress: $$t: $$n inputs ok"; \
		else echo "fuzz-regress: $$t: FAILED (see $(FUZZ_B)/regress-$$t.log)"; \
			grep -E 'ERROR|invariant failed|Running:' $(FUZZ_B)/regress-$$t.log | tail -n 3; \
			fail="$$fail $$t"; fi; \
	done; \
	if [ -n "$$fail" ]; then echo "fuzz-regress: failed:$$fail"; exit 1; fi

# Inputs for bugs reported but not fixed yet (regress/<target>/pending-*): fuzz-regress runs
# them with their check off; here FUZZ_PENDING=1 turns it on, and each should still fail.
fuzz-pending: fuzz-build
	$(FUZZ_Q)for f in $$(find $(FUZZ_DIR)/regress -type f -name 'pending-*' | sort); do \
		t=$$(basename $$(dirname $$f)); \
		if FUZZ_PENDING=1 $(FUZZ_B)/fuzz_$$t -runs=1 $$f >$(FUZZ_B)/pending.log 2>&1; \
		then echo "fuzz-pending: $$t/$$(basename $$f): passes now: make its check a FUZZ_CHECK"; \
		else echo "fuzz-pending: $$t/$$(basename $$f): still fails: $$(grep -E -m1 \
			'invariant failed|ERROR: [A-Za-z]+Sanitizer' $(FUZZ_B)/pending.log | \
			sed 's/.*invariant failed: [^:]*: //')"; fi; \
	done

# Source coverage: the same targets built with clang's coverage mapping (no
# sanitizers) replay the working corpus (or the seeds if there is none yet);
# llvm-cov then reports only the files under test, not the harnesses.
FUZZ_LLVM_PROFDATA ?= $(firstword $(shell command -v llvm-profdata llvm-profdata-14 2>/dev/null))
FUZZ_LLVM_COV ?= $(firstword $(shell command -v llvm-cov llvm-cov-14 2>/dev/null))
define FUZZ_COV_RULES
$(FUZZ_B)/cov/fuzz_$(1): $(FUZZ_DIR)/fuzz_$(1).c $(FUZZ_SRCS_$(1)) $(FUZZ_DEPS_$(1)) $(FUZZ_HDRS)
	@mkdir -p $$(dir $$@)
	$(FUZZ_Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CFLAGS_$(1)) -fsanitize=fuzzer \
		-fprofile-instr-generate -fcoverage-mapping -o $$@ $(FUZZ_DIR)/fuzz_$(1).c \
		$(FUZZ_SRCS_$(1)) $(FUZZ_LIBS_$(1))

fuzz-coverage-$(1): $(FUZZ_B)/cov/fuzz_$(1)
	$(FUZZ_Q)dir=$(FUZZ_B)/corpus/$(1); [ -d $$$$dir ] || dir=$(FUZZ_DIR)/corpus/$(1); \
	rm -f $(FUZZ_B)/cov/$(1).profraw; \
	LLVM_PROFILE_FILE=$(FUZZ_B)/cov/$(1).profraw $(FUZZ_B)/cov/fuzz_$(1) -runs=0 $$$$dir \
		$(wildcard $(FUZZ_DIR)/regress/$(1)) >/dev/null 2>&1; \
	$(FUZZ_LLVM_PROFDATA) merge -o $(FUZZ_B)/cov/$(1).profdata $(FUZZ_B)/cov/$(1).profraw && \
	echo "== $(1) ($$$$dir)" && \
	$(FUZZ_LLVM_COV) report $(FUZZ_B)/cov/fuzz_$(1) -instr-profile=$(FUZZ_B)/cov/$(1).profdata \
		$(or $(FUZZ_COVER_$(1)),$(FUZZ_SRCS_$(1)))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_COV_RULES,$(t))))

fuzz-coverage: $(FUZZ_TARGETS:%=fuzz-coverage-%)

# The one target that writes to the committed corpus: binary seeds from
# mkseeds.c, the example policies, and the built guest images (stripped of
# debug info to stay small; inspect's copies keep their symbols, its anchors).
# Once the test kernel is built (make linux), mkseeds also takes the head of
# its bzImage for corpus/linux/ (without it, the committed copies stay).
FUZZ_GUESTS := $(B)/vtl0/demo.elf $(B)/vtl1/vtl1.elf $(B)/vtl0/tests/exitcode.elf
$(FUZZ_B)/mkseeds: $(FUZZ_DIR)/mkseeds.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_Q)$(FUZZ_CC) -std=gnu11 -O1 -g $(FUZZ_WARN) -Iinclude -I. -D_GNU_SOURCE -o $@ $<
fuzz-seeds: $(FUZZ_B)/mkseeds $(FUZZ_GUESTS)
	$(FUZZ_B)/mkseeds $(FUZZ_DIR)/corpus $(wildcard $(LINUX_DIR)/bzImage)
	mkdir -p $(FUZZ_DIR)/corpus/policy $(FUZZ_DIR)/corpus/elf $(FUZZ_DIR)/corpus/inspect
	for f in policy/examples/*.policy; do \
		cp $$f $(FUZZ_DIR)/corpus/policy/example-$$(basename $$f); done
	for f in $(FUZZ_GUESTS); do \
		strip -s -o $(FUZZ_DIR)/corpus/elf/guest-$$(basename $$f) $$f; done
	for f in $(B)/vtl0/demo.elf $(B)/vtl0/tests/exitcode.elf; do \
		strip -g -o $(FUZZ_DIR)/corpus/inspect/guest-$$(basename $$f) $$f; done

fuzz-clean:
	rm -rf $(FUZZ_B)
