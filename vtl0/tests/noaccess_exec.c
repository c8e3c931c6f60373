/* Attack guest: calls code in its own page after making it no-access (kill, or a #PF on fetch). */
#include "cpu.h"
#include "idt.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define EXC_PF	    14
#define PF_ERR_W    0x2ULL
#define PF_ERR_I    0x10ULL
#define NX_SENTINEL 0x7777ULL

#define CHECKPOINT_VAL(n, v) vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, 0, (n), (v))

/* `mov $1, %eax; ret`: the whole callee, so a fetch fault can only be at its first byte. */
static const uint8_t nx_code[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};

/* .bss is writable and, without MBEC, executable: the only fetch KVM can stop is from `none`. */
static uint8_t nx_page[VTL_PAGE_SIZE] __attribute__((aligned(VTL_PAGE_SIZE)));
static struct vtl_call_block nx_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

static volatile uint64_t pf_count, pf_error, pf_rip, pf_cr2;
static uint64_t pf_resume;

static uint32_t nx_protect(uint64_t gpa, uint64_t pages, uint64_t perms)
{
	nx_blk.nr = VTL_CALL_PROTECT;
	nx_blk.args[0] = gpa;
	nx_blk.args[1] = pages;
	nx_blk.args[2] = perms;
	return vtl_call(&nx_blk);
}

/* The fetch faulted after the call pushed its return address: pop it as the callee's ret would. */
static void nx_on_pf(struct exc_frame *f)
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
	f->rsp += 8;
	pf_resume = 0;
}

/* Calls fn; returns its %eax, or NX_SENTINEL when the call never ran. */
static uint64_t nx_try_call(const void *fn)
{
	uint64_t ret = NX_SENTINEL;

	__asm__ volatile("leaq 1f(%%rip), %%rcx\n\t"
			 "movq %%rcx, %[resume]\n\t"
			 "call *%%rdx\n\t"
			 "1:"
			 : "+a"(ret), [resume] "=m"(pf_resume)
			 : "d"(fn)
			 : "rcx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
	pf_resume = 0;
	return ret;
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	idt_install();
	idt_set_handler(EXC_PF, nx_on_pf);
	for (unsigned int i = 0; i < sizeof(nx_code); i++)
		nx_page[i] = nx_code[i];
	/* Control: the code runs while the page is still RWX. */
	GUEST_ASSERT_EQ(nx_try_call(nx_page), 1);
	CHECKPOINT_VAL(1, (uintptr_t)nx_page);

	GUEST_ASSERT_EQ(nx_protect((uintptr_t)nx_page, 1, 0), VTL_OK);
	/* The attack: under `kill` the run ends here. */
	GUEST_ASSERT_EQ(nx_try_call(nx_page), NX_SENTINEL);
	GUEST_ASSERT_EQ(pf_count, 1);
	GUEST_ASSERT_EQ(pf_rip, (uintptr_t)nx_page);
	GUEST_ASSERT_EQ(pf_cr2, (uintptr_t)nx_page);
	GUEST_ASSERT(pf_error & PF_ERR_I);
	GUEST_ASSERT_EQ(pf_error & PF_ERR_W, 0);
	CHECKPOINT_VAL(2, pf_error);

	GUEST_ASSERT_EQ(nx_protect((uintptr_t)nx_page, 1, VTL_PERM_MASK), VTL_OK);
	GUEST_ASSERT_EQ(nx_try_call(nx_page), 1);
	GUEST_ASSERT_EQ(pf_count, 1);
	GUEST_DONE();
}
