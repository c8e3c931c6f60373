/* Scenario guest: attacks its own text under `action mem-write reset` with no resets left. */
#include "../lifecycle.h"

/* The same guest as reset-by-policy: only the policy's `reset max 0` differs. */
int vtl0_main(const struct vtl_boot_info *bi)
{
	return lc_reset_by_policy();
}
