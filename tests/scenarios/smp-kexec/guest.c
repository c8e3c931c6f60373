/* Scenario guest (--cpus 2): vCPU 0 kexecs while a secondary stores and calls without pause. */
#include "../lifecycle.h"

static volatile uint32_t secondary_running;

static void secondary_busy(void *arg)
{
	volatile uint64_t *hb = (volatile uint64_t *)(uintptr_t)LC_HEARTBEAT_GPA;
	uint64_t r0, r1;

	(void)arg;
	secondary_running = 1;
	for (;;) {
		(*hb)++;
		vtl_call2(VTL_CALL_ECHO, *hb, 0, &r0, &r1);
	}
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	struct lc_module img = lc_module(bi, 0);
	volatile uint64_t *hb = (volatile uint64_t *)(uintptr_t)LC_HEARTBEAT_GPA;

	console_puts("smp-kexec: old kernel\n");
	*hb = 0;
	GUEST_ASSERT_EQ(vtl0_cpu_start(1, secondary_busy, 0), VTL_OK);
	while (!secondary_running || *hb < 50)
		__asm__ volatile("pause" : : : "memory");
	GUEST_ASSERT_EQ(lc_kexec_load(img.base, img.size, 0), VTL_OK);
	GUEST_CHECKPOINT(1);
	lc_kexec_exec();
	GUEST_FAIL("KEXEC_EXEC returned");
}
