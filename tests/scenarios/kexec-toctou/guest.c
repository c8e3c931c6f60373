/* Scenario guest: after a verified KEXEC_LOAD, tries to rewrite the staged image's banner. */
#include "../lifecycle.h"

/* The new kernel's banner, as it appears in its .rodata: what the attack rewrites. */
static const char banner[] = "kexec-toctou: new kernel up";

static volatile uint8_t *find_banner(struct lc_module img)
{
	const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)img.base;

	for (uint64_t i = 0; i + sizeof(banner) <= img.size; i++) {
		uint64_t k = 0;

		while (k < sizeof(banner) - 1 && p[i + k] == (uint8_t)banner[k])
			k++;
		if (k == sizeof(banner) - 1)
			return (volatile uint8_t *)(uintptr_t)(img.base + i);
	}
	GUEST_FAIL("the banner is not in the image");
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module img = lc_module(bi, 0);
	volatile uint8_t *b = find_banner(img);
	static const char pwn[] = "pwned";
	uint32_t st;
	bool denied;

	lc_idt_init();
	GUEST_ASSERT_EQ(lc_kexec_load(img.base, img.size, 0), VTL_OK);
	/* The polite way first: asking VTL1 to make the staged page writable again. */
	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)b & ~(VTL_PAGE_SIZE - 1), 1, VTL_PERM_MASK),
			VTL_E_DENIED);
	/*
	 * Then the time-of-check-to-time-of-use attack itself: the bytes were
	 * measured, now change them before EXEC. The staged range is read-only, so the first
	 * store faults and none lands.
	 */
	denied = lc_store8_denied(b, (uint8_t)pwn[0]);
	for (unsigned int i = 1; !denied && i < sizeof(pwn) - 1; i++)
		lc_store8_denied(b + i, (uint8_t)pwn[i]);
	console_printf("kexec-toctou: write to the staged image %s\n",
		       denied ? "denied" : "LANDED");
	GUEST_ASSERT(denied);
	GUEST_ASSERT_EQ(b[0], (uint8_t)banner[0]);
	st = lc_kexec_exec();
	vtl_ucall_fail(__FILE__, __LINE__, "KEXEC_EXEC returned", st, 0);
}
