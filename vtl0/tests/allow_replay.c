/* Policy guest: under `action mem-write log`, writes to a read-only page land with no fault. */
#include "idt.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define AR_FILL	   0xa5a5a5a5a5a5a5a5ULL
#define AR_QWORD   0x1122334455667788ULL
#define AR_BYTE	   0x99U
#define AR_BYTE_AT 0x21 /* odd offset: the replay must use the exact GPA and width */

static uint64_t ar_page[VTL_PAGE_SIZE / 8] __attribute__((aligned(VTL_PAGE_SIZE)));

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *page = ar_page;
	volatile uint8_t *bytes = (volatile uint8_t *)ar_page;

	/* Under `log` no #PF is expected at all: the IDT's default handler fails the run on one. */
	idt_install();
	for (unsigned int i = 0; i < 8; i++)
		page[i] = AR_FILL;
	GUEST_CHECKPOINT_VAL(1, (uintptr_t)ar_page);
	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)ar_page, 1, VTL_PERM_R), VTL_OK);

	/* Each write exits, VTL1 logs it, the monitor performs it, and the guest goes on. */
	page[0] = AR_QWORD;
	GUEST_ASSERT_EQ(page[0], AR_QWORD);
	bytes[AR_BYTE_AT] = AR_BYTE;
	GUEST_ASSERT_EQ(bytes[AR_BYTE_AT], AR_BYTE);
	/* Only the written bytes changed. */
	GUEST_ASSERT_EQ(page[4], (AR_FILL & ~(0xffULL << 8)) | (uint64_t)AR_BYTE << 8);
	GUEST_ASSERT_EQ(page[1], AR_FILL);
	GUEST_ASSERT_EQ(page[5], AR_FILL);
	GUEST_CHECKPOINT_VAL(2, (uintptr_t)&bytes[AR_BYTE_AT]);
	GUEST_DONE();
}
