/* Scenario guest: clears a pinned CR0.WP three times, each followed by an exit; expects it back, no
 * #GP. */
#include "../lifecycle.h"

#define CR0_WP (1ULL << 16)

static inline uint64_t cr_restore_read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint64_t cr0;

	(void)bi;
	/* A #GP outside a probe fails the guest: `action cr restore` must inject nothing. */
	lc_idt_init();
	for (uint64_t i = 1; i <= 3; i++) {
		__asm__ volatile("mov %%cr0, %0\n\t"
				 "and %1, %0\n\t"
				 "mov %0, %%cr0"
				 : "=&r"(cr0)
				 : "r"(~CR0_WP)
				 : "memory");
		/* An exit: the monitor sees the clear here at the latest and puts WP back. */
		GUEST_CHECKPOINT(i);
		GUEST_ASSERT(cr_restore_read_cr0() & CR0_WP);
	}
	GUEST_ASSERT_EQ(lc_gp.count, 0);
	GUEST_DONE();
}
