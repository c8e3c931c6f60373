/* Unit tests for monitor/exit: decoding hostile kvm_run contents into a checked struct vexit. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "monitor/kvm/exit.h"

#define RUN_SIZE 12288UL

/* A zeroed, page-aligned stand-in for KVM's run mapping (3 pages, as KVM maps with PIO data). */
static union {
	struct kvm_run run;
	unsigned char bytes[RUN_SIZE];
} area __attribute__((aligned(4096)));

static struct kvm_run *run;

static void setup(void)
{
	memset(&area, 0, sizeof(area));
	run = &area.run;
}

TestSuite(exit_decode, .init = setup);

static struct vexit decode(int run_errno)
{
	struct vexit v;

	memset(&v, 0xA5, sizeof(v));
	exit_decode(run, RUN_SIZE, run_errno, &v);
	return v;
}

static void set_io(uint8_t dir, uint16_t port, uint8_t size, uint32_t count, uint64_t data_offset)
{
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = dir;
	run->io.port = port;
	run->io.size = size;
	run->io.count = count;
	run->io.data_offset = data_offset;
}

/* ---- port I/O ---- */

Test(exit_decode, io_out_console_rep_outsb)
{
	struct vexit v;

	set_io(KVM_EXIT_IO_OUT, 0x3F8, 1, 5, 4096);
	v = decode(0);
	cr_assert_eq(v.kind, VEXIT_PIO_OUT);
	cr_assert_eq(v.reason, KVM_EXIT_IO);
	cr_assert_eq(v.addr, 0x3F8);
	cr_assert_eq(v.len, 1);
	cr_assert_eq(v.count, 5);
	cr_assert_eq(v.data_off, 4096);
	cr_assert_eq(v.data_len, 5);
}

Test(exit_decode, io_in_dword)
{
	struct vexit v;

	set_io(KVM_EXIT_IO_IN, 0xCF9, 4, 1, 4096);
	v = decode(0);
	cr_assert_eq(v.kind, VEXIT_PIO_IN);
	cr_assert_eq(v.addr, 0xCF9);
	cr_assert_eq(v.len, 4);
	cr_assert_eq(v.count, 1);
	cr_assert_eq(v.data_off, 4096);
	cr_assert_eq(v.data_len, 4);
}

Test(exit_decode, io_word_size_is_accepted)
{
	set_io(KVM_EXIT_IO_OUT, 0x80, 2, 3, 4096);
	cr_assert_eq(decode(0).kind, VEXIT_PIO_OUT);
	cr_assert_eq(decode(0).data_len, 6);
}

Test(exit_decode, io_data_filling_the_area_exactly_is_ok)
{
	struct vexit v;

	set_io(KVM_EXIT_IO_OUT, 0x3F8, 4, (RUN_SIZE - 4096) / 4, 4096);
	v = decode(0);
	cr_assert_eq(v.kind, VEXIT_PIO_OUT);
	cr_assert_eq(v.data_off + v.data_len, RUN_SIZE);
}

Test(exit_decode, io_unknown_direction_is_malformed)
{
	/* Regression: any direction other than OUT used to decode as PIO_IN. */
	set_io(2, 0x3F8, 1, 1, 4096);
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
	set_io(0xFF, 0x3F8, 1, 1, 4096);
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
}

Test(exit_decode, io_size_3_is_malformed)
{
	set_io(KVM_EXIT_IO_OUT, 0x3F8, 3, 1, 4096);
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
}

Test(exit_decode, io_size_8_is_malformed)
{
	set_io(KVM_EXIT_IO_OUT, 0x3F8, 8, 1, 4096);
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
}

Test(exit_decode, io_size_0_is_malformed)
{
	set_io(KVM_EXIT_IO_IN, 0x3F8, 0, 1, 4096);
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
}

Test(exit_decode, io_count_0_is_malformed)
{
	set_io(KVM_EXIT_IO_OUT, 0x3F8, 1, 0, 4096);
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
}

Test(exit_decode, io_data_offset_inside_kvm_run_is_malformed)
{
	set_io(KVM_EXIT_IO_OUT, 0x3F8, 1, 1, sizeof(struct kvm_run) - 1);
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
	set_io(KVM_EXIT_IO_OUT, 0x3F8, 1, 1, 0);
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
}

