/* Unit tests for hypercalls/ops: header, count and per-op checks on a VTL1 op list. */
#include <criterion/criterion.h>
#include <string.h>

#include "hypercalls/ops.h"
#include "vtl_layout.h"

#define VTL0_RAM     (32ULL << 20)
#define PRIV_SIZE    (8ULL << 20)
#define PRIV_END     (VTL1_PRIV_GPA + PRIV_SIZE)
#define LIST_SIZE(n) (sizeof(struct vtl1_op_list) + (uint64_t)(n) * sizeof(struct vtl1_op))

static const struct ops_limits lim = {
    .vtl0_ram_size = VTL0_RAM,
    .priv_base = VTL1_PRIV_GPA,
    .priv_size = PRIV_SIZE,
};

static struct vtl1_op mkop(uint32_t code, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct vtl1_op op;

	memset(&op, 0, sizeof(op));
	op.code = code;
	op.arg[0] = a0;
	op.arg[1] = a1;
	op.arg[2] = a2;
	return op;
}

/* Checks a one-op list and returns its status; *bad must be 0 on failure, 1 on success. */
static enum vtl_status check_one(struct vtl1_op op)
{
	uint32_t bad = 0xdead;
	enum vtl_status st = ops_check_list(&op, 1, &lim, &bad);

	cr_assert_eq(bad, st == VTL_OK ? 1U : 0U, "bad index %u for status %d", bad, st);
	return st;
}

/* ---- ops_check_header_gpa ---- */

Test(ops_check_header_gpa, ok_at_priv_base)
{
	cr_assert_eq(ops_check_header_gpa(VTL1_PRIV_GPA, &lim), VTL_OK);
}

Test(ops_check_header_gpa, ok_when_header_ends_exactly_at_priv_end)
{
	cr_assert_eq(ops_check_header_gpa(PRIV_END - 16, &lim), VTL_OK);
}

Test(ops_check_header_gpa, misaligned_is_bad_address)
{
	cr_assert_eq(ops_check_header_gpa(VTL1_PRIV_GPA + 4, &lim), VTL_E_BAD_ADDRESS);
	cr_assert_eq(ops_check_header_gpa(VTL1_PRIV_GPA + 1, &lim), VTL_E_BAD_ADDRESS);
}

Test(ops_check_header_gpa, below_priv_ram_is_bad_address)
{
	cr_assert_eq(ops_check_header_gpa(VTL1_PRIV_GPA - 16, &lim), VTL_E_BAD_ADDRESS);
	cr_assert_eq(ops_check_header_gpa(0x1000, &lim), VTL_E_BAD_ADDRESS);
	cr_assert_eq(ops_check_header_gpa(0, &lim), VTL_E_BAD_ADDRESS);
}

Test(ops_check_header_gpa, above_priv_ram_is_bad_address)
{
	cr_assert_eq(ops_check_header_gpa(PRIV_END, &lim), VTL_E_BAD_ADDRESS);
	cr_assert_eq(ops_check_header_gpa(PRIV_END + 0x1000, &lim), VTL_E_BAD_ADDRESS);
}

Test(ops_check_header_gpa, header_straddling_priv_end_is_bad_address)
{
	cr_assert_eq(ops_check_header_gpa(PRIV_END - 8, &lim), VTL_E_BAD_ADDRESS);
}

Test(ops_check_header_gpa, gpa_near_2_pow_64_is_bad_address)
{
	cr_assert_eq(ops_check_header_gpa(0xFFFFFFFFFFFFFFF8ULL, &lim), VTL_E_BAD_ADDRESS);
}

Test(ops_check_header_gpa, overflowing_header_with_priv_at_top_is_bad_address)
{
	const struct ops_limits top = {
	    .vtl0_ram_size = VTL0_RAM,
	    .priv_base = 0xFFFFFFFFFFFF0000ULL,
	    .priv_size = 0x10000,
	};

	cr_assert_eq(ops_check_header_gpa(0xFFFFFFFFFFFFFFF0ULL, &top), VTL_OK);
	cr_assert_eq(ops_check_header_gpa(0xFFFFFFFFFFFFFFF8ULL, &top), VTL_E_BAD_ADDRESS);
}

