/* Scenario kexec image: counts its life (kexec keeps RAM), then resets the machine. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	console_printf("kexec-then-reset: new kernel, life %lu\n", lc_life());
	lc_reset_cf9();
}
