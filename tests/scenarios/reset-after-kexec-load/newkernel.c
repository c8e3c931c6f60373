/* Scenario kexec image: staged before a reset; must never run. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	return lc_new_kernel(bi, "reset-after-kexec-load: new kernel up", 0);
}
