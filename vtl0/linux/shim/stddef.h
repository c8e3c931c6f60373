/* Kernel-build shim: the vtlmon ABI headers include <stddef.h>; the kernel has offsetof in
 * linux/stddef.h. */
#ifndef VTLMON_SHIM_STDDEF_H
#define VTLMON_SHIM_STDDEF_H
#include <linux/stddef.h>
#include <linux/types.h>
#endif
