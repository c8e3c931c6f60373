/* Scenario guest: protects a page, pins LSTAR, ends boot and resets via port 0xCF9; checks. */
#include "../lifecycle.h"

#define LSTAR_1 0xffffffff81000000ULL
#define LSTAR_2 0xffffffff82000000ULL

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint8_t *marker = (volatile uint8_t *)(uintptr_t)LC_MARKER_GPA;
	uint64_t life;

	/* First: should the marker page still be read-only in life 2, the store must not
	 * triple-fault. */
	lc_idt_init();
	/* The policy keeps RAM over a reset, so the marker counts our lives. */
	life = lc_life();
	console_printf("reset-cf9: life %lu\n", life);
	if (life == 1) {
		GUEST_ASSERT(!lc_wrmsr_denied(MSR_LSTAR, LSTAR_1));
		GUEST_ASSERT_EQ(vtl_protect(LC_MARKER_GPA, 1, VTL_PERM_R), VTL_OK);
		GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_PIN_MSR, MSR_LSTAR, 0, 0, 0), VTL_OK);
		GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_END_OF_BOOT), VTL_OK);
		/* All three are in force right before the reset. */
		GUEST_ASSERT(lc_store8_denied(marker + 64, 1));
		GUEST_ASSERT(lc_wrmsr_denied(MSR_LSTAR, LSTAR_2));
		GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_END_OF_BOOT), VTL_E_BAD_STATE);
		lc_reset_cf9();
	}
	/*
	 * Life 2: the page is writable and LSTAR unpinned again (the reset drops
	 * every restriction), and a freshly loaded VTL1 knows nothing of our
	 * first END_OF_BOOT: it accepts one again.
	 */
	GUEST_ASSERT(!lc_store8_denied(marker + 64, 2));
	GUEST_ASSERT(!lc_wrmsr_denied(MSR_LSTAR, LSTAR_2));
	GUEST_ASSERT_EQ(rdmsr(MSR_LSTAR), LSTAR_2);
	GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_END_OF_BOOT), VTL_OK);
	GUEST_DONE();
}
