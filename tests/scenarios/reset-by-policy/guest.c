/* Scenario guest: writes to its own text under `action mem-write reset`; life 2 shuts down. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	return lc_reset_by_policy();
}
