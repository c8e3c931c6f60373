/* Benchmark guest embedded in `vtlmon bench`: bare MMIO exits, then NOP VTL calls. */
#include "vtl0.h"

#define BENCH_N		 2000
#define BENCH_ID_EXIT	 1 /* the baseline: one MMIO write exit, no VTL switch */
#define BENCH_ID_NOPCALL 2

static struct vtl_call_block bench_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

/* Both loops are the same three instructions (store, decrement, branch): only the exit differs. */
int vtl0_main(const struct vtl_boot_info *bi)
{
	struct vtl_call_block *b = &bench_blk;

	GUEST_BENCH_BEGIN(BENCH_ID_EXIT, BENCH_N);
	for (unsigned int i = BENCH_N; i; i--)
		vtl_device_write64(VTL0_REG_NULL, 0);
	GUEST_BENCH_END(BENCH_ID_EXIT);

	b->nr = VTL_CALL_NOP;
	b->status = ~0U; /* proves the monitor wrote a status back */
	GUEST_BENCH_BEGIN(BENCH_ID_NOPCALL, BENCH_N);
	for (unsigned int i = BENCH_N; i; i--)
		vtl_call(b);
	GUEST_BENCH_END(BENCH_ID_NOPCALL);
	GUEST_ASSERT_EQ(b->status, VTL_OK);

	vtl_shutdown(0);
}
