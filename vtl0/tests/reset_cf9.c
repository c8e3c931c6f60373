/* Test guest: writes a marker, resets through port 0xCF9, and reports whether the marker survived.
 */
#include "vtl0.h"

#define RESET_MARKER_GPA 0x1F00000ULL /* RAM no image or module uses (tests run with 32 MiB) */
#define RESET_MAGIC	 0x5245534554414741ULL

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *marker = (volatile uint64_t *)(uintptr_t)RESET_MARKER_GPA;

	GUEST_ASSERT(bi->vtl0_ram_size > RESET_MARKER_GPA + 8);
	if (*marker == RESET_MAGIC) {
		/* Second life: RAM was kept (policy `reset zero-memory no`). */
		GUEST_CHECKPOINT(2);
		GUEST_DONE();
	}
	*marker = RESET_MAGIC;
	GUEST_CHECKPOINT(1);
	outb(VTL_RESET_PORT, 0x06);
	GUEST_FAIL("still running after a reset request");
	return 1;
}