Test(exit_decode, io_data_offset_right_after_kvm_run_is_ok)
{
	set_io(KVM_EXIT_IO_OUT, 0x3F8, 1, 1, sizeof(struct kvm_run));
	cr_assert_eq(decode(0).kind, VEXIT_PIO_OUT);
}

Test(exit_decode, io_data_offset_past_run_size_is_malformed)
{
	set_io(KVM_EXIT_IO_OUT, 0x3F8, 1, 1, RUN_SIZE + 1);
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
	set_io(KVM_EXIT_IO_OUT, 0x3F8, 1, 1, RUN_SIZE);
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
	set_io(KVM_EXIT_IO_OUT, 0x3F8, 1, 1, UINT64_MAX);
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
}

Test(exit_decode, io_data_one_byte_past_the_area_is_malformed)
{
	set_io(KVM_EXIT_IO_OUT, 0x3F8, 1, RUN_SIZE - 4096 + 1, 4096);
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
}

Test(exit_decode, io_size_times_count_overflowing_is_malformed)
{
	/* 4 * 0x40000001 wraps to 4 in 32-bit arithmetic. */
	set_io(KVM_EXIT_IO_OUT, 0x3F8, 4, 0x40000001U, 4096);
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
	set_io(KVM_EXIT_IO_OUT, 0x3F8, 4, 0xFFFFFFFFU, 4096);
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
}

/* ---- MMIO ---- */

Test(exit_decode, mmio_write_8_bytes_little_endian)
{
	static const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct vexit v;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xFEB00010;
	run->mmio.len = 8;
	run->mmio.is_write = 1;
	memcpy(run->mmio.data, data, 8);
	v = decode(0);
	cr_assert_eq(v.kind, VEXIT_MMIO_WRITE);
	cr_assert_eq(v.reason, KVM_EXIT_MMIO);
	cr_assert_eq(v.addr, 0xFEB00010);
	cr_assert_eq(v.len, 8);
	cr_assert_eq(v.value, 0x0807060504030201ULL);
}

Test(exit_decode, mmio_write_4_bytes_zero_extended)
{
	static const uint8_t data[8] = {0x78, 0x56, 0x34, 0x12, 0xFF, 0xFF, 0xFF, 0xFF};
	struct vexit v;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xFEB00020;
	run->mmio.len = 4;
	run->mmio.is_write = 1;
	memcpy(run->mmio.data, data, 8);
	v = decode(0);
	cr_assert_eq(v.kind, VEXIT_MMIO_WRITE);
	cr_assert_eq(v.len, 4);
	cr_assert_eq(v.value, 0x12345678ULL);
}

Test(exit_decode, mmio_write_1_byte_zero_extended)
{
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.len = 1;
	run->mmio.is_write = 1;
	memset(run->mmio.data, 0xFF, 8);
	cr_assert_eq(decode(0).value, 0xFFULL);
}

Test(exit_decode, mmio_len_0_is_malformed)
{
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.len = 0;
	run->mmio.is_write = 1;
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
	run->mmio.is_write = 0;
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
}

Test(exit_decode, mmio_len_9_is_malformed)
{
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.len = 9;
	run->mmio.is_write = 1;
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
	run->mmio.len = 0xFFFFFFFFU;
	cr_assert_eq(decode(0).kind, VEXIT_MALFORMED);
}

Test(exit_decode, mmio_read)
{
	struct vexit v;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xFEB00018;
	run->mmio.len = 4;
	run->mmio.is_write = 0;
	memset(run->mmio.data, 0xEE, 8);
	v = decode(0);
	cr_assert_eq(v.kind, VEXIT_MMIO_READ);
	cr_assert_eq(v.addr, 0xFEB00018);
	cr_assert_eq(v.len, 4);
	cr_assert_eq(v.value, 0);
}

/* ---- errno, simple exits ---- */

Test(exit_decode, eintr_is_intr_regardless_of_exit_reason)
{
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.len = 99;
	cr_assert_eq(decode(EINTR).kind, VEXIT_INTR);
	run->exit_reason = KVM_EXIT_SHUTDOWN;
	cr_assert_eq(decode(EINTR).kind, VEXIT_INTR);
	run->exit_reason = 9999;
	cr_assert_eq(decode(EINTR).kind, VEXIT_INTR);
}

