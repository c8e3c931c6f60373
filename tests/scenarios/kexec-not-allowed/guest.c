/* Scenario guest: kexec under a policy that does not allow it; VTL_E_DENIED, and no staging. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module img = lc_module(bi, 0);

	lc_idt_init();
	GUEST_ASSERT_EQ(lc_kexec_load(img.base, img.size, 0), VTL_E_DENIED);
	GUEST_ASSERT(lc_text_write_denied());
	GUEST_DONE();
}
