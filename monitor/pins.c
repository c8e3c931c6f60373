/* CR and MSR pins, CR-write sites and the CR watchdog: the state VTL1 set, and its KVM plumbing. */
#include "monitor/pins.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "monitor/log.h"
#include "vtl_status.h"

int pins_cr_index(uint64_t cr)
{
	return cr == 0 ? 0 : cr == 4 ? 1 : -1;
}

bool pins_cr_violated(const struct pins *p, int idx, uint64_t value)
{
	return ((value ^ p->cr[idx].value) & p->cr[idx].mask) != 0;
}

uint64_t pins_cr_restore(const struct pins *p, int idx, uint64_t value)
{
	return (value & ~p->cr[idx].mask) | (p->cr[idx].value & p->cr[idx].mask);
}

const struct msr_pin *pins_msr_find(const struct pins *p, uint32_t index)
{
	for (uint32_t i = 0; i < p->nr_msrs; i++)
		if (p->msr[i].index == index)
			return &p->msr[i];
	return NULL;
}

bool pins_msr_filterable(uint32_t index)
{
	return !(index >= 0x800 && index <= 0x8FF);
}

uint32_t pins_msr_add(struct pins *p, uint32_t index, uint64_t value)
{
	struct msr_pin *pin = (struct msr_pin *)pins_msr_find(p, index);

	if (!pins_msr_filterable(index))
		return VTL_E_NOT_SUPPORTED;
	if (!pin) {
		if (p->nr_msrs == PINS_MAX_MSRS)
			return VTL_E_NO_RESOURCES;
		pin = &p->msr[p->nr_msrs++];
		pin->index = index;
	}
	pin->value = value;
	return VTL_OK;
}

void pins_msr_remove(struct pins *p, uint32_t index)
{
	for (uint32_t i = 0; i < p->nr_msrs; i++) {
		if (p->msr[i].index != index)
			continue;
		p->msr[i] = p->msr[--p->nr_msrs];
		return;
	}
}

void pins_msr_filter(const struct pins *p, struct kvm_msr_filter *f, uint8_t *bitmap)
{
	memset(f, 0, sizeof(*f));
	f->flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
	for (uint32_t i = 0; i < p->nr_msrs; i++) {
		bitmap[i] = 0;
		f->ranges[i].flags = KVM_MSR_FILTER_WRITE;
		f->ranges[i].nmsrs = 1;
		f->ranges[i].base = p->msr[i].index;
		f->ranges[i].bitmap = &bitmap[i];
	}
}

int pins_enable_msr_exits(struct vm *vm)
{
	struct kvm_enable_cap cap = {
	    .cap = KVM_CAP_X86_USER_SPACE_MSR,
	    .args = {KVM_MSR_EXIT_REASON_FILTER},
	};

	if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap) < 0) {
		log_err("KVM_CAP_X86_USER_SPACE_MSR: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int pins_apply_msr_filter(struct vm *vm, const struct pins *p)
{
	uint8_t bitmap[PINS_MAX_MSRS];
	struct kvm_msr_filter f;

	pins_msr_filter(p, &f, bitmap);
	if (ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f) < 0) {
		log_err("KVM_X86_SET_MSR_FILTER: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int pins_apply_sites(struct vcpu *vcpu, const struct pins *p, bool single_step)
{
	struct kvm_guest_debug dbg;

	memset(&dbg, 0, sizeof(dbg));
	if (single_step) {
		/* Stepping over a site: breakpoints off, or it fires again forever (RF is ignored).
		 */
		dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
	} else {
		for (unsigned i = 0; i < VTL1_CR_SITES; i++) {
			if (!p->cr_site[i])
				continue;
			dbg.arch.debugreg[i] = p->cr_site[i];
			dbg.arch.debugreg[7] |= 1ULL << (2 * i); /* L_i; R/W_i = 00: execute */
		}
		if (dbg.arch.debugreg[7])
			dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
	}
	if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0) {
		log_err("KVM_SET_GUEST_DEBUG: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int vcpu_get_msr(struct vcpu *vcpu, uint32_t index, uint64_t *value)
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

int vcpu_set_msr(struct vcpu *vcpu, uint32_t index, uint64_t value)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = {.hdr.nmsrs = 1, .e.index = index, .e.data = value};

	return ioctl(vcpu->fd, KVM_SET_MSRS, &m) == 1 ? 0 : -1;
}
