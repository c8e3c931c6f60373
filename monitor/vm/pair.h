/* Internal interface between the pair loop (pair.c) and enforcement (enforce.c). */
#ifndef MONITOR_PAIR_H
#define MONITOR_PAIR_H

#include <stdbool.h>

#include "monitor/kvm/exit.h"
#include "monitor/vm/machine.h"

enum vtl1_outcome_kind {
	VTL1_OUT_RETURN, /* VTL1 ended the entry with RETURN */
	VTL1_OUT_STOP,	 /* the run ended (KILL, fault, timeout): VTL0 must not resume */
	VTL1_OUT_RESET,	 /* VTL1 asked for a reset: VTL0 must not resume its old state */
	VTL1_OUT_KEXEC,	 /* VTL1 committed a kexec: VTL0's new kernel is loaded */
};

struct vtl1_outcome {
	enum vtl1_outcome_kind kind;
	uint32_t status;
	uint64_t results[2];
};

struct vtl1_entry *pair_inbox(struct vcpu_pair *p, uint32_t reason);
void pair_enter_vtl1(struct vcpu_pair *p, struct vtl1_outcome *out);

/* enforce.c: every VTL0 exit ends with the CR pin check. */
void enforce_check_cr(struct vcpu_pair *p);
/* Does VTL0's current CR0/CR4 break a pin? Fills the intercept that would describe it. */
bool enforce_cr_violated(struct vcpu_pair *p, struct vtl1_intercept *ic);
/*
 * A violation that the exit's own handling overtook (kexec replaced the
 * kernel before the check): recorded, decided by no one, delivered nowhere.
 */
void enforce_report_replaced(struct vcpu_pair *p, const struct vtl1_intercept *ic);
/* A VTL0 MMIO exit inside VTL0 RAM: a permission exit (or a race with an update). */
void enforce_mem_access(struct vcpu_pair *p, const struct vexit *x);
/* INTERNAL_ERROR: a fetch from a no-access page, or a real VTL0 crash. */
void enforce_internal_error(struct vcpu_pair *p, const struct vexit *x);
void enforce_msr(struct vcpu_pair *p, const struct vexit *x);
void enforce_debug(struct vcpu_pair *p, const struct vexit *x);
/* After a step over a CR-write site: the sites' breakpoints back in place (any exit). */
void enforce_rearm_sites(struct vcpu_pair *p);

#endif
