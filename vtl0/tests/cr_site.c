/* Attack guest: clears a pinned CR4 bit at a breakpointed site; expects a precise #GP there. */
#include "idt.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define EXC_GP	       13
#define CR4_OSXMMEXCPT (1ULL << 10)

#define CHECKPOINT_VAL(n, v) vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, 0, (n), (v))

static struct vtl_call_block cs_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

static volatile uint64_t gp_count, gp_error, gp_rip;
static uint64_t gp_resume;

static uint32_t cs_call(uint32_t nr, uint64_t a0, uint64_t a1)
{
	cs_blk.nr = nr;
	cs_blk.args[0] = a0;
	cs_blk.args[1] = a1;
	return vtl_call(&cs_blk);
}

static uint64_t cs_read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void cs_on_gp(struct exc_frame *f)
{
	gp_count++;
	gp_error = f->error_code;
	gp_rip = f->rip;
	if (!gp_resume) {
		vtl_ucall4(VTL_UCALL_ASSERT_FAIL, __FILE__, __LINE__, "unexpected #GP",
			   f->error_code, f->rip, 0, 0);
		vtl_shutdown(VTL_UCALL_FAIL_CODE);
	}
	f->rip = gp_resume;
	gp_resume = 0;
}

/*
 * The image's only CR4 write, so `vtlmon inspect` finds exactly one site for
 * the test to declare (`cr breakpoint`). noinline keeps it one copy; a #GP
 * resumes at label 1. Returns the site's address.
 */
__attribute__((noinline)) static uint64_t cs_site_write_cr4(uint64_t v)
{
	uint64_t site;

	__asm__ volatile("leaq 1f(%%rip), %%rcx\n\t"
			 "movq %%rcx, %[resume]\n\t"
			 "leaq 0f(%%rip), %[site]\n\t"
			 "0: movq %%rax, %%cr4\n\t"
			 "1:"
			 : [site] "=&r"(site), [resume] "=m"(gp_resume)
			 : "a"(v)
			 : "rcx", "memory");
	gp_resume = 0;
	return site;
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint64_t cr4, site;

	idt_install();
	idt_set_handler(EXC_GP, cs_on_gp);
	cr4 = cs_read_cr4();
	GUEST_ASSERT(cr4 & CR4_OSXMMEXCPT);
	GUEST_ASSERT_EQ(cs_call(VTL_CALL_PIN_CR, 4, CR4_OSXMMEXCPT), VTL_OK);

	/* A write that keeps the pinned bit passes the breakpoint (stepped over, re-armed). */
	site = cs_site_write_cr4(cr4);
	GUEST_ASSERT_EQ(gp_count, 0);
	CHECKPOINT_VAL(1, site);

	/* The attack: stopped before the write executes. */
	cs_site_write_cr4(cr4 & ~CR4_OSXMMEXCPT);
	GUEST_ASSERT_EQ(gp_count, 1);
	GUEST_ASSERT_EQ(gp_rip, site);
	GUEST_ASSERT_EQ(gp_error, 0);
	GUEST_ASSERT(cs_read_cr4() & CR4_OSXMMEXCPT);
	CHECKPOINT_VAL(2, gp_rip);

	/* The breakpoint is still armed after the allowed write was stepped over and a #GP. */
	cs_site_write_cr4(cr4);
	GUEST_ASSERT_EQ(gp_count, 1);
	cs_site_write_cr4(cr4 & ~CR4_OSXMMEXCPT);
	GUEST_ASSERT_EQ(gp_count, 2);
	GUEST_ASSERT_EQ(gp_rip, site);
	GUEST_ASSERT(cs_read_cr4() & CR4_OSXMMEXCPT);
	GUEST_DONE();
}
