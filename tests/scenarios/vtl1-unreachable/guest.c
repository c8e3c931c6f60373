/* Scenario guest: maps VTL1's GPA range into its own page tables, and finds no memory there. */
#include "cpu.h"
#include "vtl0.h"

#define PROBE_PATTERN 0x5a5a5a5a5a5a5a5aULL
#define PTE_P	      (1ULL << 0)
#define PTE_W	      (1ULL << 1)
#define PTE_PS	      (1ULL << 7)

static uint64_t probe_pd[512] __attribute__((aligned(4096)));

int vtl0_main(const struct vtl_boot_info *bi)
{
	/* Our RAM is identity-mapped, so the boot PDPT is reachable at its GPA. */
	volatile uint64_t *pdpt = (volatile uint64_t *)(uintptr_t)VTL_BOOT_PDPT_LOW;
	uint64_t gpa = VTL1_PRIV_GPA + VTL_LARGE_PAGE_SIZE;

	/* One 2 MiB page at VTL1's second large page; PDPT entry 4 covers VA [4 GiB, 5 GiB). */
	probe_pd[1] = gpa | PTE_P | PTE_W | PTE_PS;
	pdpt[4] = (uintptr_t)probe_pd | PTE_P | PTE_W;
	write_cr3(read_cr3());

	/* No memslot backs VTL1's RAM in VTL0's VM: both accesses exit as MMIO and go nowhere. */
	mmio_write64(gpa, PROBE_PATTERN);
	GUEST_ASSERT_EQ(mmio_read64(gpa), ~0ULL);
	GUEST_DONE();
}
