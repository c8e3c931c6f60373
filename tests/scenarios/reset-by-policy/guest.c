/* Scenario guest: writes to its own text under `action mem-write reset`; life 2 shuts down. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
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
