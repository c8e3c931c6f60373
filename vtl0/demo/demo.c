/* The demo VTL0 kernel `vtlmon run` boots by default: shows the boot info and makes VTL calls. */
#include "vtl0.h"

#define DEMO_ECHO_A0 0x0123456789abcdefULL
#define DEMO_ECHO_A1 0xfedcba9876543210ULL
#define DEMO_BAD_NR  0x7fffffffU

static unsigned int demo_passed, demo_total;

static void demo_report(const char *name, uint32_t status, uint32_t want, int extra_ok)
{
	int ok = status == want && extra_ok;

	demo_total++;
	demo_passed += ok;
	console_printf("call %s: %s%s\n", name, vtl_strerror(status), ok ? "" : "  <-- UNEXPECTED");
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint32_t id = vtl_device_read32(VTL0_REG_ID);
	uint32_t version = vtl_device_read32(VTL0_REG_VERSION);
	uint64_t r0 = 0, r1 = 0;
	uint32_t status;
	int boot_ok;

	boot_ok = bi->magic == VTL_BOOT_MAGIC && bi->abi_version == VTL_ABI_VERSION &&
		  bi->vtl == 0 && id == VTL0_DEVICE_ID && version == VTL_ABI_VERSION;
	console_printf("demo kernel: ABI v%u, %lu MiB RAM, vCPU %u of %u\n", bi->abi_version,
		       bi->vtl0_ram_size >> 20, bi->vcpu_index, bi->nr_vcpus);
	console_printf("device 0x%lx: id 0x%08x, version %u, features 0x%lx: %s\n", bi->device_gpa,
		       id, version, vtl_device_read64(VTL0_REG_FEATURES),
		       boot_ok ? "ok" : "MISMATCH");

	for (int i = 0; i < 3; i++)
		demo_report("NOP", vtl_call0(VTL_CALL_NOP), VTL_OK, 1);
	status = vtl_call2(VTL_CALL_ECHO, DEMO_ECHO_A0, DEMO_ECHO_A1, &r0, &r1);
	demo_report("ECHO", status, VTL_OK, r0 == DEMO_ECHO_A0 && r1 == DEMO_ECHO_A1);
	demo_report("0x7fffffff", vtl_call0(DEMO_BAD_NR), VTL_E_UNKNOWN_CALL, 1);

	console_printf("demo: %u of %u calls as expected\n", demo_passed, demo_total);
	return boot_ok && demo_passed == demo_total ? 0 : 1;
}
