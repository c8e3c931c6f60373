/* Test guest: VTL0 maps VTL1's GPA range into its own page tables and finds nothing there. */
#include "cpu.h"
#include "vtl0.h"

#define ISO_PATTERN  0x5a5a5a5a5a5a5a5aULL
#define ISO_PD_PAGES 4 /* 4 x 2 MiB: GPA [4 GiB, 4 GiB + 8 MiB) */
#define PTE_P	     (1ULL << 0)
#define PTE_W	     (1ULL << 1)
#define PTE_PS	     (1ULL << 7)

static uint64_t iso_pd[512] __attribute__((aligned(4096)));

/* Our RAM is identity-mapped, so the boot tables are reachable at their GPAs. */
static void iso_map_vtl1_range(void)
{
	volatile uint64_t *pdpt = (volatile uint64_t *)(uintptr_t)VTL_BOOT_PDPT_LOW;

	for (int i = 0; i < ISO_PD_PAGES; i++)
		iso_pd[i] =
		    (VTL1_PRIV_GPA + (uint64_t)i * VTL_LARGE_PAGE_SIZE) | PTE_P | PTE_W | PTE_PS;
	/* PDPT entry 4 covers VA [4 GiB, 5 GiB); 0..3 are the monitor's 0..4 GiB. */
	pdpt[4] = (uintptr_t)iso_pd | PTE_P | PTE_W;
	write_cr3(read_cr3());
}

static void iso_probe(uint64_t off)
{
	uint64_t gpa = VTL1_PRIV_GPA + off;

	/* Unmapped GPAs exit as MMIO: the write must go nowhere, the read return all-ones. */
	mmio_write64(gpa, ISO_PATTERN);
	GUEST_ASSERT_EQ(mmio_read64(gpa), ~0ULL);
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	iso_map_vtl1_range();
	GUEST_CHECKPOINT(1);
	iso_probe(VTL_IMAGE_MIN_OFFSET); /* VTL1 text */
	iso_probe(VTL_BOOT_INBOX);
	iso_probe(VTL_LARGE_PAGE_SIZE);
	GUEST_CHECKPOINT(2);
	GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_NOP), VTL_OK);
	GUEST_DONE();
}
