/* Unit tests for pin state: CR pin checks and restores, MSR pin table and filter, allowed writes.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "monitor/protect/pins.h"
#include "policy/policy.h"
#include "vtl_status.h"

Test(pins, cr_violation_and_restore)
{
	struct pins p;

	memset(&p, 0, sizeof(p));
	cr_assert_eq(pins_cr_index(0), 0);
	cr_assert_eq(pins_cr_index(4), 1);
	cr_assert_eq(pins_cr_index(3), -1);
	p.cr[1].mask = 1ULL << 20; /* SMEP pinned set */
	p.cr[1].value = 1ULL << 20;
	cr_assert_not(pins_cr_violated(&p, 1, 0x100620));
	cr_assert(pins_cr_violated(&p, 1, 0x000620));
	cr_assert_eq(pins_cr_restore(&p, 1, 0x000620), 0x100620);
	/* unpinned bits move freely */
	cr_assert_not(pins_cr_violated(&p, 1, 0x100020));
	cr_assert_eq(pins_cr_restore(&p, 1, 0x100020), 0x100020);
}

Test(pins, msr_table_limits)
{
	struct pins p;

	memset(&p, 0, sizeof(p));
	cr_assert_eq(pins_msr_add(&p, 0x830, 0), VTL_E_NOT_SUPPORTED, "x2APIC bypasses the filter");
	/* every pinnable MSR at once: consecutive indices share a filter range */
	for (uint32_t i = 0; i < policy_nr_pinnable_msrs; i++)
		cr_assert_eq(pins_msr_add(&p, policy_pinnable_msrs[i], i), VTL_OK);
	cr_assert_leq(pins_msr_ranges(&p), KVM_MSR_FILTER_MAX_RANGES);
	cr_assert_eq(p.nr_msrs, policy_nr_pinnable_msrs);
	/* re-pinning updates in place */
	cr_assert_eq(pins_msr_add(&p, 0xC0000082, 99), VTL_OK);
	cr_assert_eq(pins_msr_find(&p, 0xC0000082)->value, 99);
	pins_msr_remove(&p, 0xC0000082);
	cr_assert_null(pins_msr_find(&p, 0xC0000082));
	cr_assert_eq(p.nr_msrs, policy_nr_pinnable_msrs - 1);
}

/* MSRs that change without WRMSR: a write filter cannot guard them, so they are never pinned. */
Test(pins, msr_outside_the_pinnable_set_is_not_supported)
{
	static const uint32_t refused[] = {
	    0xC0000100,				       /* FS_BASE: wrfsbase, FS loads */
	    0xC0000101,				       /* GS_BASE: swapgs, wrgsbase, GS loads */
	    0xC0000102,				       /* KERNEL_GS_BASE: swapgs */
	    0x800,	0x808,	    0x830,	0x8FF, /* x2APIC: the filter does not see them */
	    0x10,	0x3B,	    0x6E0,	0xE7,
	    0xE8,  /* TSC, TSC_ADJUST, TSC_DEADLINE, MPERF, APERF */
	    0x1D9, /* DEBUGCTL: #DB clears LBR/BTF */
	    0xC1,	0x309,	    0x38E,	0xC0010004, /* counters, global status */
	    0x401,					    /* MC0_STATUS */
	    0x6A0,	0x6A2,	    0x6A4,	0x6A7,	    /* U_CET, S_CET, PL0_SSP, PL3_SSP */
	    0xD93,	0x1C9,	    0x14CE,	0x570,	    /* PASID, LBR, RTIT */
	    0x1C5,					    /* XFD_ERR */
	    0x2FF,	0xC0000104, 0x12345678, 0,
	    ~0U, /* unknown: fail closed */
	};
	struct pins p;

	memset(&p, 0, sizeof(p));
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		cr_assert_eq(pins_msr_add(&p, refused[i], 0), VTL_E_NOT_SUPPORTED, "MSR 0x%x",
			     refused[i]);
		cr_assert_not(policy_msr_pinnable(refused[i]), "MSR 0x%x", refused[i]);
		cr_assert_not_null(policy_msr_unpinnable_reason(refused[i]));
	}
	cr_assert_eq(p.nr_msrs, 0);
	for (size_t i = 0; i < policy_nr_pinnable_msrs; i++) {
		cr_assert(policy_msr_pinnable(policy_pinnable_msrs[i]));
		cr_assert_null(policy_msr_unpinnable_reason(policy_pinnable_msrs[i]));
	}
}

