/* Test guest (--cpus N): start every secondary, each makes VTL calls at once; CPU_START abuse. */
#include "vtl0.h"

#define SMP_CALLS 200

static volatile uint32_t smp_done[VTL_MAX_CPUS];
static volatile uint32_t smp_index[VTL_MAX_CPUS];
static struct vtl_cpu_start smp_blk __attribute__((aligned(8)));

static void smp_secondary(void *arg)
{
	uint32_t cpu = (uint32_t)(uintptr_t)arg;
	uint64_t r0 = 0, r1 = 0;

	smp_index[cpu] = vtl_device_read32(VTL0_REG_VCPU);
	for (int i = 0; i < SMP_CALLS; i++) {
		/* Each vCPU's own block: values that must come back to this vCPU only. */
		if (vtl_call2(VTL_CALL_ECHO, cpu * 1000ULL + (uint64_t)i, ~(uint64_t)cpu, &r0,
			      &r1) != VTL_OK ||
		    r0 != cpu * 1000ULL + (uint64_t)i || r1 != ~(uint64_t)cpu) {
			smp_done[cpu] = 2;
			return;
		}
	}
	smp_done[cpu] = 1;
}

static uint32_t smp_start_raw(uint32_t cpu, uint32_t reserved, uint64_t rip, uint64_t rsp)
{
	smp_blk.cpu = cpu;
	smp_blk.reserved = reserved;
	smp_blk.rip = rip;
	smp_blk.rsp = rsp;
	smp_blk.arg = 0;
	vtl_device_write64(VTL0_REG_CPU_START, (uintptr_t)&smp_blk);
	return vtl_device_read32(VTL0_REG_CALL_STATUS);
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint32_t n = bi->nr_vcpus;
	uint64_t r0 = 0, r1 = 0;

	GUEST_ASSERT(n >= 1 && n <= VTL_MAX_CPUS);
	GUEST_ASSERT_EQ(vtl_device_read32(VTL0_REG_VCPU), 0);
	GUEST_ASSERT_EQ(vtl0_cpu(), 0);
	/* Hostile requests first: none may start anything. */
	GUEST_ASSERT_EQ(smp_start_raw(0, 0, 0x100000, 0x200000), VTL_E_INVALID);
	GUEST_ASSERT_EQ(smp_start_raw(n, 0, 0x100000, 0x200000), VTL_E_INVALID);
	GUEST_ASSERT_EQ(smp_start_raw(0xffffffffU, 0, 0x100000, 0x200000), VTL_E_INVALID);
	if (n > 1) {
		GUEST_ASSERT_EQ(smp_start_raw(1, 1, 0x100000, 0x200000), VTL_E_INVALID);
		GUEST_ASSERT_EQ(smp_start_raw(1, 0, 0x0000800000000000ULL, 0x200000),
				VTL_E_INVALID);
		GUEST_ASSERT_EQ(smp_start_raw(1, 0, 0x100000, 0x8000000000000000ULL),
				VTL_E_INVALID);
	}
	/* A block VTL0 cannot read (past RAM), a misaligned one. */
	vtl_device_write64(VTL0_REG_CPU_START, bi->vtl0_ram_size);
	GUEST_ASSERT_EQ(vtl_device_read32(VTL0_REG_CALL_STATUS), VTL_E_BAD_ADDRESS);
	vtl_device_write64(VTL0_REG_CPU_START, (uintptr_t)&smp_blk + 4);
	GUEST_ASSERT_EQ(vtl_device_read32(VTL0_REG_CALL_STATUS), VTL_E_INVALID);
	GUEST_CHECKPOINT_VAL(1, n);

	for (uint32_t cpu = 1; cpu < n; cpu++)
		GUEST_ASSERT_EQ(vtl0_cpu_start(cpu, smp_secondary, (void *)(uintptr_t)cpu), VTL_OK);
	/* Started once only. */
	if (n > 1)
		GUEST_ASSERT_EQ(vtl0_cpu_start(1, smp_secondary, (void *)1), VTL_E_BAD_STATE);
	/* The boot vCPU calls meanwhile, on its own block. */
	for (int i = 0; i < SMP_CALLS; i++) {
		GUEST_ASSERT_EQ(vtl_call2(VTL_CALL_ECHO, 7ULL + (uint64_t)i, 9, &r0, &r1), VTL_OK);
		GUEST_ASSERT_EQ(r0, 7ULL + (uint64_t)i);
	}
	for (uint32_t cpu = 1; cpu < n; cpu++) {
		while (!smp_done[cpu])
			__asm__ volatile("pause" ::: "memory");
		GUEST_ASSERT_EQ(smp_done[cpu], 1);
		GUEST_ASSERT_EQ(smp_index[cpu], cpu);
	}
	GUEST_CHECKPOINT_VAL(2, n);
	GUEST_DONE();
}
