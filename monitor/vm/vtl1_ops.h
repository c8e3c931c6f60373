/* VTL1's op lists: copied once, checked whole, then each op applied (the monitor's side of the
 * ABI). */
#ifndef MONITOR_VM_VTL1_OPS_H
#define MONITOR_VM_VTL1_OPS_H

#include <stdbool.h>
#include <stdint.h>

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

/*
 * VTL1 wrote the GPA of an op list. Returns true when a terminal op ended the
 * entry (out is filled), false to resume VTL1 with the results written back.
 */
bool vtl1_ops_run_list(struct vcpu_pair *p, uint64_t list_gpa, struct vtl1_outcome *out);

#endif
