/* CR and MSR pins, CR-write sites and the CR watchdog: the state VTL1 set, and its KVM plumbing. */
#ifndef MONITOR_PINS_H
#define MONITOR_PINS_H

#include <stdbool.h>
#include <stdint.h>

#include "monitor/kvm/kvm.h"
#include "policy/policy.h"
#include "vtl1_abi.h"

/*
 * Pinned MSRs: every pinnable one can be pinned at once. The MSR filter
 * holds them in at most KVM_MSR_FILTER_MAX_RANGES (16) ranges of
 * consecutive indices; the pinnable set needs 11.
 */
#define PINS_MAX_MSRS POLICY_MAX_MSRS
_Static_assert(POLICY_NR_PINNABLE_MSRS <= PINS_MAX_MSRS, "every pinnable MSR can be pinned");

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
/*
 * Adds or updates. VTL_E_NOT_SUPPORTED for an MSR outside the pinnable set
 * (policy_msr_pinnable(): the list VTL1's parser uses too), whose value
 * changes without a WRMSR the filter could stop; VTL_E_NO_RESOURCES when full.
 */
uint32_t pins_msr_add(struct pins *p, uint32_t index, uint64_t value);
void pins_msr_remove(struct pins *p, uint32_t index);
/* How many filter ranges the pinned MSRs take (runs of consecutive indices). */
uint32_t pins_msr_ranges(const struct pins *p);
/*
 * The write-deny filter for the pinned MSRs (pure): one range per run of
 * consecutive indices, every bit clear ("deny"). `bitmap` has room for
 * PINS_MAX_MSRS bytes. Default action is allow; reads are never filtered.
 */
void pins_msr_filter(const struct pins *p, struct kvm_msr_filter *f, uint8_t *bitmap);

/*
 * What a guest WRMSR of `value` to the pinnable MSR `index` would do, for
 * KVM_SET_MSRS (host-initiated, which skips some of a guest write's checks).
 * cur: the MSR's current value; cr0/efer: VTL0's current CR0 and EFER.
 * Returns true and sets *apply to the value to write, or false when the guest's
 * WRMSR would #GP or its exact effect cannot be reproduced host-side: then the
 * write is refused with #GP.
 *
 * EFER: SCE, LME, LMA and NXE only (other bits depend on the guest's CPUID
 * and are refused); LME may not change while CR0.PG is set; LMA is the CPU's
 * and keeps cur's value; cur must equal efer. STAR: any value. LSTAR, CSTAR:
 * canonical at 48 bits. SFMASK, SYSENTER_CS: bits 63:32 clear. SYSENTER_ESP,
 * SYSENTER_EIP: canonicalised as KVM does, provided bits 56:47 agree (so the
 * host's 48- or 57-bit width does not matter). PAT: every byte a memory type
 * (0, 1, 4, 5, 6, 7). Anything else, APIC_BASE, MISC_ENABLE, SPEC_CTRL and
 * every other pinnable MSR included, is refused: docs/policy.md.
 */
bool pins_msr_guest_write(uint32_t index, uint64_t cur, uint64_t value, uint64_t cr0, uint64_t efer,
			  uint64_t *apply);

/* KVM plumbing. */
int pins_enable_msr_exits(struct vm *vm);
int pins_apply_msr_filter(struct vm *vm, const struct pins *p);
/* The guest-debug state that arms a HW execute breakpoint at every CR-write site (pure). */
void pins_sites_debug(const struct pins *p, struct kvm_guest_debug *dbg);
int pins_apply_sites(struct vcpu *vcpu, const struct pins *p);

#endif
