/* Scenario guest: an empty IDT turns #UD into a triple fault (a reset request), in every life. */
#include "cpu.h"
#include "vtl0.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	/* Limit 0 leaves no valid gate: #UD -> #GP -> #DF -> triple fault. */
	lidt(0, 0);
	__asm__ volatile("ud2");
	GUEST_FAIL("survived ud2 with an empty IDT");
}
