/* `vtlmon caps`: the KVM capabilities that matter, and which protections this host enforces. */
#include "monitor/cmd/caps.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "monitor/cmd/cli.h"
#include "monitor/base/exitcodes.h"
#include "vtl_device.h"

struct cap_row {
	long cap;
	const char *name;
	const char *why;
};

static const struct cap_row cap_rows[] = {
    {KVM_CAP_SYNC_REGS, "KVM_CAP_SYNC_REGS", "CR state at every exit (bit mask)"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", "kicks"},
    {KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM", "read-only VTL0 pages"},
    {KVM_CAP_NR_MEMSLOTS, "KVM_CAP_NR_MEMSLOTS", "memslots per VM"},
    {KVM_CAP_X86_USER_SPACE_MSR, "KVM_CAP_X86_USER_SPACE_MSR", "MSR exits to userspace"},
    {KVM_CAP_X86_MSR_FILTER, "KVM_CAP_X86_MSR_FILTER", "MSR pinning"},
    {KVM_CAP_SET_GUEST_DEBUG, "KVM_CAP_SET_GUEST_DEBUG", "CR-write site breakpoints"},
    {KVM_CAP_EXCEPTION_PAYLOAD, "KVM_CAP_EXCEPTION_PAYLOAD", "precise #PF injection"},
    {KVM_CAP_DISABLE_QUIRKS2, "KVM_CAP_DISABLE_QUIRKS2", "quirks that can be disabled"},
    {KVM_CAP_MEMORY_ATTRIBUTES, "KVM_CAP_MEMORY_ATTRIBUTES", "RWX attributes (exec protection)"},
    {KVM_CAP_USER_MEMORY2, "KVM_CAP_USER_MEMORY2", "memslots v2"},
    {KVM_CAP_GUEST_MEMFD, "KVM_CAP_GUEST_MEMFD", "guest_memfd"},
    {KVM_CAP_VM_TYPES, "KVM_CAP_VM_TYPES", "VM types"},
};

/* Bit 3 of KVM_CAP_MEMORY_ATTRIBUTES would be KVM_MEMORY_ATTRIBUTE_NX, which upstream lacks. */
#define CAPS_ATTR_NX (1L << 3)

struct protection_row {
	const char *name;
	const char *mechanism;
	uint64_t feature;
	long cap;     /* 0: needs nothing beyond the base requirements */
	long cap_min; /* value bits the cap must have */
	bool implemented;
	const char *strength;
	const char *const *notes; /* NULL, or more lines on what the strength means */
};

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
static const struct protection_row protection_rows[] = {
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
    {"CR-write sites", "hardware breakpoints (DR0-3), single-step re-arm", VTL_FEAT_CR_SITE_BP,
     KVM_CAP_SET_GUEST_DEBUG, 1, true, "synchronous, at up to 4 declared sites only",
     cr_site_notes},
};

static bool protection_host_can(const struct kvm *kvm, const struct protection_row *row)
{
	if (row->cap < 0)
		return false;
	if (!row->cap)
		return true;
	return (kvm_check_cap(kvm->fd, row->cap) & row->cap_min) == row->cap_min;
}

uint64_t caps_features(const struct kvm *kvm)
{
	uint64_t features = 0;

	for (size_t i = 0; i < sizeof(protection_rows) / sizeof(protection_rows[0]); i++)
		if (protection_rows[i].implemented && protection_host_can(kvm, &protection_rows[i]))
			features |= protection_rows[i].feature;
	return features;
}

int cli_caps(int argc, char **argv)
{
	struct kvm kvm;
	uint64_t features;

	if (argc > 1) {
		fprintf(stderr, "usage: vtlmon caps\n");
		return VTLMON_EXIT_USAGE;
	}
	if (kvm_open(&kvm))
		return VTLMON_EXIT_MONITOR;
	printf("KVM capabilities (this host):\n");
	for (size_t i = 0; i < sizeof(cap_rows) / sizeof(cap_rows[0]); i++)
		printf("  %-28s %8ld  %s\n", cap_rows[i].name,
		       kvm_check_cap(kvm.fd, cap_rows[i].cap), cap_rows[i].why);
	printf("\nProtections:\n");
	printf("  %-30s %-5s %-11s %s\n", "protection", "host", "vtlmon", "strength / mechanism");
	for (size_t i = 0; i < sizeof(protection_rows) / sizeof(protection_rows[0]); i++) {
		const struct protection_row *row = &protection_rows[i];
		bool host = protection_host_can(&kvm, row);

		printf("  %-30s %-5s %-11s %s\n  %-30s %-5s %-11s via %s\n", row->name,
		       host ? "yes" : "no",
		       row->implemented ? (host ? "enforced" : "unavailable") : "not yet",
		       row->strength, "", "", "", row->mechanism);
		for (const char *const *n = row->notes; n && *n; n++)
			printf("  %-30s %-5s %-11s %s\n", "", "", "", *n);
	}
	features = caps_features(&kvm);
	printf("\nFEATURES register value reported to guests: %#llx\n",
	       (unsigned long long)features);
	kvm_close(&kvm);
	return 0;
}
