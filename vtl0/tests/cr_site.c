/* Attack guest: clears a pinned CR4 bit at a breakpointed site; expects a precise #GP there. */
#include "fault.h"
#include "regs.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define CR4_PAE	  (1ULL << 5)
#define RFLAGS_TF (1ULL << 8)

static struct fault_rec gp;

static inline uint64_t read_rflags(void)
{
	uint64_t v;

	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

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
	GUEST_CHECKPOINT_VAL(3, gp.count);

	/*
	 * A write that keeps the pinned bit but faults by itself (PAE off in long
	 * mode): it is stepped over and raises its own #GP. Nothing of the step
	 * may reach us: no TF in the #GP frame (it would raise a #DB after the
	 * handler's IRET, which fails this guest), and the site is armed again.
	 */
	cs_site_write_cr4(cr4 & ~CR4_PAE); /* #GP in long mode */
	GUEST_ASSERT_EQ(gp.count, 3);
	GUEST_ASSERT_EQ(gp.rip, site);
	GUEST_ASSERT_EQ(read_rflags() & RFLAGS_TF, 0);
	GUEST_ASSERT_EQ(read_cr4(), cr4);
	cs_site_write_cr4(cr4 & ~CR4_OSXMMEXCPT);
	GUEST_ASSERT_EQ(gp.count, 4);
	GUEST_ASSERT(read_cr4() & CR4_OSXMMEXCPT);
	GUEST_DONE();
}
