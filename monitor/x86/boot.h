/* Boot area construction: page tables, GDT/TSS/IDT and the long-mode entry state of a VTL. */
#ifndef MONITOR_BOOT_H
#define MONITOR_BOOT_H

#include <stdint.h>

#include "monitor/kvm/kvm.h"
#include "monitor/x86/pte.h"
#include "monitor/base/mem.h"

/*
 * A VTL's boot area is the first MiB of its base region: VTL0 RAM at GPA 0
 * for VTL0, private RAM at VTL1_PRIV_GPA for VTL1 (offsets in vtl_layout.h).
 * `va_base` is the VA at which the region's first byte is mapped.
 */
struct boot_area {
	int vtl;
	struct guest_ram *ram;
	uint64_t va_base;
};

#define PTE_P  X86_PTE_P
#define PTE_RW X86_PTE_RW
#define PTE_PS X86_PTE_PS
#define PTE_NX X86_PTE_NX

/* Writes the page tables, GDT, TSS and an empty IDT. */
int boot_build_tables(const struct boot_area *a);
/* Entry state: `sregs` must hold KVM_GET_SREGS output (unrelated fields are kept). */
void boot_entry_state(const struct boot_area *a, uint64_t entry, struct kvm_sregs *sregs,
		      struct kvm_regs *regs);
/* Writes tables, then programs the vCPU for its first instruction at `entry`. */
int boot_vcpu(const struct boot_area *a, struct vcpu *vcpu, uint64_t entry);

/* Where an SMP secondary starts: its own RIP and stack, two argument registers. */
struct boot_start {
	uint64_t rip;
	uint64_t rsp;
	uint64_t rdi;
	uint64_t rsi;
};
/*
 * Programs the vCPU for the boot entry state of a VTL whose tables are
 * already written (boot_vcpu ran on vCPU 0), with `start`'s registers.
 * 0, or -1 when KVM refuses the state.
 */
int boot_vcpu_at(const struct boot_area *a, struct vcpu *vcpu, const struct boot_start *start);

#endif
