/* Scenario guest: corrupts one bit of a valid signature; KEXEC_LOAD must refuse the image. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module img = lc_module(bi, 0), sig = lc_module(bi, 1);
	volatile uint8_t *s = (volatile uint8_t *)(uintptr_t)sig.base;
	uint32_t st;

	lc_idt_init();
	GUEST_ASSERT_EQ(sig.size, VTL_ED25519_SIG_SIZE);
	s[0] ^= 0x01; /* the signature of the trusted key, one bit off */
	st = lc_kexec_load(img.base, img.size, sig.base);
	GUEST_ASSERT_EQ(st, VTL_E_VERIFY);
	console_printf("kexec-bad-signature: refused (%s), old kernel goes on\n", vtl_strerror(st));
	/* Nothing was staged, and the old kernel keeps its protections. */
	GUEST_ASSERT_EQ(lc_kexec_exec(), VTL_E_BAD_STATE);
	GUEST_ASSERT(lc_text_write_denied());
	GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_NOP), VTL_OK);
	GUEST_DONE();
}
