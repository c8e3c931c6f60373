/* VTL1's own RAM as seen from VTL1: the GPA of an object and back (the bottom vtl1 module). */
#ifndef VTL1_ADDR_H
#define VTL1_ADDR_H

#include <stdint.h>

#include "vtl_layout.h"

/*
 * vtl1/ modules, lowest first: addr < oplist < pages < state < kexec < calls <
 * intercept < policy_apply < main. A file includes only the vtl1 headers below
 * its own (docs/architecture.md, "VTL1 (vtl1/) and the policy").
 */

/* VTL1's own RAM: GPA VTL1_PRIV_GPA + x is seen at VA VTL1_KERNEL_VA + x. */
static inline uint64_t vtl1_gpa(const void *va)
{
	return (uint64_t)(uintptr_t)va - VTL1_KERNEL_VA + VTL1_PRIV_GPA;
}

static inline void *vtl1_va(uint64_t gpa)
{
	return (void *)(uintptr_t)(gpa - VTL1_PRIV_GPA + VTL1_KERNEL_VA);
}

#endif
