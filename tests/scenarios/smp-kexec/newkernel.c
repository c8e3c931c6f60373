/* Scenario kexec image (--cpus 2): only vCPU 0 runs it; the old kernel's secondary is gone. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	/* The old kernel waited for 50 beats of its secondary before the kexec. */
	return lc_smp_new_kernel(bi, "smp-kexec: new kernel", 50);
}
