/* Attack guest: reads its own page after making it no-access; the secret must never reach it. */
#include "fault.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define NA_SECRET   0x5ec7e75ec7e75ec7ULL
#define NA_SENTINEL 0x1111222233334444ULL
/* Read at page + 0x10: CR2 and the event must be exact, not page-aligned. */
#define NA_READ_INDEX 2

static uint64_t na_page[VTL_PAGE_SIZE / 8] __attribute__((aligned(VTL_PAGE_SIZE)));

static struct fault_rec pf;

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *page = na_page;
	uint64_t target = (uintptr_t)&na_page[NA_READ_INDEX];
	uint64_t site, val;

	idt_install();
	fault_rec_install(EXC_PF, &pf);
	page[NA_READ_INDEX] = NA_SECRET;
	GUEST_CHECKPOINT_VAL(1, target);

	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)na_page, 1, 0), VTL_OK);

	val = NA_SENTINEL;
	site = fault_try_load64(&pf, &page[NA_READ_INDEX], &val);
	GUEST_ASSERT_EQ(pf.count, 1);
	GUEST_ASSERT_EQ(val, NA_SENTINEL); /* neither the secret nor a host-supplied value */
	GUEST_ASSERT_EQ(pf.rip, site);
	GUEST_ASSERT_EQ(pf.cr2, target);
	GUEST_ASSERT_EQ(pf.error & PF_ERR_W, 0); /* a read */
	GUEST_CHECKPOINT_VAL(2, site);

	/* Access restored: the secret was there all along, untouched. */
	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)na_page, 1, VTL_PERM_R | VTL_PERM_W), VTL_OK);
	val = NA_SENTINEL;
	fault_try_load64(&pf, &page[NA_READ_INDEX], &val);
	GUEST_ASSERT_EQ(pf.count, 1);
	GUEST_ASSERT_EQ(val, NA_SECRET);
	GUEST_DONE();
}
