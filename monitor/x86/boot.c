/* Boot area construction: page tables, GDT/TSS/IDT and the long-mode entry state of a VTL. */
#include "monitor/x86/boot.h"

#include <string.h>

#include "vtl_layout.h"

/* Values measured to work on this host (KVM-HOST-NOTES: "Long mode straight from SET_SREGS"). */
#define BOOT_CR0	 0x80050033ULL /* PG|AM|WP|NE|ET|MP|PE */
#define BOOT_CR4	 0x620ULL      /* PAE|OSFXSR|OSXMMEXCPT */
#define BOOT_EFER	 0xD01ULL      /* NXE|LMA|LME|SCE */
#define BOOT_GDT_ENTRIES 5	       /* null, code, data, 16-byte TSS */
#define BOOT_TSS_LIMIT	 0x67
#define GDT_CODE64	 0x00AF9B000000FFFFULL /* P, DPL0, code exec/read accessed, L=1, G=1 */
#define GDT_DATA	 0x00CF93000000FFFFULL /* P, DPL0, data read/write accessed, DB=1, G=1 */

static uint64_t *boot_page(const struct boot_area *a, uint64_t off)
{
	return guest_ram_ptr(a->ram, gpa(a->ram->gpa_base + off), VTL_PAGE_SIZE);
}

static uint64_t boot_phys(const struct boot_area *a, uint64_t off)
{
	return a->ram->gpa_base + off;
}

static void boot_tss_descriptor(uint64_t *gdt, uint64_t base)
{
	/* 64-bit busy TSS (type 0xB), present; the upper half holds base[63:32]. */
	gdt[3] = BOOT_TSS_LIMIT | ((base & 0xFFFFFFULL) << 16) | (0xBULL << 40) | (1ULL << 47) |
		 (((base >> 24) & 0xFFULL) << 56);
	gdt[4] = base >> 32;
}

int boot_build_tables(const struct boot_area *a)
{
	uint64_t *pml4 = boot_page(a, VTL_BOOT_PML4);
	uint64_t *pdpt = boot_page(a, VTL_BOOT_PDPT_LOW);
	uint64_t *gdt = boot_page(a, VTL_BOOT_GDT);
	uint8_t *tss = (uint8_t *)boot_page(a, VTL_BOOT_TSS);
	uint64_t *idt = boot_page(a, VTL_BOOT_IDT);
	/* VTL1 never executes from VTL0 RAM: the low identity map is NX for it. */
	uint64_t low_nx = a->vtl ? PTE_NX : 0;
	uint64_t rsp0 = a->va_base + VTL_BOOT_STACK_TOP;
	uint16_t iomap = BOOT_TSS_LIMIT + 1;

	if (!pml4 || !pdpt || !gdt || !tss || !idt || a->ram->size < VTL_IMAGE_MIN_OFFSET)
		return -1;
	memset(pml4, 0, VTL_PAGE_SIZE);
	memset(pdpt, 0, VTL_PAGE_SIZE);
	pml4[0] = boot_phys(a, VTL_BOOT_PDPT_LOW) | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4; i++) {
		uint64_t *pd = boot_page(a, VTL_BOOT_PD_LOW + i * VTL_PAGE_SIZE);

		pdpt[i] =
		    boot_phys(a, VTL_BOOT_PD_LOW + i * VTL_PAGE_SIZE) | PTE_P | PTE_RW | low_nx;
		for (uint64_t j = 0; j < 512; j++)
			pd[j] = ((i * 512 + j) * VTL_LARGE_PAGE_SIZE) | PTE_P | PTE_RW | PTE_PS |
				low_nx;
	}
	if (a->vtl) {
		uint64_t *pdpt_hi = boot_page(a, VTL_BOOT_PDPT_HIGH);
		uint64_t *pd_hi = boot_page(a, VTL_BOOT_PD_HIGH);
		uint64_t n = a->ram->size / VTL_LARGE_PAGE_SIZE;

		if (!pdpt_hi || !pd_hi || n > 512)
			return -1;
		memset(pdpt_hi, 0, VTL_PAGE_SIZE);
		memset(pd_hi, 0, VTL_PAGE_SIZE);
		/* VTL1_KERNEL_VA = PML4 slot 511, PDPT slot 510 (the -2 GiB kernel window). */
		pml4[511] = boot_phys(a, VTL_BOOT_PDPT_HIGH) | PTE_P | PTE_RW;
		pdpt_hi[510] = boot_phys(a, VTL_BOOT_PD_HIGH) | PTE_P | PTE_RW;
		for (uint64_t j = 0; j < n; j++)
			pd_hi[j] =
			    (a->ram->gpa_base + j * VTL_LARGE_PAGE_SIZE) | PTE_P | PTE_RW | PTE_PS;
	}
	memset(gdt, 0, VTL_PAGE_SIZE);
	gdt[1] = GDT_CODE64;
	gdt[2] = GDT_DATA;
	boot_tss_descriptor(gdt, a->va_base + VTL_BOOT_TSS);
	memset(tss, 0, VTL_PAGE_SIZE);
	memcpy(tss + 4, &rsp0, sizeof(rsp0));
	memcpy(tss + 0x66, &iomap, sizeof(iomap));
	memset(idt, 0, VTL_PAGE_SIZE);
	return 0;
}

