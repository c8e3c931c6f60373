/* Test guest: malformed call blocks and device accesses get error statuses, never a crash. */
#include "vtl0.h"

#define HOSTILE_SENTINEL 0x5eedU
#define HOSTILE_BAD_NR	 0x7fffffffU
#define HOSTILE_NO_REG	 0x100U

static struct vtl_call_block hostile_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

/* A GPA the monitor must refuse: nothing is written back, so read the latched status. */
static void hostile_bad_gpa(uint64_t gpa)
{
	hostile_blk.status = HOSTILE_SENTINEL;
	vtl_device_write64(VTL0_REG_CALL, gpa);
	GUEST_ASSERT_EQ(vtl_device_read32(VTL0_REG_CALL_STATUS), VTL_E_BAD_ADDRESS);
	GUEST_ASSERT_EQ(hostile_blk.status, HOSTILE_SENTINEL);
}

/* A block at a valid GPA: the status lands in the block and in CALL_STATUS. */
static void hostile_call(uint32_t nr, uint32_t flags, uint32_t reserved, uint32_t want)
{
	struct vtl_call_block *b = &hostile_blk;

	b->nr = nr;
	b->flags = flags;
	b->reserved = reserved;
	GUEST_ASSERT_EQ(vtl_call(b), want);
	GUEST_ASSERT_EQ(vtl_device_read32(VTL0_REG_CALL_STATUS), want);
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint64_t blk = (uintptr_t)&hostile_blk;
	uint64_t ram = bi->vtl0_ram_size;

	hostile_bad_gpa(blk + 8);
	hostile_bad_gpa(ram);
	hostile_bad_gpa(ram - 32);
	hostile_bad_gpa(0xffffffffffffffc0ULL);
	hostile_bad_gpa(VTL1_PRIV_GPA);
	hostile_bad_gpa(VTL0_DEVICE_GPA + 0x40);
	/* A block in its own read-only text: the monitor must not write the answer there. */
	hostile_bad_gpa(((uintptr_t)&vtl0_main + 63) & ~63ULL);
	GUEST_CHECKPOINT(1);

	hostile_call(VTL_CALL_NOP, 1, 0, VTL_E_INVALID);
	hostile_call(VTL_CALL_NOP, 0, 1, VTL_E_INVALID);
	hostile_call(HOSTILE_BAD_NR, 0, 0, VTL_E_UNKNOWN_CALL);
	hostile_call(VTL_CALL_NOP, 0, 0, VTL_OK);
	GUEST_CHECKPOINT(2);

	/* A 32-bit CALL write is not a call: the block stays untouched, the status says why. */
	hostile_blk.nr = VTL_CALL_NOP;
	hostile_blk.status = HOSTILE_SENTINEL;
	vtl_device_write32(VTL0_REG_CALL, (uint32_t)blk);
	GUEST_ASSERT_EQ(vtl_device_read32(VTL0_REG_CALL_STATUS), VTL_E_INVALID);
	GUEST_ASSERT_EQ(hostile_blk.status, HOSTILE_SENTINEL);

	/* Unknown offsets and wrong widths read as all-ones. */
	GUEST_ASSERT_EQ(vtl_device_read32(HOSTILE_NO_REG), 0xffffffffU);
	GUEST_ASSERT_EQ(vtl_device_read64(HOSTILE_NO_REG), ~0ULL);
	GUEST_ASSERT_EQ(vtl_device_read64(VTL_DEVICE_SIZE - 8), ~0ULL);
	GUEST_ASSERT_EQ(vtl_device_read64(VTL0_REG_ID), ~0ULL);
	GUEST_CHECKPOINT(3);

	/* The monitor survived all of it. */
	hostile_call(VTL_CALL_NOP, 0, 0, VTL_OK);
	GUEST_DONE();
}
