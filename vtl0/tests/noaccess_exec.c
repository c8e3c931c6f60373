/* Attack guest: calls code in its own page after making it no-access (kill, or a #PF on fetch). */
#include "fault.h"
#include "vtl0.h"
#include "vtl1_abi.h"

#define NX_SENTINEL 0x7777ULL

/* `mov $1, %eax; ret`: the whole callee, so a fetch fault can only be at its first byte. */
static const uint8_t nx_code[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};

/* .bss is writable and, without MBEC, executable: the only fetch KVM can stop is from `none`. */
static uint8_t nx_page[VTL_PAGE_SIZE] __attribute__((aligned(VTL_PAGE_SIZE)));

static struct fault_rec pf;

/*
 * Calls fn; returns its %eax, or NX_SENTINEL when the call never ran. Not
 * FAULT_PROBE_ASM: the fetch faults after the call pushed its return
 * address, so the resume point (label 2) pops it as the callee's ret would.
 */
static uint64_t nx_try_call(const void *fn)
{
	uint64_t ret = NX_SENTINEL, tmp;

	__asm__ volatile("leaq 2f(%%rip), %[tmp]\n\t"
			 "movq %[tmp], %[resume]\n\t"
			 "call *%%rdx\n\t"
			 "jmp 1f\n"
			 "2: addq $8, %%rsp\n"
			 "1:"
			 : "+a"(ret), [tmp] "=&r"(tmp), [resume] "=m"(pf.resume)
			 : "d"(fn)
			 : "rcx", "rsi", "rdi", "r8", "r9", "r10", "r11", "cc", "memory");
	pf.resume = 0;
	return ret;
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	idt_install();
	fault_rec_install(EXC_PF, &pf);
	for (unsigned int i = 0; i < sizeof(nx_code); i++)
		nx_page[i] = nx_code[i];
	/* Control: the code runs while the page is still RWX. */
	GUEST_ASSERT_EQ(nx_try_call(nx_page), 1);
	GUEST_CHECKPOINT_VAL(1, (uintptr_t)nx_page);

	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)nx_page, 1, 0), VTL_OK);
	/* The attack: under `kill` the run ends here. */
	GUEST_ASSERT_EQ(nx_try_call(nx_page), NX_SENTINEL);
	GUEST_ASSERT_EQ(pf.count, 1);
	GUEST_ASSERT_EQ(pf.rip, (uintptr_t)nx_page);
	GUEST_ASSERT_EQ(pf.cr2, (uintptr_t)nx_page);
	GUEST_ASSERT(pf.error & PF_ERR_I);
	GUEST_ASSERT_EQ(pf.error & PF_ERR_W, 0);
	GUEST_CHECKPOINT_VAL(2, pf.error);

	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)nx_page, 1, VTL_PERM_MASK), VTL_OK);
	GUEST_ASSERT_EQ(nx_try_call(nx_page), 1);
	GUEST_ASSERT_EQ(pf.count, 1);
	GUEST_DONE();
}
