/*
 * The demo VTL0 kernel `vtlmon run` boots by default: VTL calls, then four attacks on itself, and
 * with --cpus N the first one again from every other vCPU.
 */
#include "fault.h"
#include "regs.h"
#include "vtl0.h"

#define DEMO_ECHO_A0 0x0123456789abcdefULL
#define DEMO_ECHO_A1 0xfedcba9876543210ULL
#define DEMO_BAD_NR  0x7fffffffU

#define DEMO_CR0_WP   (1ULL << 16)
#define DEMO_MSR_EFER 0xC0000080U
#define DEMO_EFER_SCE (1ULL << 0)

static unsigned int demo_passed, demo_total, demo_stopped, demo_attacks;
static struct fault_rec demo_pf, demo_gp;

/* A page of the demo's own data that it locks away from itself (attack 2). */
static volatile uint64_t demo_secret[512] __attribute__((aligned(4096)));

static void demo_report(const char *name, uint32_t status, uint32_t want, int extra_ok)
{
	int ok = status == want && extra_ok;

	demo_total++;
	demo_passed += ok;
	console_printf("call %s: %s%s\n", name, vtl_strerror(status), ok ? "" : "  <-- UNEXPECTED");
}

/* One attack's outcome: stopped as docs/security.md says, or a line that says it was not. */
static void demo_attack(const char *what, int stopped, const char *how)
{
	demo_attacks++;
	demo_stopped += stopped != 0;
	console_printf("attack %u, %s: %s (%s)\n", demo_attacks, what,
		       stopped ? "stopped" : "NOT STOPPED", how);
}

static uint64_t demo_read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

/*
 * What the default policy promises (policy/examples/default.policy): locked
 * text is read-only (mem-write deny: #PF), a page VTL0 gave up is no-access
 * (mem-read deny: #PF), pinned MSRs keep their value (msr deny: #GP), and a
 * pinned CR bit is put back at the next exit (cr restore: CR writes never
 * exit, so this one is detective). The monitor prints each violation with
 * VTL1's decision on stderr, and the `violation` events record them.
 */
static void demo_attacks_run(void)
{
	volatile uint8_t *text = (volatile uint8_t *)(uintptr_t)&demo_attacks_run;
	uint8_t before = *text;
	uint64_t efer = rdmsr(DEMO_MSR_EFER), secret = 0x5ec2e7, cr0;
	uint32_t status;

	idt_install();
	fault_rec_install(EXC_PF, &demo_pf);
	fault_rec_install(EXC_GP, &demo_gp);
	console_printf("demo: attacking myself; VTL1 decides each time\n");

	fault_try_store8(&demo_pf, text, (uint8_t)~before);
	demo_attack("write my own locked text",
		    demo_pf.count == 1 && *text == before && demo_pf.cr2 == (uintptr_t)text &&
			(demo_pf.error & PF_ERR_W),
		    "VTL1 denied it: #PF, the byte is unchanged");

	demo_secret[0] = secret;
	status = vtl_protect((uintptr_t)demo_secret, 1, 0);
	fault_try_load64(&demo_pf, &demo_secret[0], &secret);
	demo_attack("read a page I gave up (PROTECT none)",
		    status == VTL_OK && demo_pf.count == 2 &&
			demo_pf.cr2 == (uintptr_t)&demo_secret[0] && secret == 0x5ec2e7,
		    "VTL1 denied it: #PF, nothing read");

	fault_try_wrmsr(&demo_gp, DEMO_MSR_EFER, efer ^ DEMO_EFER_SCE);
	demo_attack("write pinned EFER", demo_gp.count == 1 && rdmsr(DEMO_MSR_EFER) == efer,
		    "VTL1 denied it: #GP, EFER is unchanged");

	__asm__ volatile("mov %0, %%cr0" : : "r"(demo_read_cr0() & ~DEMO_CR0_WP) : "memory");
	vtl_call0(VTL_CALL_NOP); /* an exit: the monitor sees the clear here at the latest */
	cr0 = demo_read_cr0();
	demo_attack("clear pinned CR0.WP", (cr0 & DEMO_CR0_WP) && demo_gp.count == 1,
		    "seen at the next exit and put back, no fault: CR pins are detective");
}

static volatile uint32_t demo_secondary_done, demo_secondary_ok;

/* A secondary (vtl0_cpu_start): the same write to locked text, from its own vCPU. */
static void demo_secondary(void *arg)
{
	volatile uint8_t *text = (volatile uint8_t *)(uintptr_t)&demo_attacks_run;
	uint8_t before = *text;
	uint64_t faults = demo_pf.count;

	(void)arg;
	idt_load(); /* the boot vCPU's table; its fault records are idle meanwhile */
	fault_try_store8(&demo_pf, text, (uint8_t)~before);
	demo_secondary_ok = demo_pf.count == faults + 1 && *text == before &&
			    vtl_device_read32(VTL0_REG_VCPU) == vtl0_cpu();
	demo_secondary_done = 1;
}

/* One secondary at a time, so that they share the fault records. */
static void demo_secondaries_run(uint32_t nr_vcpus)
{
	for (uint32_t cpu = 1; cpu < nr_vcpus; cpu++) {
		uint32_t status;

		demo_secondary_done = demo_secondary_ok = 0;
		status = vtl0_cpu_start(cpu, demo_secondary, 0);
		while (status == VTL_OK && !demo_secondary_done)
			__asm__ volatile("pause" ::: "memory");
		demo_attacks++;
		demo_stopped += status == VTL_OK && demo_secondary_ok;
		console_printf("attack %u, vCPU %u writes my locked text: %s (%s)\n", demo_attacks,
			       cpu,
			       status == VTL_OK && demo_secondary_ok ? "stopped" : "NOT STOPPED",
			       "the same #PF on every vCPU");
	}
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

	demo_attacks_run();
	demo_secondaries_run(bi->nr_vcpus);
	console_printf("demo: %u of %u attacks stopped\n", demo_stopped, demo_attacks);
	return boot_ok && demo_passed == demo_total && demo_stopped == demo_attacks ? 0 : 1;
}
