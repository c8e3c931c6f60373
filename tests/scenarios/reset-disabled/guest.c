/* Scenario guest: requests a reset under `reset max 0`. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	console_puts("reset-disabled: resetting\n");
	lc_reset_cf9();
}
