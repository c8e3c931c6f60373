/* Attack guest: pins CR4.OSXMMEXCPT, clears it at an undeclared site; detected at the next exit. */
#include "idt.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define EXC_GP	 13
#define CR4_SMEP (1ULL << 20)
/* Set at boot; harmless to lose for a general-regs-only guest. */
#define CR4_OSXMMEXCPT (1ULL << 10)
/* More #GPs than this is a loop, not a policy outcome. */
#define CP_GP_MAX 4

#define CHECKPOINT_VAL(n, v) vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, 0, (n), (v))

static struct vtl_call_block cp_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

static volatile uint64_t gp_count, gp_rip;

static uint32_t cp_call(uint32_t nr, uint64_t a0, uint64_t a1)
{
	cp_blk.nr = nr;
	cp_blk.args[0] = a0;
	cp_blk.args[1] = a1;
	return vtl_call(&cp_blk);
}

static uint64_t cp_read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void cp_write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/*
 * The change is only seen at a later exit, so a `deny` can only undo it and
 * raise #GP wherever VTL0 then is: record it and resume there (the
 * instruction the #GP was delivered on has already completed).
 */
static void cp_on_gp(struct exc_frame *f)
{
	gp_count++;
	gp_rip = f->rip;
	if (gp_count > CP_GP_MAX) {
		vtl_ucall4(VTL_UCALL_ASSERT_FAIL, __FILE__, __LINE__, "#GP loop", f->error_code,
			   f->rip, 0, 0);
		vtl_shutdown(VTL_UCALL_FAIL_CODE);
	}
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint64_t cr4;

	idt_install();
	idt_set_handler(EXC_GP, cp_on_gp);
	cr4 = cp_read_cr4();
	GUEST_ASSERT(cr4 & CR4_OSXMMEXCPT);
	GUEST_ASSERT_EQ(cp_call(VTL_CALL_PIN_CR, 4, CR4_OSXMMEXCPT), VTL_OK);
	/* SMEP is not `cr pinnable` in the test policies. */
	GUEST_ASSERT_EQ(cp_call(VTL_CALL_PIN_CR, 4, CR4_SMEP), VTL_E_DENIED);
	CHECKPOINT_VAL(1, cr4);

	/* The attack. No exit happens here, so nothing can stop the write itself. */
	cp_write_cr4(cr4 & ~CR4_OSXMMEXCPT);
	/* The next exit: the monitor sees the pin broken (under `kill` the run ends here). */
	GUEST_CHECKPOINT(2);

	/* Under `deny`: the pinned bit is back, whatever VTL0 wrote. */
	GUEST_ASSERT(cp_read_cr4() & CR4_OSXMMEXCPT);
	CHECKPOINT_VAL(3, gp_count);
	GUEST_DONE();
}
