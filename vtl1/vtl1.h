/* Every VTL1 module header in one, for host-side harnesses (tests/fuzz/); vtl1/ never uses it. */
#ifndef VTL1_H
#define VTL1_H

/*
 * VTL1's own files include the module headers they need, in the module
 * order below; this header sits above all of them. Host-side code that
 * drives VTL1's handlers (tests/fuzz/fuzz_vtl1.c) sees the whole internal
 * API through it.
 */
/*
 * vtl1/ modules, lowest first: addr < oplist < pages < state < kexec < calls <
 * intercept < policy_apply < main. A file includes only the vtl1 headers below
 * its own (docs/architecture.md, "VTL1 (vtl1/) and the policy").
 */

#include "vtl1/addr.h"
#include "vtl1/calls.h"
#include "vtl1/intercept.h"
#include "vtl1/kexec.h"
#include "vtl1/main.h"
#include "vtl1/oplist.h"
#include "vtl1/pages.h"
#include "vtl1/policy_apply.h"
#include "vtl1/state.h"

#endif
