/* CR and MSR pins, CR-write sites and the CR watchdog: the state VTL1 set, and its KVM plumbing. */
#ifndef MONITOR_PINS_H
#define MONITOR_PINS_H

#include <stdbool.h>
#include <stdint.h>

#include "monitor/kvm.h"
#include "vtl1_abi.h"

/* One KVM MSR filter range per pinned MSR: KVM allows 16 ranges. */
#define PINS_MAX_MSRS 16U

struct cr_pin {
	uint64_t mask;
	uint64_t value; /* only the masked bits are meaningful */
};

struct msr_pin {
	uint32_t index;
	uint64_t value;
};

struct pins {
	struct cr_pin cr[2]; /* [0] CR0, [1] CR4 */
	struct msr_pin msr[PINS_MAX_MSRS];
	uint32_t nr_msrs;
	uint64_t cr_site[VTL1_CR_SITES]; /* 0: unused */
	uint32_t watchdog_us;
};

/* Index into pins.cr for a CR number, or -1 if it cannot be pinned. */
int pins_cr_index(uint64_t cr);
/* True if `value` changes a pinned bit of that CR. */
bool pins_cr_violated(const struct pins *p, int idx, uint64_t value);
/* `value` with the pinned bits put back. */
uint64_t pins_cr_restore(const struct pins *p, int idx, uint64_t value);
/* The pin of an MSR, or NULL. */
const struct msr_pin *pins_msr_find(const struct pins *p, uint32_t index);
/* x2APIC MSRs bypass the filter on this host (KVM-HOST-NOTES). */
bool pins_msr_filterable(uint32_t index);
/* Adds or updates; VTL_E_NO_RESOURCES when full, VTL_E_NOT_SUPPORTED if unfilterable. */
uint32_t pins_msr_add(struct pins *p, uint32_t index, uint64_t value);
void pins_msr_remove(struct pins *p, uint32_t index);
/*
 * The write-deny filter for the pinned MSRs (pure). `bitmap` is one byte per
 * range, all zero: "deny". Default action is allow; reads are never filtered.
 */
void pins_msr_filter(const struct pins *p, struct kvm_msr_filter *f, uint8_t *bitmap);

/* KVM plumbing. */
int pins_enable_msr_exits(struct vm *vm);
int pins_apply_msr_filter(struct vm *vm, const struct pins *p);
int pins_apply_sites(struct vcpu *vcpu, const struct pins *p, bool single_step);
int vcpu_get_msr(struct vcpu *vcpu, uint32_t index, uint64_t *value);
int vcpu_set_msr(struct vcpu *vcpu, uint32_t index, uint64_t value);

#endif
