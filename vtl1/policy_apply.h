/* The BOOT entry (launch, or a kexec'd kernel): compile the policy, apply its boot protections. */
#ifndef VTL1_POLICY_APPLY_H
#define VTL1_POLICY_APPLY_H

#include <stdint.h>

/*
 * vtl1/ modules, lowest first: addr < oplist < pages < state < kexec < calls <
 * intercept < policy_apply < main. A file includes only the vtl1 headers below
 * its own (docs/architecture.md, "VTL1 (vtl1/) and the policy").
 */

/* boot_kind is the entry's enum vtl1_boot_kind: a launch, or the start of a kexec'd kernel. */
uint64_t vtl1_on_boot(uint32_t boot_kind);

#endif
