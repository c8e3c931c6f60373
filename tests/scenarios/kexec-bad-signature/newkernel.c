/* Scenario kexec image: must never run (its signature is corrupted before KEXEC_LOAD). */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	return lc_new_kernel(bi, "kexec-bad-signature: new kernel up", 0);
}