Test(exit_decode, kvm_exit_intr_is_intr)
{
	run->exit_reason = KVM_EXIT_INTR;
	cr_assert_eq(decode(0).kind, VEXIT_INTR);
}

Test(exit_decode, hlt)
{
	run->exit_reason = KVM_EXIT_HLT;
	cr_assert_eq(decode(0).kind, VEXIT_HLT);
	cr_assert_eq(decode(0).reason, KVM_EXIT_HLT);
}

Test(exit_decode, shutdown)
{
	run->exit_reason = KVM_EXIT_SHUTDOWN;
	cr_assert_eq(decode(0).kind, VEXIT_SHUTDOWN);
}

Test(exit_decode, internal_error_copies_suberror)
{
	struct vexit v;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	v = decode(0);
	cr_assert_eq(v.kind, VEXIT_INTERNAL_ERROR);
	cr_assert_eq(v.suberror, KVM_INTERNAL_ERROR_EMULATION);
}

Test(exit_decode, fail_entry)
{
	struct vexit v;

	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = 0x21;
	v = decode(0);
	cr_assert_eq(v.kind, VEXIT_FAIL_ENTRY);
	cr_assert_eq(v.value, 0x21);
}

Test(exit_decode, x86_wrmsr_index_and_data)
{
	struct vexit v;

	run->exit_reason = KVM_EXIT_X86_WRMSR;
	run->msr.index = 0xC0000080;
	run->msr.data = 0xDEADBEEFCAFEF00DULL;
	run->msr.reason = KVM_MSR_EXIT_REASON_FILTER;
	v = decode(0);
	cr_assert_eq(v.kind, VEXIT_MSR_WRITE);
	cr_assert_eq(v.addr, 0xC0000080);
	cr_assert_eq(v.value, 0xDEADBEEFCAFEF00DULL);
	cr_assert_eq(v.suberror, KVM_MSR_EXIT_REASON_FILTER);
}

Test(exit_decode, x86_rdmsr_index)
{
	struct vexit v;

	run->exit_reason = KVM_EXIT_X86_RDMSR;
	run->msr.index = 0x1B;
	v = decode(0);
	cr_assert_eq(v.kind, VEXIT_MSR_READ);
	cr_assert_eq(v.addr, 0x1B);
}

Test(exit_decode, unknown_exit_reason)
{
	struct vexit v;

	run->exit_reason = 9999;
	v = decode(0);
	cr_assert_eq(v.kind, VEXIT_UNKNOWN);
	cr_assert_eq(v.reason, 9999);
}

Test(exit_decode, output_is_cleared_before_decoding)
{
	struct vexit v;

	run->exit_reason = KVM_EXIT_HLT;
	v = decode(0);
	cr_assert_eq(v.addr, 0);
	cr_assert_eq(v.value, 0);
	cr_assert_eq(v.data_off, 0);
	cr_assert_eq(v.data_len, 0);
	cr_assert_eq(v.suberror, 0);
}

/* ---- exit_kind_name ---- */

Test(exit_kind_name, every_kind_has_a_distinct_name)
{
	for (int k = VEXIT_PIO_OUT; k <= VEXIT_UNKNOWN; k++) {
		const char *n = exit_kind_name((enum vexit_kind)k);

		cr_assert_not_null(n);
		cr_assert_str_neq(n, "?", "kind %d", k);
		for (int j = VEXIT_PIO_OUT; j < k; j++)
			cr_assert_str_neq(n, exit_kind_name((enum vexit_kind)j));
	}
	cr_assert_str_eq(exit_kind_name(VEXIT_PIO_OUT), "pio_out");
	cr_assert_str_eq(exit_kind_name(VEXIT_MALFORMED), "malformed");
}

Test(exit_kind_name, out_of_range_kinds_are_never_null)
{
	cr_assert_not_null(exit_kind_name((enum vexit_kind)(VEXIT_UNKNOWN + 1)));
	cr_assert_not_null(exit_kind_name((enum vexit_kind)1000));
	cr_assert_not_null(exit_kind_name((enum vexit_kind) - 1));
	cr_assert_not_null(exit_kind_name((enum vexit_kind)0x7FFFFFFF));
}