/* ---- ops_check_count ---- */

Test(ops_check_count, zero_is_invalid)
{
	cr_assert_eq(ops_check_count(VTL1_PRIV_GPA, 0, &lim), VTL_E_INVALID);
}

Test(ops_check_count, one_is_ok)
{
	cr_assert_eq(ops_check_count(VTL1_PRIV_GPA, 1, &lim), VTL_OK);
}

Test(ops_check_count, max_is_ok)
{
	cr_assert_eq(ops_check_count(VTL1_PRIV_GPA, VTL1_OPS_MAX, &lim), VTL_OK);
}

Test(ops_check_count, max_plus_one_is_invalid)
{
	cr_assert_eq(ops_check_count(VTL1_PRIV_GPA, VTL1_OPS_MAX + 1, &lim), VTL_E_INVALID);
}

Test(ops_check_count, huge_counts_are_invalid)
{
	cr_assert_eq(ops_check_count(VTL1_PRIV_GPA, 0xFFFFFFFFU, &lim), VTL_E_INVALID);
	cr_assert_eq(ops_check_count(VTL1_PRIV_GPA, 0x80000000U, &lim), VTL_E_INVALID);
}

Test(ops_check_count, list_ending_exactly_at_priv_end_is_ok)
{
	cr_assert_eq(ops_check_count(PRIV_END - LIST_SIZE(3), 3, &lim), VTL_OK);
}

Test(ops_check_count, list_extending_past_priv_end_is_bad_address)
{
	cr_assert_eq(ops_check_count(PRIV_END - LIST_SIZE(3), 4, &lim), VTL_E_BAD_ADDRESS);
	cr_assert_eq(ops_check_count(PRIV_END - 16, 1, &lim), VTL_E_BAD_ADDRESS);
}

Test(ops_check_count, gpa_near_2_pow_64_is_rejected)
{
	cr_assert_neq(ops_check_count(0xFFFFFFFFFFFFFFF0ULL, 1, &lim), VTL_OK);
	cr_assert_neq(ops_check_count(0xFFFFFFFFFFFFFFF0ULL, VTL1_OPS_MAX, &lim), VTL_OK);
	cr_assert_neq(ops_check_count(0xFFFFFFFFFFFFFFF0ULL, 0xFFFFFFFFU, &lim), VTL_OK);
}

Test(ops_check_count, list_wrapping_with_priv_at_top_is_bad_address)
{
	const struct ops_limits top = {
	    .vtl0_ram_size = VTL0_RAM,
	    .priv_base = 0xFFFFFFFFFFFF0000ULL,
	    .priv_size = 0x10000,
	};

	cr_assert_eq(ops_check_count(0xFFFFFFFFFFFFFFF0ULL - 32, 1, &top), VTL_OK);
	cr_assert_eq(ops_check_count(0xFFFFFFFFFFFFFFF0ULL, 1, &top), VTL_E_BAD_ADDRESS);
	cr_assert_eq(ops_check_count(0xFFFFFFFFFFFFFFF0ULL, VTL1_OPS_MAX, &top), VTL_E_BAD_ADDRESS);
}

/* ---- ops_check_list: codes and terminal ops ---- */

Test(ops_check_list, code_zero_is_unknown)
{
	cr_assert_eq(check_one(mkop(0, 0, 0, 0)), VTL_E_UNKNOWN_CALL);
}

Test(ops_check_list, code_op_count_is_unknown)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_COUNT, 0, 0, 0)), VTL_E_UNKNOWN_CALL);
}

Test(ops_check_list, code_all_ones_is_unknown)
{
	cr_assert_eq(check_one(mkop(0xFFFFFFFFU, 0, 0, 0)), VTL_E_UNKNOWN_CALL);
}

