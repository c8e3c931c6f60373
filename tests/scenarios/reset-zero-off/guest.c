/* Scenario guest: with `reset zero-memory no` free RAM survives a reset; image, module not. */
#include "../lifecycle.h"

#define DATA_BOOT  0x1111111111111111ULL
#define DATA_DIRTY 0x2222222222222222ULL

/* In the image's .data: reloaded from the ELF on every boot. */
static volatile uint64_t data_word = DATA_BOOT;

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module mod = lc_module(bi, 0);
	volatile uint8_t *m = (volatile uint8_t *)(uintptr_t)mod.base;
	volatile uint64_t *keep = (volatile uint64_t *)(uintptr_t)(LC_MARKER_GPA + 0x800);
	uint64_t life = lc_life();

	console_printf("reset-zero-off: life %lu\n", life);
	GUEST_ASSERT_EQ(data_word, DATA_BOOT);
	GUEST_ASSERT_EQ(m[0], 'k'); /* "kept?" */
	if (life == 1) {
		*keep = 0xfeedface;
		data_word = DATA_DIRTY;
		m[0] = 'X';
		lc_reset_cf9();
	}
	/* Free RAM kept; the kernel's .data and the module reloaded from their files. */
	GUEST_ASSERT_EQ(*keep, 0xfeedface);
	console_puts("reset-zero-off: RAM kept, image and module reloaded\n");
	GUEST_DONE();
}
