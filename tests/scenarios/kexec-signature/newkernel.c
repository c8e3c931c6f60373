/* Scenario kexec image: signed with the key the policy trusts; shows the boot policy holds. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	return lc_new_kernel(bi, "kexec-signature: new kernel up", LC_NEW_PROBE_TEXT);
}
