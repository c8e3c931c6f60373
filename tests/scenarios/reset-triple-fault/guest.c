/* Scenario guest: triple-faults in its first life; the reset brings up a second one that shuts
 * down. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint64_t life = lc_life();

	console_printf("reset-triple-fault: life %lu\n", life);
	if (life == 1)
		lc_triple_fault();
	GUEST_DONE();
}
