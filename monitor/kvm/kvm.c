/* Thin wrappers over /dev/kvm: system, VM and vCPU file descriptors. */
#include "monitor/kvm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "monitor/base/log.h"

#define KVM_CPUID_MAX_ENTRIES 256

long kvm_check_cap(int fd, long cap)
{
	long r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

int kvm_open(struct kvm *kvm)
{
	int ret = -1;
	long sz;

	memset(kvm, 0, sizeof(*kvm));
	kvm->fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm->fd < 0) {
		log_err("cannot open /dev/kvm: %s", strerror(errno));
		goto out;
	}
	if (ioctl(kvm->fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		log_err("unexpected KVM API version");
		goto out_close;
	}
	sz = ioctl(kvm->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (long)sizeof(struct kvm_run)) {
		log_err("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		goto out_close;
	}
	kvm->run_size = (size_t)sz;
	kvm->cpuid = calloc(1, sizeof(*kvm->cpuid) +
				   KVM_CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	if (!kvm->cpuid)
		goto out_close;
	kvm->cpuid->nent = KVM_CPUID_MAX_ENTRIES;
	if (ioctl(kvm->fd, KVM_GET_SUPPORTED_CPUID, kvm->cpuid) < 0) {
		log_err("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		goto out_free;
	}
	ret = 0;
	goto out;

out_free:
	free(kvm->cpuid);
	kvm->cpuid = NULL;
out_close:
	close(kvm->fd);
	kvm->fd = -1;
out:
	return ret;
}

void kvm_close(struct kvm *kvm)
{
	free(kvm->cpuid);
	kvm->cpuid = NULL;
	if (kvm->fd >= 0)
		close(kvm->fd);
	kvm->fd = -1;
}

int vm_create(struct kvm *kvm, int vtl, struct vm *vm)
{
	vm->vtl = vtl;
	vm->fd = ioctl(kvm->fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		log_err("KVM_CREATE_VM (vtl%d): %s", vtl, strerror(errno));
		return -1;
	}
	return 0;
}

void vm_destroy(struct vm *vm)
{
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
}

/* Inlined in both entry points: a PROTECT makes several of these calls on its exit. */
static inline __attribute__((always_inline)) int vm_set_slot_raw(struct vm *vm, uint32_t slot,
								 uint32_t flags, uint64_t gpa,
								 uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
	    .slot = slot,
	    .flags = flags,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = (uint64_t)(uintptr_t)hva,
	};
	struct vm_slot_stats *st = &vm->slot_stats;
	uint64_t t0 = st->counting ? clock_ns() : 0;
	int ret = ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;

	if (st->counting) {
		st->calls++;
		st->ns += clock_ns() - t0;
	}
	return ret;
}

int __vm_set_slot(struct vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		  void *hva)
{
	return vm_set_slot_raw(vm, slot, flags, gpa, size, hva);
}

int vm_set_slot(struct vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		void *hva)
{
	int r = vm_set_slot_raw(vm, slot, flags, gpa, size, hva);

	if (r)
		log_err("KVM_SET_USER_MEMORY_REGION vtl%d slot %u gpa %#llx size %#llx: %s",
			vm->vtl, slot, (unsigned long long)gpa, (unsigned long long)size,
			strerror(-r));
	return r;
}

int __vm_disable_quirks(struct vm *vm, uint64_t quirks)
{
	struct kvm_enable_cap cap = {.cap = KVM_CAP_DISABLE_QUIRKS2, .args = {quirks}};
	long supported = kvm_check_cap(vm->fd, KVM_CAP_DISABLE_QUIRKS2);

	if (!(supported & (long)quirks))
		return -ENOTSUP;
	return ioctl(vm->fd, KVM_ENABLE_CAP, &cap) < 0 ? -errno : 0;
}

int vcpu_create(struct kvm *kvm, struct vm *vm, uint32_t index, struct vcpu *vcpu)
{
	void *run;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vtl = vm->vtl;
	vcpu->index = index;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (vcpu->fd < 0) {
		log_err("KVM_CREATE_VCPU vtl%d/%u: %s", vm->vtl, index, strerror(errno));
		goto err;
	}
	run = mmap(NULL, kvm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (run == MAP_FAILED) {
		log_err("mmap kvm_run: %s", strerror(errno));
		goto err_close;
	}
	vcpu->run = run;
	vcpu->run_size = kvm->run_size;
	/* NXE in EFER is only valid once the guest CPUID advertises NX. */
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, kvm->cpuid) < 0) {
		log_err("KVM_SET_CPUID2: %s", strerror(errno));
		goto err_unmap;
	}
	return 0;

err_unmap:
	munmap(vcpu->run, vcpu->run_size);
	vcpu->run = NULL;
err_close:
	close(vcpu->fd);
err:
	vcpu->fd = -1;
	return -1;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	vcpu->run = NULL;
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->fd = -1;
}

int __vcpu_run(struct vcpu *vcpu)
{
	return ioctl(vcpu->fd, KVM_RUN, 0) < 0 ? -errno : 0;
}

int __vcpu_complete_exit(struct vcpu *vcpu)
{
	int r;

	vcpu->run->immediate_exit = 1;
	r = __vcpu_run(vcpu);
	vcpu->run->immediate_exit = 0;
	return r;
}

#define VCPU_IOCTL(name, req, arg)                                                                 \
	do {                                                                                       \
		if (ioctl(vcpu->fd, req, arg) < 0) {                                               \
			log_err(name " vtl%d/%u: %s", vcpu->vtl, vcpu->index, strerror(errno));    \
			return -1;                                                                 \
		}                                                                                  \
		return 0;                                                                          \
	} while (0)

int vcpu_get_regs(struct vcpu *vcpu, struct kvm_regs *regs)
{
	VCPU_IOCTL("KVM_GET_REGS", KVM_GET_REGS, regs);
}

int vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs)
{
	if (ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0) {
		log_err("KVM_SET_REGS vtl%d/%u: %s", vcpu->vtl, vcpu->index, strerror(errno));
		return -1;
	}
	vcpu->run->s.regs.regs = *regs;
	vcpu->run->kvm_dirty_regs &= ~(__u64)KVM_SYNC_X86_REGS;
	return 0;
}

int vcpu_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs)
{
	VCPU_IOCTL("KVM_GET_SREGS", KVM_GET_SREGS, sregs);
}

