/* What this host can enforce: one table behind the FEATURES bits and `vtlmon caps`. */
#include "monitor/protect/features.h"

#include "vtl_device.h"

/* Bit 3 of KVM_CAP_MEMORY_ATTRIBUTES would be KVM_MEMORY_ATTRIBUTE_NX, which upstream lacks. */
#define CAPS_ATTR_NX (1L << 3)

/*
 * CR pinning is where words overclaim most easily: no CR write exits, so
 * the monitor only ever sees CR state after the fact (docs/architecture.md,
 * "CR pins: detective, not preventive"; docs/results.md has the numbers).
 */
static const char *const cr_pin_notes[] = {
    "a pinned bit VTL0 clears is seen only at its next",
    "exit or watchdog kick (policy `cr watchdog`, default",
    "10 ms); VTL0 runs with it clear until then. A clear",
    "undone before that exit (clear WP, store, set WP) is",
    "never seen; a kick lands inside such a window with",
    "probability ~ window / period. Latency is about one",
    "period on a quiet host, with NO hard bound: under",
    "host load the kicks come late. `vtlmon bench`",
    "measures this host; docs/results.md has the numbers",
    "measured so far.",
    NULL,
};

static const char *const cr_site_notes[] = {
    "the only synchronous CR check; writes elsewhere are",
    "only ever detected afterwards",
    NULL,
};

/*
 * The honest table (docs/architecture.md, "Enforcement"). `implemented`
 * turns true only when the code and its tests have landed.
 */
static const struct protection_row features_rows_table[] = {
    {"VTL1 memory isolation", "no memslot for VTL1 RAM in VTL0's VM", VTL_FEAT_VTL1_ISOLATION, 0, 0,
     true, "exact", NULL},
    {"VTL0 page read-only", "KVM_MEM_READONLY memslot", VTL_FEAT_PERM_READONLY,
     KVM_CAP_READONLY_MEM, 1, true, "exact; the exit's RIP is already past the write", NULL},
    {"VTL0 page no-access", "no memslot", VTL_FEAT_PERM_NOACCESS, 0, 0, true,
     "exact; a fetch surfaces as INTERNAL_ERROR", NULL},
    {"VTL0 page non-executable", "none upstream (needs MBEC / RWX attributes)",
     VTL_FEAT_PERM_NOEXEC, KVM_CAP_MEMORY_ATTRIBUTES, CAPS_ATTR_NX, false,
     "NOT ENFORCEABLE: a policy demanding it is refused", NULL},
    {"MSR pinning", "KVM_X86_SET_MSR_FILTER + user-space MSR exits", VTL_FEAT_MSR_PIN,
     KVM_CAP_X86_MSR_FILTER, 1, true, "exact, synchronous #GP", NULL},
    {"CR0/CR4 pinning", "sync regs at every exit + watchdog kick", VTL_FEAT_CR_PIN_DETECT, 0, 0,
     true, "DETECTIVE, not preventive; no hard latency bound", cr_pin_notes},
    {"CR0/CR4 synchronous intercept", "none upstream (CR writes never exit to userspace)",
     VTL_FEAT_CR_PIN_SYNC, -1, 0, false, "NOT ENFORCEABLE", NULL},
    {"CR-write sites",
     "hardware breakpoints (DR0-3), stepped with a breakpoint on the next instruction",
     VTL_FEAT_CR_SITE_BP, KVM_CAP_SET_GUEST_DEBUG, 1, true,
     "synchronous, at up to 4 declared sites only", cr_site_notes},
};

bool features_host_can(const struct kvm *kvm, const struct protection_row *row)
{
	if (row->cap < 0)
		return false;
	if (!row->cap)
		return true;
	return (kvm_check_cap(kvm->fd, row->cap) & row->cap_min) == row->cap_min;
}

uint64_t features_of_host(const struct kvm *kvm)
{
	uint64_t features = 0;

	for (size_t i = 0; i < sizeof(features_rows_table) / sizeof(features_rows_table[0]); i++)
		if (features_rows_table[i].implemented &&
		    features_host_can(kvm, &features_rows_table[i]))
			features |= features_rows_table[i].feature;
	return features;
}

const struct protection_row *features_rows(size_t *n)
{
	*n = sizeof(features_rows_table) / sizeof(features_rows_table[0]);
	return features_rows_table;
}
