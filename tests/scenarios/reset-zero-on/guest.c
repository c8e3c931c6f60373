/* Scenario guest: writes data to free RAM and resets; with zeroing (the default) none survives. */
#include "../lifecycle.h"

#define SCAN_BYTES (16ULL << 10) /* a few pages: each first touch costs an EPT fault */

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)LC_MARKER_GPA;
	struct lc_module mod = lc_module(bi, 0);

	/*
	 * Every life must find the pages at the marker zero. With zeroing on no
	 * life can tell it is not the first, so each one resets again, and the
	 * policy's `reset max 1` ends the run (status 68) in the second life.
	 */
	for (uint64_t i = 0; i < SCAN_BYTES / 8; i++)
		if (p[i]) {
			console_printf("reset-zero-on: data survived at 0x%lx\n",
				       (uint64_t)(uintptr_t)&p[i]);
			GUEST_FAIL("VTL0 RAM was not zeroed");
		}
	GUEST_ASSERT_EQ(*(volatile uint8_t *)(uintptr_t)mod.base, 'z');
	console_puts("reset-zero-on: free RAM is zero\n");
	for (uint64_t i = 0; i < SCAN_BYTES / 8; i++)
		p[i] = 0x5ec2e75ec2e75ec2ULL;
	lc_reset_cf9();
}
