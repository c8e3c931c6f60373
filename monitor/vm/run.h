/* A run: start-up in order (events, KVM, RAM, VMs, policy, images), the pairs, the end and
 * teardown. */
#ifndef MONITOR_VM_RUN_H
#define MONITOR_VM_RUN_H

#include "monitor/vm/machine.h"

/* Returns 0, or the process exit status explaining why the machine could not be built. */
int machine_init(struct machine *m, const struct machine_config *cfg);
/* Secure launch and run to the end; returns the process exit status. */
int machine_run(struct machine *m);
void machine_destroy(struct machine *m);

#endif
