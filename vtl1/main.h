/* VTL1's C entry point (called by start.S): boot checks, then the loop that answers the monitor. */
#ifndef VTL1_MAIN_H
#define VTL1_MAIN_H

#include <stdint.h>

#include "vtl_boot.h"

/*
 * vtl1/ modules, lowest first: addr < oplist < pages < state < kexec < calls <
 * intercept < policy_apply < main. A file includes only the vtl1 headers below
 * its own (docs/architecture.md, "VTL1 (vtl1/) and the policy").
 */

/* vcpu: RSI at entry, the index of this vCPU (start.S, vtl_boot.h). */
__attribute__((noreturn)) void vtl1_main(const struct vtl_boot_info *bi, uint64_t vcpu);

#endif
