/* VTL0 device client: the per-vCPU call blocks, the call helpers and shutdown. */
#include "device.h"

#include "cpu.h"
#include "smp.h"

/*
 * One block per vCPU, so that vCPUs may call at once. flags, reserved and
 * args[3] are never written (the monitor leaves them), so they stay 0.
 */
static struct vtl_call_block vtl_call_blks[VTL_MAX_CPUS]
    __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

/* The preset status makes a missing write-back visible (see VTL_CALL_STATUS_UNSET). */
static uint32_t vtl_call_blk_run(struct vtl_call_block *b)
{
	b->status = VTL_CALL_STATUS_UNSET;
	return vtl_call(b);
}

uint32_t vtl_call0(uint32_t nr)
{
	struct vtl_call_block *b = &vtl_call_blks[vtl0_cpu()];

	b->nr = nr;
	return vtl_call_blk_run(b);
}

uint32_t vtl_call2(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t *r0, uint64_t *r1)
{
	struct vtl_call_block *b = &vtl_call_blks[vtl0_cpu()];
	uint32_t status;

	b->nr = nr;
	b->args[0] = a0;
	b->args[1] = a1;
	status = vtl_call_blk_run(b);
	if (r0)
		*r0 = b->results[0];
	if (r1)
		*r1 = b->results[1];
	return status;
}

uint32_t vtl_call3(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct vtl_call_block *b = &vtl_call_blks[vtl0_cpu()];

	b->nr = nr;
	b->args[0] = a0;
	b->args[1] = a1;
	b->args[2] = a2;
	return vtl_call_blk_run(b);
}

void vtl_shutdown(uint32_t code)
{
	vtl_device_write32(VTL0_REG_SHUTDOWN, code);
	/* The run is over; should the monitor resume us anyway, never return. */
	for (;;)
		hlt();
}
