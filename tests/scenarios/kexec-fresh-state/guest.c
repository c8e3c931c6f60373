/* Scenario guest: dirties its vCPU state, clears a pinned CR bit, then kexecs at once. */
#include "../lifecycle.h"

#define CR0_WP	  (1ULL << 16)
#define OLD_LSTAR 0xffffffff81234560ULL

static inline uint64_t read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module img = lc_module(bi, 0);

	console_puts("kexec-fresh-state: old kernel\n");
	/* State the new kernel must not inherit: an IDT of ours, an LSTAR, a cleared CR0.WP. */
	lc_idt_init();
	wrmsr(MSR_LSTAR, OLD_LSTAR);
	GUEST_ASSERT_EQ(lc_kexec_load(img.base, img.size, 0), VTL_OK);
	GUEST_CHECKPOINT(1);

	/*
	 * Clear a pinned bit and call KEXEC_EXEC straight away, before any other
	 * exit: the clear is reported, and nothing of it (no check on this
	 * state, no #GP through this kernel's IDT) reaches the new kernel.
	 */
	write_cr0(read_cr0() & ~CR0_WP);
	lc_kexec_exec();
	GUEST_FAIL("KEXEC_EXEC returned");
}
