/* Scenario guest: kexecs newkernel.elf with its Ed25519 signature (module 1); the policy has the
 * key. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module img = lc_module(bi, 0), sig = lc_module(bi, 1);
	uint32_t st;

	console_puts("kexec-signature: old kernel\n");
	GUEST_ASSERT_EQ(sig.size, VTL_ED25519_SIG_SIZE);
	GUEST_ASSERT_EQ(lc_kexec_load(img.base, img.size, sig.base), VTL_OK);
	GUEST_CHECKPOINT(1);
	st = lc_kexec_exec();
	vtl_ucall_fail(__FILE__, __LINE__, "KEXEC_EXEC returned", st, 0);
}
