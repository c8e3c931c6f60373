/* Scenario guest (--cpus 2): a secondary resets the machine by port 0xCF9 while vCPU 0 runs. */
#include "../lifecycle.h"

static void secondary_resets(void *arg)
{
	volatile uint64_t *hb = (volatile uint64_t *)(uintptr_t)LC_HEARTBEAT_GPA;

	(void)arg;
	for (unsigned int i = 0; i < 100; i++)
		(*hb)++;
	lc_reset_cf9();
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *hb = (volatile uint64_t *)(uintptr_t)LC_HEARTBEAT_GPA;
	uint64_t life, seen;

	lc_idt_init();
	life = lc_life();
	console_printf("smp-reset: life %lu of %u vCPUs\n", life, bi->nr_vcpus);
	GUEST_ASSERT_EQ(bi->nr_vcpus, 2);
	if (life == 1) {
		*hb = 0;
		GUEST_ASSERT_EQ(vtl0_cpu_start(1, secondary_resets, 0), VTL_OK);
		/* vCPU 0 keeps running guest code: the reset must stop it too. */
		for (;;)
			__asm__ volatile("pause" : : : "memory");
	}
	/* Life 2: the old secondary is gone with its vCPU, and vCPU 1 can be started again. */
	seen = *hb;
	GUEST_ASSERT_EQ(seen, 100);
	for (volatile unsigned int i = 0; i < LC_QUIET_SPINS; i++)
		;
	GUEST_ASSERT_EQ(*hb, seen);
	GUEST_ASSERT_EQ(vtl0_cpu_start(1, lc_secondary_up, 0), VTL_OK);
	while (!*lc_second_up())
		__asm__ volatile("pause" : : : "memory");
	GUEST_DONE();
}
