/* Scenario kexec image: staged first, then replaced; must never run. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	return lc_new_kernel(bi, "kexec-reload: FIRST image up", 0);
}
