/* Policy guest: relaxing a protection works before END_OF_BOOT and is denied after it. */
#include "cpu.h"
#include "idt.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define EXC_PF	  14
#define RE_FILL	  0x600dULL
#define RE_ATTACK 0xbadULL
#define RE_RW	  (VTL_PERM_R | VTL_PERM_W)

#define CHECKPOINT_VAL(n, v) vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, 0, (n), (v))

static uint64_t re_page[VTL_PAGE_SIZE / 8] __attribute__((aligned(VTL_PAGE_SIZE)));
static struct vtl_call_block re_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

static volatile uint64_t pf_count, pf_rip;
static uint64_t pf_resume;

static uint32_t re_call(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	re_blk.nr = nr;
	re_blk.args[0] = a0;
	re_blk.args[1] = a1;
	re_blk.args[2] = a2;
	return vtl_call(&re_blk);
}

static uint32_t re_protect(uint64_t perms)
{
	return re_call(VTL_CALL_PROTECT, (uintptr_t)re_page, 1, perms);
}

static void re_on_pf(struct exc_frame *f)
{
	pf_count++;
	pf_rip = f->rip;
	if (!pf_resume) {
		vtl_ucall4(VTL_UCALL_ASSERT_FAIL, __FILE__, __LINE__, "unexpected #PF",
			   f->error_code, f->rip, read_cr2(), 0);
		vtl_shutdown(VTL_UCALL_FAIL_CODE);
	}
	f->rip = pf_resume;
	pf_resume = 0;
}

static void re_try_store(volatile uint64_t *p, uint64_t v)
{
	__asm__ volatile("leaq 1f(%%rip), %%rcx\n\t"
			 "movq %%rcx, %[resume]\n\t"
			 "movq %%rbx, (%%rax)\n\t"
			 "1:"
			 : [resume] "=m"(pf_resume)
			 : "a"(p), "b"(v)
			 : "rcx", "memory");
	pf_resume = 0;
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *page = re_page;
	uint64_t text = (uintptr_t)&vtl0_main & ~(VTL_PAGE_SIZE - 1);
	uint32_t st;

	idt_install();
	idt_set_handler(EXC_PF, re_on_pf);
	page[0] = RE_FILL;

	/* Boot: restrict and relax both work; `memory text rx locked` is never relaxed. */
	GUEST_ASSERT_EQ(re_protect(VTL_PERM_R), VTL_OK);
	GUEST_ASSERT_EQ(re_protect(RE_RW), VTL_OK);
	re_try_store(page, RE_FILL + 1);
	GUEST_ASSERT_EQ(pf_count, 0);
	GUEST_ASSERT_EQ(re_call(VTL_CALL_PROTECT, text, 1, VTL_PERM_MASK), VTL_E_DENIED);
	GUEST_ASSERT_EQ(re_protect(VTL_PERM_R), VTL_OK);
	CHECKPOINT_VAL(1, (uintptr_t)re_page);

	GUEST_ASSERT_EQ(re_call(VTL_CALL_END_OF_BOOT, 0, 0, 0), VTL_OK);
	CHECKPOINT_VAL(2, 0);

	/* After END_OF_BOOT: the relaxation is refused and the page stays read-only. */
	GUEST_ASSERT_EQ(re_protect(RE_RW), VTL_E_DENIED);
	re_try_store(page, RE_ATTACK);
	GUEST_ASSERT_EQ(pf_count, 1);
	GUEST_ASSERT_EQ(page[0], RE_FILL + 1);

	/* Restricting further is still allowed; climbing back from none is a relaxation too. */
	GUEST_ASSERT_EQ(re_protect(0), VTL_OK);
	GUEST_ASSERT_EQ(re_protect(VTL_PERM_R), VTL_E_DENIED);
	GUEST_ASSERT_EQ(re_protect(RE_RW), VTL_E_DENIED);

	/* Boot ends once: a second END_OF_BOOT cannot reopen anything. */
	st = re_call(VTL_CALL_END_OF_BOOT, 0, 0, 0);
	CHECKPOINT_VAL(3, st);
	GUEST_ASSERT_EQ(st, VTL_E_BAD_STATE);
	GUEST_ASSERT_EQ(re_protect(RE_RW), VTL_E_DENIED);
	GUEST_DONE();
}
