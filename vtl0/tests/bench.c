/* Benchmark guest embedded in `vtlmon bench`: bare MMIO exits, NOP VTL calls, PROTECT pairs. */
#include "vtl0.h"
#include "vtl1_abi.h"
#include "vtl_bench.h"

#define BENCH_N 2000

static struct vtl_call_block bench_blk __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));

static void bench_protect(struct vtl_call_block *b, uint64_t gpa, uint64_t perms)
{
	uint32_t st;

	b->args[0] = gpa;
	b->args[2] = perms;
	st = vtl_call(b);
	if (st != VTL_OK)
		vtl_ucall_fail(__FILE__, __LINE__, "PROTECT failed (args: gpa, status)", gpa, st);
}

/* The timed loop: the same two calls each time, so every pair makes the same slot changes. */
static void bench_pairs(struct vtl_call_block *b, uint32_t id, uint64_t gpa, uint32_t pairs)
{
	GUEST_BENCH_BEGIN(id, pairs);
	for (uint32_t i = pairs; i; i--) {
		bench_protect(b, gpa, VTL_PERM_R);
		bench_protect(b, gpa, VTL_PERM_R | VTL_PERM_W | VTL_PERM_X);
	}
	GUEST_BENCH_END(id);
}

static void bench_protect_figure(const struct vtl_boot_info *bi, const struct bpr_module *bm)
{
	struct vtl_call_block *b = &bench_blk;
	uint32_t ranges = bm->ranges, pairs = bm->pairs;
	uint64_t base = bm->range_base, end = base + (uint64_t)ranges * VTL_PAGE_SIZE;
	uint64_t top = bi->vtl0_ram_size - VTL_PAGE_SIZE;

	/* The host sized RAM for this; a wrong module fails here, not in a wild PROTECT. */
	GUEST_ASSERT(ranges >= 1 && ranges <= BPR_MAX_RANGES && pairs >= 1);
	GUEST_ASSERT(end + VTL_LARGE_PAGE_SIZE + VTL_PAGE_SIZE <= top);
	b->nr = VTL_CALL_PROTECT;
	b->args[1] = 1;
	for (uint32_t i = 0; i < ranges; i++)
		bench_protect(b, base + (uint64_t)i * VTL_PAGE_SIZE, i & 1 ? 0 : VTL_PERM_R);
	bench_protect(b, end + VTL_LARGE_PAGE_SIZE, 0);
	bench_pairs(b, BPR_ID_ABOVE, top, pairs);
	bench_pairs(b, BPR_ID_BELOW, BPR_PAGE_BELOW, pairs);
	bench_pairs(b, BPR_ID_SMALL_REGION, end + VTL_LARGE_PAGE_SIZE / 2, pairs);
}

/* ---- NOP calls on every vCPU at once (--cpus N > 1) ---- */

static struct vtl_call_block bench_smp_blk[VTL_MAX_CPUS]
    __attribute__((aligned(VTL_CALL_BLOCK_ALIGN)));
static volatile uint32_t bench_smp_go, bench_smp_ready, bench_smp_done;

/* The same loop as the single-vCPU one, on this vCPU's own block. */
static void bench_smp_calls(uint32_t cpu)
{
	struct vtl_call_block *b = &bench_smp_blk[cpu];

	b->nr = VTL_CALL_NOP;
	for (unsigned int i = BENCH_N; i; i--)
		vtl_call(b);
	if (b->status != VTL_OK)
		vtl_ucall_fail(__FILE__, __LINE__, "NOP failed (args: cpu, status)", cpu,
			       b->status);
}

static void bench_smp_secondary(void *arg)
{
	uint32_t cpu = (uint32_t)(uintptr_t)arg;

	__atomic_fetch_add(&bench_smp_ready, 1, __ATOMIC_SEQ_CST);
	while (!bench_smp_go)
		__asm__ volatile("pause" ::: "memory");
	bench_smp_calls(cpu);
	__atomic_fetch_add(&bench_smp_done, 1, __ATOMIC_SEQ_CST);
}

static void bench_smp_figure(uint32_t n)
{
	for (uint32_t cpu = 1; cpu < n; cpu++)
		GUEST_ASSERT_EQ(vtl0_cpu_start(cpu, bench_smp_secondary, (void *)(uintptr_t)cpu),
				VTL_OK);
	while (bench_smp_ready != n - 1)
		__asm__ volatile("pause" ::: "memory");
	GUEST_BENCH_BEGIN(BENCH_ID_SMPCALL, (uint64_t)n * BENCH_N);
	bench_smp_go = 1;
	bench_smp_calls(0);
	while (bench_smp_done != n - 1)
		__asm__ volatile("pause" ::: "memory");
	GUEST_BENCH_END(BENCH_ID_SMPCALL);
}

/* Both loops are the same three instructions (store, decrement, branch): only the exit differs. */
int vtl0_main(const struct vtl_boot_info *bi)
{
	const struct bpr_module *bm = vtl_module_by_magic(bi, BPR_MAGIC, sizeof(*bm));
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

	if (bm)
		bench_protect_figure(bi, bm);
	if (bi->nr_vcpus > 1)
		bench_smp_figure(bi->nr_vcpus);
	vtl_shutdown(0);
}
