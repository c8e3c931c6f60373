/* Scenario guest: shuts down through the device's SHUTDOWN register with code 7. */
#include "vtl0.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	/* The boot info must agree with --mem from the args file. */
	if (bi->vtl0_ram_size != 64ULL << 20)
		GUEST_FAIL("vtl0_ram_size is not the 64M of --mem");
	vtl_shutdown(7);
}
