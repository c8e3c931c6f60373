/* KVM tests of SMP (`--cpus N`): secondary start, per-vCPU calls, and the seeded race suite. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdlib.h>

#include "tests/kvm/harness.h"
#include "vtl_ucall.h"

/* The race guest's seed module (vtl0/tests/race.c has the reference copy). */
#define RACE_MAGIC 0x45434152584d5456ULL /* "VTMXRACE" */
struct race_module {
	uint64_t magic;
	uint64_t seed;
	uint32_t rounds;
	uint32_t reserved;
};

/* Seeds per vCPU count in `make test`; VTLMON_RACE_SEEDS=N runs more (make stress-race). */
#define RACE_SEEDS_DEFAULT 5
#define RACE_ROUNDS	   30
#define RACE_TIMEOUT_MS	   60000

TestSuite(smp, .init = kvm_require, .timeout = 600);

static uint32_t race_seeds(void)
{
	const char *s = getenv("VTLMON_RACE_SEEDS");

	return s && *s ? (uint32_t)strtoul(s, NULL, 0) : RACE_SEEDS_DEFAULT;
}

static uint64_t checkpoint_arg(struct guest_run *r, long i, const char *key)
{
	uint64_t v = 0;

	cr_assert(evlog_u64(ev_at(r, i), key, &v), "checkpoint without %s", key);
	return v;
}

/* Every secondary starts, answers its own calls, and CPU_START refuses every bad request. */
static void smp_start_and_calls(uint32_t cpus)
{
	struct guest_run r;
	int st = guest_run(&r, &(struct guest_run_opts){.vtl0 = "smp", .cpus = cpus});

	if (st)
		ev_dump(&r);
	cr_assert_eq(st, 0, "smp guest on %u vCPUs: status %d (%s)", cpus, st, r.m.end_detail);
	cr_assert_geq(ev_find(&r, 0, "ucall", "cmd=4", "arg0=2"), 0);
	cr_assert_eq(ev_count(&r, "cpu_start", "result=ok"), cpus - 1);
	/* 200 ECHO calls per vCPU, each on its own vCPU's block. */
	for (uint32_t c = 0; c < cpus; c++) {
		char key[32];

		snprintf(key, sizeof(key), "vcpu=%u", c);
		cr_assert_eq(ev_count(&r, "vtl_call", key, "call=echo", "result=ok"), 200,
			     "vCPU %u", c);
	}
	guest_run_free(&r);
}

Test(smp, two_vcpus_start_and_call_at_once)
{
	smp_start_and_calls(2);
}

Test(smp, four_vcpus_start_and_call_at_once)
{
	smp_start_and_calls(4);
}

Test(smp, eight_vcpus_start_and_call_at_once)
{
	smp_start_and_calls(8);
}

/*
 * One seed of the race suite: secondaries store into pages the boot vCPU
 * protects and releases, call, protect and release pages of their own (so
 * memslots change from every vCPU), clear a pinned CR bit, and try an MSR
 * the boot vCPU pinned. The guest checks that no store lands in a read-only
 * page; here every denied store must be a reported violation and every
 * reported one a #PF the guest saw (a store that raced with a release is
 * completed, never reported), and the MSR pin must hold on every
 * secondary.
 */
static void race_one(uint32_t cpus, uint64_t seed)
{
	struct race_module mod = {.magic = RACE_MAGIC, .seed = seed, .rounds = RACE_ROUNDS};
	struct guest_run r;
	uint64_t faults, gp, stores;
	long cp;
	int st = guest_run(&r, &(struct guest_run_opts){.vtl0 = "race",
							.cpus = cpus,
							.module = &mod,
							.module_len = sizeof(mod),
							.timeout_ms = RACE_TIMEOUT_MS});

	if (st)
		ev_dump(&r);
	cr_assert_eq(st, 0,
		     "race seed 0x%016" PRIx64 " on %u vCPUs: status %d (%s); rerun: "
		     "VTLMON_RACE_SEED=0x%" PRIx64,
		     seed, cpus, st, r.m.end_detail, seed);
	cp = ev_find(&r, 0, "ucall", "cmd=4", "msg=race denied");
	cr_assert_geq(cp, 0, "no final checkpoint");
	faults = checkpoint_arg(&r, cp, "arg0");
	gp = checkpoint_arg(&r, cp, "arg1");
	cp = ev_find(&r, 0, "ucall", "cmd=4", "msg=race landed");
	cr_assert_geq(cp, 0, "no final checkpoint");
	stores = checkpoint_arg(&r, cp, "arg0");
	cr_assert_eq(ev_count(&r, "violation", "kind=mem_write"), faults,
		     "seed 0x%016" PRIx64 ": %" PRIu64 " #PF seen by the guest", seed, faults);
	cr_assert_eq(ev_count(&r, "violation", "kind=msr"), gp);
	cr_assert_eq(gp, cpus - 1, "the MSR pin did not hold on every secondary");
	cr_assert_eq(ev_count(&r, "violation", "kind=mem_write", "action!=deny"), 0);
	cr_log_info("race: %u vCPUs, seed 0x%016" PRIx64 ": %" PRIu64 " stores denied, %" PRIu64
		    " landed",
		    cpus, seed, faults, stores);
	guest_run_free(&r);
}

static void race_seeds_on(uint32_t cpus)
{
	const char *one = getenv("VTLMON_RACE_SEED");
	uint32_t n = race_seeds();

	if (one && *one) {
		race_one(cpus, strtoull(one, NULL, 0));
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		race_one(cpus, 0x52414345ULL * (cpus * 1000 + i + 1));
}

Test(smp, race_two_vcpus)
{
	race_seeds_on(2);
}

Test(smp, race_four_vcpus)
{
	race_seeds_on(4);
}
