/* Unit tests for hypercalls/calls: the monitor's checks on a VTL0 call-block GPA and block. */
#include <criterion/criterion.h>
#include <string.h>

#include "hypercalls/calls.h"
#include "vtl_layout.h"

#define RAM (32ULL << 20)

Test(call_check_gpa, ok_at_zero)
{
	cr_assert_eq(call_check_gpa(0, 8, RAM), VTL_OK);
}

Test(call_check_gpa, ok_at_last_slot_of_ram)
{
	cr_assert_eq(call_check_gpa(RAM - 64, 8, RAM), VTL_OK);
}

Test(call_check_gpa, ok_at_last_slot_of_a_page)
{
	cr_assert_eq(call_check_gpa(0x5000 + VTL_PAGE_SIZE - 64, 8, RAM), VTL_OK);
}

Test(call_check_gpa, ok_when_block_exactly_fills_ram)
{
	cr_assert_eq(call_check_gpa(0, 8, 64), VTL_OK);
}

Test(call_check_gpa, write_len_4_is_invalid)
{
	cr_assert_eq(call_check_gpa(0x1000, 4, RAM), VTL_E_INVALID);
}

Test(call_check_gpa, write_len_1_is_invalid)
{
	cr_assert_eq(call_check_gpa(0x1000, 1, RAM), VTL_E_INVALID);
}

Test(call_check_gpa, write_len_0_is_invalid)
{
	cr_assert_eq(call_check_gpa(0x1000, 0, RAM), VTL_E_INVALID);
}

Test(call_check_gpa, unaligned_by_8_is_bad_address)
{
	cr_assert_eq(call_check_gpa(0x1008, 8, RAM), VTL_E_BAD_ADDRESS);
}

Test(call_check_gpa, unaligned_by_1_is_bad_address)
{
	cr_assert_eq(call_check_gpa(0x1001, 8, RAM), VTL_E_BAD_ADDRESS);
}

Test(call_check_gpa, gpa_equal_to_ram_size_is_bad_address)
{
	cr_assert_eq(call_check_gpa(RAM, 8, RAM), VTL_E_BAD_ADDRESS);
}

Test(call_check_gpa, gpa_above_ram_size_is_bad_address)
{
	cr_assert_eq(call_check_gpa(RAM + 0x1000, 8, RAM), VTL_E_BAD_ADDRESS);
}

Test(call_check_gpa, gpa_straddling_ram_end_is_bad_address)
{
	cr_assert_eq(call_check_gpa(RAM - 32, 8, RAM), VTL_E_BAD_ADDRESS);
}

Test(call_check_gpa, block_straddling_ram_end_with_unaligned_size_is_bad_address)
{
	/* ram_size not a multiple of 64: the last aligned slot runs past the end. */
	cr_assert_eq(call_check_gpa(0x1000, 8, 0x1000 + 32), VTL_E_BAD_ADDRESS);
}

Test(call_check_gpa, gpa_near_2_pow_64_is_bad_address)
{
	cr_assert_eq(call_check_gpa(0xFFFFFFFFFFFFFFC0ULL, 8, RAM), VTL_E_BAD_ADDRESS);
	cr_assert_eq(call_check_gpa(0xFFFFFFFFFFFFFFC0ULL, 8, UINT64_MAX), VTL_E_BAD_ADDRESS);
}

Test(call_check_gpa, vtl1_private_gpa_is_bad_address)
{
	cr_assert_eq(call_check_gpa(VTL1_PRIV_GPA, 8, RAM), VTL_E_BAD_ADDRESS);
	cr_assert_eq(call_check_gpa(VTL1_PRIV_GPA, 8, VTL0_RAM_MAX), VTL_E_BAD_ADDRESS);
}

Test(call_check_gpa, vtl0_device_gpa_is_bad_address)
{
	cr_assert_eq(call_check_gpa(VTL0_DEVICE_GPA, 8, RAM), VTL_E_BAD_ADDRESS);
	cr_assert_eq(call_check_gpa(VTL0_DEVICE_GPA, 8, VTL0_RAM_MAX), VTL_E_BAD_ADDRESS);
}

Test(call_check_gpa, ram_size_zero_rejects_everything)
{
	cr_assert_eq(call_check_gpa(0, 8, 0), VTL_E_BAD_ADDRESS);
	cr_assert_eq(call_check_gpa(0x1000, 8, 0), VTL_E_BAD_ADDRESS);
}

Test(call_check_gpa, ram_smaller_than_a_block_rejects_zero)
{
	cr_assert_eq(call_check_gpa(0, 8, 63), VTL_E_BAD_ADDRESS);
}

Test(call_check_block, flags_nonzero_is_invalid)
{
	struct vtl_call_block b;

	memset(&b, 0, sizeof(b));
	b.flags = 1;
	cr_assert_eq(call_check_block(&b), VTL_E_INVALID);
	b.flags = 0x80000000U;
	cr_assert_eq(call_check_block(&b), VTL_E_INVALID);
}

Test(call_check_block, reserved_nonzero_is_invalid)
{
	struct vtl_call_block b;

	memset(&b, 0, sizeof(b));
	b.reserved = 1;
	cr_assert_eq(call_check_block(&b), VTL_E_INVALID);
}

Test(call_check_block, clean_block_is_ok)
{
	struct vtl_call_block b;

	memset(&b, 0, sizeof(b));
	b.nr = VTL_CALL_ECHO;
	b.args[0] = 0x1234;
	b.args[3] = UINT64_MAX;
	cr_assert_eq(call_check_block(&b), VTL_OK);
}

Test(call_check_block, out_fields_and_unknown_nr_are_not_checked_here)
{
	struct vtl_call_block b;

	/* status/results are outputs and the call number is VTL1's business. */
	memset(&b, 0, sizeof(b));
	b.nr = 0xFFFFFFFFU;
	b.status = 7;
	b.results[0] = 1;
	cr_assert_eq(call_check_block(&b), VTL_OK);
}

Test(call_name, nop)
{
	cr_assert_str_eq(call_name(VTL_CALL_NOP), "nop");
}

Test(call_name, echo)
{
	cr_assert_str_eq(call_name(VTL_CALL_ECHO), "echo");
}

Test(call_name, unknown_numbers)
{
	cr_assert_str_eq(call_name(2), "unknown");
	cr_assert_str_eq(call_name(0xFFFFFFFFU), "unknown");
}
