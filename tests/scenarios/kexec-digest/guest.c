/* Scenario guest: protects a page, then kexecs newkernel.elf, which the policy allows by digest. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module img = lc_module(bi, 0);
	uint32_t st;

	console_puts("kexec-digest: old kernel\n");
	/*
	 * A booted kernel with a protected page and a pinned MSR: the new kernel
	 * must find both gone (EXEC drops everything the old one had) and a boot
	 * phase of its own. kexec itself is allowed after END_OF_BOOT.
	 */
	GUEST_ASSERT_EQ(vtl_protect(LC_MARKER_GPA, 1, VTL_PERM_R), VTL_OK);
	GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_PIN_MSR, MSR_LSTAR, 0, 0, 0), VTL_OK);
	GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_END_OF_BOOT), VTL_OK);
	GUEST_ASSERT_EQ(lc_kexec_load(img.base, img.size, 0), VTL_OK);
	GUEST_CHECKPOINT(1);
	st = lc_kexec_exec();
	vtl_ucall_fail(__FILE__, __LINE__, "KEXEC_EXEC returned", st, 0);
}
