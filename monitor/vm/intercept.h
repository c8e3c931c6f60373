/* Intercepts: VTL1 decides a violation, the monitor reports it and delivers the exception. */
#ifndef MONITOR_VM_INTERCEPT_H
#define MONITOR_VM_INTERCEPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/vm/machine.h"
#include "vtl1_abi.h"

/* The "kind" field of violation events, by enum vtl1_intercept_kind. */
const char *intercept_kind_name(uint32_t kind);
/* The instruction bytes at `va` (with VTL0's rights) into the intercept. */
void intercept_fill_insn(struct vcpu_pair *p, struct vtl1_intercept *ic, uint64_t va, size_t len);
/* A pending exception for VTL0 (#PF with CR2 as payload); one per exit, never two (#DF). */
int intercept_inject(struct vcpu_pair *p, uint32_t vector, uint32_t error_code, uint64_t cr2);
/* intercept_inject(), and the run ends (monitor error) if KVM refuses. */
void intercept_inject_or_end(struct vcpu_pair *p, const struct intercept_outcome *oc);
/*
 * Runs VTL1 on an INTERCEPT entry. Returns the outcome op, or 0 when the run
 * has ended (VTL1 killed VTL0, or faulted). No outcome at all is a kill.
 */
uint32_t intercept_run(struct vcpu_pair *p, const struct vtl1_intercept *ic,
		       struct intercept_outcome *oc);
/* The `violation` event (and a debug line); `note` may be NULL. */
void intercept_report(struct vcpu_pair *p, const struct vtl1_intercept *ic, uint32_t op,
		      const char *note);
/*
 * "mem_write: deny 3, kill 1; cr: restore 2": the run's violations by kind and
 * decision, for the operator at exit. False (and "") when there were none.
 */
bool intercept_summary(struct machine *m, char *buf, size_t cap);
/* intercept_run() then intercept_report(): returns VTL1's outcome op (0: the run ended). */
uint32_t intercept_decide(struct vcpu_pair *p, const struct vtl1_intercept *ic,
			  struct intercept_outcome *oc);

#endif
