/* Attack guest: pins LSTAR, then tries to retarget it; expects a precise #GP on the WRMSR. */
#include "fault.h"
#include "regs.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define MSR_DELTA 0x1000ULL /* the attacker's target: one page further, still canonical */

static struct fault_rec gp;

int vtl0_main(const struct vtl_boot_info *bi)
{
	/* A plausible syscall entry: an address in our own text. */
	uint64_t entry = (uintptr_t)&vtl0_main;
	uint64_t evil = entry + MSR_DELTA;
	uint64_t site;

	idt_install();
	fault_rec_install(EXC_GP, &gp);

	/* Boot: the kernel sets its syscall entry, then pins it. */
	rdmsr(MSR_LSTAR);
	fault_try_wrmsr(&gp, MSR_LSTAR, entry);
	GUEST_ASSERT_EQ(gp.count, 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_LSTAR), entry);
	GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_PIN_MSR, MSR_LSTAR, 0, 0, 0), VTL_OK);
	/* STAR is not `msr pinnable` in the test policy. */
	GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_PIN_MSR, MSR_STAR, 0, 0, 0), VTL_E_DENIED);
	GUEST_CHECKPOINT_VAL(1, evil);

	/* Rewriting the pinned value is no violation. */
	fault_try_wrmsr(&gp, MSR_LSTAR, entry);
	GUEST_ASSERT_EQ(gp.count, 0);

	/* The attack: under `deny` a #GP on the WRMSR; under `kill` the run ends here. */
	site = fault_try_wrmsr(&gp, MSR_LSTAR, evil);
	GUEST_ASSERT_EQ(gp.count, 1);
	GUEST_ASSERT_EQ(gp.rip, site);
	GUEST_ASSERT_EQ(gp.error, 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_LSTAR), entry);
	GUEST_CHECKPOINT_VAL(2, site);

	/* Pinning one MSR leaves the others writable. */
	fault_try_wrmsr(&gp, MSR_CSTAR, evil);
	GUEST_ASSERT_EQ(gp.count, 1);
	GUEST_ASSERT_EQ(rdmsr(MSR_CSTAR), evil);
	GUEST_DONE();
}