Test(pins, msr_filter_denies_only_pinned_writes)
{
	uint8_t bitmap[PINS_MAX_MSRS];
	struct kvm_msr_filter f;
	struct pins p;

	memset(&p, 0, sizeof(p));
	memset(bitmap, 0xFF, sizeof(bitmap));
	pins_msr_add(&p, 0xC0000082, 1);
	pins_msr_add(&p, 0xC0000080, 2);
	pins_msr_filter(&p, &f, bitmap);
	cr_assert_eq(f.flags, KVM_MSR_FILTER_DEFAULT_ALLOW);
	cr_assert_eq(f.ranges[0].base, 0xC0000080, "ranges in ascending order");
	cr_assert_eq(f.ranges[0].nmsrs, 1);
	cr_assert_eq(f.ranges[0].flags, KVM_MSR_FILTER_WRITE, "reads are never filtered");
	cr_assert_eq(f.ranges[0].bitmap[0], 0, "bit clear = deny");
	cr_assert_eq(f.ranges[1].base, 0xC0000082);
	cr_assert_eq(f.ranges[2].nmsrs, 0, "unused ranges stay empty");
	/* STAR fills the gap: one range of three, every write denied */
	pins_msr_add(&p, 0xC0000081, 3);
	memset(bitmap, 0xFF, sizeof(bitmap));
	pins_msr_filter(&p, &f, bitmap);
	cr_assert_eq(pins_msr_ranges(&p), 1);
	cr_assert_eq(f.ranges[0].base, 0xC0000080);
	cr_assert_eq(f.ranges[0].nmsrs, 3);
	cr_assert_eq(f.ranges[0].bitmap[0] & 7, 0);
	cr_assert_eq(f.ranges[1].nmsrs, 0);
}

/* ---- pins_msr_guest_write: an allowed write has exactly a guest WRMSR's effect -------- */

#define EFER	     0xC0000080U
#define SCE	     (1ULL << 0)
#define LME	     (1ULL << 8)
#define LMA	     (1ULL << 10)
#define NXE	     (1ULL << 11)
#define CR0_PAGING   0x80050033ULL /* PG|AM|WP|NE|ET|MP|PE, as the boot state */
#define CR0_NOPAGING 0x00000011ULL
#define BOOT_EFER    (SCE | LME | LMA | NXE)
#define JUNK	     0xDEADBEEFCAFEF00DULL /* what *apply holds when nothing is written */

static bool gw(uint32_t index, uint64_t cur, uint64_t value, uint64_t cr0, uint64_t efer,
	       uint64_t *apply)
{
	*apply = JUNK;
	return pins_msr_guest_write(index, cur, value, cr0, efer, apply);
}

Test(pins_guest_write, efer_defined_bits_pass_with_lma_kept)
{
	uint64_t a;

	/* SCE and NXE may change under paging */
	cr_assert(gw(EFER, BOOT_EFER, BOOT_EFER & ~SCE, CR0_PAGING, BOOT_EFER, &a));
	cr_assert_eq(a, BOOT_EFER & ~SCE);
	cr_assert(gw(EFER, BOOT_EFER, BOOT_EFER & ~NXE, CR0_PAGING, BOOT_EFER, &a));
	cr_assert_eq(a, BOOT_EFER & ~NXE);
	/* LMA is the CPU's: a write that clears it keeps it, one that sets it does not set it */
	cr_assert(gw(EFER, BOOT_EFER, LME | SCE, CR0_PAGING, BOOT_EFER, &a));
	cr_assert_eq(a, LME | SCE | LMA);
	cr_assert(gw(EFER, LME, LME | LMA, CR0_NOPAGING, LME, &a));
	cr_assert_eq(a, LME);
	/* without paging, LME may come and go */
	cr_assert(gw(EFER, SCE, SCE | LME, CR0_NOPAGING, SCE, &a));
	cr_assert_eq(a, SCE | LME);
	cr_assert(gw(EFER, SCE | LME, SCE, CR0_NOPAGING, SCE | LME, &a));
	cr_assert_eq(a, SCE);
}

