/* Scenario kexec image (--cpus 2): only vCPU 0 runs it; the old kernel's secondary is gone. */
#include "../lifecycle.h"

#define HEARTBEAT_GPA (LC_MARKER_GPA + 0x100)
#define SPINS	      20000U

static volatile uint32_t second_up;

static void secondary_up(void *arg)
{
	(void)arg;
	second_up = vtl_device_read32(VTL0_REG_VCPU) + 1;
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *hb = (volatile uint64_t *)(uintptr_t)HEARTBEAT_GPA;
	uint64_t seen = *hb;

	console_puts("smp-kexec-secondary: new kernel\n");
	GUEST_ASSERT_EQ(bi->nr_vcpus, 2);
	GUEST_ASSERT_EQ(vtl_device_read32(VTL0_REG_VCPU), 0);
	GUEST_ASSERT(seen > 0);
	for (volatile unsigned int i = 0; i < SPINS; i++)
		;
	GUEST_ASSERT_EQ(*hb, seen); /* nothing of the old kernel runs */
	GUEST_ASSERT_EQ(vtl0_cpu_start(1, secondary_up, 0), VTL_OK);
	while (!second_up)
		__asm__ volatile("pause" : : : "memory");
	GUEST_ASSERT_EQ(second_up, 2);
	GUEST_DONE();
}
