/* Scenario kexec image: its banner is what the old kernel attacks after KEXEC_LOAD. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	/* The same bytes as guest.c's `banner`, which finds them in the staged image. */
	return lc_new_kernel(bi, "kexec-toctou: new kernel up", 0);
}
