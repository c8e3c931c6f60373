/* Scenario guest: never runs; the monitor refuses its launch (exec protection required). */
#include "vtl0.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	(void)bi;
	GUEST_FAIL("the launch should have been refused");
}
