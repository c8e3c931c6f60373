/* Test guest: 1000 NOP calls in a row, then an ECHO with distinctive values. */
#include "vtl0.h"

#define CALLS_NOPS 1000

static struct vtl_call_block calls_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct vtl_call_block *b = &calls_blk;

	b->nr = VTL_CALL_NOP;
	for (int i = 0; i < CALLS_NOPS; i++)
		GUEST_ASSERT_EQ(vtl_call(b), VTL_OK);
	GUEST_CHECKPOINT(1);

	b->nr = VTL_CALL_ECHO;
	b->args[0] = 0x1122334455667788ULL;
	b->args[1] = 0x99aabbccddeeff00ULL;
	b->args[2] = 0xdeadbeefdeadbeefULL; /* not echoed */
	b->args[3] = 0xcafef00dcafef00dULL;
	GUEST_ASSERT_EQ(vtl_call(b), VTL_OK);
	GUEST_ASSERT_EQ(b->results[0], 0x1122334455667788ULL);
	GUEST_ASSERT_EQ(b->results[1], 0x99aabbccddeeff00ULL);
	/* The monitor writes back status and results only. */
	GUEST_ASSERT_EQ(b->nr, VTL_CALL_ECHO);
	GUEST_ASSERT_EQ(b->args[0], 0x1122334455667788ULL);
	GUEST_ASSERT_EQ(b->args[3], 0xcafef00dcafef00dULL);
	GUEST_DONE();
}
