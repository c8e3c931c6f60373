/* Attack guest: pins LSTAR, then tries to retarget it; expects a precise #GP on the WRMSR. */
#include "idt.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define EXC_GP	  13
#define MSR_STAR  0xC0000081U
#define MSR_LSTAR 0xC0000082U
#define MSR_CSTAR 0xC0000083U
#define MSR_DELTA 0x1000ULL /* the attacker's target: one page further, still canonical */

#define CHECKPOINT_VAL(n, v) vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, 0, (n), (v))

static struct vtl_call_block mp_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

static volatile uint64_t gp_count, gp_error, gp_rip;
static uint64_t gp_resume;

static uint32_t mp_call(uint32_t nr, uint64_t a0, uint64_t a1)
{
	mp_blk.nr = nr;
	mp_blk.args[0] = a0;
	mp_blk.args[1] = a1;
	return vtl_call(&mp_blk);
}

static uint64_t mp_rdmsr(uint32_t idx)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(idx) : "memory");
	return (uint64_t)hi << 32 | lo;
}

static void mp_on_gp(struct exc_frame *f)
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

/* One WRMSR at a known address; a #GP resumes at label 1. Returns the WRMSR's address. */
static uint64_t mp_try_wrmsr(uint32_t idx, uint64_t val)
{
	uint64_t site;

	__asm__ volatile("leaq 1f(%%rip), %%r8\n\t"
			 "movq %%r8, %[resume]\n\t"
			 "leaq 0f(%%rip), %[site]\n\t"
			 "0: wrmsr\n\t"
			 "1:"
			 : [site] "=&r"(site), [resume] "=m"(gp_resume)
			 : "c"(idx), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
			 : "r8", "memory");
	gp_resume = 0;
	return site;
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	/* A plausible syscall entry: an address in our own text. */
	uint64_t entry = (uintptr_t)&vtl0_main;
	uint64_t evil = entry + MSR_DELTA;
	uint64_t site;

	idt_install();
	idt_set_handler(EXC_GP, mp_on_gp);

	/* Boot: the kernel sets its syscall entry, then pins it. */
	mp_rdmsr(MSR_LSTAR);
	mp_try_wrmsr(MSR_LSTAR, entry);
	GUEST_ASSERT_EQ(gp_count, 0);
	GUEST_ASSERT_EQ(mp_rdmsr(MSR_LSTAR), entry);
	GUEST_ASSERT_EQ(mp_call(VTL_CALL_PIN_MSR, MSR_LSTAR, 0), VTL_OK);
	/* STAR is not `msr pinnable` in the test policy. */
	GUEST_ASSERT_EQ(mp_call(VTL_CALL_PIN_MSR, MSR_STAR, 0), VTL_E_DENIED);
	CHECKPOINT_VAL(1, evil);

	/* Rewriting the pinned value is no violation. */
	mp_try_wrmsr(MSR_LSTAR, entry);
	GUEST_ASSERT_EQ(gp_count, 0);

	/* The attack: under `deny` a #GP on the WRMSR; under `kill` the run ends here. */
	site = mp_try_wrmsr(MSR_LSTAR, evil);
	GUEST_ASSERT_EQ(gp_count, 1);
	GUEST_ASSERT_EQ(gp_rip, site);
	GUEST_ASSERT_EQ(gp_error, 0);
	GUEST_ASSERT_EQ(mp_rdmsr(MSR_LSTAR), entry);
	CHECKPOINT_VAL(2, site);

	/* Pinning one MSR leaves the others writable. */
	mp_try_wrmsr(MSR_CSTAR, evil);
	GUEST_ASSERT_EQ(gp_count, 1);
	GUEST_ASSERT_EQ(mp_rdmsr(MSR_CSTAR), evil);
	GUEST_DONE();
}
