/* Test guest: alternating single-page protections until the memslot budget runs out. */
#include "vtl0.h"
#include "vtl1_abi.h"

#define SLOTS_PAGES 128

static uint8_t slots_area[SLOTS_PAGES][VTL_PAGE_SIZE] __attribute__((aligned(4096)));

static uint32_t slots_protect(uint64_t gpa, uint64_t perms)
{
	static struct vtl_call_block b __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

	b.nr = VTL_CALL_PROTECT;
	b.args[0] = gpa;
	b.args[1] = 1;
	b.args[2] = perms;
	return vtl_call(&b);
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint64_t ok = 0, i;
	uint32_t st = VTL_OK;

	(void)bi;
	/* Every other page read-only: each one splits a slot, until there are none left. */
	for (i = 0; i < SLOTS_PAGES; i += 2) {
		st = slots_protect((uintptr_t)slots_area[i], VTL_PERM_R);
		if (st != VTL_OK)
			break;
		ok++;
	}
	GUEST_ASSERT_EQ(st, VTL_E_NO_RESOURCES);
	/* The refused page is still writable: nothing half-applied. */
	slots_area[i][0] = 0xAB;
	GUEST_ASSERT_EQ(slots_area[i][0], 0xAB);
	vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, 0, 1, (uintptr_t)slots_area[i]);
	/* Free a slot by relaxing one page again; the refused request then succeeds. */
	GUEST_ASSERT_EQ(slots_protect((uintptr_t)slots_area[0], VTL_PERM_R | VTL_PERM_W), VTL_OK);
	GUEST_ASSERT_EQ(slots_protect((uintptr_t)slots_area[i], VTL_PERM_R), VTL_OK);
	GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_NOP), VTL_OK);
	GUEST_DONE();
	return 0;
}
