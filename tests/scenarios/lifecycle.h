/* Guest helpers shared by the kexec and reset scenarios: calls, modules, probes, life markers. */
#ifndef SCENARIO_LIFECYCLE_H
#define SCENARIO_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "fault.h"
#include "io.h"
#include "regs.h"
#include "vtl0.h"
#include "vtl1_abi.h"

/*
 * Every scenario .c is its own image, so this header holds only static
 * (inline) code and state: each image gets its own copy.
 */

/*
 * A page no image or module ever covers (kernels load at 1 MiB and are well
 * under 1 MiB, modules follow them), inside the default 32M of RAM: what a
 * guest leaves here survives a reset only with `reset zero-memory no`.
 */
#define LC_MARKER_GPA	0x1000000ULL
#define LC_MARKER_MAGIC 0x4546494c4c5456ULL /* "VTLLIFE" */

static inline uint32_t lc_kexec_load(uint64_t gpa, uint64_t size, uint64_t sig_gpa)
{
	return vtl_call3(VTL_CALL_KEXEC_LOAD, gpa, size, sig_gpa);
}

/* Returns only on failure: a successful EXEC never comes back. */
static inline uint32_t lc_kexec_exec(void)
{
	return vtl_call0(VTL_CALL_KEXEC_EXEC);
}

struct lc_module {
	uint64_t base, size;
};

/* The n-th `--module` file (boot info lists them in command-line order). */
static inline struct lc_module lc_module(const struct vtl_boot_info *bi, unsigned int n)
{
	for (uint32_t i = 0; i < bi->nr_mem && i < VTL_BOOT_MAX_MEM; i++)
		if (bi->mem[i].type == VTL_MEM_MODULE && n-- == 0)
			return (struct lc_module){bi->mem[i].base, bi->mem[i].size};
	GUEST_FAIL("a --module is missing from the boot info (see the args file)");
}

/* ---- probes: an access that a protection should deny ----------------------------- */

static struct fault_rec lc_pf, lc_gp;

/* #PF and #GP resume after a probe; any other exception, or one outside a probe, fails. */
static inline void lc_idt_init(void)
{
	idt_install();
	fault_rec_install(EXC_PF, &lc_pf);
	fault_rec_install(EXC_GP, &lc_gp);
}

/* One byte store; true when it was denied with a write #PF at exactly that address. */
static inline bool lc_store8_denied(volatile void *p, uint8_t v)
{
	uint64_t before = lc_pf.count;

	fault_try_store8(&lc_pf, p, v);
	if (lc_pf.count == before)
		return false;
	GUEST_ASSERT_EQ(lc_pf.cr2, (uintptr_t)p);
	GUEST_ASSERT(lc_pf.error & PF_ERR_W);
	return true;
}

/* One WRMSR; true when it raised #GP (a pinned MSR under `deny`). */
static inline bool lc_wrmsr_denied(uint32_t msr, uint64_t v)
{
	uint64_t before = lc_gp.count;

	fault_try_wrmsr(&lc_gp, msr, v);
	return lc_gp.count != before;
}

/*
 * Never called: a byte of kernel text to attack. `memory text rx locked`
 * keeps it read-only, so the store is a mem_write violation.
 */
static __attribute__((noinline, used)) void lc_text_victim(void)
{
	__asm__ volatile("nop");
}

/* True when a store into our own text was denied, and the byte is unchanged. */
static inline bool lc_text_write_denied(void)
{
	volatile uint8_t *t = (volatile uint8_t *)(uintptr_t)&lc_text_victim;
	uint8_t old = *t;
	bool denied = lc_store8_denied(t, (uint8_t)~old);

	GUEST_ASSERT_EQ(*t, denied ? old : (uint8_t)~old);
	return denied;
}

/* ---- life markers and reset triggers ------------------------------------------------- */

struct lc_marker {
	uint64_t magic;
	uint64_t lives;
};

/*
 * Which life of the guest this is: 1 on a fresh machine, and after a reset
 * that zeroed RAM; N after N-1 resets that kept it.
 */
static inline uint64_t lc_life(void)
{
	volatile struct lc_marker *m = (volatile struct lc_marker *)(uintptr_t)LC_MARKER_GPA;

	if (m->magic != LC_MARKER_MAGIC) {
		m->magic = LC_MARKER_MAGIC;
		m->lives = 0;
	}
	return ++m->lives;
}

/* The PC reset control register: RST_CPU with SYS_RST, what a kernel's reboot path writes. */
static inline __attribute__((noreturn)) void lc_reset_cf9(void)
{
	outb(VTL_RESET_PORT, VTL_RESET_PORT_RST_CPU | 0x02);
	/* No HLT: with interrupts off that is a crash, not a wait. The reset never lets us on. */
	for (;;)
		__asm__ volatile("pause" : : : "memory");
}

