/* VTL1->monitor op table and the checks on a copied op list before anything is applied. */
#include "hypercalls/ops.h"

#include "hypercalls/range.h"
#include "vtl_layout.h"

typedef enum vtl_status (*op_check_fn)(const struct vtl1_op *op, const struct ops_limits *lim);

static enum vtl_status op_check_return(const struct vtl1_op *op, const struct ops_limits *lim)
{
	return op->arg[0] < VTL_STATUS_COUNT ? VTL_OK : VTL_E_INVALID;
}

static enum vtl_status op_check_log(const struct vtl1_op *op, const struct ops_limits *lim)
{
	if (op->arg[1] > VTL1_LOG_MAX)
		return VTL_E_INVALID;
	return range_within(op->arg[0], op->arg[1], lim->priv_base, lim->priv_size)
		   ? VTL_OK
		   : VTL_E_BAD_ADDRESS;
}

static enum vtl_status op_check_set_perms(const struct vtl1_op *op, const struct ops_limits *lim)
{
	uint64_t pages = op->arg[1];

	if (op->arg[2] & ~(uint64_t)VTL_PERM_MASK || !pages)
		return VTL_E_INVALID;
	if (op->arg[0] & (VTL_PAGE_SIZE - 1))
		return VTL_E_BAD_ADDRESS;
	if (pages > lim->vtl0_ram_size / VTL_PAGE_SIZE)
		return VTL_E_BAD_ADDRESS;
	return range_within(op->arg[0], pages * VTL_PAGE_SIZE, 0, lim->vtl0_ram_size)
		   ? VTL_OK
		   : VTL_E_BAD_ADDRESS;
}

static enum vtl_status op_check_any(const struct vtl1_op *op, const struct ops_limits *lim)
{
	return VTL_OK;
}

static enum vtl_status op_check_cr(const struct vtl1_op *op, const struct ops_limits *lim)
{
	/* Only CR0 and CR4 can be pinned; a zero mask pins nothing and is a VTL1 bug. */
	if ((op->arg[0] != 0 && op->arg[0] != 4) || !op->arg[1])
		return VTL_E_INVALID;
	return VTL_OK;
}

static enum vtl_status op_check_msr(const struct vtl1_op *op, const struct ops_limits *lim)
{
	return op->arg[0] <= UINT32_MAX ? VTL_OK : VTL_E_INVALID;
}

static enum vtl_status op_check_inject(const struct vtl1_op *op, const struct ops_limits *lim)
{
	if (op->arg[0] != VTL_VECTOR_GP && op->arg[0] != VTL_VECTOR_PF)
		return VTL_E_INVALID;
	return op->arg[1] <= UINT32_MAX ? VTL_OK : VTL_E_INVALID;
}

static bool op_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

static enum vtl_status op_check_cr_site(const struct vtl1_op *op, const struct ops_limits *lim)
{
	if (op->arg[0] >= VTL1_CR_SITES || !op_canonical(op->arg[1]))
		return VTL_E_INVALID;
	return VTL_OK;
}

static enum vtl_status op_check_watchdog(const struct vtl1_op *op, const struct ops_limits *lim)
{
	if (op->arg[0] && (op->arg[0] < VTL1_WATCHDOG_MIN_US || op->arg[0] > VTL1_WATCHDOG_MAX_US))
		return VTL_E_INVALID;
	return VTL_OK;
}

/* A VTL0 range the monitor will hash, verify or stage; OPS_VTL0_RANGE_MAX bounds the work. */
static bool op_vtl0_range(uint64_t gpa, uint64_t len, const struct ops_limits *lim)
{
	return len && len <= OPS_VTL0_RANGE_MAX && range_within(gpa, len, 0, lim->vtl0_ram_size);
}

static enum vtl_status op_check_measure(const struct vtl1_op *op, const struct ops_limits *lim)
{
	if (!op_vtl0_range(op->arg[0], op->arg[1], lim))
		return VTL_E_BAD_ADDRESS;
	return range_within(op->arg[2], VTL_SHA256_SIZE, lim->priv_base, lim->priv_size)
		   ? VTL_OK
		   : VTL_E_BAD_ADDRESS;
}

