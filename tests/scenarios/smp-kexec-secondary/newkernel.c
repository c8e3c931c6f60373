/* Scenario kexec image (--cpus 2): only vCPU 0 runs it, though vCPU 1 asked for the kexec. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	/* vCPU 0 was counting when vCPU 1's kexec stopped it. */
	return lc_smp_new_kernel(bi, "smp-kexec-secondary: new kernel", 1);
}
