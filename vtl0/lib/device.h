/* VTL0 device client: register access, shutdown and the VTL call fast path. */
#ifndef VTL0_DEVICE_H
#define VTL0_DEVICE_H

#include <stdint.h>

#include "io.h"
#include "vtl_call.h"
#include "vtl_device.h"
#include "vtl_layout.h"
#include "vtl_status.h"

static inline uint32_t vtl_device_read32(uint32_t off)
{
	return mmio_read32(VTL0_DEVICE_GPA + off);
}

static inline uint64_t vtl_device_read64(uint32_t off)
{
	return mmio_read64(VTL0_DEVICE_GPA + off);
}

static inline void vtl_device_write32(uint32_t off, uint32_t val)
{
	mmio_write32(VTL0_DEVICE_GPA + off, val);
}

static inline void vtl_device_write64(uint32_t off, uint64_t val)
{
	mmio_write64(VTL0_DEVICE_GPA + off, val);
}

/*
 * The whole call is one MMIO write: the monitor runs VTL1 and writes the
 * status back before this vCPU resumes. VTL0 VA == GPA. The asm's memory
 * clobber orders the caller's block stores before the write and forces a
 * fresh load of status after it; callers that ignore the status pay nothing.
 */
static inline uint32_t vtl_call(struct vtl_call_block *b)
{
	vtl_device_write64(VTL0_REG_CALL, (uint64_t)(uintptr_t)b);
	return b->status;
}

/*
 * A status no call returns. The helpers below preset it in their block, so a
 * status the monitor failed to write back reads as this, never as the
 * previous call's.
 */
#define VTL_CALL_STATUS_UNSET 0xffffffffU

/*
 * These use one static block per vCPU (vtl0_cpu()). Arguments a call does
 * not take may hold an earlier call's values: VTL1 reads only the ones each
 * call defines.
 */
uint32_t vtl_call0(uint32_t nr);
uint32_t vtl_call2(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t *r0, uint64_t *r1);
/* For the calls with a third argument: PROTECT, KEXEC_LOAD. */
uint32_t vtl_call3(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2);

static inline uint32_t vtl_protect(uint64_t gpa, uint64_t pages, uint64_t perms)
{
	return vtl_call3(VTL_CALL_PROTECT, gpa, pages, perms);
}

/* Ends the run with `code` as the monitor's exit status (0..63). */
__attribute__((noreturn)) void vtl_shutdown(uint32_t code);

#endif