static enum vtl_status op_check_verify(const struct vtl1_op *op, const struct ops_limits *lim)
{
	if (!op_vtl0_range(op->arg[0], op->arg[1], lim))
		return VTL_E_BAD_ADDRESS;
	return range_within(op->arg[2], sizeof(struct vtl1_sig_check), lim->priv_base,
			    lim->priv_size)
		   ? VTL_OK
		   : VTL_E_BAD_ADDRESS;
}

static enum vtl_status op_check_stage(const struct vtl1_op *op, const struct ops_limits *lim)
{
	if (!op->arg[0] && !op->arg[1])
		return VTL_OK; /* unstage */
	if (op->arg[0] & (VTL_PAGE_SIZE - 1) || !op_vtl0_range(op->arg[0], op->arg[1], lim))
		return VTL_E_BAD_ADDRESS;
	return VTL_OK;
}

static enum vtl_status op_check_commit(const struct vtl1_op *op, const struct ops_limits *lim)
{
	return range_within(op->arg[0], VTL_SHA256_SIZE, lim->priv_base, lim->priv_size)
		   ? VTL_OK
		   : VTL_E_BAD_ADDRESS;
}

/*
 * The op table: a const array, so nothing can retarget a handler at run
 * time. Names are the ABI's (vtl1_op_name()), shared with VTL1.
 */
static const struct {
	bool terminal;
	op_check_fn check;
} op_table[VTL1_OP_COUNT] = {
    [VTL1_OP_RETURN] = {true, op_check_return},
    [VTL1_OP_LOG] = {false, op_check_log},
    [VTL1_OP_SET_PERMS] = {false, op_check_set_perms},
    [VTL1_OP_KILL] = {true, op_check_any},
    [VTL1_OP_PIN_CR] = {false, op_check_cr},
    [VTL1_OP_UNPIN_CR] = {false, op_check_cr},
    [VTL1_OP_PIN_MSR] = {false, op_check_msr},
    [VTL1_OP_UNPIN_MSR] = {false, op_check_msr},
    [VTL1_OP_INJECT] = {false, op_check_inject},
    [VTL1_OP_ALLOW] = {false, op_check_any},
    [VTL1_OP_SKIP] = {false, op_check_any},
    [VTL1_OP_RESET] = {true, op_check_any},
    [VTL1_OP_CR_SITE] = {false, op_check_cr_site},
    [VTL1_OP_WATCHDOG] = {false, op_check_watchdog},
    [VTL1_OP_MEASURE] = {false, op_check_measure},
    [VTL1_OP_VERIFY_SIG] = {false, op_check_verify},
    [VTL1_OP_KEXEC_STAGE] = {false, op_check_stage},
    [VTL1_OP_KEXEC_COMMIT] = {true, op_check_commit},
};

static bool op_known(uint32_t code)
{
	return code < VTL1_OP_COUNT && op_table[code].check;
}

bool op_is_terminal(uint32_t code)
{
	return op_known(code) && op_table[code].terminal;
}

const char *op_name(uint32_t code)
{
	return vtl1_op_name(code);
}

enum vtl_status ops_check_header_gpa(uint64_t gpa, const struct ops_limits *lim)
{
	if (gpa & 7)
		return VTL_E_BAD_ADDRESS;
	if (!range_within(gpa, sizeof(struct vtl1_op_list), lim->priv_base, lim->priv_size))
		return VTL_E_BAD_ADDRESS;
	return VTL_OK;
}

enum vtl_status ops_check_count(uint64_t gpa, uint32_t count, const struct ops_limits *lim)
{
	if (!count || count > VTL1_OPS_MAX)
		return VTL_E_INVALID;
	if (!range_within(gpa,
			  sizeof(struct vtl1_op_list) + (uint64_t)count * sizeof(struct vtl1_op),
			  lim->priv_base, lim->priv_size))
		return VTL_E_BAD_ADDRESS;
	return VTL_OK;
}

enum vtl_status ops_check_list(const struct vtl1_op *ops, uint32_t count,
			       const struct ops_limits *lim, uint32_t *bad)
{
	for (uint32_t i = 0; i < count; i++) {
		enum vtl_status st;

		*bad = i;
		if (!op_known(ops[i].code))
			return VTL_E_UNKNOWN_CALL;
		/* A terminal op hands control away: anything after it could never run. */
		if (op_table[ops[i].code].terminal && i + 1 != count)
			return VTL_E_INVALID;
		st = op_table[ops[i].code].check(&ops[i], lim);
		if (st != VTL_OK)
			return st;
	}
	*bad = count;
	return VTL_OK;
}
