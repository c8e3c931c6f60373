/* Scenario kexec image: checks that it starts with exactly the documented entry state. */
#include "../lifecycle.h"

/* docs/abi.md "Entry state". */
#define ENTRY_CR0  0x80050033ULL
#define ENTRY_CR4  0x620ULL
#define ENTRY_EFER 0xD01ULL
#define MSR_EFER   0xC0000080U
#define RFLAGS_TF  (1ULL << 8)
#define RFLAGS_IF  (1ULL << 9)
#define RFLAGS_DF  (1ULL << 10)

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct desc_ptr idtr, gdtr;
	uint64_t cr0, rflags;

	/* First, before anything can change them: what the monitor handed over. */
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("pushfq; popq %0" : "=r"(rflags));
	__asm__ volatile("sidt %0" : "=m"(idtr));
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	console_puts("kexec-fresh-state: new kernel up\n");
	GUEST_ASSERT_EQ(bi->magic, VTL_BOOT_MAGIC);
	GUEST_ASSERT_EQ(cr0, ENTRY_CR0);
	GUEST_ASSERT_EQ(read_cr4(), ENTRY_CR4);
	GUEST_ASSERT_EQ(rdmsr(MSR_EFER), ENTRY_EFER);
	/* _start's own instructions set the arithmetic flags: no IF, TF or DF came in. */
	GUEST_ASSERT_EQ(rflags & (RFLAGS_IF | RFLAGS_TF | RFLAGS_DF), 0);
	GUEST_ASSERT_EQ(idtr.base, VTL_BOOT_IDT);
	GUEST_ASSERT_EQ(idtr.limit, 0xFFF);
	GUEST_ASSERT_EQ(gdtr.base, VTL_BOOT_GDT);
	/* A new vCPU: the old kernel's LSTAR is gone. */
	GUEST_ASSERT_EQ(rdmsr(MSR_LSTAR), 0);
	GUEST_DONE();
}
