/* Attack guest: writes to its own page after making it read-only; expects a precise #PF. */
#include "fault.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define RO_FILL	  0xa5a5a5a5a5a5a5a5ULL
#define RO_ATTACK 0xdeadbeefdeadbeefULL
#define RO_AFTER  0x0123456789abcdefULL

/* One whole page: the protection covers nothing else (code, stack, ucall buffer stay RW). */
static uint64_t ro_page[VTL_PAGE_SIZE / 8] __attribute__((aligned(VTL_PAGE_SIZE)));

static struct fault_rec pf;

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *page = ro_page;
	uint64_t site;

	idt_install();
	fault_rec_install(EXC_PF, &pf);
	for (unsigned int i = 0; i < 8; i++)
		page[i] = RO_FILL;
	GUEST_CHECKPOINT_VAL(1, (uintptr_t)ro_page);

	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)ro_page, 1, VTL_PERM_R), VTL_OK);
	GUEST_ASSERT_EQ(page[1], RO_FILL); /* still readable */

	/* The attack: under `deny` this faults; under `kill` the run ends here. */
	site = fault_try_store64(&pf, &page[0], RO_ATTACK);
	GUEST_ASSERT_EQ(pf.count, 1);
	GUEST_ASSERT_EQ(pf.rip, site);		     /* precise: RIP on the store, not past it */
	GUEST_ASSERT_EQ(pf.cr2, (uintptr_t)ro_page); /* the exact faulting address */
	GUEST_ASSERT(pf.error & PF_ERR_W);
	GUEST_ASSERT_EQ(page[0], RO_FILL); /* the write never landed */
	GUEST_CHECKPOINT_VAL(2, site);

	/* Relaxing it again (allowed before END_OF_BOOT) makes the same store land. */
	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)ro_page, 1, VTL_PERM_R | VTL_PERM_W), VTL_OK);
	fault_try_store64(&pf, &page[0], RO_AFTER);
	GUEST_ASSERT_EQ(pf.count, 1);
	GUEST_ASSERT_EQ(page[0], RO_AFTER);
	GUEST_DONE();
}
