/* Attack catalogue guest: clears pinned CR bits right before KEXEC_EXEC (the image is module 0). */
#include <stdbool.h>

#include "idt.h"
#include "regs.h"
#include "vtl0.h"
#include "vtl1_abi.h"

/*
 * Under `cr pin CR0.WP`, `cr pinnable CR4.OSXMMEXCPT`, `action default deny`
 * and a `kexec digest` of attack_kexec_new.elf (tests/kvm/test_attacks.c
 * writes the policy). The old kernel breaks both pins at the last moment: the
 * exit that carries KEXEC_EXEC is the first the monitor sees of it. Whatever
 * the monitor does about the old kernel's CRs, the new kernel must start from
 * the documented entry state, with no exception from the old kernel's life
 * (attack_kexec_new.c checks and reports). Under a policy without those CR
 * lines the pin is refused and the same kexec runs as a control, pins intact.
 */
#define AK_TAG	  0xA77A000000000000ULL
#define AK_LOADED (AK_TAG | 0x20)
#define CR0_WP	  (1ULL << 16)

static const struct vtl_mem_range *ak_module(const struct vtl_boot_info *bi)
{
	for (uint32_t i = 0; i < bi->nr_mem && i < VTL_BOOT_MAX_MEM; i++)
		if (bi->mem[i].type == VTL_MEM_MODULE)
			return &bi->mem[i];
	GUEST_FAIL("no module: the kexec image is module 0");
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	const struct vtl_mem_range *img = ak_module(bi);
	uint64_t cr0, cr4;
	bool attack;
	uint32_t st;

	/* An IDT of our own: what a #GP from the old kernel's life would go through. */
	idt_install();
	attack = vtl_call2(VTL_CALL_PIN_CR, 4, CR4_OSXMMEXCPT, 0, 0) == VTL_OK;
	GUEST_ASSERT_EQ(vtl_call3(VTL_CALL_KEXEC_LOAD, img->base, img->size, 0), VTL_OK);
	GUEST_CHECKPOINT_VAL(AK_LOADED, attack);

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr4 = read_cr4();
	/* The attack: no exit between these writes and the KEXEC_EXEC call. */
	if (attack) {
		__asm__ volatile("mov %0, %%cr0" : : "r"(cr0 & ~CR0_WP) : "memory");
		__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 & ~CR4_OSXMMEXCPT) : "memory");
	}
	st = vtl_call0(VTL_CALL_KEXEC_EXEC);
	vtl_ucall_fail(__FILE__, __LINE__, "KEXEC_EXEC returned", st, 0);
}
