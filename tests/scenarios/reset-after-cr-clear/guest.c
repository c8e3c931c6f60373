/* Scenario guest: clears a pinned CR bit and resets through port 0xCF9 with no exit between. */
#include "../lifecycle.h"

#define CR0_WP (1ULL << 16)

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint64_t cr0;

	(void)bi;
	lc_idt_init();
	if (lc_life() == 1) {
		console_puts("reset-after-cr-clear: life 1\n");
		/* The OUT to 0xCF9 is the very next exit: the clear must be reported at it. */
		__asm__ volatile("mov %%cr0, %0\n\t"
				 "and %1, %0\n\t"
				 "mov %0, %%cr0"
				 : "=&r"(cr0)
				 : "r"(~CR0_WP)
				 : "memory");
		lc_reset_cf9();
	}
	console_puts("reset-after-cr-clear: life 2\n");
	GUEST_DONE();
}
