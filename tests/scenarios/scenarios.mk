# Scenario tests, included by the Makefile: every tests/scenarios/<name>/ folder is one scenario.
#
#   tests/scenarios/<name>/<file>.c -> $(B)/scenarios/<name>/<file>.elf (guest.elf is the VTL0 kernel)
#   tests/scenarios/<name>/sign     -> $(B)/scenarios/<name>/<file>.sig for each `<file> <seed>` line
#   tests/scenarios/runner.c        -> $(B)/tests/scenario-runner (host, libc + libsodium, tests/lib)
#   tests/scenarios/kexec_sign.c    -> $(B)/tests/kexec-sign (host, libsodium: test signing keys)
#
# Uses the Makefile's variables and its $(B)/guest/%.o and $(B)/tests/%.o rules, so it must be
# included after them. Adding a scenario folder needs no edit here: everything is a wildcard.
#
#   make scenario-test                      every scenario
#   make scenario-test SCENARIO=exit-code   one (or several, space-separated)
#   make scenario-test SCENARIO_ARGS=-v     print every event of every scenario
#   make scenario-selftest                  wrong expectations must fail (the runner cannot pass blindly)

SCENARIO_SRCS := $(wildcard tests/scenarios/*/*.c)
SCENARIO_ELFS := $(patsubst tests/scenarios/%.c,$(B)/scenarios/%.elf,$(SCENARIO_SRCS))
SCENARIO_RUNNER := $(B)/tests/scenario-runner
KEXEC_SIGN := $(B)/tests/kexec-sign
# A stamp per `sign` file: its lines name the signatures, which make cannot see by itself.
SCENARIO_SIGNED := $(patsubst tests/scenarios/%/sign,$(B)/scenarios/%/sign.stamp,\
	$(wildcard tests/scenarios/*/sign))
SCENARIO_LIBS := $(or $(shell pkg-config --libs libsodium 2>/dev/null),-lsodium)
SCENARIO ?=
SCENARIO_ARGS ?=

.PHONY: scenarios scenario-test scenario-selftest
scenarios: $(SCENARIO_RUNNER) $(SCENARIO_ELFS) $(SCENARIO_SIGNED)

# The link of $(B)/vtl0/tests/%.elf; the object comes from the Makefile's VTL0 $(B)/guest/%.o rule.
$(B)/scenarios/%.elf: $(B)/guest/tests/scenarios/%.o $(B)/vtl0/libvtl0.a vtl0/vtl0.ld
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_LDFLAGS) -T vtl0/vtl0.ld -o $@ $< $(B)/vtl0/libvtl0.a -lgcc

# runner.o and the tests' event-log queries (TESTLIB_SRCS) come from the Makefile's $(B)/tests/%.o
# rule; the reader under them is the monitor's own (monitor/base/evlog.c).
$(SCENARIO_RUNNER): $(B)/tests/scenarios/runner.o $(TESTLIB_SRCS:tests/%.c=$(B)/tests/%.o) \
		$(B)/host/monitor/base/evlog.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(SCENARIO_LIBS)

$(KEXEC_SIGN): $(B)/tests/scenarios/kexec_sign.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(SCENARIO_LIBS)

# Signs the folder's ELFs named in its `sign` file (every scenario ELF is a prerequisite: re-signing
# is cheap, and a stale signature would make a scenario fail for the wrong reason).
$(B)/scenarios/%/sign.stamp: tests/scenarios/%/sign $(KEXEC_SIGN) $(SCENARIO_ELFS)
	@mkdir -p $(dir $@)
	$(Q)$(KEXEC_SIGN) list $< $(dir $@) && touch $@

# Scenarios with a `linux` file boot the Linux test kernel (`make linux`, built once and shared by
# every build directory: the kernel does not depend on how the monitor is built).
SCENARIO_LINUX := $(if $(wildcard tests/scenarios/*/linux),linux linux-smp)

scenario-test: $(SCENARIO_RUNNER) $(SCENARIO_ELFS) $(SCENARIO_SIGNED) $(VTLMON) $(SCENARIO_LINUX)
	@if [ ! -c /dev/kvm ]; then echo "scenario-test: /dev/kvm missing: scenarios cannot run" >&2; exit 1; fi
	$(SCENARIO_RUNNER) -m $(VTLMON) -b $(B)/scenarios -d tests/scenarios -l $(LINUX_DIR) \
		$(SCENARIO_ARGS) $(SCENARIO)

scenario-selftest: $(SCENARIO_RUNNER) $(SCENARIO_ELFS) $(SCENARIO_SIGNED) $(VTLMON)
	@if [ ! -c /dev/kvm ]; then echo "scenario-selftest: /dev/kvm missing" >&2; exit 1; fi
	sh tests/scenarios/selftest.sh $(SCENARIO_RUNNER) $(VTLMON) $(B)/scenarios