/* Limit 0 leaves no valid gate: #UD -> #GP -> #DF -> triple fault. */
static inline __attribute__((noreturn)) void lc_triple_fault(void)
{
	lidt(0, 0);
	__asm__ volatile("ud2");
	for (;;)
		__asm__ volatile("pause" : : : "memory");
}

/*
 * The body of both reset-by-policy guests, whose policies differ only in
 * `reset max`: life 1 writes to its own text, which `action mem-write reset`
 * answers with a reset (or, with none left, the end of the run); life 2
 * shuts down. Both expect files match the same console line.
 */
static inline int lc_reset_by_policy(void)
{
	uint64_t life;

	lc_idt_init();
	life = lc_life();
	console_printf("reset-by-policy: life %lu\n", life);
	if (life == 1) {
		lc_text_write_denied();
		GUEST_FAIL("survived a text write under `action mem-write reset`");
	}
	GUEST_DONE();
}

/* ---- the kernel a kexec starts ------------------------------------------------------- */

#define LC_NEW_PROBE_TEXT   1U /* show the boot policy holds: our text is read-only */
#define LC_NEW_PROBE_MARKER 2U /* show the old kernel's protection of the marker page is gone */
#define LC_NEW_PROBE_PINS   4U /* ... and its LSTAR pin, and that our boot phase starts afresh */
#define LC_NEW_LSTAR	    0xffffffff8badf00dULL

/*
 * The body of every scenario's newkernel.c: a banner (the console event the
 * expect file looks for), then the probes asked for, then shutdown 0.
 */
static inline int lc_new_kernel(const struct vtl_boot_info *bi, const char *banner,
				unsigned int probes)
{
	console_printf("%s\n", banner);
	GUEST_ASSERT_EQ(bi->magic, VTL_BOOT_MAGIC);
	GUEST_ASSERT_EQ(bi->vtl, 0);
	lc_idt_init();
	if (probes & LC_NEW_PROBE_MARKER)
		GUEST_ASSERT(!lc_store8_denied((volatile uint8_t *)(uintptr_t)LC_MARKER_GPA, 0x5a));
	if (probes & LC_NEW_PROBE_PINS) {
		GUEST_ASSERT(!lc_wrmsr_denied(MSR_LSTAR, LC_NEW_LSTAR));
		GUEST_ASSERT_EQ(rdmsr(MSR_LSTAR), LC_NEW_LSTAR);
		GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_END_OF_BOOT), VTL_OK);
	}
	if (probes & LC_NEW_PROBE_TEXT)
		GUEST_ASSERT(lc_text_write_denied());
	GUEST_DONE();
}

/* ---- SMP scenarios (--cpus 2) ----------------------------------------------------- */

/* A counter the old kernel's vCPUs bump, in the marker page: outside both kernels' images. */
#define LC_HEARTBEAT_GPA (LC_MARKER_GPA + 0x100)
#define LC_QUIET_SPINS	 20000U

/* Set by lc_secondary_up: the VCPU register's answer + 1 (0: not up yet). */
static inline volatile uint32_t *lc_second_up(void)
{
	static volatile uint32_t up;

	return &up;
}

/* A secondary that says it is up, and which vCPU it is, then spins. */
static inline void lc_secondary_up(void *arg)
{
	(void)arg;
	*lc_second_up() = vtl_device_read32(VTL0_REG_VCPU) + 1;
}

/*
 * The body of an SMP scenario's newkernel.c: only vCPU 0 runs the new
 * kernel, nothing of the old one runs any more (the heartbeat, at least
 * `min_beats` by now, stays still), and vCPU 1 can be started again.
 */
static inline int lc_smp_new_kernel(const struct vtl_boot_info *bi, const char *banner,
				    uint64_t min_beats)
{
	volatile uint64_t *hb = (volatile uint64_t *)(uintptr_t)LC_HEARTBEAT_GPA;
	uint64_t seen = *hb;

	console_printf("%s\n", banner);
	GUEST_ASSERT_EQ(bi->nr_vcpus, 2);
	GUEST_ASSERT_EQ(vtl_device_read32(VTL0_REG_VCPU), 0);
	GUEST_ASSERT(seen >= min_beats);
	for (volatile unsigned int i = 0; i < LC_QUIET_SPINS; i++)
		;
	GUEST_ASSERT_EQ(*hb, seen); /* nothing of the old kernel runs */
	GUEST_ASSERT_EQ(vtl0_cpu_start(1, lc_secondary_up, 0), VTL_OK);
	while (!*lc_second_up())
		__asm__ volatile("pause" : : : "memory");
	GUEST_ASSERT_EQ(*lc_second_up(), 2);
	GUEST_DONE();
}

#endif
