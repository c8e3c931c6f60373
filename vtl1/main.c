/* The reference VTL1 secure kernel: boot checks, then the entry loop that answers the monitor. */
#include <stddef.h>
#include <stdint.h>

#include "console.h"
#include "cpu.h"
#include "io.h"
#include "vtl1.h"
#include "vtl1_abi.h"
#include "vtl_device.h"
#include "vtl_status.h"

#define VTL1_OPS_GPA_REG (VTL1_DEVICE_GPA + VTL1_REG_OPS)
#define VTL1_KILL_SELF	 0 /* KILL arg0 when VTL1 itself cannot go on (not an entry reason) */

/* A list with room for one op; the monitor writes back only done/status/result. */
union vtl1_list1 {
	struct vtl1_op_list list;
	uint8_t raw[sizeof(struct vtl1_op_list) + sizeof(struct vtl1_op)];
};

union vtl1_list_page {
	struct vtl1_op_list list;
	uint8_t raw[VTL_PAGE_SIZE];
};

/*
 * Built once at boot and never rewritten, so a NOP (and an unknown call) costs
 * no store at all: the fast path only picks the GPA to hand back.
 */
static union vtl1_list1 vtl1_ret_ok __attribute__((aligned(64)));
static union vtl1_list1 vtl1_ret_unknown __attribute__((aligned(64)));
/* Every other answer is built here. */
static union vtl1_list_page vtl1_ops __attribute__((aligned(VTL_PAGE_SIZE)));

static const struct vtl_boot_info *vtl1_boot;

static const char vtl1_msg_no_policy[] = "boot: no policy loaded, built-in rules";
static const char vtl1_msg_policy[] = "boot: policy present but not parsed yet, built-in rules";

static struct vtl1_op_list *vtl1_list_begin(void)
{
	vtl1_ops.list.count = 0;
	return &vtl1_ops.list;
}

/* Callers add at most a few ops, so the bound is a backstop, not a code path. */
static void vtl1_list_add(struct vtl1_op_list *l, uint32_t code, uint64_t a0, uint64_t a1,
			  uint64_t a2)
{
	struct vtl1_op *op;

	if (l->count >= VTL1_OPS_MAX)
		return;
	op = &l->ops[l->count++];
	op->code = code;
	op->result = 0;
	op->arg[0] = a0;
	op->arg[1] = a1;
	op->arg[2] = a2;
}

static void vtl1_list1_init(union vtl1_list1 *u, uint32_t code, uint64_t a0)
{
	u->list.count = 0;
	vtl1_list_add(&u->list, code, a0, 0, 0);
}

static uint64_t vtl1_kill(uint64_t reason)
{
	struct vtl1_op_list *l = vtl1_list_begin();

	vtl1_list_add(l, VTL1_OP_KILL, reason, 0, 0);
	return vtl1_gpa(l);
}

static __attribute__((noreturn)) void vtl1_fatal(const char *why)
{
	console_printf("fatal: %s\n", why);
	mmio_write64(VTL1_OPS_GPA_REG, vtl1_kill(VTL1_KILL_SELF));
	for (;;)
		hlt();
}

static uint64_t vtl1_on_boot(void)
{
	struct vtl1_op_list *l = vtl1_list_begin();
	const char *msg = vtl1_msg_no_policy;
	uint64_t len = sizeof(vtl1_msg_no_policy) - 1;

	/* The policy engine comes later; until then the built-in rules apply. */
	if (vtl1_boot->policy_size) {
		msg = vtl1_msg_policy;
		len = sizeof(vtl1_msg_policy) - 1;
	}
	vtl1_list_add(l, VTL1_OP_LOG, vtl1_gpa(msg), len, 0);
	vtl1_list_add(l, VTL1_OP_RETURN, VTL_OK, 0, 0);
	return vtl1_gpa(l);
}

static uint64_t vtl1_on_call(const struct vtl_call_block *c)
{
	struct vtl1_op_list *l;

	switch (c->nr) {
	case VTL_CALL_NOP: return vtl1_gpa(&vtl1_ret_ok);
	case VTL_CALL_ECHO:
		l = vtl1_list_begin();
		vtl1_list_add(l, VTL1_OP_RETURN, VTL_OK, c->args[0], c->args[1]);
		return vtl1_gpa(l);
	default: return vtl1_gpa(&vtl1_ret_unknown);
	}
}

/* Kept out of line so the NOP loop keeps its values in registers. */
static __attribute__((noinline)) uint64_t vtl1_handle(const struct vtl1_entry *e)
{
	switch (e->reason) {
	case VTL1_ENTRY_BOOT: return vtl1_on_boot();
	case VTL1_ENTRY_CALL: return vtl1_on_call(&e->call);
	default:
		/* INTERCEPT handling comes with the enforcement ABI: fail closed until then. */
		return vtl1_kill(e->reason);
	}
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
	const uint64_t ret_ok = vtl1_gpa(&vtl1_ret_ok);
	const uint64_t ops_reg = VTL1_OPS_GPA_REG;

	for (;;) {
		uint64_t list = vtl1_handle(inbox);
		const struct vtl1_op_list *l = vtl1_va(list);

		mmio_write64(ops_reg, list);
		/* A rejected list resumes us with the same inbox: fail closed, do not retry. */
		if (l->status != VTL_OK) {
			console_printf("op list rejected at op %u: %s\n", l->done,
				       vtl_strerror(l->status));
			vtl1_fatal("VTL1 cannot answer the monitor");
		}
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

void vtl1_main(const struct vtl_boot_info *bi)
{
	uint64_t inbox_off = bi->inbox_gpa - bi->vtl1_priv_gpa;

	if (bi->magic != VTL_BOOT_MAGIC || bi->abi_version != VTL_ABI_VERSION || bi->vtl != 1 ||
	    bi->vtl1_priv_gpa != VTL1_PRIV_GPA)
		vtl1_fatal("unexpected boot info");
	if (mmio_read32(VTL1_DEVICE_GPA + VTL1_REG_ID) != VTL1_DEVICE_ID)
		vtl1_fatal("no VTL1 control device");
	if (bi->inbox_gpa < bi->vtl1_priv_gpa || bi->inbox_gpa % 8 ||
	    bi->vtl1_priv_size < sizeof(struct vtl1_entry) ||
	    inbox_off > bi->vtl1_priv_size - sizeof(struct vtl1_entry))
		vtl1_fatal("inbox outside private RAM");
	vtl1_boot = bi;
	vtl1_list1_init(&vtl1_ret_ok, VTL1_OP_RETURN, VTL_OK);
	vtl1_list1_init(&vtl1_ret_unknown, VTL1_OP_RETURN, VTL_E_UNKNOWN_CALL);

	console_printf("secure kernel: ABI v%u, %lu MiB private, %u vCPU(s), policy %lu bytes\n",
		       bi->abi_version, bi->vtl1_priv_size >> 20, bi->nr_vcpus, bi->policy_size);
	vtl1_entry_loop(vtl1_va(bi->inbox_gpa));
}
