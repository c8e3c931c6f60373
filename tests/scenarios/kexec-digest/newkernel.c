/* Scenario kexec image: proves the boot policy was re-applied to it and the old pages freed. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	return lc_new_kernel(bi, "kexec-digest: new kernel up",
			     LC_NEW_PROBE_TEXT | LC_NEW_PROBE_MARKER | LC_NEW_PROBE_PINS);
}
