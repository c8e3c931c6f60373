/* Scenario kexec image: must never run (the policy lists another digest). */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	return lc_new_kernel(bi, "kexec-unknown-digest: new kernel up", 0);
}