Test(ops_check_list, unknown_code_reports_its_index)
{
	struct vtl1_op ops[4] = {
	    mkop(VTL1_OP_LOG, VTL1_PRIV_GPA, 4, 0),
	    mkop(VTL1_OP_SET_PERMS, 0x100000, 1, VTL_PERM_R),
	    mkop(77, 0, 0, 0),
	    mkop(VTL1_OP_RETURN, VTL_OK, 0, 0),
	};
	uint32_t bad = 0xdead;

	cr_assert_eq(ops_check_list(ops, 4, &lim, &bad), VTL_E_UNKNOWN_CALL);
	cr_assert_eq(bad, 2);
}

Test(ops_check_list, return_not_last_is_invalid)
{
	struct vtl1_op ops[2] = {
	    mkop(VTL1_OP_RETURN, VTL_OK, 0, 0),
	    mkop(VTL1_OP_LOG, VTL1_PRIV_GPA, 4, 0),
	};
	uint32_t bad = 0xdead;

	cr_assert_eq(ops_check_list(ops, 2, &lim, &bad), VTL_E_INVALID);
	cr_assert_eq(bad, 0);
}

Test(ops_check_list, kill_not_last_is_invalid)
{
	struct vtl1_op ops[3] = {
	    mkop(VTL1_OP_LOG, VTL1_PRIV_GPA, 4, 0),
	    mkop(VTL1_OP_KILL, 1, 0, 0),
	    mkop(VTL1_OP_RETURN, VTL_OK, 0, 0),
	};
	uint32_t bad = 0xdead;

	cr_assert_eq(ops_check_list(ops, 3, &lim, &bad), VTL_E_INVALID);
	cr_assert_eq(bad, 1);
}

Test(ops_check_list, two_terminal_ops_are_invalid)
{
	struct vtl1_op ops[2] = {
	    mkop(VTL1_OP_KILL, 1, 0, 0),
	    mkop(VTL1_OP_RETURN, VTL_OK, 0, 0),
	};
	uint32_t bad = 0xdead;

	cr_assert_eq(ops_check_list(ops, 2, &lim, &bad), VTL_E_INVALID);
	cr_assert_eq(bad, 0);
}

Test(ops_check_list, kill_last_is_ok)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_KILL, 0xFFFFFFFFFFFFFFFFULL, 0, 0)), VTL_OK);
}

Test(ops_check_list, list_without_terminal_op_is_ok)
{
	struct vtl1_op ops[2] = {
	    mkop(VTL1_OP_LOG, VTL1_PRIV_GPA, 4, 0),
	    mkop(VTL1_OP_SET_PERMS, 0, 1, VTL_PERM_R),
	};
	uint32_t bad = 0xdead;

	cr_assert_eq(ops_check_list(ops, 2, &lim, &bad), VTL_OK);
	cr_assert_eq(bad, 2);
}

/* ---- RETURN ---- */

Test(ops_check_list, return_every_valid_status_is_ok)
{
	for (uint64_t s = 0; s < VTL_STATUS_COUNT; s++)
		cr_assert_eq(check_one(mkop(VTL1_OP_RETURN, s, 1, 2)), VTL_OK, "status %lu",
			     (unsigned long)s);
}

Test(ops_check_list, return_status_count_is_invalid)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_RETURN, VTL_STATUS_COUNT, 0, 0)), VTL_E_INVALID);
}

Test(ops_check_list, return_huge_status_is_invalid)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_RETURN, 0x100000000ULL, 0, 0)), VTL_E_INVALID);
	cr_assert_eq(check_one(mkop(VTL1_OP_RETURN, UINT64_MAX, 0, 0)), VTL_E_INVALID);
}

/* ---- LOG ---- */

Test(ops_check_list, log_max_len_is_ok)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_LOG, VTL1_PRIV_GPA + 0x2000, VTL1_LOG_MAX, 0)), VTL_OK);
}

Test(ops_check_list, log_zero_len_is_ok)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_LOG, VTL1_PRIV_GPA, 0, 0)), VTL_OK);
}

