/* Scenario guest: a valid signature by a key the policy does not list; KEXEC_LOAD must refuse. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module img = lc_module(bi, 0), sig = lc_module(bi, 1);
	uint32_t st;

	lc_idt_init();
	st = lc_kexec_load(img.base, img.size, sig.base);
	GUEST_ASSERT_EQ(st, VTL_E_VERIFY);
	console_printf("kexec-unknown-key: refused (%s), old kernel goes on\n", vtl_strerror(st));
	GUEST_ASSERT_EQ(lc_kexec_exec(), VTL_E_BAD_STATE);
	GUEST_ASSERT(lc_text_write_denied());
	GUEST_DONE();
}
