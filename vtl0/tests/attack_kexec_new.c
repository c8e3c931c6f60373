/* Attack catalogue guest: the kernel attack_kexec starts; reports its entry state before anything.
 */
#include "cpu.h"
#include "regs.h"
#include "vtl0.h"

/*
 * Reads the state docs/abi.md documents for a kernel's first instruction
 * before it changes any of it (no IDT of its own, nothing written but the
 * stack), then reports each value: tests/kvm/test_attacks.c compares them.
 * Should an exception from the old kernel's life still be pending, it is
 * delivered through the boot IDT (no gate present) and this never reports.
 */
#define AK_TAG	  0xA77A000000000000ULL
#define MSR_EFER  0xC0000080U
#define RFLAGS_IF (1ULL << 9)
#define RFLAGS_TF (1ULL << 8)
#define RFLAGS_DF (1ULL << 10)

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct gl_dtr idtr, gdtr;
	uint64_t cr0, rflags;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("pushfq\n\tpopq %0" : "=r"(rflags));
	__asm__ volatile("sidt %0\n\tsgdt %1" : "=m"(idtr), "=m"(gdtr));

	GUEST_CHECKPOINT_VAL(AK_TAG | 0x10, cr0);
	GUEST_CHECKPOINT_VAL(AK_TAG | 0x11, read_cr4());
	GUEST_CHECKPOINT_VAL(AK_TAG | 0x12, read_cr3());
	GUEST_CHECKPOINT_VAL(AK_TAG | 0x13, idtr.base);
	GUEST_CHECKPOINT_VAL(AK_TAG | 0x14, gdtr.base);
	GUEST_CHECKPOINT_VAL(AK_TAG | 0x15, rflags & (RFLAGS_IF | RFLAGS_TF | RFLAGS_DF));
	GUEST_CHECKPOINT_VAL(AK_TAG | 0x16, rdmsr(MSR_EFER));
	GUEST_CHECKPOINT_VAL(AK_TAG | 0x17, bi->magic == VTL_BOOT_MAGIC && bi->vtl == 0);
	GUEST_DONE();
}
