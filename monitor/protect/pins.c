/* CR and MSR pins, CR-write sites and the CR watchdog: the state VTL1 set, and its KVM plumbing. */
#include "monitor/protect/pins.h"

#include <errno.h>
#include <string.h>

#include "monitor/base/log.h"
#include "policy/policy.h"
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

uint32_t pins_msr_add(struct pins *p, uint32_t index, uint64_t value)
{
	struct msr_pin *pin = (struct msr_pin *)pins_msr_find(p, index);

	/* The monitor's own check: a VTL1 other than ours may ask for anything. */
	if (!policy_msr_pinnable(index))
		return VTL_E_NOT_SUPPORTED;
	if (!pin) {
		if (p->nr_msrs == PINS_MAX_MSRS)
			return VTL_E_NO_RESOURCES;
		pin = &p->msr[p->nr_msrs++];
		pin->index = index;
		if (pins_msr_ranges(p) > KVM_MSR_FILTER_MAX_RANGES) {
			p->nr_msrs--;
			return VTL_E_NO_RESOURCES;
		}
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

/* The pinned indices in ascending order (insertion sort: at most PINS_MAX_MSRS). */
static uint32_t pins_msr_sorted(const struct pins *p, uint32_t *idx)
{
	for (uint32_t i = 0; i < p->nr_msrs; i++) {
		uint32_t v = p->msr[i].index, j = i;

		for (; j > 0 && idx[j - 1] > v; j--)
			idx[j] = idx[j - 1];
		idx[j] = v;
	}
	return p->nr_msrs;
}

uint32_t pins_msr_ranges(const struct pins *p)
{
	uint32_t idx[PINS_MAX_MSRS], n = pins_msr_sorted(p, idx), ranges = 0;

	for (uint32_t i = 0; i < n; i++)
		ranges += !i || idx[i] != idx[i - 1] + 1;
	return ranges;
}

void pins_msr_filter(const struct pins *p, struct kvm_msr_filter *f, uint8_t *bitmap)
{
	uint32_t idx[PINS_MAX_MSRS], n = pins_msr_sorted(p, idx), r = 0, used = 0;

	memset(f, 0, sizeof(*f));
	f->flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
	for (uint32_t i = 0; i < n;) {
		uint32_t run = 1;

		/* One range per run of consecutive indices; every bit clear: deny the write. */
		while (i + run < n && idx[i + run] == idx[i] + run)
			run++;
		if (r == KVM_MSR_FILTER_MAX_RANGES)
			break; /* pins_msr_add() keeps this from happening */
		f->ranges[r].flags = KVM_MSR_FILTER_WRITE;
		f->ranges[r].nmsrs = run;
		f->ranges[r].base = idx[i];
		f->ranges[r].bitmap = &bitmap[used];
		memset(&bitmap[used], 0, (run + 7) / 8);
		used += (run + 7) / 8;
		r++;
		i += run;
	}
}

/* ---- allowed writes of pinned MSRs ------------------------------------------- */

#define PINS_MSR_SYSENTER_CS  0x174U
#define PINS_MSR_SYSENTER_ESP 0x175U
#define PINS_MSR_SYSENTER_EIP 0x176U
#define PINS_MSR_PAT	      0x277U
#define PINS_MSR_EFER	      0xC0000080U
#define PINS_MSR_STAR	      0xC0000081U
#define PINS_MSR_LSTAR	      0xC0000082U
#define PINS_MSR_CSTAR	      0xC0000083U
#define PINS_MSR_SFMASK	      0xC0000084U

#define PINS_EFER_SCE (1ULL << 0)
#define PINS_EFER_LME (1ULL << 8)
#define PINS_EFER_LMA (1ULL << 10)
#define PINS_EFER_NXE (1ULL << 11)
#define PINS_CR0_PG   (1ULL << 31)

/* `v` sign-extended from bit 47. */
static uint64_t pins_sext48(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16);
}

/*
 * The rules are those of the SDM and of KVM's guest-WRMSR path (set_efer(),
 * __kvm_set_msr(), kvm_pat_valid()), minus every case whose outcome depends
 * on something this function cannot see (the guest's CPUID, the host's
 * address width, the vendor): those are refused, never guessed.
 */
bool pins_msr_guest_write(uint32_t index, uint64_t cur, uint64_t value, uint64_t cr0, uint64_t efer,
			  uint64_t *apply)
{
	switch (index) {
	case PINS_MSR_EFER:
		/*
		 * SVME, FFXSR, AutoIBRS... are valid only with their CPUID bits:
		 * refused. KVM_SET_MSRS would let LME flip under paging, which no
		 * guest WRMSR can (it #GPs), and LMA follows CR0.PG, not WRMSR.
		 */
		if (cur != efer)
			return false;
		if (value & ~(PINS_EFER_SCE | PINS_EFER_LME | PINS_EFER_LMA | PINS_EFER_NXE))
			return false;
		if ((cr0 & PINS_CR0_PG) && ((value ^ cur) & PINS_EFER_LME))
			return false;
		*apply = (value & ~PINS_EFER_LMA) | (cur & PINS_EFER_LMA);
		return true;
	case PINS_MSR_STAR:
		/* SYSCALL/SYSRET selectors and the legacy target: every bit is defined. */
		*apply = value;
		return true;
	case PINS_MSR_LSTAR:
	case PINS_MSR_CSTAR:
		/* Non-canonical: #GP. At 48 bits even on an LA57 host: stricter, never laxer. */
		if (pins_sext48(value) != value)
			return false;
		*apply = value;
		return true;
	case PINS_MSR_SFMASK:
	case PINS_MSR_SYSENTER_CS:
		/*
		 * SFMASK: bits 63:32 are reserved. SYSENTER_CS: VMX keeps 32 bits,
		 * SVM 64, so a write with high bits has no single outcome.
		 */
		if (value >> 32)
			return false;
		*apply = value;
		return true;
	case PINS_MSR_SYSENTER_ESP:
	case PINS_MSR_SYSENTER_EIP:
		/*
		 * KVM canonicalises rather than #GP (AMD ignores the top half), at
		 * the host's width, 48 or 57 bits. When bits 56:47 agree both
		 * widths give the same value; otherwise the outcome is the host's.
		 */
		if (((value >> 47) & 0x3FF) != 0 && ((value >> 47) & 0x3FF) != 0x3FF)
			return false;
		*apply = pins_sext48(value);
		return true;
	case PINS_MSR_PAT:
		/* Eight memory types: UC, WC, WT, WP, WB, UC-; 2, 3 and 8..255 #GP. */
		for (unsigned i = 0; i < 8; i++) {
			uint8_t t = (uint8_t)(value >> (8 * i));

			if (t > 7 || t == 2 || t == 3)
				return false;
		}
		*apply = value;
		return true;
	default:
		/*
		 * APIC_BASE (mode transitions, the BSP bit), MISC_ENABLE (read-only
		 * and CPUID-coupled bits), SPEC_CTRL (bits valid per CPUID), and the
		 * rest: no faithful host-side replay, so the write is refused.
		 */
		return false;
	}
}

int pins_enable_msr_exits(struct vm *vm)
{
	/* Filtered MSR accesses exit to userspace instead of raising #GP in KVM. */
	return vm_enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_FILTER);
}

int pins_apply_msr_filter(struct vm *vm, const struct pins *p)
{
	uint8_t bitmap[PINS_MAX_MSRS];
	struct kvm_msr_filter f;

	pins_msr_filter(p, &f, bitmap);
	return vm_set_msr_filter(vm, &f);
}

void pins_sites_debug(const struct pins *p, struct kvm_guest_debug *dbg)
{
	memset(dbg, 0, sizeof(*dbg));
	for (unsigned i = 0; i < VTL1_CR_SITES; i++) {
		if (!p->cr_site[i])
			continue;
		dbg->arch.debugreg[i] = p->cr_site[i];
		dbg->arch.debugreg[7] |= 1ULL << (2 * i); /* L_i; R/W_i = 00: execute */
	}
	if (dbg->arch.debugreg[7])
		dbg->control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
}

int pins_apply_sites(struct vcpu *vcpu, const struct pins *p)
{
	struct kvm_guest_debug dbg;

	pins_sites_debug(p, &dbg);
	return vcpu_set_guest_debug(vcpu, &dbg);
}