Test(pins_guest_write, efer_lme_change_under_paging_is_refused)
{
	uint64_t a;

	/* the case: KVM_SET_MSRS would clear LME with paging on, a guest WRMSR #GPs */
	cr_assert_not(gw(EFER, BOOT_EFER, BOOT_EFER & ~LME, CR0_PAGING, BOOT_EFER, &a));
	cr_assert_not(gw(EFER, BOOT_EFER, BOOT_EFER & ~(LME | LMA), CR0_PAGING, BOOT_EFER, &a));
	cr_assert_not(gw(EFER, SCE, SCE | LME, CR0_PAGING, SCE, &a));
	cr_assert_eq(a, JUNK, "nothing to apply on a refusal");
}

Test(pins_guest_write, efer_reserved_and_cpuid_bits_are_refused)
{
	uint64_t a;

	for (unsigned bit = 0; bit < 64; bit++) {
		uint64_t m = 1ULL << bit;

		if (m & (SCE | LME | LMA | NXE))
			continue;
		/* reserved, or SVME/LMSLE/FFXSR/TCE/AutoIBRS, valid only with CPUID bits */
		cr_assert_not(gw(EFER, BOOT_EFER, BOOT_EFER | m, CR0_PAGING, BOOT_EFER, &a),
			      "EFER bit %u", bit);
		cr_assert_not(gw(EFER, SCE, SCE | m, CR0_NOPAGING, SCE, &a), "EFER bit %u", bit);
	}
	/* cur and efer are the same register: views that disagree are not trusted */
	cr_assert_not(gw(EFER, BOOT_EFER, BOOT_EFER, CR0_PAGING, BOOT_EFER & ~SCE, &a));
}

Test(pins_guest_write, lstar_and_cstar_must_be_canonical)
{
	static const uint64_t good[] = {0, 0xFFFFFFFF81000000ULL, 0x00007FFFFFFFFFFFULL,
					0xFFFF800000000000ULL};
	static const uint64_t bad[] = {0x0000800000000000ULL, 0x8000000000000000ULL,
				       0xFFFF7FFFFFFFFFFFULL, 0x00FF000000000000ULL,
				       0x0100000000000000ULL /* canonical at 57 bits only */};
	uint64_t a;

	for (uint32_t msr = 0xC0000082; msr <= 0xC0000083; msr++) {
		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			cr_assert(gw(msr, 0, good[i], CR0_PAGING, BOOT_EFER, &a));
			cr_assert_eq(a, good[i]);
		}
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			cr_assert_not(gw(msr, 0, bad[i], CR0_PAGING, BOOT_EFER, &a), "0x%lx",
				      (unsigned long)bad[i]);
	}
}

Test(pins_guest_write, sysenter_esp_eip_are_canonicalised)
{
	uint64_t a;

	for (uint32_t msr = 0x175; msr <= 0x176; msr++) {
		cr_assert(gw(msr, 0, 0xFFFFFFFF81000000ULL, CR0_PAGING, BOOT_EFER, &a));
		cr_assert_eq(a, 0xFFFFFFFF81000000ULL);
		/* top bits junk, bits 56:47 agree: the same value at 48 and at 57 bits */
		cr_assert(gw(msr, 0, 0x1200000012345678ULL, CR0_PAGING, BOOT_EFER, &a));
		cr_assert_eq(a, 0x0000000012345678ULL);
		cr_assert(gw(msr, 0, 0x01FF800000001000ULL, CR0_PAGING, BOOT_EFER, &a));
		cr_assert_eq(a, 0xFFFF800000001000ULL);
		/* bits 56:47 disagree: the host's address width decides, so refused */
		cr_assert_not(gw(msr, 0, 0x0000800000000000ULL, CR0_PAGING, BOOT_EFER, &a));
		cr_assert_not(gw(msr, 0, 0x0100000000000000ULL, CR0_PAGING, BOOT_EFER, &a));
	}
}