static void boot_segment(struct kvm_segment *s, uint16_t sel, int code)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xFFFFFFFF;
	s->selector = sel;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	if (code) {
		s->type = 0xB;
		s->l = 1;
	} else {
		s->type = 0x3;
		s->db = 1;
	}
}

void boot_entry_state(const struct boot_area *a, uint64_t entry, struct kvm_sregs *sregs,
		      struct kvm_regs *regs)
{
	boot_segment(&sregs->cs, VTL_SEL_CODE, 1);
	boot_segment(&sregs->ds, VTL_SEL_DATA, 0);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	memset(&sregs->tr, 0, sizeof(sregs->tr));
	sregs->tr.base = a->va_base + VTL_BOOT_TSS;
	sregs->tr.limit = BOOT_TSS_LIMIT;
	sregs->tr.selector = VTL_SEL_TSS;
	sregs->tr.type = 0xB;
	sregs->tr.present = 1;
	memset(&sregs->ldt, 0, sizeof(sregs->ldt));
	sregs->ldt.type = 2;
	sregs->ldt.unusable = 1;
	/* GDTR/IDTR hold linear addresses: VTL1's are in its kernel window. */
	sregs->gdt.base = a->va_base + VTL_BOOT_GDT;
	sregs->gdt.limit = BOOT_GDT_ENTRIES * 8 - 1;
	sregs->idt.base = a->va_base + VTL_BOOT_IDT;
	sregs->idt.limit = VTL_PAGE_SIZE - 1;
	sregs->cr0 = BOOT_CR0;
	sregs->cr2 = 0;
	sregs->cr3 = boot_phys(a, VTL_BOOT_PML4);
	sregs->cr4 = BOOT_CR4;
	sregs->efer = BOOT_EFER;
	memset(sregs->interrupt_bitmap, 0, sizeof(sregs->interrupt_bitmap));

	memset(regs, 0, sizeof(*regs));
	regs->rip = entry;
	regs->rsp = a->va_base + VTL_BOOT_STACK_TOP;
	regs->rdi = a->va_base + VTL_BOOT_INFO;
	regs->rflags = 0x2;
}

int boot_vcpu_at(const struct boot_area *a, struct vcpu *vcpu, const struct boot_start *start)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (vcpu_get_sregs(vcpu, &sregs))
		return -1;
	boot_entry_state(a, start->rip, &sregs, &regs);
	regs.rsp = start->rsp;
	regs.rdi = start->rdi;
	regs.rsi = start->rsi;
	if (vcpu_set_sregs(vcpu, &sregs) || vcpu_set_regs(vcpu, &regs))
		return -1;
	return 0;
}

int boot_vcpu(const struct boot_area *a, struct vcpu *vcpu, uint64_t entry)
{
	const struct boot_start start = {
	    .rip = entry,
	    .rsp = a->va_base + VTL_BOOT_STACK_TOP,
	    .rdi = a->va_base + VTL_BOOT_INFO,
	};

	if (boot_build_tables(a))
		return -1;
	return boot_vcpu_at(a, vcpu, &start);
}
