/* Enforcement of VTL0 page permissions: permission exits, wide accesses and fetches, precisely or
 * honestly. */
#ifndef MONITOR_VM_ENFORCE_MEM_H
#define MONITOR_VM_ENFORCE_MEM_H

#include "monitor/kvm/exit.h"
#include "monitor/vm/machine.h"

/* A VTL0 MMIO exit inside VTL0 RAM: a permission exit (or a race with an update). */
void enforce_mem_access(struct vcpu_pair *p, const struct vexit *x);
/*
 * INTERNAL_ERROR: a fetch from (or straddling into) a no-access page, an
 * access KVM cannot emulate to a protected page, or a real VTL0 crash.
 */
void enforce_internal_error(struct vcpu_pair *p, const struct vexit *x);

#endif
