/* Scenario guest: KEXEC_EXEC with nothing staged gets VTL_E_BAD_STATE, and the kernel goes on. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	GUEST_ASSERT_EQ(lc_kexec_exec(), VTL_E_BAD_STATE);
	GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_NOP), VTL_OK);
	GUEST_DONE();
}
