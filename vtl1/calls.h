/* CALL entries: VTL0's requests (PROTECT, pins, END_OF_BOOT, kexec) decided under the policy. */
#ifndef VTL1_CALLS_H
#define VTL1_CALLS_H

#include <stdint.h>

#include "vtl_call.h"

/*
 * vtl1/ modules, lowest first: addr < oplist < pages < state < kexec < calls <
 * intercept < policy_apply < main. A file includes only the vtl1 headers below
 * its own (docs/architecture.md, "VTL1 (vtl1/) and the policy").
 */

uint64_t vtl1_on_call(const struct vtl_call_block *c);
/* VTL0's own requests (its pins and END_OF_BOOT) are forgotten: a kexec'd kernel starts bare. */
void vtl1_calls_reset(void);

#endif
