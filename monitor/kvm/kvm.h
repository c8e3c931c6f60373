/* Thin wrappers over /dev/kvm: system, VM and vCPU file descriptors. */
#ifndef MONITOR_KVM_H
#define MONITOR_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/kvm/kvm_compat.h"

/*
 * The only file that calls ioctl() (tests/check-layers.sh enforces it).
 * Naming follows the KVM selftests: __foo() returns 0 or -errno and logs
 * nothing; foo() checks the result and logs a monitor error.
 * kvm_check_cap() is a query: 0 means "not supported", never an error.
 */

struct kvm {
	int fd;
	size_t run_size;
	struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID, applied to every vCPU */
};

/* KVM_SET_USER_MEMORY_REGION calls and their time while counting is on (`vtlmon bench`). */
struct vm_slot_stats {
	bool counting;
	uint64_t calls;
	uint64_t ns;
};

struct vm {
	int fd;
	int vtl;
	struct vm_slot_stats slot_stats;
};

struct vcpu {
	int fd;
	int vtl;
	uint32_t index;
	struct kvm_run *run;
	size_t run_size;
};

int kvm_open(struct kvm *kvm);
void kvm_close(struct kvm *kvm);
long kvm_check_cap(int fd, long cap);

int vm_create(struct kvm *kvm, int vtl, struct vm *vm);
void vm_destroy(struct vm *vm);
int __vm_set_slot(struct vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		  void *hva);
int vm_set_slot(struct vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		void *hva);
/* KVM_DISABLE_QUIRKS2; -ENOTSUP when this KVM cannot disable them. Raw: the caller decides. */
int __vm_disable_quirks(struct vm *vm, uint64_t quirks);
int __vm_enable_cap(struct vm *vm, uint32_t cap, uint64_t arg0);
int vm_enable_cap(struct vm *vm, uint32_t cap, uint64_t arg0);
int vm_set_msr_filter(struct vm *vm, const struct kvm_msr_filter *f);

int vcpu_create(struct kvm *kvm, struct vm *vm, uint32_t index, struct vcpu *vcpu);
void vcpu_destroy(struct vcpu *vcpu);
/* KVM_RUN; returns 0, or -errno (-EINTR when kicked). */
int __vcpu_run(struct vcpu *vcpu);
/*
 * One KVM_RUN with immediate_exit, raw: -EINTR when the pending exit is
 * finished and no guest code ran; 0 when finishing it produced a new exit
 * (an emulated instruction that needs another MMIO/PIO round, such as a rep
 * string op or the second fragment of a straddling access), now in
 * vcpu->run; another -errno on failure.
 */
int __vcpu_complete_exit(struct vcpu *vcpu);
int vcpu_get_regs(struct vcpu *vcpu, struct kvm_regs *regs);
/*
 * The setters also refresh the sync-regs snapshot in vcpu->run and clear its
 * dirty bit: a later check or write-back must never work on, or put back,
 * state from before this write (a stale snapshot once let kexec'd kernels
 * start with the old kernel's control registers).
 */
int vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs);
int vcpu_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs);
int vcpu_set_sregs(struct vcpu *vcpu, const struct kvm_sregs *sregs);
int vcpu_get_events(struct vcpu *vcpu, struct kvm_vcpu_events *ev);
int vcpu_set_events(struct vcpu *vcpu, const struct kvm_vcpu_events *ev);
int vcpu_set_guest_debug(struct vcpu *vcpu, const struct kvm_guest_debug *dbg);
/*
 * One MSR through KVM_GET/SET_MSRS (host-initiated). Raw: 0 or -1 with no
 * message, because a missing MSR is an answer (PIN_MSR of an MSR the vCPU
 * lacks), not a monitor error.
 */
int __vcpu_get_msr(struct vcpu *vcpu, uint32_t index, uint64_t *value);
int __vcpu_set_msr(struct vcpu *vcpu, uint32_t index, uint64_t value);
/*
 * Inside KVM_RUN this vCPU's thread takes only the `kick` signal. The pair
 * thread blocks it everywhere else, so a kick sent between two runs stays
 * pending and makes the next KVM_RUN return -EINTR at once.
 */
int vcpu_set_run_sigmask(struct vcpu *vcpu, int kick);

/*
 * The Linux platform of VTL0's VM (issue 11). KVM_CREATE_IRQCHIP (PIC,
 * IOAPIC, LAPICs in the kernel) must come before the first vCPU.
 */
int vm_create_irqchip(struct vm *vm);
/* KVM_IRQ_LINE: sets an ISA IRQ / GSI line of the in-kernel irqchip to level. */
int vm_irq_line(struct vm *vm, uint32_t irq, int level);
int vcpu_get_lapic(struct vcpu *vcpu, struct kvm_lapic_state *lapic);
int vcpu_set_lapic(struct vcpu *vcpu, const struct kvm_lapic_state *lapic);
/* KVM_SET_CPUID2 again, before the vCPU first runs (KVM refuses a change after). */
int vcpu_set_cpuid(struct vcpu *vcpu, const struct kvm_cpuid2 *cpuid);

#endif
