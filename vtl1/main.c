/* The reference VTL1 secure kernel: boot checks, and the loop that answers the monitor. */
#include "vtl1/main.h"

#include <stddef.h>
#include <stdint.h>

#include "console.h"
#include "cpu.h"
#include "io.h"
#include "vtl1/addr.h"
#include "vtl1/calls.h"
#include "vtl1/intercept.h"
#include "vtl1/oplist.h"
#include "vtl1/policy_apply.h"
#include "vtl1/state.h"
#include "vtl1_abi.h"
#include "vtl_device.h"
#include "vtl_status.h"

static __attribute__((noreturn)) void vtl1_fatal(uint64_t reason, const char *why)
{
	console_printf("fatal: %s\n", why);
	mmio_write64(VTL1_OPS_GPA_REG, vtl1_kill(reason));
	for (;;)
		hlt();
}

/* Kept out of line so the NOP loop keeps its values in registers. */
static __attribute__((noinline)) uint64_t vtl1_handle(const struct vtl1_entry *e)
{
	vtl1_fail_reason = VTL1_REASON_SELF;
	switch (e->reason) {
	case VTL1_ENTRY_BOOT: return vtl1_on_boot(e->boot_kind);
	case VTL1_ENTRY_CALL: return vtl1_on_call(&e->call);
	case VTL1_ENTRY_INTERCEPT: return vtl1_on_intercept(&e->intercept);
	default: return vtl1_kill(VTL1_REASON_BAD_ENTRY);
	}
}

/*
 * A refused terminal answer resumes us on the same entry. Retrying could
 * loop, and leaving VTL0 waiting is no answer: fail closed with a KILL. That
 * is also the fallback for a RESET the monitor cannot do yet.
 */
static __attribute__((noinline)) void vtl1_answer(uint64_t list)
{
	struct vtl1_op_list *l = vtl1_va(list);
	uint32_t bad;

	mmio_write64(VTL1_OPS_GPA_REG, list);
	if (l->status == VTL_OK)
		return;
	bad = vtl1_list_failed_op(l);
	console_printf("answer refused at op %u (%s): %s\n", bad, vtl1_op_name(l->ops[bad].code),
		       vtl_strerror(l->status));
	vtl1_fatal(vtl1_fail_reason, "cannot answer the monitor; killing VTL0");
}

/*
 * The OPS write exits to the monitor; after a terminal list this vCPU stays
 * parked on it until the next entry, and then resumes right after it with a
 * fresh message in the inbox (the first one is BOOT). The monitor only writes
 * the inbox while VTL1 is parked, and the memory clobbers make every pass
 * reload it.
 *
 * NOPs are the benchmark, so they spin in a loop rotated by hand (GCC merges
 * the two loop headers and adds a jump): from one resume to the next OPS
 * write it is two compares, two branches and the write. Anything else falls
 * out of the asm to vtl1_handle().
 */
static __attribute__((noreturn)) void vtl1_entry_loop(const struct vtl1_entry *inbox)
{
	const uint64_t ret_ok = vtl1_ret(VTL_OK); /* a fixed list: its GPA never changes */
	const uint64_t ops_reg = VTL1_OPS_GPA_REG;

	for (;;) {
		uint64_t list = vtl1_handle(inbox);

		if (list != VTL1_ANSWERED)
			vtl1_answer(list);
		__asm__ volatile("jmp 2f\n"
				 "1:\tmovq %[ok], (%[reg])\n"
				 "2:\tcmpl %[call], (%[e])\n\t"
				 "jne 3f\n\t"
				 "cmpl %[nop], %c[nr](%[e])\n\t"
				 "je 1b\n"
				 "3:"
				 :
				 : [e] "r"(inbox), [ok] "r"(ret_ok), [reg] "r"(ops_reg),
				   [call] "i"(VTL1_ENTRY_CALL), [nop] "i"(VTL_CALL_NOP),
				   [nr] "i"(offsetof(struct vtl1_entry, call.nr))
				 : "cc", "memory");
	}
}

void vtl1_main(const struct vtl_boot_info *bi, uint64_t vcpu)
{
	uint64_t inbox_off = bi->inbox_gpa - bi->vtl1_priv_gpa;

	/*
	 * A secondary vCPU (vtl_boot.h): vCPU 0 has checked the boot info and
	 * set up everything shared, and the monitor enters one VTL1 vCPU at a
	 * time, so it goes straight to the loop on its own stack, where the
	 * message that made the monitor enter it waits in the inbox.
	 */
	if (vcpu) {
		if (vtl1_boot != bi || vcpu >= bi->nr_vcpus)
			vtl1_fatal(VTL1_REASON_SELF, "unexpected secondary vCPU");
		vtl1_entry_loop(vtl1_va(bi->inbox_gpa));
	}

	if (bi->magic != VTL_BOOT_MAGIC || bi->abi_version != VTL_ABI_VERSION || bi->vtl != 1 ||
	    bi->vtl1_priv_gpa != VTL1_PRIV_GPA)
		vtl1_fatal(VTL1_REASON_SELF, "unexpected boot info");
	if (mmio_read32(VTL1_DEVICE_GPA + VTL1_REG_ID) != VTL1_DEVICE_ID)
		vtl1_fatal(VTL1_REASON_SELF, "no VTL1 control device");
	if (bi->inbox_gpa < bi->vtl1_priv_gpa || bi->inbox_gpa % 8 ||
	    bi->vtl1_priv_size < sizeof(struct vtl1_entry) ||
	    inbox_off > bi->vtl1_priv_size - sizeof(struct vtl1_entry))
		vtl1_fatal(VTL1_REASON_SELF, "inbox outside private RAM");
	vtl1_boot = bi;
	vtl1_list_init();

	console_printf("secure kernel: ABI v%u, %lu MiB private, %u vCPU(s), policy %lu bytes\n",
		       bi->abi_version, bi->vtl1_priv_size >> 20, bi->nr_vcpus, bi->policy_size);
	vtl1_entry_loop(vtl1_va(bi->inbox_gpa));
}
