/* libFuzzer target: VTL0 call-block checks (calls.c) and VTL1 op-list checks (ops.c) vs the ABI. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "hypercalls/calls.h"
#include "hypercalls/ops.h"
#include "vtl_layout.h"

/*
 * Input layout (little-endian, zero past the end):
 *   u8 mode: bit 0 selects the op-list half, bit 1 "realistic" limits
 *            (as the monitor sets them) instead of raw ones, bit 2 places the
 *            GPA relative to the end of the region, where the off-by-ones live.
 *   call half: u64 gpa, u32 write_len, u64 ram_size, 64-byte call block.
 *   op half:   3 x u64 limits, u64 header gpa, u32 count, then 32-byte ops.
 * The reference predicates below are written from the ABI comments in
 * include/ and the hypercalls headers, not from the code under test.
 */

#define MODE_OPS	 1u
#define MODE_REALISTIC	 2u
#define MODE_NEAR_END	 4u
#define FUZZ_MAX_OPS	 (VTL1_OPS_MAX + 1)
#define FUZZ_NEAR_WINDOW 0x2000u

/* A page-aligned size in [lo, hi]: the raw value if it is in range, else folded into it. */
static uint64_t clamp_pages(uint64_t v, uint64_t lo, uint64_t hi)
{
	if (v < lo || v > hi)
		v = lo + v % (hi - lo + 1);
	return v & ~(VTL_PAGE_SIZE - 1);
}

/* A GPA a few bytes below (or at) base + size: where every bounds check is decided. */
static uint64_t near_end(uint64_t base, uint64_t size, uint64_t raw)
{
	return base + size - raw % FUZZ_NEAR_WINDOW;
}

static void fuzz_call(struct fuzz_in *in, uint8_t mode)
{
	uint64_t gpa = fuzz_u64(in);
	uint32_t write_len = fuzz_u32(in);
	uint64_t ram_size = fuzz_u64(in);
	struct vtl_call_block blk;
	enum vtl_status st;
	bool want;

	if (mode & MODE_REALISTIC)
		ram_size = clamp_pages(ram_size, VTL0_RAM_MIN, VTL0_RAM_MAX);
	if (mode & MODE_NEAR_END)
		gpa = near_end(0, ram_size, gpa);
	fuzz_take(in, &blk, sizeof(blk));

	/* calls.h: an 8-byte store, 64-byte aligned, inside [0, ram_size), not crossing a page. */
	want = write_len == sizeof(uint64_t) && !(gpa % VTL_CALL_BLOCK_ALIGN) &&
	       fuzz_range_inside(gpa, VTL_CALL_BLOCK_SIZE, 0, ram_size) &&
	       gpa % VTL_PAGE_SIZE + VTL_CALL_BLOCK_SIZE <= VTL_PAGE_SIZE;
	st = call_check_gpa(gpa, write_len, ram_size);
	FUZZ_CHECK((st == VTL_OK) == want,
		   "call_check_gpa(gpa=0x%llx, write_len=%u, ram_size=0x%llx) = %u, ABI says %s",
		   (unsigned long long)gpa, write_len, (unsigned long long)ram_size, st,
		   want ? "accept" : "reject");
	if (st != VTL_OK)
		FUZZ_CHECK(st == VTL_E_INVALID || st == VTL_E_BAD_ADDRESS, "status %u", st);

	st = call_check_block(&blk);
	want = !blk.flags && !blk.reserved;
	FUZZ_CHECK((st == VTL_OK) == want, "call_check_block(flags=0x%x, reserved=0x%x) = %u",
		   blk.flags, blk.reserved, st);
	FUZZ_CHECK(st == VTL_OK || st == VTL_E_INVALID, "status %u", st);
	FUZZ_CHECK(call_name(blk.nr) != NULL, "call_name(%u) is NULL", blk.nr);
}

/*
 * What the ABI (vtl1_abi.h) says an accepted op satisfies. Codes the op
 * table does not know yet are rejected as unknown, so only what is
 * accepted is checked here; this stays valid as ops are added.
 */
