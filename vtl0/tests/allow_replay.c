/* Policy guest: under `action mem-write log`, writes to a read-only page land with no fault. */
#include "cpu.h"
#include "idt.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define EXC_PF	   14
#define AR_FILL	   0xa5a5a5a5a5a5a5a5ULL
#define AR_QWORD   0x1122334455667788ULL
#define AR_BYTE	   0x99U
#define AR_BYTE_AT 0x21 /* odd offset: the replay must use the exact GPA and width */

#define CHECKPOINT_VAL(n, v) vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, 0, (n), (v))

static uint64_t ar_page[VTL_PAGE_SIZE / 8] __attribute__((aligned(VTL_PAGE_SIZE)));
static struct vtl_call_block ar_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

static void ar_on_pf(struct exc_frame *f)
{
	/* Under `log` no #PF is expected at all. */
	vtl_ucall4(VTL_UCALL_ASSERT_FAIL, __FILE__, __LINE__, "unexpected #PF", f->error_code,
		   f->rip, read_cr2(), 0);
	vtl_shutdown(VTL_UCALL_FAIL_CODE);
}

static uint32_t ar_protect(uint64_t perms)
{
	ar_blk.nr = VTL_CALL_PROTECT;
	ar_blk.args[0] = (uintptr_t)ar_page;
	ar_blk.args[1] = 1;
	ar_blk.args[2] = perms;
	return vtl_call(&ar_blk);
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *page = ar_page;
	volatile uint8_t *bytes = (volatile uint8_t *)ar_page;

	idt_install();
	idt_set_handler(EXC_PF, ar_on_pf);
	for (unsigned int i = 0; i < 8; i++)
		page[i] = AR_FILL;
	CHECKPOINT_VAL(1, (uintptr_t)ar_page);
	GUEST_ASSERT_EQ(ar_protect(VTL_PERM_R), VTL_OK);

	/* Each write exits, VTL1 logs it, the monitor performs it, and the guest goes on. */
	page[0] = AR_QWORD;
	GUEST_ASSERT_EQ(page[0], AR_QWORD);
	bytes[AR_BYTE_AT] = AR_BYTE;
	GUEST_ASSERT_EQ(bytes[AR_BYTE_AT], AR_BYTE);
	/* Only the written bytes changed. */
	GUEST_ASSERT_EQ(page[4], (AR_FILL & ~(0xffULL << 8)) | (uint64_t)AR_BYTE << 8);
	GUEST_ASSERT_EQ(page[1], AR_FILL);
	GUEST_ASSERT_EQ(page[5], AR_FILL);
	CHECKPOINT_VAL(2, (uintptr_t)&bytes[AR_BYTE_AT]);
	GUEST_DONE();
}
