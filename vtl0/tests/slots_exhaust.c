/* Test guest: alternating single-page protections until the memslot budget runs out. */
#include "vtl0.h"
#include "vtl1_abi.h"

#define SLOTS_PAGES 128

static uint8_t slots_area[SLOTS_PAGES][VTL_PAGE_SIZE] __attribute__((aligned(4096)));

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint64_t ok = 0, i;
	uint32_t st = VTL_OK;

	(void)bi;
	/* Every other page read-only: each one splits a slot, until there are none left. */
	for (i = 0; i < SLOTS_PAGES; i += 2) {
		st = vtl_protect((uintptr_t)slots_area[i], 1, VTL_PERM_R);
		if (st != VTL_OK)
			break;
		ok++;
	}
	GUEST_ASSERT_EQ(st, VTL_E_NO_RESOURCES);
	/* The refused page is still writable: nothing half-applied. */
	slots_area[i][0] = 0xAB;
	GUEST_ASSERT_EQ(slots_area[i][0], 0xAB);
	GUEST_CHECKPOINT_VAL(1, (uintptr_t)slots_area[i]);
	/*
	 * Relax an inner read-only page again: it merges with its writable
	 * neighbours, which frees the two slots the refused request needs. Not
	 * page 0: what lies before the area, and so what page 0 would merge
	 * with, is up to the linker.
	 */
	GUEST_ASSERT(i > 3);
	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)slots_area[2], 1, VTL_PERM_R | VTL_PERM_W), VTL_OK);
	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)slots_area[i], 1, VTL_PERM_R), VTL_OK);
	GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_NOP), VTL_OK);
	GUEST_DONE();
	return 0;
}
