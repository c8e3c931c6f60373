/* VTL0 secondary vCPUs: their stacks, their entry, and the CPU_START request. */
#include "smp.h"

#include "device.h"

struct vtl0_cpu_entry {
	void (*fn)(void *);
	void *arg;
};

/* Slot 0 is the boot vCPU's and stays unused: the index is the slot. */
static uint8_t vtl0_cpu_stacks[VTL_MAX_CPUS][VTL0_CPU_STACK_SIZE] __attribute__((aligned(16)));
static struct vtl0_cpu_entry vtl0_cpu_entries[VTL_MAX_CPUS];
static struct vtl_cpu_start vtl0_cpu_start_blk __attribute__((aligned(8)));

uint32_t vtl0_cpu(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t base = (uintptr_t)vtl0_cpu_stacks;

	if (sp <= base || sp > base + sizeof(vtl0_cpu_stacks))
		return 0;
	return (uint32_t)((sp - base - 1) / VTL0_CPU_STACK_SIZE);
}

/* The monitor enters here (RDI = arg of CPU_START: this vCPU's entry record). */
static __attribute__((noreturn, used)) void vtl0_cpu_main(struct vtl0_cpu_entry *e)
{
	e->fn(e->arg);
	for (;;)
		__asm__ volatile("pause" ::: "memory");
}

__asm__(".text\n"
	".type vtl0_cpu_entry_stub, @function\n"
	"vtl0_cpu_entry_stub:\n\t"
	"andq $-16, %rsp\n\t"
	"xorl %ebp, %ebp\n\t"
	"call vtl0_cpu_main\n"
	".size vtl0_cpu_entry_stub, . - vtl0_cpu_entry_stub\n");
void vtl0_cpu_entry_stub(void);

uint32_t vtl0_cpu_start(uint32_t cpu, void (*fn)(void *), void *arg)
{
	struct vtl_cpu_start *b = &vtl0_cpu_start_blk;

	if (cpu >= VTL_MAX_CPUS)
		return VTL_E_INVALID;
	vtl0_cpu_entries[cpu].fn = fn;
	vtl0_cpu_entries[cpu].arg = arg;
	b->cpu = cpu;
	b->reserved = 0;
	b->rip = (uintptr_t)vtl0_cpu_entry_stub;
	b->rsp = (uintptr_t)vtl0_cpu_stacks[cpu] + VTL0_CPU_STACK_SIZE;
	b->arg = (uintptr_t)&vtl0_cpu_entries[cpu];
	vtl_device_write64(VTL0_REG_CPU_START, (uintptr_t)b);
	return vtl_device_read32(VTL0_REG_CALL_STATUS);
}
