/* Test guest: shuts down with 0 at once, so a run measures vtlmon's launch (make bench-compare). */
#include "vtl0.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	vtl_shutdown(0);
}
