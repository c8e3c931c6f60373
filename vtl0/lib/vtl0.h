/* The VTL0 runtime in one include: device client, ucalls, console and formatter. */
#ifndef VTL0_H
#define VTL0_H

#include <stdint.h>

#include "console.h"
#include "device.h"
#include "fmt.h"
#include "gl_string.h"
#include "smp.h"
#include "ucall.h"
#include "vtl_boot.h"

/*
 * The first --module of at least `size` bytes that starts with the 64-bit
 * `magic`, or NULL: how the bench guests take their parameters
 * (include/vtl_bench.h).
 */
static inline const void *vtl_module_by_magic(const struct vtl_boot_info *bi, uint64_t magic,
					      uint64_t size)
{
	for (uint32_t i = 0; i < bi->nr_mem && i < VTL_BOOT_MAX_MEM; i++) {
		const struct vtl_mem_range *r = &bi->mem[i];

		if (r->type == VTL_MEM_MODULE && r->size >= size && size >= sizeof(uint64_t) &&
		    *(const uint64_t *)(uintptr_t)r->base == magic)
			return (const void *)(uintptr_t)r->base;
	}
	return 0;
}

/* Called by _start with the monitor's boot info; its return value becomes the exit code. */
int vtl0_main(const struct vtl_boot_info *bi);

#endif
