/* Scenario guest: resets through port 0xCF9 in every life: a reset loop the policy must bound. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	console_puts("reset-loop: up, resetting\n");
	lc_reset_cf9();
}
