/* Attack guest: pins CR4.OSXMMEXCPT, clears it at an undeclared site; detected at the next exit. */
#include "idt.h"
#include "regs.h"
#include "vtl0.h"
#include "vtl1_abi.h"

/* More #GPs than this is a loop, not a policy outcome. */
#define CP_GP_MAX 4

static volatile uint64_t gp_count, gp_rip;

/* The attack: a CR4 write at a site no policy declares. */
static void cp_write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/*
 * Not a fault_rec: the change is only seen at a later exit, so a `deny` can
 * only undo it and raise #GP wherever VTL0 then is. Record it and resume
 * there (the instruction the #GP was delivered on has already completed).
 */
static void cp_on_gp(struct exc_frame *f)
{
	gp_count++;
	gp_rip = f->rip;
	if (gp_count > CP_GP_MAX)
		idt_fail(f, "#GP loop");
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint64_t cr4;

	idt_install();
	idt_set_handler(EXC_GP, cp_on_gp);
	cr4 = read_cr4();
	GUEST_ASSERT(cr4 & CR4_OSXMMEXCPT);
	GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_PIN_CR, 4, CR4_OSXMMEXCPT, 0, 0), VTL_OK);
	/* SMEP is not `cr pinnable` in the test policies. */
	GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_PIN_CR, 4, CR4_SMEP, 0, 0), VTL_E_DENIED);
	GUEST_CHECKPOINT_VAL(1, cr4);

	/* The attack. No exit happens here, so nothing can stop the write itself. */
	cp_write_cr4(cr4 & ~CR4_OSXMMEXCPT);
	/* The next exit: the monitor sees the pin broken (under `kill` the run ends here). */
	GUEST_CHECKPOINT(2);

	/* Under `deny`: the pinned bit is back, whatever VTL0 wrote. */
	GUEST_ASSERT(read_cr4() & CR4_OSXMMEXCPT);
	GUEST_CHECKPOINT_VAL(3, gp_count);
	GUEST_DONE();
}
