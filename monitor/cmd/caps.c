/* `vtlmon caps`: the KVM capabilities that matter, and which protections this host enforces. */
#include "monitor/cmd/caps.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "monitor/protect/features.h"
#include "monitor/base/events.h"
#include "monitor/base/exitcodes.h"
#include "monitor/base/version.h"
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
_Static_assert(sizeof(cap_rows) / sizeof(cap_rows[0]) == CAPS_NR_KVM, "one value per row");

/* What vtlmon does with a protection on this host: the `vtlmon` column and JSON `status`. */
static const char *caps_status(const struct protection_row *row, bool host)
{
	return row->implemented ? (host ? "enforced" : "unavailable") : "not yet";
}

void caps_print_text(FILE *f, const struct caps_report *r)
{
	const struct protection_row *rows;
	size_t nrows;

	fprintf(f, "KVM capabilities (this host):\n");
	for (size_t i = 0; i < CAPS_NR_KVM; i++)
		fprintf(f, "  %-28s %8ld  %s\n", cap_rows[i].name, r->kvm_cap[i], cap_rows[i].why);
	fprintf(f, "\nProtections:\n");
	fprintf(f, "  %-30s %-5s %-11s %s\n", "protection", "host", "vtlmon",
		"strength / mechanism");
	rows = features_rows(&nrows);
	for (size_t i = 0; i < nrows && i < CAPS_MAX_ROWS; i++) {
		const struct protection_row *row = &rows[i];

		fprintf(f, "  %-30s %-5s %-11s %s\n  %-30s %-5s %-11s via %s\n", row->name,
			r->host_can[i] ? "yes" : "no", caps_status(row, r->host_can[i]),
			row->strength, "", "", "", row->mechanism);
		for (const char *const *n = row->notes; n && *n; n++)
			fprintf(f, "  %-30s %-5s %-11s %s\n", "", "", "", *n);
	}
	fprintf(f, "\nFEATURES register value reported to guests: %#llx\n",
		(unsigned long long)r->features);
}

void caps_print_json(FILE *f, const struct caps_report *r)
{
	const struct protection_row *rows;
	size_t nrows;

	fprintf(f, "{\"version\":");
	json_put_str(f, VTLMON_VERSION);
	fprintf(f, ",\"kvm_caps\":{");
	for (size_t i = 0; i < CAPS_NR_KVM; i++) {
		fprintf(f, "%s", i ? "," : "");
		json_put_str(f, cap_rows[i].name);
		fprintf(f, ":%ld", r->kvm_cap[i]);
	}
	fprintf(f, "},\"protections\":[");
	rows = features_rows(&nrows);
	for (size_t i = 0; i < nrows && i < CAPS_MAX_ROWS; i++) {
		const struct protection_row *row = &rows[i];

		fprintf(f, "%s{\"name\":", i ? "," : "");
		json_put_str(f, row->name);
		fprintf(f, ",\"host\":%s,\"status\":", r->host_can[i] ? "true" : "false");
		json_put_str(f, caps_status(row, r->host_can[i]));
		fprintf(f, ",\"strength\":");
		json_put_str(f, row->strength);
		fprintf(f, ",\"mechanism\":");
		json_put_str(f, row->mechanism);
		fprintf(f, ",\"feature\":\"%#llx\",\"notes\":[", (unsigned long long)row->feature);
		for (const char *const *n = row->notes; n && *n; n++) {
			fprintf(f, "%s", n != row->notes ? "," : "");
			json_put_str(f, *n);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "],\"features\":\"%#llx\"}\n", (unsigned long long)r->features);
}

int cli_caps(int argc, char **argv)
{
	const struct protection_row *rows;
	struct caps_report r;
	struct kvm kvm;
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	size_t nrows;

	if (argc > 2 || (argc == 2 && !json)) {
		fprintf(stderr, "usage: vtlmon caps [--json]\n");
		return VTLMON_EXIT_USAGE;
	}
	if (kvm_open(&kvm))
		return VTLMON_EXIT_MONITOR;
	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < CAPS_NR_KVM; i++)
		r.kvm_cap[i] = kvm_check_cap(kvm.fd, cap_rows[i].cap);
	rows = features_rows(&nrows);
	for (size_t i = 0; i < nrows && i < CAPS_MAX_ROWS; i++)
		r.host_can[i] = features_host_can(&kvm, &rows[i]);
	r.features = features_of_host(&kvm);
	kvm_close(&kvm);
	if (json)
		caps_print_json(stdout, &r);
	else
		caps_print_text(stdout, &r);
	return 0;
}
