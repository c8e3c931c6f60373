/* VTL1 kernel internals: address conversions and the entry point called from start.S. */
#ifndef VTL1_H
#define VTL1_H

#include <stdint.h>

#include "vtl_boot.h"
#include "vtl_layout.h"

/* VTL1's own RAM: GPA VTL1_PRIV_GPA + x is seen at VA VTL1_KERNEL_VA + x. */
static inline uint64_t vtl1_gpa(const void *va)
{
	return (uint64_t)(uintptr_t)va - VTL1_KERNEL_VA + VTL1_PRIV_GPA;
}

static inline void *vtl1_va(uint64_t gpa)
{
	return (void *)(uintptr_t)(gpa - VTL1_PRIV_GPA + VTL1_KERNEL_VA);
}

__attribute__((noreturn)) void vtl1_main(const struct vtl_boot_info *bi);

#endif
