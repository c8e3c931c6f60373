/* What the BOOT entry established and every handler reads: boot info, compiled policy, features. */
#ifndef VTL1_STATE_H
#define VTL1_STATE_H

#include <stdint.h>

#include "policy/policy.h"
#include "vtl_boot.h"

/*
 * vtl1/ modules, lowest first: addr < oplist < pages < state < kexec < calls <
 * intercept < policy_apply < main. A file includes only the vtl1 headers below
 * its own (docs/architecture.md, "VTL1 (vtl1/) and the policy").
 */

/*
 * Kept apart from the BOOT handler (policy_apply.c) that fills them in, so
 * that the call, intercept and kexec handlers can read them without
 * depending on it.
 */
extern const struct vtl_boot_info *vtl1_boot; /* set by vtl1_main() before the first entry */
extern struct policy vtl1_policy;	      /* compiled at launch, kept across kexec */
extern uint64_t vtl1_features;		      /* VTL_FEAT_* read from the control device */

#endif
