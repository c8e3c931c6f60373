/* Test guest: returns 7 from vtl0_main, so _start's shutdown path sets the exit code. */
#include "vtl0.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	return 7;
}
