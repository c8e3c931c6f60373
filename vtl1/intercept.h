/* INTERCEPT entries: VTL0 broke a protection; answer with the policy's action for its class. */
#ifndef VTL1_INTERCEPT_H
#define VTL1_INTERCEPT_H

#include <stdint.h>

#include "vtl1_abi.h"

/*
 * vtl1/ modules, lowest first: addr < oplist < pages < state < kexec < calls <
 * intercept < policy_apply < main. A file includes only the vtl1 headers below
 * its own (docs/architecture.md, "VTL1 (vtl1/) and the policy").
 */

uint64_t vtl1_on_intercept(const struct vtl1_intercept *ic);

#endif
