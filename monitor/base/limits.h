/* The monitor's size limits and defaults, each in one place (the ABI's own are in include/). */
#ifndef MONITOR_BASE_LIMITS_H
#define MONITOR_BASE_LIMITS_H

#include "hypercalls/ops.h"

/* Largest image or module file vtlmon reads, and largest kexec image it stages. */
#define VTLMON_IMAGE_MAX OPS_VTL0_RANGE_MAX

/* `vtlmon run` without --mem / --vtl1-mem: the demo and the tests need no more. */
#define VTLMON_DEFAULT_VTL0_MEM (32ULL << 20)
#define VTLMON_DEFAULT_VTL1_MEM (8ULL << 20)

#endif
