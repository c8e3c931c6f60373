/* Scenario guest: KEXEC_LOAD with ranges outside VTL0 RAM or unaligned; VTL_E_BAD_ADDRESS each
 * time. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module img = lc_module(bi, 0);
	uint64_t ram = bi->vtl0_ram_size;

	GUEST_ASSERT_EQ(lc_kexec_load(img.base + 1, img.size, 0), VTL_E_BAD_ADDRESS);
	GUEST_ASSERT_EQ(lc_kexec_load(ram - VTL_PAGE_SIZE, 2 * VTL_PAGE_SIZE, 0),
			VTL_E_BAD_ADDRESS);
	GUEST_ASSERT_EQ(lc_kexec_load(VTL1_PRIV_GPA, img.size, 0), VTL_E_BAD_ADDRESS);
	GUEST_ASSERT_EQ(lc_kexec_load(img.base, ~0ULL - img.base + 2, 0), VTL_E_BAD_ADDRESS);
	/* A signature outside RAM is refused as such, not as a bad signature. */
	GUEST_ASSERT_EQ(lc_kexec_load(img.base, img.size, ram), VTL_E_BAD_ADDRESS);
	GUEST_ASSERT_EQ(lc_kexec_exec(), VTL_E_BAD_STATE);
	/* The right arguments still work afterwards. */
	GUEST_ASSERT_EQ(lc_kexec_load(img.base, img.size, 0), VTL_OK);
	console_puts("kexec-bad-address: refused, then a good load\n");
	GUEST_DONE();
}
