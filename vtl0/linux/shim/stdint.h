/* Kernel-build shim: the vtlmon ABI headers include <stdint.h>; the kernel has the types in
 * linux/types.h. */
#ifndef VTLMON_SHIM_STDINT_H
#define VTLMON_SHIM_STDINT_H
#include <linux/types.h>
#endif
