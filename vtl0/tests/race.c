/*
 * Race guest (--cpus 2..8, seeded): secondaries store into a few pages, make calls, protect and
 * release pages of their own and clear a pinned CR bit while the boot vCPU protects and releases
 * the shared pages and pins an MSR. No store
 * may land in a page after PROTECT made it read-only, and every denied store is a #PF on the
 * vCPU that made it (the test matches the count against the violation events).
 */
#include "idt.h"
#include "vtl0.h"
#include "vtl1_abi.h"

/* The seed module (tests/kvm/test_race.c has the same struct). */
#define RACE_MAGIC 0x45434152584d5456ULL /* "VTMXRACE" */
struct race_module {
	uint64_t magic;
	uint64_t seed;
	uint32_t rounds;
	uint32_t reserved;
};

#define RACE_PAGES	 4U
#define RACE_WAIT_SPINS	 300U /* after a PROTECT: time for the writers to try, then recheck */
#define RACE_EXIT_BREACH 13   /* the guest saw a guarantee break (as the stress guest) */
#define MSR_LSTAR	 0xC0000082U
#define CR0_WP		 (1ULL << 16)

static uint64_t race_pages[RACE_PAGES][VTL_PAGE_SIZE / 8] __attribute__((aligned(VTL_PAGE_SIZE)));
/* Each secondary's own page, which it protects and releases itself (memslots change from N vCPUs).
 */
static uint64_t race_own[VTL_MAX_CPUS][VTL_PAGE_SIZE / 8] __attribute__((aligned(VTL_PAGE_SIZE)));

static volatile uint32_t race_stop;
static volatile uint32_t race_running[VTL_MAX_CPUS];
static volatile uint64_t race_faults[VTL_MAX_CPUS];  /* #PF on the store site */
static volatile uint64_t race_stores[VTL_MAX_CPUS];  /* stores that did not fault */
static volatile uint64_t race_gp[VTL_MAX_CPUS];	     /* #GP on the WRMSR site */
static volatile uint64_t race_bad[VTL_MAX_CPUS];     /* anything the secondary saw go wrong */
static volatile uint32_t race_try_msr[VTL_MAX_CPUS]; /* the boot vCPU asks for one WRMSR */

/* One store (label race_store_site) and one WRMSR (race_msr_site) whose faults are skipped. */
extern const char race_store_site[], race_store_resume[], race_msr_site[], race_msr_resume[];

static __attribute__((noinline)) void race_store(volatile uint64_t *p, uint64_t v)
{
	__asm__ volatile(".globl race_store_site, race_store_resume\n"
			 "race_store_site: movq %%rbx, (%%rax)\n"
			 "race_store_resume:"
			 :
			 : "a"(p), "b"(v)
			 : "memory");
}

