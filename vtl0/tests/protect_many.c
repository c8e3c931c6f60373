/* Stress guest: 10,000 single-page PROTECT flips over 64 pages, then a known final pattern. */
#include "vtl0.h"
#include "vtl1_abi.h"

#define PM_PAGES  64
#define PM_FLIPS  10000
#define PM_STRIDE 37 /* odd, so i * PM_STRIDE visits every page: neighbours keep changing */

static uint8_t pm_region[PM_PAGES][VTL_PAGE_SIZE] __attribute__((aligned(VTL_PAGE_SIZE)));
/* Its own block, not vtl_call3(): the hot loop rewrites only the two arguments that change. */
static struct vtl_call_block pm_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

/* The final pattern, which the host test recomputes: none, r, rw, r, none, ... */
static uint64_t pm_final_perm(unsigned int page)
{
	static const uint8_t pattern[4] = {0, VTL_PERM_R, VTL_PERM_R | VTL_PERM_W, VTL_PERM_R};

	return pattern[page % 4];
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct vtl_call_block *b = &pm_blk;
	uint64_t base = (uintptr_t)pm_region;
	uint64_t ro = 0; /* bit p: page p is read-only now */
	uint32_t st;

	GUEST_CHECKPOINT_VAL(1, base);
	/* The hot loop stays short: guest CPL0 code is emulated at about 1 us per instruction. */
	b->nr = VTL_CALL_PROTECT;
	b->args[1] = 1;
	for (unsigned int i = 0; i < PM_FLIPS; i++) {
		unsigned int p = (i * PM_STRIDE) % PM_PAGES;

		ro ^= 1ULL << p;
		b->args[0] = base + (uint64_t)p * VTL_PAGE_SIZE;
		b->args[2] = ro >> p & 1 ? VTL_PERM_R : VTL_PERM_R | VTL_PERM_W;
		st = vtl_call(b);
		if (st != VTL_OK)
			vtl_ucall_fail(__FILE__, __LINE__, "PROTECT failed (args: flip, status)", i,
				       st);
	}
	GUEST_CHECKPOINT_VAL(2, ro);

	for (unsigned int p = 0; p < PM_PAGES; p++) {
		b->args[0] = base + (uint64_t)p * VTL_PAGE_SIZE;
		b->args[2] = pm_final_perm(p);
		GUEST_ASSERT_EQ(vtl_call(b), VTL_OK);
	}
	/* A writable page of the pattern takes a write (the others are checked from the host). */
	*(volatile uint8_t *)&pm_region[2][0] = 0x42;
	GUEST_ASSERT_EQ(*(volatile uint8_t *)&pm_region[2][0], 0x42);
	GUEST_DONE();
}