Test(ops_check_list, log_len_over_max_is_invalid)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_LOG, VTL1_PRIV_GPA, VTL1_LOG_MAX + 1, 0)),
		     VTL_E_INVALID);
	cr_assert_eq(check_one(mkop(VTL1_OP_LOG, VTL1_PRIV_GPA, UINT64_MAX, 0)), VTL_E_INVALID);
}

Test(ops_check_list, log_text_ending_at_priv_end_is_ok)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_LOG, PRIV_END - 16, 16, 0)), VTL_OK);
}

Test(ops_check_list, log_text_straddling_priv_end_is_bad_address)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_LOG, PRIV_END - 16, 17, 0)), VTL_E_BAD_ADDRESS);
}

Test(ops_check_list, log_text_in_vtl0_ram_is_bad_address)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_LOG, 0x100000, 16, 0)), VTL_E_BAD_ADDRESS);
}

Test(ops_check_list, log_text_just_below_priv_base_is_bad_address)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_LOG, VTL1_PRIV_GPA - 8, 16, 0)), VTL_E_BAD_ADDRESS);
}

Test(ops_check_list, log_text_above_priv_end_is_bad_address)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_LOG, PRIV_END, 1, 0)), VTL_E_BAD_ADDRESS);
}

Test(ops_check_list, log_text_wrapping_2_pow_64_is_bad_address)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_LOG, 0xFFFFFFFFFFFFFFF0ULL, 32, 0)), VTL_E_BAD_ADDRESS);
}

/* ---- SET_PERMS ---- */

Test(ops_check_list, set_perms_every_perm_combination_is_ok)
{
	for (uint64_t p = 0; p <= VTL_PERM_MASK; p++)
		cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, 0x200000, 4, p)), VTL_OK,
			     "perms %lu", (unsigned long)p);
}

Test(ops_check_list, set_perms_whole_vtl0_ram_is_ok)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, 0, VTL0_RAM / VTL_PAGE_SIZE, VTL_PERM_R)),
		     VTL_OK);
}

Test(ops_check_list, set_perms_last_page_is_ok)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, VTL0_RAM - VTL_PAGE_SIZE, 1, VTL_PERM_R)),
		     VTL_OK);
}

Test(ops_check_list, set_perms_unaligned_gpa_is_bad_address)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, 0x200001, 1, VTL_PERM_R)),
		     VTL_E_BAD_ADDRESS);
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, 0x200800, 1, VTL_PERM_R)),
		     VTL_E_BAD_ADDRESS);
}

Test(ops_check_list, set_perms_zero_pages_is_invalid)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, 0x200000, 0, VTL_PERM_R)), VTL_E_INVALID);
}

Test(ops_check_list, set_perms_page_count_overflowing_bytes_is_rejected)
{
	/* pages * 4096 wraps to 0 (2^52 pages) or to a small number. */
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, 0, 1ULL << 52, VTL_PERM_R)),
		     VTL_E_BAD_ADDRESS);
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, 0, (1ULL << 52) + 1, VTL_PERM_R)),
		     VTL_E_BAD_ADDRESS);
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, 0x1000, UINT64_MAX, VTL_PERM_R)),
		     VTL_E_BAD_ADDRESS);
}

Test(ops_check_list, set_perms_past_vtl0_ram_end_is_bad_address)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, VTL0_RAM - VTL_PAGE_SIZE, 2, VTL_PERM_R)),
		     VTL_E_BAD_ADDRESS);
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, VTL0_RAM, 1, VTL_PERM_R)),
		     VTL_E_BAD_ADDRESS);
	cr_assert_eq(
	    check_one(mkop(VTL1_OP_SET_PERMS, 0, VTL0_RAM / VTL_PAGE_SIZE + 1, VTL_PERM_R)),
	    VTL_E_BAD_ADDRESS);
}

Test(ops_check_list, set_perms_on_vtl1_private_ram_is_bad_address)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, VTL1_PRIV_GPA, 1, VTL_PERM_R)),
		     VTL_E_BAD_ADDRESS);
}

