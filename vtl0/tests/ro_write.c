/* Attack guest: writes to its own page after making it read-only; expects a precise #PF. */
#include "cpu.h"
#include "idt.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define EXC_PF	  14
#define PF_ERR_W  0x2ULL
#define RO_FILL	  0xa5a5a5a5a5a5a5a5ULL
#define RO_ATTACK 0xdeadbeefdeadbeefULL
#define RO_AFTER  0x0123456789abcdefULL

/* Reports a step and a value (an address) the host test needs: arg0 = step, arg1 = value. */
#define CHECKPOINT_VAL(n, v) vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, 0, (n), (v))

/* One whole page: the protection covers nothing else (code, stack, ucall buffer stay RW). */
static uint64_t ro_page[VTL_PAGE_SIZE / 8] __attribute__((aligned(VTL_PAGE_SIZE)));
static struct vtl_call_block ro_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

static volatile uint64_t pf_count, pf_error, pf_rip, pf_cr2;
/* Where the handler resumes; set by the probe right before its access, 0 when none is expected. */
static uint64_t pf_resume;

static uint32_t ro_protect(uint64_t gpa, uint64_t pages, uint64_t perms)
{
	ro_blk.nr = VTL_CALL_PROTECT;
	ro_blk.args[0] = gpa;
	ro_blk.args[1] = pages;
	ro_blk.args[2] = perms;
	return vtl_call(&ro_blk);
}

static void ro_on_pf(struct exc_frame *f)
{
	pf_count++;
	pf_error = f->error_code;
	pf_rip = f->rip;
	pf_cr2 = read_cr2();
	if (!pf_resume) {
		vtl_ucall4(VTL_UCALL_ASSERT_FAIL, __FILE__, __LINE__, "unexpected #PF",
			   f->error_code, f->rip, pf_cr2, 0);
		vtl_shutdown(VTL_UCALL_FAIL_CODE);
	}
	f->rip = pf_resume;
	pf_resume = 0;
}

/*
 * One `mov %rbx, (%rax)` (Capstone: "mov qword ptr [rax], rbx") at a known
 * address; a fault resumes at label 1. Returns the store's address.
 */
static uint64_t ro_try_store(volatile uint64_t *p, uint64_t v)
{
	uint64_t site;

	__asm__ volatile("leaq 1f(%%rip), %%rcx\n\t"
			 "movq %%rcx, %[resume]\n\t"
			 "leaq 0f(%%rip), %[site]\n\t"
			 "0: movq %%rbx, (%%rax)\n\t"
			 "1:"
			 : [site] "=&r"(site), [resume] "=m"(pf_resume)
			 : "a"(p), "b"(v)
			 : "rcx", "memory");
	pf_resume = 0;
	return site;
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *page = ro_page;
	uint64_t site;

	idt_install();
	idt_set_handler(EXC_PF, ro_on_pf);
	for (unsigned int i = 0; i < 8; i++)
		page[i] = RO_FILL;
	CHECKPOINT_VAL(1, (uintptr_t)ro_page);

	GUEST_ASSERT_EQ(ro_protect((uintptr_t)ro_page, 1, VTL_PERM_R), VTL_OK);
	GUEST_ASSERT_EQ(page[1], RO_FILL); /* still readable */

	/* The attack: under `deny` this faults; under `kill` the run ends here. */
	site = ro_try_store(&page[0], RO_ATTACK);
	GUEST_ASSERT_EQ(pf_count, 1);
	GUEST_ASSERT_EQ(pf_rip, site);		     /* precise: RIP on the store, not past it */
	GUEST_ASSERT_EQ(pf_cr2, (uintptr_t)ro_page); /* the exact faulting address */
	GUEST_ASSERT(pf_error & PF_ERR_W);
	GUEST_ASSERT_EQ(page[0], RO_FILL); /* the write never landed */
	CHECKPOINT_VAL(2, site);

	/* Relaxing it again (allowed before END_OF_BOOT) makes the same store land. */
	GUEST_ASSERT_EQ(ro_protect((uintptr_t)ro_page, 1, VTL_PERM_R | VTL_PERM_W), VTL_OK);
	ro_try_store(&page[0], RO_AFTER);
	GUEST_ASSERT_EQ(pf_count, 1);
	GUEST_ASSERT_EQ(page[0], RO_AFTER);
	GUEST_DONE();
}