static __attribute__((noinline)) void race_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile(".globl race_msr_site, race_msr_resume\n"
			 "race_msr_site: wrmsr\n"
			 "race_msr_resume:"
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

static void race_on_exc(struct exc_frame *f)
{
	uint32_t cpu = vtl0_cpu();

	/* On the store, or past it when the denial could not be precise (the bytes decode two
	 * ways). */
	if (f->vector == EXC_PF &&
	    (f->rip == (uintptr_t)race_store_site || f->rip == (uintptr_t)race_store_resume)) {
		race_faults[cpu]++;
		f->rip = (uintptr_t)race_store_resume;
		return;
	}
	if (f->vector == EXC_GP && f->rip == (uintptr_t)race_msr_site) {
		race_gp[cpu]++;
		f->rip = (uintptr_t)race_msr_resume;
		return;
	}
	idt_fail(f, "race: unexpected exception");
}

static uint64_t race_next(uint64_t *s)
{
	uint64_t x = (*s += 0x9E3779B97F4A7C15ULL);

	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

static uint64_t read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static void race_secondary(void *arg)
{
	uint32_t cpu = vtl0_cpu();
	uint64_t rng = (uint64_t)(uintptr_t)arg;
	uint64_t r0 = 0, r1 = 0;

	idt_install(); /* the shared table, loaded on this vCPU */
	race_running[cpu] = 1;
	while (!race_stop) {
		uint64_t x = race_next(&rng);
		uint32_t page = (uint32_t)(x % RACE_PAGES);
		uint32_t word = (uint32_t)((x >> 8) % (VTL_PAGE_SIZE / 8));
		uint64_t before = race_faults[cpu];

		switch ((x >> 20) % 16) {
		case 0:
			/* A call between the stores: its own block, its own answer. */
			if (vtl_call2(VTL_CALL_ECHO, x, cpu, &r0, &r1) != VTL_OK || r0 != x ||
			    r1 != cpu)
				race_bad[cpu]++;
			break;
		case 1: {
			/* The policy pins CR0.WP on every vCPU: cleared here, put back at an exit.
			 */
			uint64_t cr0 = read_cr0();

			__asm__ volatile("mov %0, %%cr0" : : "r"(cr0 & ~CR0_WP) : "memory");
			vtl_device_write64(VTL0_REG_NULL, 0); /* an exit: the pin check runs */
			if (!(read_cr0() & CR0_WP))
				race_bad[cpu]++;
			break;
		}
		case 2: {
			/* Its own page, read-only from the moment its PROTECT returns, then
			 * writable. */
			volatile uint64_t *own = race_own[cpu];
			uint64_t old = own[word];

			if (vtl_protect((uintptr_t)own, 1, VTL_PERM_R) != VTL_OK) {
				race_bad[cpu]++;
				break;
			}
			race_store(&own[word], old + 1);
			if (race_faults[cpu] != before + 1 || own[word] != old)
				race_bad[cpu]++;
			if (vtl_protect((uintptr_t)own, 1, VTL_PERM_R | VTL_PERM_W) != VTL_OK)
				race_bad[cpu]++;
			race_store(&own[word], old + 1);
			if (race_faults[cpu] != before + 1 || own[word] != old + 1)
				race_bad[cpu]++;
			break;
		}
		default:
			race_store(&race_pages[page][word], x | 1);
			if (race_faults[cpu] == before)
				race_stores[cpu]++;
			break;
		}
		if (race_try_msr[cpu]) {
			/* Pinned by the boot vCPU: this vCPU's WRMSR must fault too. */
			uint64_t gp = race_gp[cpu];

			race_wrmsr(MSR_LSTAR, rdmsr(MSR_LSTAR) ^ 0x1000);
			if (race_gp[cpu] != gp + 1)
				race_bad[cpu]++;
			race_try_msr[cpu] = 0;
		}
	}
	race_running[cpu] = 0;
}

/* FNV-1a of a page, read by the boot vCPU (reads stay allowed under VTL_PERM_R). */
static uint64_t race_sum(const volatile uint64_t *p)
{
	uint64_t h = 0xCBF29CE484222325ULL;

	for (uint32_t i = 0; i < VTL_PAGE_SIZE / 8; i++)
		h = (h ^ p[i]) * 0x100000001B3ULL;
	return h;
}

static void race_breach(const char *what, uint64_t a0, uint64_t a1)
{
	race_stop = 1;
	vtl_ucall(VTL_UCALL_PRINT, __FILE__, __LINE__, what, a0, a1);
	vtl_shutdown(RACE_EXIT_BREACH);
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	const struct race_module *mod = vtl_module_by_magic(bi, RACE_MAGIC, sizeof(*mod));
	uint64_t rng = mod ? mod->seed : 1;
	uint32_t rounds = mod && mod->rounds ? mod->rounds : 50;
	uint32_t n = bi->nr_vcpus;
	uint64_t faults = 0, stores = 0, gp = 0;

	GUEST_ASSERT(n >= 2 && n <= VTL_MAX_CPUS);
	idt_install();
	for (unsigned int v = 0; v < IDT_NR_EXCEPTIONS; v++)
		idt_set_handler(v, race_on_exc);
	for (uint32_t cpu = 1; cpu < n; cpu++) {
		GUEST_ASSERT_EQ(
		    vtl0_cpu_start(cpu, race_secondary, (void *)(uintptr_t)race_next(&rng)),
		    VTL_OK);
		while (!race_running[cpu])
			__asm__ volatile("pause" ::: "memory");
	}
	GUEST_CHECKPOINT_VAL(1, n);
	for (uint32_t round = 0; round < rounds; round++) {
		uint64_t x = race_next(&rng);
		uint32_t page = (uint32_t)(x % RACE_PAGES);
		volatile uint64_t *p = race_pages[page];
		uint64_t sum;

		/* From the moment PROTECT returns, no store may land in the page. */
		GUEST_ASSERT_EQ(vtl_protect((uintptr_t)p, 1, VTL_PERM_R), VTL_OK);
		sum = race_sum(p);
		for (volatile uint32_t i = 0; i < RACE_WAIT_SPINS + (x >> 40) % RACE_WAIT_SPINS;
		     i++)
			;
		if (race_sum(p) != sum)
			race_breach("a store landed in a read-only page", page, round);
		GUEST_ASSERT_EQ(vtl_protect((uintptr_t)p, 1, VTL_PERM_R | VTL_PERM_W), VTL_OK);
		if (round == rounds / 2) {
			/* An MSR pin set here holds on every vCPU. */
			GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_PIN_MSR, MSR_LSTAR, 0, 0, 0), VTL_OK);
			for (uint32_t cpu = 1; cpu < n; cpu++)
				race_try_msr[cpu] = 1;
		}
	}
	for (uint32_t cpu = 1; cpu < n; cpu++)
		while (race_try_msr[cpu])
			__asm__ volatile("pause" ::: "memory");
	race_stop = 1;
	for (uint32_t cpu = 1; cpu < n; cpu++) {
		while (race_running[cpu])
			__asm__ volatile("pause" ::: "memory");
		if (race_bad[cpu])
			race_breach(
			    "a secondary saw a call, its own PROTECT, a CR pin or an MSR pin "
			    "fail",
			    cpu, race_bad[cpu]);
		faults += race_faults[cpu];
		stores += race_stores[cpu];
		gp += race_gp[cpu];
	}
	/* The test matches arg0 against the mem_write violations, arg1 against the msr ones. */
	vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, "race denied", faults, gp);
	vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, "race landed", stores, 0);
	GUEST_DONE();
}
