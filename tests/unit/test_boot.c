/* Unit tests for monitor/boot: the page tables, GDT/TSS/IDT and entry state of each VTL (no KVM).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "monitor/x86/boot.h"
#include "monitor/base/mem.h"
#include "monitor/x86/ptwalk.h"
#include "vtl_layout.h"

#define RAM_SIZE  (8ULL << 20)
#define PRIV_SIZE (8ULL << 20)
#define ENTRY0	  0x100000ULL
#define ENTRY1	  (VTL1_KERNEL_VA + 0x100000ULL)

static struct guest_ram vtl0_ram, vtl1_ram;
static struct boot_area a0, a1;
static struct kvm_sregs s0, s1;
static struct kvm_regs r0, r1;

/* ptwalk reader over both regions, as VTL1's VM sees them. */
static int read_gpa(void *ctx, uint64_t g, void *dst, size_t len)
{
	(void)ctx;
	if (guest_ram_read(&vtl0_ram, gpa(g), dst, len) == 0)
		return 0;
	return guest_ram_read(&vtl1_ram, gpa(g), dst, len);
}

/* Reader over VTL0 RAM only: VTL0's tables must not need anything else. */
static int read_vtl0_only(void *ctx, uint64_t g, void *dst, size_t len)
{
	(void)ctx;
	return guest_ram_read(&vtl0_ram, gpa(g), dst, len);
}

/* Reader over VTL1 private RAM only: VTL1's tables must all live there. */
static int read_vtl1_only(void *ctx, uint64_t g, void *dst, size_t len)
{
	(void)ctx;
	return guest_ram_read(&vtl1_ram, gpa(g), dst, len);
}

/* Reader over the guest_ram passed as ctx. */
static int read_ctx_ram(void *ctx, uint64_t g, void *dst, size_t len)
{
	return guest_ram_read(ctx, gpa(g), dst, len);
}

static void setup(void)
{
	cr_assert_eq(guest_ram_create(&vtl0_ram, "vtl0", 0, RAM_SIZE), 0);
	cr_assert_eq(guest_ram_create(&vtl1_ram, "vtl1", VTL1_PRIV_GPA, PRIV_SIZE), 0);
	/* Garbage first: the builder must write every entry it relies on. */
	memset((void *)vtl0_ram.hva.v, 0xFF, VTL_IMAGE_MIN_OFFSET);
	memset((void *)vtl1_ram.hva.v, 0xFF, VTL_IMAGE_MIN_OFFSET);
	a0 = (struct boot_area){.vtl = 0, .ram = &vtl0_ram, .va_base = 0};
	a1 = (struct boot_area){.vtl = 1, .ram = &vtl1_ram, .va_base = VTL1_KERNEL_VA};
	cr_assert_eq(boot_build_tables(&a0), 0);
	cr_assert_eq(boot_build_tables(&a1), 0);
	memset(&s0, 0, sizeof(s0));
	memset(&s1, 0, sizeof(s1));
	memset(&r0, 0xEE, sizeof(r0));
	memset(&r1, 0xEE, sizeof(r1));
	boot_entry_state(&a0, ENTRY0, &s0, &r0);
	boot_entry_state(&a1, ENTRY1, &s1, &r1);
}

static void teardown(void)
{
	guest_ram_destroy(&vtl0_ram);
	guest_ram_destroy(&vtl1_ram);
}

TestSuite(boot, .init = setup, .fini = teardown);

static enum ptwalk_err walk(const struct kvm_sregs *s, uint64_t va, ptwalk_read_fn rd,
			    struct ptwalk_result *res)
{
	return ptwalk_translate(s->cr0, s->cr4, s->efer, s->cr3, va, rd, NULL, res);
}

static uint64_t u64_at(const struct guest_ram *ram, uint64_t off)
{
	uint64_t v;

	cr_assert_eq(guest_ram_read(ram, gpa(ram->gpa_base + off), &v, sizeof(v)), 0);
	return v;
}

