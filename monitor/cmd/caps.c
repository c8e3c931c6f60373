/* `vtlmon caps`: the KVM capabilities that matter, and which protections this host enforces. */
#include "monitor/cmd/caps.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "monitor/protect/features.h"
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

int cli_caps(int argc, char **argv)
{
	const struct protection_row *rows;
	struct kvm kvm;
	uint64_t features;
	size_t nrows;

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
	rows = features_rows(&nrows);
	for (size_t i = 0; i < nrows; i++) {
		const struct protection_row *row = &rows[i];
		bool host = features_host_can(&kvm, row);

		printf("  %-30s %-5s %-11s %s\n  %-30s %-5s %-11s via %s\n", row->name,
		       host ? "yes" : "no",
		       row->implemented ? (host ? "enforced" : "unavailable") : "not yet",
		       row->strength, "", "", "", row->mechanism);
		for (const char *const *n = row->notes; n && *n; n++)
			printf("  %-30s %-5s %-11s %s\n", "", "", "", *n);
	}
	features = features_of_host(&kvm);
	printf("\nFEATURES register value reported to guests: %#llx\n",
	       (unsigned long long)features);
	kvm_close(&kvm);
	return 0;
}
