/* Scenario guest: kexec of an image whose digest the policy lacks; every protection must stay. */
#include "../lifecycle.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module img = lc_module(bi, 0);
	volatile uint8_t *marker = (volatile uint8_t *)(uintptr_t)LC_MARKER_GPA;
	volatile uint8_t *head = (volatile uint8_t *)(uintptr_t)img.base;
	uint32_t st;

	lc_idt_init();
	GUEST_ASSERT(img.size > 2 * VTL_PAGE_SIZE);
	/* Our own protections: a page outside the image, and the image's first page. */
	GUEST_ASSERT_EQ(vtl_protect(LC_MARKER_GPA, 1, VTL_PERM_R), VTL_OK);
	GUEST_ASSERT_EQ(vtl_protect(img.base, 1, VTL_PERM_R), VTL_OK);
	st = lc_kexec_load(img.base, img.size, 0);
	GUEST_ASSERT_EQ(st, VTL_E_VERIFY);
	console_printf("kexec-unknown-digest: refused (%s), old kernel goes on\n",
		       vtl_strerror(st));
	/* The boot policy's protection and both of ours are still there... */
	GUEST_ASSERT(lc_text_write_denied());
	GUEST_ASSERT(lc_store8_denied(marker, 0x5a));
	GUEST_ASSERT(lc_store8_denied(head, 0x5a));
	/* ...while the rest of the image, write-protected only for the measurement, is ours again.
	 */
	GUEST_ASSERT(!lc_store8_denied(head + VTL_PAGE_SIZE, 0x5a));
	GUEST_ASSERT_EQ(lc_kexec_exec(), VTL_E_BAD_STATE);
	GUEST_DONE();
}
