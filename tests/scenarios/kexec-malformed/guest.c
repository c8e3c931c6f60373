/* Scenario guest: KEXEC_LOAD of a text file and of an unloadable ELF; both refused, calls go on. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module text = lc_module(bi, 0), huge = lc_module(bi, 1);

	lc_idt_init();
	/* Both digests are in the policy: only the image check can refuse them. */
	GUEST_ASSERT_EQ(lc_kexec_load(text.base, text.size, 0), VTL_E_INVALID);
	GUEST_CHECKPOINT(1);
	GUEST_ASSERT_EQ(lc_kexec_load(huge.base, huge.size, 0), VTL_E_INVALID);
	GUEST_CHECKPOINT(2);
	/* The monitor and VTL1 are unharmed, nothing is staged, the protections hold. */
	GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_NOP), VTL_OK);
	GUEST_ASSERT_EQ(lc_kexec_exec(), VTL_E_BAD_STATE);
	GUEST_ASSERT(lc_text_write_denied());
	console_puts("kexec-malformed: both refused, old kernel goes on\n");
	GUEST_DONE();
}