int vcpu_set_sregs(struct vcpu *vcpu, const struct kvm_sregs *sregs)
{
	if (ioctl(vcpu->fd, KVM_SET_SREGS, sregs) < 0) {
		log_err("KVM_SET_SREGS vtl%d/%u: %s", vcpu->vtl, vcpu->index, strerror(errno));
		return -1;
	}
	vcpu->run->s.regs.sregs = *sregs;
	vcpu->run->kvm_dirty_regs &= ~(__u64)KVM_SYNC_X86_SREGS;
	return 0;
}

int vcpu_get_events(struct vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	VCPU_IOCTL("KVM_GET_VCPU_EVENTS", KVM_GET_VCPU_EVENTS, ev);
}

int vcpu_set_events(struct vcpu *vcpu, const struct kvm_vcpu_events *ev)
{
	VCPU_IOCTL("KVM_SET_VCPU_EVENTS", KVM_SET_VCPU_EVENTS, ev);
}

int vcpu_set_run_sigmask(struct vcpu *vcpu, int kick)
{
	/*
	 * The kernel's sigset is 64 bits; struct kvm_signal_mask carries it
	 * inline. Inside KVM_RUN only the kick gets through: SIGINT, SIGTERM and
	 * the rest stay blocked and go to the main thread, which handles them.
	 */
	struct {
		struct kvm_signal_mask hdr;
		uint64_t set;
	} mask = {.hdr.len = 8, .set = ~(1ULL << (kick - 1))};

	VCPU_IOCTL("KVM_SET_SIGNAL_MASK", KVM_SET_SIGNAL_MASK, &mask);
}

int __vm_enable_cap(struct vm *vm, uint32_t cap, uint64_t arg0)
{
	struct kvm_enable_cap ec = {.cap = cap, .args = {arg0}};

	return ioctl(vm->fd, KVM_ENABLE_CAP, &ec) < 0 ? -errno : 0;
}

int vm_enable_cap(struct vm *vm, uint32_t cap, uint64_t arg0)
{
	int r = __vm_enable_cap(vm, cap, arg0);

	if (r)
		log_err("KVM_ENABLE_CAP %u vtl%d: %s", cap, vm->vtl, strerror(-r));
	return r;
}

int vm_set_msr_filter(struct vm *vm, const struct kvm_msr_filter *f)
{
	if (ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, f) < 0) {
		log_err("KVM_X86_SET_MSR_FILTER vtl%d: %s", vm->vtl, strerror(errno));
		return -1;
	}
	return 0;
}

int vcpu_set_guest_debug(struct vcpu *vcpu, const struct kvm_guest_debug *dbg)
{
	VCPU_IOCTL("KVM_SET_GUEST_DEBUG", KVM_SET_GUEST_DEBUG, dbg);
}

int __vcpu_get_msr(struct vcpu *vcpu, uint32_t index, uint64_t *value)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = {.hdr.nmsrs = 1, .e.index = index};

	if (ioctl(vcpu->fd, KVM_GET_MSRS, &m) != 1)
		return -1;
	*value = m.e.data;
	return 0;
}

int __vcpu_set_msr(struct vcpu *vcpu, uint32_t index, uint64_t value)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = {.hdr.nmsrs = 1, .e.index = index, .e.data = value};

	return ioctl(vcpu->fd, KVM_SET_MSRS, &m) == 1 ? 0 : -1;
}

/* The Linux platform of VTL0 (issue 11): in-kernel irqchip, LAPIC, CPUID, interrupt lines. */

int vm_create_irqchip(struct vm *vm)
{
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		log_err("KVM_CREATE_IRQCHIP vtl%d: %s", vm->vtl, strerror(errno));
		return -1;
	}
	return 0;
}

int vm_irq_line(struct vm *vm, uint32_t irq, int level)
{
	struct kvm_irq_level l = {.irq = irq, .level = (uint32_t)level};

	if (ioctl(vm->fd, KVM_IRQ_LINE, &l) < 0) {
		log_err("KVM_IRQ_LINE %u vtl%d: %s", irq, vm->vtl, strerror(errno));
		return -1;
	}
	return 0;
}

int vcpu_get_lapic(struct vcpu *vcpu, struct kvm_lapic_state *lapic)
{
	VCPU_IOCTL("KVM_GET_LAPIC", KVM_GET_LAPIC, lapic);
}

int vcpu_set_lapic(struct vcpu *vcpu, const struct kvm_lapic_state *lapic)
{
	VCPU_IOCTL("KVM_SET_LAPIC", KVM_SET_LAPIC, lapic);
}

int vcpu_set_cpuid(struct vcpu *vcpu, const struct kvm_cpuid2 *cpuid)
{
	VCPU_IOCTL("KVM_SET_CPUID2", KVM_SET_CPUID2, cpuid);
}
