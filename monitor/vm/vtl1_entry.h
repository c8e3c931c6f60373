/* Entering VTL1: its inbox, its run until it answers, and the BOOT entry of a secure launch. */
#ifndef MONITOR_VM_VTL1_ENTRY_H
#define MONITOR_VM_VTL1_ENTRY_H

#include <stdint.h>

#include "monitor/vm/machine.h"
#include "monitor/vm/vtl1_ops.h"
#include "vtl1_abi.h"

/* A fresh entry message in VTL1's inbox for this reason; the caller fills the rest. */
struct vtl1_entry *vtl1_entry_inbox(struct vcpu_pair *p, uint32_t reason);
/*
 * Runs VTL1's vCPU on the message already in its inbox until VTL1 ends the
 * entry. Anything VTL1 does outside the protocol ends the run (fail closed).
 */
void vtl1_entry_run(struct vcpu_pair *p, struct vtl1_outcome *out);
/*
 * Secure launch: VTL1 handles a BOOT entry (launch, or the start of a
 * kexec'd kernel) before VTL0 executes anything. Returns 0, or -1 when the
 * run has ended (VTL1 refused to boot VTL0, or failed).
 */
int vtl1_entry_boot(struct vcpu_pair *p, uint32_t kind);

#endif
