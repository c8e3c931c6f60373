/* VTL0 device client: the shared call block, the call helpers and shutdown. */
#include "device.h"

#include "cpu.h"

static struct vtl_call_block vtl_call_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

/* flags and reserved are never written (the monitor leaves them), so they stay 0. */
uint32_t vtl_call0(uint32_t nr)
{
	vtl_call_blk.nr = nr;
	return vtl_call(&vtl_call_blk);
}

uint32_t vtl_call2(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t *r0, uint64_t *r1)
{
	struct vtl_call_block *b = &vtl_call_blk;
	uint32_t status;

	b->nr = nr;
	b->args[0] = a0;
	b->args[1] = a1;
	status = vtl_call(b);
	if (r0)
		*r0 = b->results[0];
	if (r1)
		*r1 = b->results[1];
	return status;
}

void vtl_shutdown(uint32_t code)
{
	vtl_device_write32(VTL0_REG_SHUTDOWN, code);
	/* The run is over; should the monitor resume us anyway, never return. */
	for (;;)
		hlt();
}
