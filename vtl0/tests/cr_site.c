/* Attack guest: clears a pinned CR4 bit at a breakpointed site; expects a precise #GP there. */
#include "fault.h"
#include "regs.h"
#include "vtl0.h"
#include "vtl1_abi.h"

static struct fault_rec gp;

/*
 * The image's only CR4 write, so `vtlmon inspect` finds exactly one site for
 * the test to declare (`cr breakpoint`). noinline keeps it one copy; a #GP
 * resumes right after it. Returns the site's address.
 */
__attribute__((noinline)) static uint64_t cs_site_write_cr4(uint64_t v)
{
	return FAULT_PROBE(&gp, "movq %%rax, %%cr4", "a"(v));
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint64_t cr4, site;

	idt_install();
	fault_rec_install(EXC_GP, &gp);
	cr4 = read_cr4();
	GUEST_ASSERT(cr4 & CR4_OSXMMEXCPT);
	GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_PIN_CR, 4, CR4_OSXMMEXCPT, 0, 0), VTL_OK);

	/* A write that keeps the pinned bit passes the breakpoint (stepped over, re-armed). */
	site = cs_site_write_cr4(cr4);
	GUEST_ASSERT_EQ(gp.count, 0);
	GUEST_CHECKPOINT_VAL(1, site);

	/* The attack: stopped before the write executes. */
	cs_site_write_cr4(cr4 & ~CR4_OSXMMEXCPT);
	GUEST_ASSERT_EQ(gp.count, 1);
	GUEST_ASSERT_EQ(gp.rip, site);
	GUEST_ASSERT_EQ(gp.error, 0);
	GUEST_ASSERT(read_cr4() & CR4_OSXMMEXCPT);
	GUEST_CHECKPOINT_VAL(2, gp.rip);

	/* The breakpoint is still armed after the allowed write was stepped over and a #GP. */
	cs_site_write_cr4(cr4);
	GUEST_ASSERT_EQ(gp.count, 1);
	cs_site_write_cr4(cr4 & ~CR4_OSXMMEXCPT);
	GUEST_ASSERT_EQ(gp.count, 2);
	GUEST_ASSERT_EQ(gp.rip, site);
	GUEST_ASSERT(read_cr4() & CR4_OSXMMEXCPT);
	GUEST_DONE();
}
