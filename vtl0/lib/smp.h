/* VTL0 secondary vCPUs: which vCPU runs, and starting one through the device (CPU_START). */
#ifndef VTL0_SMP_H
#define VTL0_SMP_H

#include <stdint.h>

#include "vtl_layout.h"

/* Each secondary's stack (the boot vCPU keeps the monitor's boot stack). */
#define VTL0_CPU_STACK_SIZE 0x4000U

/*
 * The index of the running vCPU: 0 on the boot stack, otherwise the one
 * whose stack (vtl0_cpu_start) RSP is in. No exit: it reads RSP only.
 */
uint32_t vtl0_cpu(void);

/*
 * Starts vCPU `cpu` (1..nr_vcpus-1) at fn(arg) on its own stack. If fn
 * returns, the vCPU spins (without an interrupt controller HLT would end
 * the run). Returns the device's status for CPU_START (vtl_device.h).
 */
uint32_t vtl0_cpu_start(uint32_t cpu, void (*fn)(void *), void *arg);

#endif
