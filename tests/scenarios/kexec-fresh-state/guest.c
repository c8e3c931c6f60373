/* Scenario guest: dirties its vCPU state, clears a pinned CR bit, then asks to kexec. */
#include "../lifecycle.h"

#define CR0_WP	  (1ULL << 16)
#define OLD_LSTAR 0xffffffff81234560ULL

static struct vtl_call_block exec_blk __attribute__((aligned(64)));

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
	volatile uint32_t *call_status =
	    (volatile uint32_t *)(uintptr_t)(VTL0_DEVICE_GPA + VTL0_REG_CALL_STATUS);
	uint64_t gp_before;

	console_puts("kexec-fresh-state: old kernel\n");
	/* State the new kernel must not inherit: an IDT of ours, an LSTAR, a pending #GP. */
	lc_idt_init();
	wrmsr(MSR_LSTAR, OLD_LSTAR);
	GUEST_ASSERT_EQ(lc_kexec_load(img.base, img.size, 0), VTL_OK);
	GUEST_CHECKPOINT(1);

	/*
	 * Clear a pinned bit and call KEXEC_EXEC straight away, before any other
	 * exit. VTL1 hears of the clear first: its #GP reaches this kernel (after
	 * the call's MMIO write), and the call is refused.
	 */
	exec_blk.nr = VTL_CALL_KEXEC_EXEC;
	gp_before = lc_gp.count;
	write_cr0(read_cr0() & ~CR0_WP);
	FAULT_PROBE(&lc_gp, "movq %%rbx, (%%rax)", "a"(VTL0_DEVICE_GPA + VTL0_REG_CALL),
		    "b"((uint64_t)(uintptr_t)&exec_blk));
	GUEST_ASSERT_EQ(lc_gp.count, gp_before + 1);
	GUEST_ASSERT_EQ(*call_status, VTL_E_DENIED);
	GUEST_ASSERT(read_cr0() & CR0_WP); /* the monitor put the pinned bit back */
	GUEST_CHECKPOINT(2);

	/* Same again with the pin respected: the measured kernel starts. */
	write_cr0(read_cr0() & ~CR0_WP);
	write_cr0(read_cr0() | CR0_WP);
	lc_kexec_exec();
	GUEST_FAIL("KEXEC_EXEC returned");
}