static bool op_args_valid(const struct vtl1_op *op, const struct ops_limits *lim)
{
	switch (op->code) {
	case VTL1_OP_RETURN: return op->arg[0] < VTL_STATUS_COUNT;
	case VTL1_OP_LOG:
		return op->arg[1] <= VTL1_LOG_MAX &&
		       fuzz_range_inside(op->arg[0], op->arg[1], lim->priv_base, lim->priv_size);
	case VTL1_OP_SET_PERMS:
		return !(op->arg[0] % VTL_PAGE_SIZE) && op->arg[1] &&
		       !(op->arg[2] & ~VTL_PERM_MASK) &&
		       fuzz_range_inside(op->arg[0], (unsigned __int128)op->arg[1] * VTL_PAGE_SIZE,
					 0, lim->vtl0_ram_size);
	case VTL1_OP_PIN_CR:
	case VTL1_OP_UNPIN_CR: return op->arg[0] == 0 || op->arg[0] == 4;
	case VTL1_OP_PIN_MSR:
	case VTL1_OP_UNPIN_MSR: return op->arg[0] <= UINT32_MAX; /* MSR indexes are 32-bit */
	case VTL1_OP_INJECT:
		return (op->arg[0] == VTL_VECTOR_GP || op->arg[0] == VTL_VECTOR_PF) &&
		       op->arg[1] <= UINT32_MAX; /* an x86 error code is 32-bit */
	case VTL1_OP_CR_SITE: return op->arg[0] < VTL1_CR_SITES;
	case VTL1_OP_WATCHDOG:
		return op->arg[0] == 0 ||
		       (op->arg[0] >= VTL1_WATCHDOG_MIN_US && op->arg[0] <= VTL1_WATCHDOG_MAX_US);
	case VTL1_OP_MEASURE:
		return fuzz_range_inside(op->arg[0], op->arg[1], 0, lim->vtl0_ram_size) &&
		       fuzz_range_inside(op->arg[2], VTL_SHA256_SIZE, lim->priv_base,
					 lim->priv_size);
	case VTL1_OP_VERIFY_SIG:
		return fuzz_range_inside(op->arg[0], op->arg[1], 0, lim->vtl0_ram_size) &&
		       fuzz_range_inside(op->arg[2], sizeof(struct vtl1_sig_check), lim->priv_base,
					 lim->priv_size);
	case VTL1_OP_KEXEC_STAGE:
		return fuzz_range_inside(op->arg[0], op->arg[1], 0, lim->vtl0_ram_size);
	case VTL1_OP_KEXEC_COMMIT:
		return fuzz_range_inside(op->arg[0], VTL_SHA256_SIZE, lim->priv_base,
					 lim->priv_size);
	default: return true;
	}
}

static bool abi_terminal(uint32_t code)
{
	return code == VTL1_OP_RETURN || code == VTL1_OP_KILL || code == VTL1_OP_RESET ||
	       code == VTL1_OP_KEXEC_COMMIT;
}

