/* Scenario guest (--cpus 2): the secondary kexecs while vCPU 0 stores without pause. */
#include "../lifecycle.h"

static struct lc_module kexec_img;

static void secondary_kexecs(void *arg)
{
	(void)arg;
	GUEST_ASSERT_EQ(lc_kexec_load(kexec_img.base, kexec_img.size, 0), VTL_OK);
	GUEST_CHECKPOINT(1);
	lc_kexec_exec();
	GUEST_FAIL("KEXEC_EXEC returned");
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *hb = (volatile uint64_t *)(uintptr_t)LC_HEARTBEAT_GPA;

	console_puts("smp-kexec-secondary: old kernel\n");
	kexec_img = lc_module(bi, 0);
	*hb = 0;
	GUEST_ASSERT_EQ(vtl0_cpu_start(1, secondary_kexecs, 0), VTL_OK);
	/* vCPU 0 keeps running guest code: the kexec must stop it before the commit. */
	for (;;)
		(*hb)++;
}
