/* Scenario guest: an unassigned call number gets VTL_E_UNKNOWN_CALL, and calls still work after. */
#include "vtl0.h"

#define UNKNOWN_NR 0x7fff

int vtl0_main(const struct vtl_boot_info *bi)
{
	GUEST_ASSERT_EQ(vtl_call0(UNKNOWN_NR), VTL_E_UNKNOWN_CALL);
	GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_NOP), VTL_OK);
	GUEST_DONE();
}
