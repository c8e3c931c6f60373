/* Scenario guest: stages an image, fails to stage another, stages a third; EXEC enters it. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module first = lc_module(bi, 0), bad = lc_module(bi, 1),
			 second = lc_module(bi, 2);
	volatile uint8_t *first_page = (volatile uint8_t *)(uintptr_t)first.base;
	uint32_t st;

	lc_idt_init();
	GUEST_ASSERT_EQ(lc_kexec_load(first.base, first.size, 0), VTL_OK);
	/* A refused LOAD leaves the staged image staged, and held read-only. */
	GUEST_ASSERT_EQ(lc_kexec_load(bad.base, bad.size, 0), VTL_E_VERIFY);
	GUEST_ASSERT(lc_store8_denied(first_page, 0x5a));
	/* A LOAD that succeeds replaces it: the first image's pages are ours again. */
	GUEST_ASSERT_EQ(lc_kexec_load(second.base, second.size, 0), VTL_OK);
	GUEST_ASSERT(!lc_store8_denied(first_page, 0x5a));
	console_puts("kexec-reload: second image staged\n");
	st = lc_kexec_exec();
	vtl_ucall_fail(__FILE__, __LINE__, "KEXEC_EXEC returned", st, 0);
}