static void fuzz_ops(struct fuzz_in *in, uint8_t mode)
{
	static struct vtl1_op ops[FUZZ_MAX_OPS], copy[FUZZ_MAX_OPS];
	struct ops_limits lim;
	uint64_t gpa;
	uint32_t count, n, bad = UINT32_MAX, bad2 = UINT32_MAX;
	enum vtl_status st;
	bool want;

	lim.vtl0_ram_size = fuzz_u64(in);
	lim.priv_base = fuzz_u64(in);
	lim.priv_size = fuzz_u64(in);
	gpa = fuzz_u64(in);
	count = fuzz_u32(in);
	if (mode & MODE_REALISTIC) {
		lim.vtl0_ram_size = clamp_pages(lim.vtl0_ram_size, VTL0_RAM_MIN, VTL0_RAM_MAX);
		lim.priv_base = VTL1_PRIV_GPA;
		lim.priv_size = clamp_pages(lim.priv_size, VTL1_PRIV_MIN, VTL1_PRIV_MAX);
		count %= FUZZ_MAX_OPS + 1;
	}
	if (mode & MODE_NEAR_END)
		gpa = near_end(lim.priv_base, lim.priv_size, gpa);

	/* ops.h: 8-byte aligned, the 16-byte header inside private RAM. */
	want = !(gpa % 8) &&
	       fuzz_range_inside(gpa, sizeof(struct vtl1_op_list), lim.priv_base, lim.priv_size);
	st = ops_check_header_gpa(gpa, &lim);
	FUZZ_CHECK((st == VTL_OK) == want,
		   "ops_check_header_gpa(0x%llx) in [0x%llx, +0x%llx) = %u, ABI says %s",
		   (unsigned long long)gpa, (unsigned long long)lim.priv_base,
		   (unsigned long long)lim.priv_size, st, want ? "accept" : "reject");
	FUZZ_CHECK(st == VTL_OK || st == VTL_E_BAD_ADDRESS, "status %u", st);

	/* 1..VTL1_OPS_MAX ops, and header plus ops inside private RAM. */
	want = count >= 1 && count <= VTL1_OPS_MAX &&
	       fuzz_range_inside(gpa,
				 sizeof(struct vtl1_op_list) +
				     (unsigned __int128)count * sizeof(struct vtl1_op),
				 lim.priv_base, lim.priv_size);
	st = ops_check_count(gpa, count, &lim);
	FUZZ_CHECK((st == VTL_OK) == want, "ops_check_count(0x%llx, %u) = %u, ABI says %s",
		   (unsigned long long)gpa, count, st, want ? "accept" : "reject");
	FUZZ_CHECK(st == VTL_OK || st == VTL_E_INVALID || st == VTL_E_BAD_ADDRESS, "status %u", st);

	/* The list check runs on whatever count the monitor would have copied. */
	n = count % (FUZZ_MAX_OPS + 1);
	for (uint32_t i = 0; i < n; i++)
		fuzz_take(in, &ops[i], sizeof(ops[i]));
	memcpy(copy, ops, n * sizeof(ops[0]));
	st = ops_check_list(ops, n, &lim, &bad);
	FUZZ_CHECK(!memcmp(copy, ops, n * sizeof(ops[0])), "ops_check_list wrote to its input");
	if (st == VTL_OK) {
		FUZZ_CHECK(bad == n, "OK list of %u ops but *bad = %u", n, bad);
		for (uint32_t i = 0; i < n; i++) {
			const struct vtl1_op *op = &ops[i];

			FUZZ_CHECK(strcmp(op_name(op->code), "unknown") != 0,
				   "op %u: unknown code %u accepted", i, op->code);
			FUZZ_CHECK(!op_is_terminal(op->code) || i + 1 == n,
				   "op %u of %u: terminal op %u before the end accepted", i, n,
				   op->code);
			FUZZ_CHECK(op_args_valid(op, &lim),
				   "op %u (%s): args 0x%llx 0x%llx 0x%llx break the ABI", i,
				   op_name(op->code), (unsigned long long)op->arg[0],
				   (unsigned long long)op->arg[1], (unsigned long long)op->arg[2]);
		}
		return;
	}
	FUZZ_CHECK(st == VTL_E_INVALID || st == VTL_E_UNKNOWN_CALL || st == VTL_E_BAD_ADDRESS,
		   "status %u", st);
	FUZZ_CHECK(bad < n, "failed list of %u ops but *bad = %u", n, bad);
	if (st == VTL_E_UNKNOWN_CALL)
		FUZZ_CHECK(!strcmp(op_name(ops[bad].code), "unknown"),
			   "op %u: code %u (%s) reported unknown", bad, ops[bad].code,
			   op_name(ops[bad].code));
	/* Everything before the first bad op passes on its own: *bad really is the first. */
	st = ops_check_list(ops, bad, &lim, &bad2);
	FUZZ_CHECK(st == VTL_OK && bad2 == bad, "prefix of %u ops before *bad: status %u, bad %u",
		   bad, st, bad2);
}

static void fuzz_names(void)
{
	/* Names are total functions: every code, known or not, has one. */
	for (uint32_t code = 0; code <= VTL1_OP_COUNT; code++) {
		FUZZ_CHECK(op_name(code) != NULL, "op_name(%u) is NULL", code);
		FUZZ_CHECK(!op_is_terminal(code) || abi_terminal(code),
			   "op %u terminal but not RETURN/KILL/RESET/KEXEC_COMMIT", code);
		if (strcmp(op_name(code), "unknown") != 0 && abi_terminal(code))
			FUZZ_CHECK(op_is_terminal(code), "known op %u should be terminal", code);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t mode = fuzz_u8(&in);
	static bool names_done;

	if (!names_done) {
		fuzz_names();
		names_done = true;
	}
	if (mode & MODE_OPS)
		fuzz_ops(&in, mode);
	else
		fuzz_call(&in, mode);
	return 0;
}
