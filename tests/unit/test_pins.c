/* Unit tests for pin state: CR pin checks and restores, MSR pin table, the MSR filter. */
#include <criterion/criterion.h>
#include <string.h>

#include "monitor/pins.h"
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
	for (uint32_t i = 0; i < PINS_MAX_MSRS; i++)
		cr_assert_eq(pins_msr_add(&p, 0xC0000080 + i, i), VTL_OK);
	cr_assert_eq(pins_msr_add(&p, 0x174, 1), VTL_E_NO_RESOURCES);
	/* re-pinning updates in place */
	cr_assert_eq(pins_msr_add(&p, 0xC0000082, 99), VTL_OK);
	cr_assert_eq(pins_msr_find(&p, 0xC0000082)->value, 99);
	pins_msr_remove(&p, 0xC0000082);
	cr_assert_null(pins_msr_find(&p, 0xC0000082));
	cr_assert_eq(p.nr_msrs, PINS_MAX_MSRS - 1);
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
	cr_assert_eq(f.ranges[0].base, 0xC0000082);
	cr_assert_eq(f.ranges[0].nmsrs, 1);
	cr_assert_eq(f.ranges[0].flags, KVM_MSR_FILTER_WRITE, "reads are never filtered");
	cr_assert_eq(f.ranges[0].bitmap[0], 0, "bit clear = deny");
	cr_assert_eq(f.ranges[1].base, 0xC0000080);
	cr_assert_eq(f.ranges[2].nmsrs, 0, "unused ranges stay empty");
}
