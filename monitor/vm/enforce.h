/* Enforcement: VTL0 exits that touch a protection become intercepts VTL1 decides; outcomes applied.
 */
#ifndef MONITOR_VM_ENFORCE_H
#define MONITOR_VM_ENFORCE_H

#include <stdbool.h>

#include "monitor/kvm/exit.h"
#include "monitor/vm/machine.h"
#include "vtl1_abi.h"

/* Every VTL0 exit ends with the CR pin check: CR writes never exit (KVM-HOST-NOTES). */
void enforce_check_cr(struct vcpu_pair *p);
/* Does VTL0's current CR0/CR4 break a pin? Fills the intercept that would describe it. */
bool enforce_cr_violated(struct vcpu_pair *p, struct vtl1_intercept *ic);
/*
 * A violation that the exit's own handling overtook (kexec replaced the
 * kernel before the check): recorded, decided by no one, delivered nowhere.
 */
void enforce_report_replaced(struct vcpu_pair *p, const struct vtl1_intercept *ic);
void enforce_msr(struct vcpu_pair *p, const struct vexit *x);
void enforce_debug(struct vcpu_pair *p, const struct vexit *x);
/* After a step over a CR-write site: the sites' breakpoints back in place (any exit). */
void enforce_rearm_sites(struct vcpu_pair *p);

#endif
