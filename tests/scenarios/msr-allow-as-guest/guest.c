/* Scenario guest: writes its pinned EFER under `action msr log`, validly and invalidly. */
#include "../lifecycle.h"

#define MSR_EFER 0xC0000080U
#define EFER_SCE (1ULL << 0)
#define EFER_LME (1ULL << 8)

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint64_t efer;

	(void)bi;
	lc_idt_init();
	efer = rdmsr(MSR_EFER);
	GUEST_ASSERT(efer & EFER_LME);
	/*
	 * Clearing LME with paging on is a #GP for a guest WRMSR (SDM: "IA32_EFER.LME
	 * cannot be modified while paging is enabled"). VTL1 allows the write, but
	 * allowing must not let the monitor do what the guest cannot.
	 */
	GUEST_ASSERT(lc_wrmsr_denied(MSR_EFER, efer & ~EFER_LME));
	GUEST_ASSERT_EQ(rdmsr(MSR_EFER), efer);
	GUEST_CHECKPOINT(1);
	/* A change the guest could make goes through, and the pin follows it. */
	GUEST_ASSERT(!lc_wrmsr_denied(MSR_EFER, efer & ~EFER_SCE));
	GUEST_ASSERT_EQ(rdmsr(MSR_EFER), efer & ~EFER_SCE);
	GUEST_ASSERT(!lc_wrmsr_denied(MSR_EFER, efer & ~EFER_SCE));
	GUEST_DONE();
}
