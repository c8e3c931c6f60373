/* Hostile guest: malformed PROTECT calls get their documented statuses and change nothing. */
#include "vtl0.h"
#include "vtl1_abi.h"

#define PB_SENTINEL 0x5eedU

static uint64_t pb_page[VTL_PAGE_SIZE / 8] __attribute__((aligned(VTL_PAGE_SIZE)));

/*
 * Each case breaks exactly one rule; arg1 of the failure names the status
 * actually returned (VTL_CALL_STATUS_UNSET if the monitor wrote none back).
 */
#define PB_EXPECT(gpa, pages, perms, want)                                                         \
	GUEST_ASSERT_EQ(vtl_protect((gpa), (pages), (perms)), (want))

int vtl0_main(const struct vtl_boot_info *bi)
{
	const uint64_t ram = bi->vtl0_ram_size;
	const uint64_t own = (uintptr_t)pb_page;
	const uint64_t rwx = VTL_PERM_MASK;
	volatile uint64_t *page = pb_page;

	/* Addresses: VTL1's RAM, past the end of VTL0 RAM, straddling it, unaligned, wrapping. */
	PB_EXPECT(VTL1_PRIV_GPA, 1, rwx, VTL_E_BAD_ADDRESS);
	PB_EXPECT(VTL1_PRIV_GPA, 1, 0, VTL_E_BAD_ADDRESS);
	PB_EXPECT(ram, 1, rwx, VTL_E_BAD_ADDRESS);
	PB_EXPECT(ram - VTL_PAGE_SIZE, 2, 0, VTL_E_BAD_ADDRESS);
	PB_EXPECT(VTL0_DEVICE_GPA, 1, rwx, VTL_E_BAD_ADDRESS);
	PB_EXPECT(own + 8, 1, VTL_PERM_R, VTL_E_BAD_ADDRESS);
	PB_EXPECT(own + VTL_PAGE_SIZE / 2, 1, VTL_PERM_R, VTL_E_BAD_ADDRESS);
	PB_EXPECT(0xfffffffffffff000ULL, 1, 0, VTL_E_BAD_ADDRESS);
	GUEST_CHECKPOINT(1);

	/* Sizes: none, 2^52 pages (2^64 bytes: wraps to 0), and GPA + size wrapping to 0. */
	PB_EXPECT(own, 0, VTL_PERM_R, VTL_E_INVALID);
	PB_EXPECT(own, 1ULL << 52, VTL_PERM_R, VTL_E_BAD_ADDRESS);
	PB_EXPECT(own, (1ULL << 52) + 1, 0, VTL_E_BAD_ADDRESS);
	PB_EXPECT(VTL_PAGE_SIZE, (1ULL << 52) - 1, 0, VTL_E_BAD_ADDRESS);
	PB_EXPECT(own, ~0ULL, 0, VTL_E_BAD_ADDRESS);
	GUEST_CHECKPOINT(2);

	/* Permissions: unknown bits, alone or next to valid ones; a 64-bit value must not truncate.
	 */
	PB_EXPECT(own, 1, 8, VTL_E_INVALID);
	PB_EXPECT(own, 1, 8 | VTL_PERM_R, VTL_E_INVALID);
	PB_EXPECT(own, 1, 0x100 | VTL_PERM_R, VTL_E_INVALID);
	PB_EXPECT(own, 1, (1ULL << 32) | VTL_PERM_R, VTL_E_INVALID);
	PB_EXPECT(own, 1, ~0ULL, VTL_E_INVALID);
	GUEST_CHECKPOINT(3);

	/* Nothing was applied: our own page is still writable. */
	page[0] = PB_SENTINEL;
	GUEST_ASSERT_EQ(page[0], PB_SENTINEL);

	/* The monitor and VTL1 survived: a NOP and a well-formed PROTECT still work. */
	GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_NOP), VTL_OK);
	PB_EXPECT(own, 1, VTL_PERM_R, VTL_OK);
	PB_EXPECT(own, 1, VTL_PERM_R | VTL_PERM_W, VTL_OK);
	page[1] = PB_SENTINEL;
	GUEST_ASSERT_EQ(page[1], PB_SENTINEL);
	GUEST_DONE();
}
