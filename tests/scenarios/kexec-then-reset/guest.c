/* Scenario guest: kexecs a kernel that resets; the reset brings back this original kernel. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module img = lc_module(bi, 0);
	uint64_t life = lc_life();
	uint32_t st;

	console_printf("kexec-then-reset: original kernel, life %lu\n", life);
	if (life > 1)
		GUEST_DONE(); /* life 2 was the new kernel's; this is the reset's */
	GUEST_ASSERT_EQ(lc_kexec_load(img.base, img.size, 0), VTL_OK);
	st = lc_kexec_exec();
	vtl_ucall_fail(__FILE__, __LINE__, "KEXEC_EXEC returned", st, 0);
}
