/* Scenario guest: runs only after VTL1's boot entry, then makes a NOP and an ECHO call. */
#include "vtl0.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint64_t r0 = 0, r1 = 0;

	/* Quotes and a backslash: the event log escapes them, the expect file must match them. */
	console_puts("boot-order: vtl0 up, \"quoted\" \\ ok\n");
	GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_NOP), VTL_OK);
	GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_ECHO, 0x1234, 0xabcdef, &r0, &r1), VTL_OK);
	GUEST_ASSERT_EQ(r0, 0x1234);
	GUEST_ASSERT_EQ(r1, 0xabcdef);
	GUEST_CHECKPOINT(1);
	GUEST_DONE();
}