Test(pins_guest_write, star_sfmask_sysenter_cs)
{
	uint64_t a;

	/* STAR: every bit is defined */
	cr_assert(gw(0xC0000081, 0, 0x0023001000000000ULL, CR0_PAGING, BOOT_EFER, &a));
	cr_assert_eq(a, 0x0023001000000000ULL);
	cr_assert(gw(0xC0000081, 0, ~0ULL, CR0_PAGING, BOOT_EFER, &a));
	cr_assert_eq(a, ~0ULL);
	/* SFMASK: bits 63:32 reserved */
	cr_assert(gw(0xC0000084, 0, 0x47700, CR0_PAGING, BOOT_EFER, &a));
	cr_assert_eq(a, 0x47700);
	cr_assert(gw(0xC0000084, 0, 0xFFFFFFFFULL, CR0_PAGING, BOOT_EFER, &a));
	cr_assert_not(gw(0xC0000084, 0, 1ULL << 32, CR0_PAGING, BOOT_EFER, &a));
	/* SYSENTER_CS: 32 bits on VMX, 64 on SVM: high bits have no single outcome */
	cr_assert(gw(0x174, 0, 0x10, CR0_PAGING, BOOT_EFER, &a));
	cr_assert_eq(a, 0x10);
	cr_assert(gw(0x174, 0, 0xFFFF0010ULL, CR0_PAGING, BOOT_EFER, &a));
	cr_assert_not(gw(0x174, 0, 0x100000010ULL, CR0_PAGING, BOOT_EFER, &a));
}

Test(pins_guest_write, pat_bytes_must_be_memory_types)
{
	static const uint8_t valid[] = {0, 1, 4, 5, 6, 7};
	uint64_t a;

	cr_assert(gw(0x277, 0, 0x0007040600070406ULL, CR0_PAGING, BOOT_EFER, &a));
	cr_assert_eq(a, 0x0007040600070406ULL);
	for (unsigned byte = 0; byte < 8; byte++) {
		for (unsigned t = 0; t < 256; t++) {
			uint64_t v = 0x0606060606060606ULL & ~(0xFFULL << (8 * byte));
			bool ok = false;

			v |= (uint64_t)t << (8 * byte);
			for (size_t i = 0; i < sizeof(valid); i++)
				ok |= t == valid[i];
			cr_assert_eq(gw(0x277, 0, v, CR0_PAGING, BOOT_EFER, &a), ok,
				     "byte %u type %u", byte, t);
			if (ok)
				cr_assert_eq(a, v);
		}
	}
}

Test(pins_guest_write, unreproducible_and_unpinnable_msrs_are_refused)
{
	/* APIC_BASE, FEATURE_CONTROL, SPEC_CTRL, MISC_ENABLE, ISST, PKRS, XSS, TSC_AUX */
	static const uint32_t refused[] = {0x1B, 0x3A, 0x48, 0x1A0, 0x6A8, 0x6E1, 0xDA0, 0xC0000103,
					   /* and what is not pinnable at all */
					   0xC0000100, 0xC0000102, 0x830, 0x10, 0x1D9, 0x6A2};
	uint64_t a;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		/* even a write of the current value: its side effects are not replayed */
		cr_assert_not(gw(refused[i], 0, 0, CR0_PAGING, BOOT_EFER, &a), "MSR 0x%x",
			      refused[i]);
		cr_assert_not(
		    gw(refused[i], 0xFEE00900ULL, 0xFEE00D00ULL, CR0_PAGING, BOOT_EFER, &a),
		    "MSR 0x%x", refused[i]);
		cr_assert_eq(a, JUNK);
	}
}

/* Every pinnable MSR has a decided rule: the ones above, or refusal. */
Test(pins_guest_write, every_pinnable_msr_is_covered)
{
	static const uint32_t replayed[] = {
	    0x174, 0x175, 0x176, 0x277, 0xC0000080, 0xC0000081, 0xC0000082, 0xC0000083, 0xC0000084};
	uint64_t a;

	for (size_t i = 0; i < policy_nr_pinnable_msrs; i++) {
		uint32_t msr = policy_pinnable_msrs[i];
		bool replay = false;

		for (size_t j = 0; j < sizeof(replayed) / sizeof(replayed[0]); j++)
			replay |= msr == replayed[j];
		/* a harmless write for every replayed MSR: its current value */
		cr_assert_eq(gw(msr, msr == EFER ? BOOT_EFER : 6, msr == EFER ? BOOT_EFER : 6,
				CR0_PAGING, BOOT_EFER, &a),
			     replay, "MSR 0x%x", msr);
	}
}
