/* Attack guest: reads its own page after making it no-access; the secret must never reach it. */
#include "cpu.h"
#include "idt.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define EXC_PF	    14
#define PF_ERR_W    0x2ULL
#define NA_SECRET   0x5ec7e75ec7e75ec7ULL
#define NA_SENTINEL 0x1111222233334444ULL
/* Read at page + 0x10: CR2 and the event must be exact, not page-aligned. */
#define NA_READ_INDEX 2

#define CHECKPOINT_VAL(n, v) vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, 0, (n), (v))

static uint64_t na_page[VTL_PAGE_SIZE / 8] __attribute__((aligned(VTL_PAGE_SIZE)));
static struct vtl_call_block na_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

static volatile uint64_t pf_count, pf_error, pf_rip, pf_cr2;
static uint64_t pf_resume;

static uint32_t na_protect(uint64_t gpa, uint64_t pages, uint64_t perms)
{
	na_blk.nr = VTL_CALL_PROTECT;
	na_blk.args[0] = gpa;
	na_blk.args[1] = pages;
	na_blk.args[2] = perms;
	return vtl_call(&na_blk);
}

static void na_on_pf(struct exc_frame *f)
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
 * One `mov (%rax), %rbx` at a known address. The destination starts as
 * *val; a denied read must leave it so (the handler's frame restores rbx).
 */
static uint64_t na_try_load(const volatile uint64_t *p, uint64_t *val)
{
	uint64_t site, v = *val;

	__asm__ volatile("leaq 1f(%%rip), %%rcx\n\t"
			 "movq %%rcx, %[resume]\n\t"
			 "leaq 0f(%%rip), %[site]\n\t"
			 "0: movq (%%rax), %%rbx\n\t"
			 "1:"
			 : [site] "=&r"(site), [resume] "=m"(pf_resume), "+b"(v)
			 : "a"(p)
			 : "rcx", "memory");
	pf_resume = 0;
	*val = v;
	return site;
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *page = na_page;
	uint64_t target = (uintptr_t)&na_page[NA_READ_INDEX];
	uint64_t site, val;

	idt_install();
	idt_set_handler(EXC_PF, na_on_pf);
	page[NA_READ_INDEX] = NA_SECRET;
	CHECKPOINT_VAL(1, target);

	GUEST_ASSERT_EQ(na_protect((uintptr_t)na_page, 1, 0), VTL_OK);

	val = NA_SENTINEL;
	site = na_try_load(&page[NA_READ_INDEX], &val);
	GUEST_ASSERT_EQ(pf_count, 1);
	GUEST_ASSERT_EQ(val, NA_SENTINEL); /* neither the secret nor a host-supplied value */
	GUEST_ASSERT_EQ(pf_rip, site);
	GUEST_ASSERT_EQ(pf_cr2, target);
	GUEST_ASSERT_EQ(pf_error & PF_ERR_W, 0); /* a read */
	CHECKPOINT_VAL(2, site);

	/* Access restored: the secret was there all along, untouched. */
	GUEST_ASSERT_EQ(na_protect((uintptr_t)na_page, 1, VTL_PERM_R | VTL_PERM_W), VTL_OK);
	val = NA_SENTINEL;
	na_try_load(&page[NA_READ_INDEX], &val);
	GUEST_ASSERT_EQ(pf_count, 1);
	GUEST_ASSERT_EQ(val, NA_SECRET);
	GUEST_DONE();
}
