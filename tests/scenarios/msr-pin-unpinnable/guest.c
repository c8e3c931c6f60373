/* Scenario guest: PIN_MSR of an MSR that changes without WRMSR is NOT_SUPPORTED, never OK. */
#include "regs.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define MSR_FS_BASE	   0xC0000100U
#define MSR_GS_BASE	   0xC0000101U
#define MSR_KERNEL_GS_BASE 0xC0000102U
#define FS_PROBE	   0x0000123456789000ULL

/* Every way out of the pinnable set: names, ranges, unknown numbers, a 64-bit index. */
static const uint64_t unpinnable[] = {
    MSR_FS_BASE,
    MSR_GS_BASE,
    MSR_KERNEL_GS_BASE, /* wrfsbase, swapgs, segment loads */
    0x800,
    0x830,
    0x8FF, /* x2APIC: the filter does not see them */
    0x10,
    0x6E0, /* TSC, TSC_DEADLINE: change by themselves */
    0x1D9, /* DEBUGCTL: #DB clears LBR/BTF */
    0x6A2,
    0x6A4,		      /* S_CET (ENDBR), PL0_SSP (XRSTORS) */
    0x2FF,		      /* MTRR_DEF_TYPE: not on the list, fail closed */
    (1ULL << 32) | MSR_LSTAR, /* not an MSR index at all */
};

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint16_t sel;

	/*
	 * Why FS_BASE is refused: a segment load rewrites it from the GDT, with
	 * no WRMSR for a filter to catch (wrfsbase would too, with CR4.FSGSBASE).
	 */
	__asm__ volatile("wrmsr" ::"c"(MSR_FS_BASE), "a"((uint32_t)FS_PROBE),
			 "d"((uint32_t)(FS_PROBE >> 32)));
	GUEST_ASSERT_EQ(rdmsr(MSR_FS_BASE), FS_PROBE);
	__asm__ volatile("mov %%ds, %0\n\tmov %0, %%fs" : "=r"(sel));
	GUEST_ASSERT_EQ(rdmsr(MSR_FS_BASE), 0);

	for (unsigned i = 0; i < sizeof(unpinnable) / sizeof(unpinnable[0]); i++)
		GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_PIN_MSR, unpinnable[i], 0, 0, 0),
				VTL_E_NOT_SUPPORTED);
	/* Nothing was pinned, so there is nothing to unpin. */
	GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_UNPIN_MSR, MSR_FS_BASE, 0, 0, 0), VTL_E_DENIED);
	/* Pinnable, but not by this policy; then one that is. */
	GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_PIN_MSR, MSR_STAR, 0, 0, 0), VTL_E_DENIED);
	GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_PIN_MSR, MSR_LSTAR, 0, 0, 0), VTL_OK);
	GUEST_DONE();
}
