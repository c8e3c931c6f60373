/* Scenario kexec image: must never run (signed, but by a key the policy does not trust). */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	return lc_new_kernel(bi, "kexec-unknown-key: new kernel up", 0);
}
