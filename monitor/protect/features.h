/* What this host can enforce: one table behind the FEATURES bits and `vtlmon caps`. */
#ifndef MONITOR_PROTECT_FEATURES_H
#define MONITOR_PROTECT_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/kvm/kvm.h"

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

/* The protections vtlmon knows, honest about each (docs/architecture.md, "Enforcement"). */
const struct protection_row *features_rows(size_t *n);
/* Does this host offer what the row needs? */
bool features_host_can(const struct kvm *kvm, const struct protection_row *row);
/*
 * The VTL_FEAT_* bits that are both possible on this host and implemented by
 * this build: what the FEATURES register tells both VTLs. The same table
 * backs `vtlmon caps`, so the two can never disagree.
 */
uint64_t features_of_host(const struct kvm *kvm);

#endif
