/* Op lists: how VTL1 builds its answers, sends them to the monitor and explains a refusal. */
#include "vtl1/oplist.h"

#include <stdarg.h>
#include <stdint.h>

#include "fmt.h"
#include "io.h"
#include "vtl1/addr.h"
#include "vtl_layout.h"
#include "vtl_status.h"

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

uint64_t vtl1_fail_reason;

void vtl1_list_init(void)
{
	/* Written whole, not appended to: nothing here relies on a zeroed .bss. */
	vtl1_ret_ok.list.count = vtl1_ret_unknown.list.count = 0;
	vtl1_list_add(&vtl1_ret_ok.list, VTL1_OP_RETURN, VTL_OK, 0, 0);
	vtl1_list_add(&vtl1_ret_unknown.list, VTL1_OP_RETURN, VTL_E_UNKNOWN_CALL, 0, 0);
}

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
