/* Scenario kexec image: the one staged last, so the one KEXEC_EXEC enters. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	return lc_new_kernel(bi, "kexec-reload: second image up", LC_NEW_PROBE_TEXT);
}
