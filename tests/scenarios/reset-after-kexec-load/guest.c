/* Scenario guest: stages a kexec image, then resets; the second life finds nothing staged. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module img = lc_module(bi, 0);
	volatile uint8_t *head = (volatile uint8_t *)(uintptr_t)img.base;
	uint64_t life;

	lc_idt_init();
	life = lc_life();
	console_printf("reset-after-kexec-load: life %lu\n", life);
	if (life == 1) {
		GUEST_ASSERT_EQ(lc_kexec_load(img.base, img.size, 0), VTL_OK);
		GUEST_ASSERT(lc_store8_denied(head, 0x5a));
		lc_reset_cf9();
	}
	/* The reset forgot the staged image and its hold: EXEC has nothing to enter. */
	GUEST_ASSERT(!lc_store8_denied(head, 0x5a));
	GUEST_ASSERT_EQ(lc_kexec_exec(), VTL_E_BAD_STATE);
	GUEST_DONE();
}