Test(ops_check_list, set_perms_on_device_page_is_bad_address)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, VTL0_DEVICE_GPA, 1, VTL_PERM_R)),
		     VTL_E_BAD_ADDRESS);
}

Test(ops_check_list, set_perms_gpa_near_2_pow_64_is_bad_address)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, 0xFFFFFFFFFFFFF000ULL, 1, VTL_PERM_R)),
		     VTL_E_BAD_ADDRESS);
}

Test(ops_check_list, set_perms_perm_bit_8_is_invalid)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, 0x200000, 1, 8)), VTL_E_INVALID);
}

Test(ops_check_list, set_perms_perm_0x100_is_invalid)
{
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, 0x200000, 1, 0x100)), VTL_E_INVALID);
	cr_assert_eq(check_one(mkop(VTL1_OP_SET_PERMS, 0x200000, 1, 1ULL << 63)), VTL_E_INVALID);
}

/* ---- a valid mixed list ---- */

Test(ops_check_list, valid_mixed_list_is_ok_with_bad_equal_count)
{
	struct vtl1_op ops[5] = {
	    mkop(VTL1_OP_LOG, VTL1_PRIV_GPA + 0x3000, 12, 0),
	    mkop(VTL1_OP_SET_PERMS, 0x100000, 16, VTL_PERM_R | VTL_PERM_X),
	    mkop(VTL1_OP_SET_PERMS, 0x200000, 1, 0),
	    mkop(VTL1_OP_LOG, VTL1_PRIV_GPA + 0x3100, VTL1_LOG_MAX, 0),
	    mkop(VTL1_OP_RETURN, VTL_E_DENIED, 5, 6),
	};
	uint32_t bad = 0xdead;

	cr_assert_eq(ops_check_list(ops, 5, &lim, &bad), VTL_OK);
	cr_assert_eq(bad, 5);
}

Test(ops_check_list, first_bad_op_is_reported_not_a_later_one)
{
	struct vtl1_op ops[3] = {
	    mkop(VTL1_OP_LOG, VTL1_PRIV_GPA, 8, 0),
	    mkop(VTL1_OP_SET_PERMS, 0x200000, 0, VTL_PERM_R), /* bad: 0 pages */
	    mkop(0, 0, 0, 0),				      /* bad too, later */
	};
	uint32_t bad = 0xdead;

	cr_assert_eq(ops_check_list(ops, 3, &lim, &bad), VTL_E_INVALID);
	cr_assert_eq(bad, 1);
}

Test(ops_check_list, empty_list_is_ok_with_bad_zero)
{
	uint32_t bad = 0xdead;

	cr_assert_eq(ops_check_list(NULL, 0, &lim, &bad), VTL_OK);
	cr_assert_eq(bad, 0);
}

/* ---- op_is_terminal / op_name ---- */

Test(op_is_terminal, return_and_kill_only)
{
	cr_assert(op_is_terminal(VTL1_OP_RETURN));
	cr_assert(op_is_terminal(VTL1_OP_KILL));
	cr_assert_not(op_is_terminal(VTL1_OP_LOG));
	cr_assert_not(op_is_terminal(VTL1_OP_SET_PERMS));
}

Test(op_is_terminal, unknown_codes_are_not_terminal)
{
	cr_assert_not(op_is_terminal(0));
	cr_assert_not(op_is_terminal(VTL1_OP_COUNT));
	cr_assert_not(op_is_terminal(0xFFFFFFFFU));
}

Test(op_name, known_codes)
{
	cr_assert_str_eq(op_name(VTL1_OP_RETURN), "return");
	cr_assert_str_eq(op_name(VTL1_OP_LOG), "log");
	cr_assert_str_eq(op_name(VTL1_OP_SET_PERMS), "set_perms");
	cr_assert_str_eq(op_name(VTL1_OP_KILL), "kill");
}

Test(op_name, unknown_codes)
{
	cr_assert_str_eq(op_name(0), "unknown");
	cr_assert_str_eq(op_name(VTL1_OP_COUNT), "unknown");
	cr_assert_str_eq(op_name(0xFFFFFFFFU), "unknown");
}
