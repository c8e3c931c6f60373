/* `vtlmon caps`: the KVM capabilities that matter, and which protections this host enforces. */
#ifndef MONITOR_CAPS_H
#define MONITOR_CAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CAPS_NR_KVM   13U /* the KVM_CHECK_EXTENSION rows shown (caps.c's table) */
#define CAPS_MAX_ROWS 32U /* protection rows (features_rows()) */

/* What `caps` read off the host, so that printing it is pure (and unit-tested). */
struct caps_report {
	long kvm_cap[CAPS_NR_KVM];
	bool host_can[CAPS_MAX_ROWS]; /* by features_rows() index */
	uint64_t features;
};

void caps_print_text(FILE *f, const struct caps_report *r);
/* One JSON object on one line: version, kvm_caps, protections[], features. */
void caps_print_json(FILE *f, const struct caps_report *r);

/* argv[0] is "caps". Returns a VTLMON_EXIT_* status. */
int cli_caps(int argc, char **argv);

#endif
