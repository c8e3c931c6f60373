/* The reference VTL1 secure kernel: boot checks, op lists and the loop that answers the monitor. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "console.h"
#include "cpu.h"
#include "fmt.h"
#include "io.h"
#include "vtl1.h"
#include "vtl1_abi.h"
#include "vtl_device.h"
#include "vtl_status.h"

#define VTL1_OPS_GPA_REG (VTL1_DEVICE_GPA + VTL1_REG_OPS)

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
static char vtl1_log_text[VTL1_LOG_MAX];

const struct vtl_boot_info *vtl1_boot;
uint64_t vtl1_fail_reason;

struct vtl1_op_list *vtl1_list_begin(void)
{
	vtl1_ops.list.count = 0;
	return &vtl1_ops.list;
}

/* BOOT flushes before the list fills and others add a few ops: the bound is only a backstop. */
void vtl1_list_add(struct vtl1_op_list *l, uint32_t code, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct vtl1_op *op;

	if (l->count >= VTL1_OPS_MAX)
		return;
	op = &l->ops[l->count++];
	op->code = code;
	/* A list the monitor rejects whole leaves the ops before the bad one unwritten. */
	op->result = VTL_E_SKIPPED;
	op->arg[0] = a0;
	op->arg[1] = a1;
	op->arg[2] = a2;
}

static void vtl1_list_vlog(struct vtl1_op_list *l, const char *fmt, va_list ap)
{
	int len = gl_vsnprintf(vtl1_log_text, sizeof(vtl1_log_text), fmt, ap);

	if (len > (int)sizeof(vtl1_log_text) - 1)
		len = (int)sizeof(vtl1_log_text) - 1;
	vtl1_list_add(l, VTL1_OP_LOG, vtl1_gpa(vtl1_log_text), (uint64_t)len, 0);
}

void vtl1_list_log(struct vtl1_op_list *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtl1_list_vlog(l, fmt, ap);
	va_end(ap);
}

uint32_t vtl1_list_send(struct vtl1_op_list *l)
{
	mmio_write64(VTL1_OPS_GPA_REG, vtl1_gpa(l));
	/* An op the monitor does not know yet is one this host cannot do. */
	return l->status == VTL_E_UNKNOWN_CALL ? VTL_E_NOT_SUPPORTED : l->status;
}

uint32_t vtl1_list_failed_op(const struct vtl1_op_list *l)
{
	for (uint32_t i = 0; i < l->count; i++)
		if (l->ops[i].result != VTL_OK && l->ops[i].result != VTL_E_SKIPPED)
			return i;
	return l->done < l->count ? l->done : 0;
}

uint64_t vtl1_ret(uint32_t status)
{
	struct vtl1_op_list *l;

	if (status == VTL_OK)
		return vtl1_gpa(&vtl1_ret_ok);
	if (status == VTL_E_UNKNOWN_CALL)
		return vtl1_gpa(&vtl1_ret_unknown);
	l = vtl1_list_begin();
	vtl1_list_add(l, VTL1_OP_RETURN, status, 0, 0);
	return vtl1_gpa(l);
}

uint64_t vtl1_kill(uint64_t reason)
{
	struct vtl1_op_list *l = vtl1_list_begin();

	vtl1_list_add(l, VTL1_OP_KILL, reason, 0, 0);
	return vtl1_gpa(l);
}

uint64_t vtl1_refuse(uint32_t status, const char *fmt, ...)
{
	struct vtl1_op_list *l = vtl1_list_begin();
	va_list ap;

	va_start(ap, fmt);
	vtl1_list_vlog(l, fmt, ap);
	va_end(ap);
	vtl1_list_add(l, VTL1_OP_RETURN, status, 0, 0);
	return vtl1_gpa(l);
}

const char *vtl1_op_name(uint32_t code)
{
	static const char *const names[VTL1_OP_COUNT] = {
	    [VTL1_OP_RETURN] = "return",
	    [VTL1_OP_LOG] = "log",
	    [VTL1_OP_SET_PERMS] = "set_perms",
	    [VTL1_OP_KILL] = "kill",
	    [VTL1_OP_PIN_CR] = "pin_cr",
	    [VTL1_OP_UNPIN_CR] = "unpin_cr",
	    [VTL1_OP_PIN_MSR] = "pin_msr",
	    [VTL1_OP_UNPIN_MSR] = "unpin_msr",
	    [VTL1_OP_INJECT] = "inject",
	    [VTL1_OP_ALLOW] = "allow",
	    [VTL1_OP_SKIP] = "skip",
	    [VTL1_OP_RESET] = "reset",
	    [VTL1_OP_CR_SITE] = "cr_site",
	    [VTL1_OP_WATCHDOG] = "watchdog",
	    [VTL1_OP_MEASURE] = "measure",
	    [VTL1_OP_VERIFY_SIG] = "verify_sig",
	    [VTL1_OP_KEXEC_STAGE] = "kexec_stage",
	    [VTL1_OP_KEXEC_COMMIT] = "kexec_commit",
	};

	return code < VTL1_OP_COUNT && names[code] ? names[code] : "?";
}

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
	const uint64_t ret_ok = vtl1_gpa(&vtl1_ret_ok);
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

void vtl1_main(const struct vtl_boot_info *bi)
{
	uint64_t inbox_off = bi->inbox_gpa - bi->vtl1_priv_gpa;

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
	/* Written whole, not appended to: nothing here relies on a zeroed .bss. */
	vtl1_ret_ok.list.count = vtl1_ret_unknown.list.count = 0;
	vtl1_list_add(&vtl1_ret_ok.list, VTL1_OP_RETURN, VTL_OK, 0, 0);
	vtl1_list_add(&vtl1_ret_unknown.list, VTL1_OP_RETURN, VTL_E_UNKNOWN_CALL, 0, 0);

	console_printf("secure kernel: ABI v%u, %lu MiB private, %u vCPU(s), policy %lu bytes\n",
		       bi->abi_version, bi->vtl1_priv_size >> 20, bi->nr_vcpus, bi->policy_size);
	vtl1_entry_loop(vtl1_va(bi->inbox_gpa));
}
