/* Policy guest: relaxing a protection works before END_OF_BOOT and is denied after it. */
#include "fault.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define RE_FILL	  0x600dULL
#define RE_ATTACK 0xbadULL
#define RE_RW	  (VTL_PERM_R | VTL_PERM_W)

static uint64_t re_page[VTL_PAGE_SIZE / 8] __attribute__((aligned(VTL_PAGE_SIZE)));

static struct fault_rec pf;

static uint32_t re_protect(uint64_t perms)
{
	return vtl_protect((uintptr_t)re_page, 1, perms);
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *page = re_page;
	uint64_t text = (uintptr_t)&vtl0_main & ~(VTL_PAGE_SIZE - 1);
	uint32_t st;

	idt_install();
	fault_rec_install(EXC_PF, &pf);
	page[0] = RE_FILL;

	/* Boot: restrict and relax both work; `memory text rx locked` is never relaxed. */
	GUEST_ASSERT_EQ(re_protect(VTL_PERM_R), VTL_OK);
	GUEST_ASSERT_EQ(re_protect(RE_RW), VTL_OK);
	fault_try_store64(&pf, page, RE_FILL + 1);
	GUEST_ASSERT_EQ(pf.count, 0);
	GUEST_ASSERT_EQ(vtl_protect(text, 1, VTL_PERM_MASK), VTL_E_DENIED);
	GUEST_ASSERT_EQ(re_protect(VTL_PERM_R), VTL_OK);
	GUEST_CHECKPOINT_VAL(1, (uintptr_t)re_page);

	GUEST_ASSERT_EQ(vtl_call0(VTL_CALL_END_OF_BOOT), VTL_OK);
	GUEST_CHECKPOINT_VAL(2, 0);

	/* After END_OF_BOOT: the relaxation is refused and the page stays read-only. */
	GUEST_ASSERT_EQ(re_protect(RE_RW), VTL_E_DENIED);
	fault_try_store64(&pf, page, RE_ATTACK);
	GUEST_ASSERT_EQ(pf.count, 1);
	GUEST_ASSERT_EQ(page[0], RE_FILL + 1);

	/* Restricting further is still allowed; climbing back from none is a relaxation too. */
	GUEST_ASSERT_EQ(re_protect(0), VTL_OK);
	GUEST_ASSERT_EQ(re_protect(VTL_PERM_R), VTL_E_DENIED);
	GUEST_ASSERT_EQ(re_protect(RE_RW), VTL_E_DENIED);

	/* Boot ends once: a second END_OF_BOOT cannot reopen anything. */
	st = vtl_call0(VTL_CALL_END_OF_BOOT);
	GUEST_CHECKPOINT_VAL(3, st);
	GUEST_ASSERT_EQ(st, VTL_E_BAD_STATE);
	GUEST_ASSERT_EQ(re_protect(RE_RW), VTL_E_DENIED);
	GUEST_DONE();
}