/* ---- VTL0 page tables ---- */

Test(boot, vtl0_image_va_is_identity_writable_executable)
{
	struct ptwalk_result res;

	cr_assert_eq(walk(&s0, 0x100000, read_vtl0_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, 0x100000);
	cr_assert(res.writable);
	cr_assert_not(res.nx);
	cr_assert_eq(res.page_size, VTL_LARGE_PAGE_SIZE);
}

Test(boot, vtl0_offsets_inside_a_large_page_are_kept)
{
	struct ptwalk_result res;

	cr_assert_eq(walk(&s0, 0x123457, read_vtl0_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, 0x123457);
}

Test(boot, vtl0_device_va_is_identity)
{
	struct ptwalk_result res;

	cr_assert_eq(walk(&s0, VTL0_DEVICE_GPA, read_vtl0_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, VTL0_DEVICE_GPA);
	cr_assert(res.writable);
}

Test(boot, vtl0_identity_map_covers_exactly_4_gib)
{
	struct ptwalk_result res;

	cr_assert_eq(walk(&s0, 0xFFFFF000ULL, read_vtl0_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, 0xFFFFF000ULL);
	cr_assert_eq(walk(&s0, 0x100000000ULL, read_vtl0_only, &res), PTWALK_E_NOT_PRESENT);
}

Test(boot, vtl0_has_no_kernel_window_and_no_vtl1_ram)
{
	struct ptwalk_result res;

	cr_assert_eq(walk(&s0, VTL1_KERNEL_VA, read_vtl0_only, &res), PTWALK_E_NOT_PRESENT);
	cr_assert_eq(walk(&s0, VTL1_PRIV_GPA, read_vtl0_only, &res), PTWALK_E_NOT_PRESENT);
}

Test(boot, vtl0_pml4_has_a_single_entry)
{
	for (uint64_t i = 1; i < 512; i++)
		cr_assert_eq(u64_at(&vtl0_ram, VTL_BOOT_PML4 + i * 8), 0, "pml4[%lu]",
			     (unsigned long)i);
	for (uint64_t i = 4; i < 512; i++)
		cr_assert_eq(u64_at(&vtl0_ram, VTL_BOOT_PDPT_LOW + i * 8), 0, "pdpt[%lu]",
			     (unsigned long)i);
}

Test(boot, vtl0_stack_and_boot_info_are_mapped_writable)
{
	struct ptwalk_result res;

	cr_assert_eq(walk(&s0, r0.rsp - 8, read_vtl0_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, VTL_BOOT_STACK_TOP - 8);
	cr_assert(res.writable);
	cr_assert_eq(walk(&s0, r0.rdi, read_vtl0_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, VTL_BOOT_INFO);
}

/* ---- VTL1 page tables ---- */

Test(boot, vtl1_kernel_va_maps_private_ram)
{
	struct ptwalk_result res;

	cr_assert_eq(walk(&s1, VTL1_KERNEL_VA + 0x100000, read_vtl1_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, VTL1_PRIV_GPA + 0x100000);
	cr_assert(res.writable);
	cr_assert_not(res.nx);
}

Test(boot, vtl1_kernel_va_base_and_last_byte)
{
	struct ptwalk_result res;

	cr_assert_eq(walk(&s1, VTL1_KERNEL_VA, read_vtl1_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, VTL1_PRIV_GPA);
	cr_assert_eq(walk(&s1, VTL1_KERNEL_VA + PRIV_SIZE - 1, read_vtl1_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, VTL1_PRIV_GPA + PRIV_SIZE - 1);
}

Test(boot, vtl1_va_beyond_private_size_is_not_present)
{
	struct ptwalk_result res;

	cr_assert_eq(walk(&s1, VTL1_KERNEL_VA + PRIV_SIZE, read_vtl1_only, &res),
		     PTWALK_E_NOT_PRESENT);
	cr_assert_eq(walk(&s1, VTL1_KERNEL_VA + VTL1_PRIV_MAX - 1, read_vtl1_only, &res),
		     PTWALK_E_NOT_PRESENT);
}

Test(boot, vtl1_maps_vtl0_ram_non_executable)
{
	struct ptwalk_result res;

	cr_assert_eq(walk(&s1, 0x200000, read_vtl1_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, 0x200000);
	cr_assert(res.nx);
	cr_assert(res.writable);
}

Test(boot, vtl1_low_map_is_nx_everywhere)
{
	struct ptwalk_result res;

	for (uint64_t va = 0; va < (4ULL << 30); va += 256ULL << 20) {
		cr_assert_eq(walk(&s1, va, read_gpa, &res), PTWALK_OK);
		cr_assert(res.nx, "va 0x%lx executable for VTL1", (unsigned long)va);
	}
	cr_assert_eq(walk(&s1, VTL1_DEVICE_GPA, read_gpa, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, VTL1_DEVICE_GPA);
	cr_assert(res.nx);
}

Test(boot, vtl1_low_pd_entries_carry_nx_themselves)
{
	/* Read the PTE bits directly: every 2 MiB leaf and every PDPT entry is NX. */
	for (uint64_t i = 0; i < 4; i++) {
		uint64_t pdpte = u64_at(&vtl1_ram, VTL_BOOT_PDPT_LOW + i * 8);

		cr_assert(pdpte & PTE_P);
		cr_assert(pdpte & PTE_NX);
		for (uint64_t j = 0; j < 512; j++) {
			uint64_t pde = u64_at(&vtl1_ram, VTL_BOOT_PD_LOW + i * 4096 + j * 8);

			cr_assert(pde & PTE_P);
			cr_assert(pde & PTE_PS);
			cr_assert(pde & PTE_NX, "pd[%lu][%lu]", (unsigned long)i, (unsigned long)j);
			cr_assert_eq(pde & PTWALK_ADDR_MASK, (i * 512 + j) << 21);
		}
	}
}

Test(boot, vtl1_kernel_window_entries_are_not_nx)
{
	uint64_t pml4e = u64_at(&vtl1_ram, VTL_BOOT_PML4 + 511 * 8);
	uint64_t pdpte = u64_at(&vtl1_ram, VTL_BOOT_PDPT_HIGH + 510 * 8);

	cr_assert(pml4e & PTE_P);
	cr_assert_not(pml4e & PTE_NX);
	cr_assert_eq(pml4e & PTWALK_ADDR_MASK, VTL1_PRIV_GPA + VTL_BOOT_PDPT_HIGH);
	cr_assert(pdpte & PTE_P);
	cr_assert_eq(pdpte & PTWALK_ADDR_MASK, VTL1_PRIV_GPA + VTL_BOOT_PD_HIGH);
}

Test(boot, vtl1_unused_table_entries_are_cleared)
{
	for (uint64_t i = 1; i < 511; i++)
		cr_assert_eq(u64_at(&vtl1_ram, VTL_BOOT_PML4 + i * 8), 0, "pml4[%lu]",
			     (unsigned long)i);
	for (uint64_t i = 0; i < 512; i++)
		if (i != 510)
			cr_assert_eq(u64_at(&vtl1_ram, VTL_BOOT_PDPT_HIGH + i * 8), 0,
				     "pdpt_hi[%lu]", (unsigned long)i);
	for (uint64_t i = PRIV_SIZE / VTL_LARGE_PAGE_SIZE; i < 512; i++)
		cr_assert_eq(u64_at(&vtl1_ram, VTL_BOOT_PD_HIGH + i * 8), 0, "pd_hi[%lu]",
			     (unsigned long)i);
}

Test(boot, vtl1_tables_live_in_private_ram)
{
	struct ptwalk_result res;

	cr_assert_geq(s1.cr3, VTL1_PRIV_GPA);
	cr_assert_lt(s1.cr3, VTL1_PRIV_GPA + PRIV_SIZE);
	/* The whole walk of the low map reads only private RAM. */
	cr_assert_eq(walk(&s1, 0x200000, read_vtl1_only, &res), PTWALK_OK);
}

Test(boot, vtl1_stack_boot_info_gdt_are_reachable_through_kernel_va)
{
	struct ptwalk_result res;

	cr_assert_eq(walk(&s1, r1.rsp - 8, read_vtl1_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, VTL1_PRIV_GPA + VTL_BOOT_STACK_TOP - 8);
	cr_assert(res.writable);
	cr_assert_eq(walk(&s1, r1.rdi, read_vtl1_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, VTL1_PRIV_GPA + VTL_BOOT_INFO);
	cr_assert_eq(walk(&s1, s1.gdt.base, read_vtl1_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, VTL1_PRIV_GPA + VTL_BOOT_GDT);
	cr_assert_eq(walk(&s1, s1.idt.base, read_vtl1_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, VTL1_PRIV_GPA + VTL_BOOT_IDT);
	cr_assert_eq(walk(&s1, s1.tr.base, read_vtl1_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, VTL1_PRIV_GPA + VTL_BOOT_TSS);
}

/* ---- GDT, TSS, IDT ---- */

static void check_gdt(const struct guest_ram *ram, uint64_t va_base)
{
	uint64_t code = u64_at(ram, VTL_BOOT_GDT + VTL_SEL_CODE);
	uint64_t data = u64_at(ram, VTL_BOOT_GDT + VTL_SEL_DATA);
	uint64_t lo = u64_at(ram, VTL_BOOT_GDT + VTL_SEL_TSS);
	uint64_t hi = u64_at(ram, VTL_BOOT_GDT + VTL_SEL_TSS + 8);
	uint64_t base, limit, want = va_base + VTL_BOOT_TSS;

	cr_assert_eq(u64_at(ram, VTL_BOOT_GDT), 0, "null descriptor");
	/* Code: present, S=1, code type, DPL 0, L=1, D=0. */
	cr_assert(code & (1ULL << 47), "code present");
	cr_assert(code & (1ULL << 44), "code S");
	cr_assert(code & (1ULL << 43), "code type");
	cr_assert_eq((code >> 45) & 3, 0, "code DPL");
	cr_assert(code & (1ULL << 53), "code L");
	cr_assert_not(code & (1ULL << 54), "code D must be 0 with L=1");
	/* Data: present, S=1, data type, writable, DPL 0. */
	cr_assert(data & (1ULL << 47), "data present");
	cr_assert(data & (1ULL << 44), "data S");
	cr_assert_not(data & (1ULL << 43), "data is not code");
	cr_assert(data & (1ULL << 41), "data writable");
	cr_assert_eq((data >> 45) & 3, 0, "data DPL");
	/* 16-byte TSS descriptor. */
	base = ((lo >> 16) & 0xFFFFFF) | (((lo >> 56) & 0xFF) << 24) | ((hi & 0xFFFFFFFF) << 32);
	limit = (lo & 0xFFFF) | (((lo >> 48) & 0xF) << 16);
	cr_assert_eq(base, want, "TSS base 0x%lx, want 0x%lx", (unsigned long)base,
		     (unsigned long)want);
	cr_assert_geq(limit, 0x67);
	cr_assert_eq((lo >> 40) & 0xD, 0x9, "64-bit TSS type (available or busy)");
	cr_assert_not(lo & (1ULL << 44), "TSS is a system descriptor");
	cr_assert(lo & (1ULL << 47), "TSS present");
	cr_assert_eq(hi >> 32, 0, "TSS descriptor upper reserved bits");
}

Test(boot, vtl0_gdt)
{
	check_gdt(&vtl0_ram, 0);
}

Test(boot, vtl1_gdt_tss_base_is_virtual)
{
	check_gdt(&vtl1_ram, VTL1_KERNEL_VA);
}

static void check_tss(const struct guest_ram *ram, uint64_t va_base)
{
	uint64_t rsp0;
	uint16_t iomap;

	cr_assert_eq(guest_ram_read(ram, gpa(ram->gpa_base + VTL_BOOT_TSS + 4), &rsp0, 8), 0);
	cr_assert_eq(rsp0, va_base + VTL_BOOT_STACK_TOP);
	cr_assert_eq(guest_ram_read(ram, gpa(ram->gpa_base + VTL_BOOT_TSS + 0x66), &iomap, 2), 0);
	cr_assert_geq(iomap, 0x68, "I/O bitmap base past the TSS limit: no port is allowed");
}

Test(boot, vtl0_tss_rsp0)
{
	check_tss(&vtl0_ram, 0);
}

Test(boot, vtl1_tss_rsp0)
{
	check_tss(&vtl1_ram, VTL1_KERNEL_VA);
}

Test(boot, idts_are_empty)
{
	for (uint64_t off = 0; off < VTL_PAGE_SIZE; off += 8) {
		cr_assert_eq(u64_at(&vtl0_ram, VTL_BOOT_IDT + off), 0);
		cr_assert_eq(u64_at(&vtl1_ram, VTL_BOOT_IDT + off), 0);
	}
}

/* ---- entry state ---- */

static void check_entry(const struct boot_area *a, const struct kvm_sregs *s,
			const struct kvm_regs *r, uint64_t entry)
{
	cr_assert_eq(r->rip, entry);
	cr_assert_eq(r->rsp, a->va_base + VTL_BOOT_STACK_TOP);
	cr_assert_eq(r->rdi, a->va_base + VTL_BOOT_INFO);
	cr_assert_eq(r->rax, 0, "other registers are cleared");
	cr_assert_eq(r->rflags & (1ULL << 9), 0, "interrupts off");
	cr_assert(r->rflags & 2, "rflags bit 1 is reserved-one");
	cr_assert_eq(s->cr3, a->ram->gpa_base + VTL_BOOT_PML4);
	cr_assert_eq(s->efer & (PTWALK_EFER_LMA | PTWALK_EFER_NXE | (1ULL << 8)),
		     PTWALK_EFER_LMA | PTWALK_EFER_NXE | (1ULL << 8), "efer 0x%llx",
		     (unsigned long long)s->efer);
	cr_assert_eq(s->cr0 & (PTWALK_CR0_PG | PTWALK_CR0_PE), PTWALK_CR0_PG | PTWALK_CR0_PE);
	cr_assert(s->cr4 & PTWALK_CR4_PAE);
	cr_assert_not(s->cr4 & PTWALK_CR4_LA57);
	cr_assert_eq(s->gdt.base, a->va_base + VTL_BOOT_GDT);
	cr_assert_geq(s->gdt.limit, VTL_SEL_TSS + 15, "GDT limit covers the 16-byte TSS");
	cr_assert_eq(s->idt.base, a->va_base + VTL_BOOT_IDT);
	cr_assert_eq(s->cs.selector, VTL_SEL_CODE);
	cr_assert_eq(s->cs.l, 1);
	cr_assert_eq(s->cs.db, 0);
	cr_assert_eq(s->cs.dpl, 0);
	cr_assert_eq(s->cs.present, 1);
	cr_assert_eq(s->ds.selector, VTL_SEL_DATA);
	cr_assert_eq(s->ss.selector, VTL_SEL_DATA);
	cr_assert_eq(s->tr.selector, VTL_SEL_TSS);
	cr_assert_eq(s->tr.base, a->va_base + VTL_BOOT_TSS);
	cr_assert_eq(s->tr.present, 1);
}

Test(boot, vtl0_entry_state)
{
	check_entry(&a0, &s0, &r0, ENTRY0);
}

Test(boot, vtl1_entry_state_uses_virtual_bases)
{
	check_entry(&a1, &s1, &r1, ENTRY1);
	cr_assert_eq(s1.cr3, VTL1_PRIV_GPA + VTL_BOOT_PML4);
	cr_assert_eq(s1.gdt.base, VTL1_KERNEL_VA + VTL_BOOT_GDT);
	cr_assert_eq(s1.idt.base, VTL1_KERNEL_VA + VTL_BOOT_IDT);
}

Test(boot, entry_state_keeps_unrelated_sregs_fields)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	memset(&s, 0, sizeof(s));
	s.apic_base = 0xFEE00900;
	boot_entry_state(&a0, ENTRY0, &s, &r);
	cr_assert_eq(s.apic_base, 0xFEE00900);
}

Test(boot, entry_rip_translates_to_the_image)
{
	struct ptwalk_result res;

	cr_assert_eq(walk(&s0, r0.rip, read_vtl0_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, ENTRY0);
	cr_assert_not(res.nx);
	cr_assert_eq(walk(&s1, r1.rip, read_vtl1_only, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, VTL1_PRIV_GPA + 0x100000);
	cr_assert_not(res.nx);
}

/* ---- size limits ---- */

Test(boot, refuses_region_smaller_than_image_min_offset)
{
	struct guest_ram small;
	struct boot_area a = {.vtl = 0, .ram = &small, .va_base = 0};

	cr_assert_eq(guest_ram_create(&small, "small", 0, VTL_IMAGE_MIN_OFFSET - VTL_PAGE_SIZE), 0);
	cr_assert_eq(boot_build_tables(&a), -1);
	guest_ram_destroy(&small);
}

Test(boot, refuses_region_too_small_for_the_tables)
{
	struct guest_ram tiny;
	struct boot_area a = {.vtl = 1, .ram = &tiny, .va_base = VTL1_KERNEL_VA};

	cr_assert_eq(guest_ram_create(&tiny, "tiny", VTL1_PRIV_GPA, 0x4000), 0);
	cr_assert_eq(boot_build_tables(&a), -1);
	guest_ram_destroy(&tiny);
}

Test(boot, accepts_region_of_exactly_image_min_offset_for_vtl0)
{
	struct guest_ram r;
	struct boot_area a = {.vtl = 0, .ram = &r, .va_base = 0};

	cr_assert_eq(guest_ram_create(&r, "min", 0, VTL_IMAGE_MIN_OFFSET), 0);
	cr_assert_eq(boot_build_tables(&a), 0);
	guest_ram_destroy(&r);
}

Test(boot, vtl1_accepts_priv_max_and_refuses_more)
{
	struct guest_ram r;
	struct boot_area a = {.vtl = 1, .ram = &r, .va_base = VTL1_KERNEL_VA};
	struct kvm_sregs s;
	struct kvm_regs regs;
	struct ptwalk_result res;

	cr_assert_eq(guest_ram_create(&r, "max", VTL1_PRIV_GPA, VTL1_PRIV_MAX), 0);
	cr_assert_eq(boot_build_tables(&a), 0);
	memset(&s, 0, sizeof(s));
	boot_entry_state(&a, ENTRY1, &s, &regs);
	cr_assert_eq(ptwalk_translate(s.cr0, s.cr4, s.efer, s.cr3,
				      VTL1_KERNEL_VA + VTL1_PRIV_MAX - 1, read_ctx_ram, &r, &res),
		     PTWALK_OK);
	cr_assert_eq(res.gpa, VTL1_PRIV_GPA + VTL1_PRIV_MAX - 1);
	guest_ram_destroy(&r);

	cr_assert_eq(
	    guest_ram_create(&r, "over", VTL1_PRIV_GPA, VTL1_PRIV_MAX + VTL_LARGE_PAGE_SIZE), 0);
	cr_assert_eq(boot_build_tables(&a), -1);
	guest_ram_destroy(&r);
}
