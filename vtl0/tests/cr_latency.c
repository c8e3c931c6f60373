/* Bench guest for `vtlmon bench`: clears pinned CR0.WP and waits for the monitor to restore it. */
#include "idt.h"
#include "vtl0.h"
#include "vtl_bench.h"

/*
 * The parameters come in module 0 as struct crl_module (include/vtl_bench.h,
 * shared with `vtlmon bench` and its test). Without a module the guest runs a
 * short default, enough to show that it works.
 */
#define CRL_DEF_SAMPLE 4

#define CR0_WP (1ULL << 16)

/* Every detection under `action cr deny` restores WP, then raises #GP wherever VTL0 is. */
static volatile uint64_t crl_gp;

static void crl_on_gp(struct exc_frame *f)
{
	(void)f;
	crl_gp++;
}

static inline uint64_t crl_read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

/* The attack: a CR0 write at a site no policy declares, so nothing exits on it. */
static inline void crl_write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

/* A fixed number of instructions with no exit: the length of the transient window. */
static inline void crl_spin(uint64_t k)
{
	if (k)
		__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(k));
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	const struct crl_module *cm = vtl_module_by_magic(bi, CRL_MAGIC, sizeof(struct crl_module));
	uint32_t samples = cm ? cm->samples : CRL_DEF_SAMPLE;
	uint32_t nr_windows = cm ? cm->nr_windows : 0;
	uint64_t cr0 = crl_read_cr0(), gp0;

	idt_install();
	idt_set_handler(EXC_GP, crl_on_gp);
	/* The policy pins WP at launch (`cr pin CR0.WP`). */
	GUEST_ASSERT(cr0 & CR0_WP);
	GUEST_ASSERT(nr_windows <= CRL_WINDOWS);

	/*
	 * Latency: t0 is this exit, then the clear, then no exit at all until
	 * the monitor's watchdog kick finds WP clear and puts it back.
	 */
	for (uint32_t i = 0; i < samples; i++) {
		GUEST_CHECKPOINT_VAL(CRL_CP_SAMPLE, i);
		crl_write_cr0(cr0 & ~CR0_WP);
		while (!(crl_read_cr0() & CR0_WP))
			;
	}
	GUEST_CHECKPOINT_VAL(CRL_CP_SAMPLES_DONE, crl_gp);

	/*
	 * Transient clears: WP is clear for `spin` iterations, then set again
	 * by VTL0 itself, as in "clear WP, store, set WP". Only a kick that
	 * lands inside a window sees it. The set half mirrors the clear half,
	 * so WP is clear about half of the time.
	 */
	for (uint32_t w = 0; w < nr_windows; w++) {
		uint64_t spin = cm->window[w].spin;

		gp0 = crl_gp;
		GUEST_CHECKPOINT_VAL(CRL_CP_WINDOW_BEGIN, w);
		for (uint32_t c = cm->window[w].cycles; c; c--) {
			crl_write_cr0(cr0 & ~CR0_WP);
			crl_spin(spin);
			crl_write_cr0(cr0);
			crl_spin(spin);
		}
		GUEST_CHECKPOINT_VAL(CRL_CP_WINDOW_END, crl_gp - gp0);
	}
	GUEST_DONE();
}
