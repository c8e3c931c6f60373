/* Unit tests for monitor/mem: range_within and bounds-checked guest RAM access (memfd, no KVM). */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>

#include "monitor/base/mem.h"

#define BASE 0x100000000ULL
#define SIZE (1ULL << 20)
#define END  (BASE + SIZE)

/* ---- range_within ---- */

Test(range_within, whole_region)
{
	cr_assert(range_within(BASE, SIZE, BASE, SIZE));
}

Test(range_within, len_zero_inside_and_at_end)
{
	cr_assert(range_within(BASE, 0, BASE, SIZE));
	cr_assert(range_within(BASE + 5, 0, BASE, SIZE));
	cr_assert(range_within(END, 0, BASE, SIZE));
}

Test(range_within, len_zero_outside_is_rejected)
{
	cr_assert_not(range_within(END + 1, 0, BASE, SIZE));
	cr_assert_not(range_within(BASE - 1, 0, BASE, SIZE));
}

Test(range_within, last_byte)
{
	cr_assert(range_within(END - 1, 1, BASE, SIZE));
	cr_assert_not(range_within(END - 1, 2, BASE, SIZE));
	cr_assert_not(range_within(END, 1, BASE, SIZE));
}

Test(range_within, addr_below_base)
{
	cr_assert_not(range_within(BASE - 1, 2, BASE, SIZE));
	cr_assert_not(range_within(0, 1, BASE, SIZE));
}

Test(range_within, region_ending_at_2_pow_64)
{
	const uint64_t base = 0xFFFFFFFFFFFFF000ULL, size = 0x1000;

	cr_assert(range_within(base, size, base, size));
	cr_assert(range_within(UINT64_MAX, 1, base, size));
	cr_assert_not(range_within(UINT64_MAX, 2, base, size));
	cr_assert_not(range_within(base, size + 1, base, size));
}

Test(range_within, addr_plus_len_overflow)
{
	cr_assert_not(range_within(BASE, UINT64_MAX, BASE, SIZE));
	cr_assert_not(range_within(END - 1, UINT64_MAX, BASE, SIZE));
	cr_assert_not(range_within(0xFFFFFFFFFFFFFFF0ULL, 0x20, 0, UINT64_MAX));
}

Test(range_within, whole_address_space_region)
{
	cr_assert(range_within(0, UINT64_MAX, 0, UINT64_MAX));
	cr_assert(range_within(UINT64_MAX - 1, 1, 0, UINT64_MAX));
}

Test(range_within, empty_region)
{
	cr_assert(range_within(BASE, 0, BASE, 0));
	cr_assert_not(range_within(BASE, 1, BASE, 0));
}

/* ---- guest_ram ---- */

static struct guest_ram ram;

static void ram_setup(void)
{
	cr_assert_eq(guest_ram_create(&ram, "test-ram", BASE, SIZE), 0);
	cr_assert_geq(ram.memfd, 0);
	cr_assert_neq(ram.hva.v, 0);
}

static void ram_teardown(void)
{
	guest_ram_destroy(&ram);
}

TestSuite(guest_ram, .init = ram_setup, .fini = ram_teardown);

Test(guest_ram, create_is_zero_filled)
{
	const uint8_t *p = guest_ram_ptr(&ram, gpa(BASE), SIZE);

	cr_assert_not_null(p);
	for (uint64_t i = 0; i < SIZE; i += 4096)
		cr_assert_eq(p[i], 0);
	cr_assert_eq(p[SIZE - 1], 0);
}

Test(guest_ram, ptr_first_and_last_byte)
{
	uint8_t *first = guest_ram_ptr(&ram, gpa(BASE), 1);
	uint8_t *last = guest_ram_ptr(&ram, gpa(END - 1), 1);

	cr_assert_eq((uintptr_t)first, ram.hva.v);
	cr_assert_eq((uintptr_t)last, ram.hva.v + SIZE - 1);
}

Test(guest_ram, ptr_one_past_end_is_null)
{
	cr_assert_null(guest_ram_ptr(&ram, gpa(END), 1));
	cr_assert_null(guest_ram_ptr(&ram, gpa(END - 1), 2));
	cr_assert_null(guest_ram_ptr(&ram, gpa(BASE), SIZE + 1));
}

Test(guest_ram, ptr_len_overflow_is_null)
{
	cr_assert_null(guest_ram_ptr(&ram, gpa(BASE + 0x1000), UINT64_MAX));
	cr_assert_null(guest_ram_ptr(&ram, gpa(BASE + 0x1000), UINT64_MAX - 0xFFF));
}

Test(guest_ram, ptr_below_base_is_null)
{
	cr_assert_null(guest_ram_ptr(&ram, gpa(BASE - 1), 1));
	cr_assert_null(guest_ram_ptr(&ram, gpa(BASE - 1), 2));
	cr_assert_null(guest_ram_ptr(&ram, gpa(0), 1));
}

Test(guest_ram, ptr_far_above_is_null)
{
	cr_assert_null(guest_ram_ptr(&ram, gpa(UINT64_MAX), 1));
}

Test(guest_ram, contains_matches_bounds)
{
	cr_assert(guest_ram_contains(&ram, gpa(BASE), SIZE));
	cr_assert(guest_ram_contains(&ram, gpa(END - 8), 8));
	cr_assert_not(guest_ram_contains(&ram, gpa(END - 8), 9));
	cr_assert_not(guest_ram_contains(&ram, gpa(BASE - 8), 8));
}

Test(guest_ram, destroyed_region_gives_null)
{
	struct guest_ram r;

	cr_assert_eq(guest_ram_create(&r, "tmp", 0, 4096), 0);
	guest_ram_destroy(&r);
	cr_assert_null(guest_ram_ptr(&r, gpa(0), 1));
}

Test(guest_ram, write_then_read_round_trip)
{
	const char msg[] = "secure kernel";
	char back[sizeof(msg)];

	cr_assert_eq(guest_ram_write(&ram, gpa(BASE + 0x1234), msg, sizeof(msg)), 0);
	memset(back, 0, sizeof(back));
	cr_assert_eq(guest_ram_read(&ram, gpa(BASE + 0x1234), back, sizeof(back)), 0);
	cr_assert_str_eq(back, msg);
	cr_assert_eq(memcmp((uint8_t *)ram.hva.v + 0x1234, msg, sizeof(msg)), 0);
}

Test(guest_ram, read_at_last_bytes_is_ok)
{
	uint64_t v = 0x1122334455667788ULL, back = 0;

	cr_assert_eq(guest_ram_write(&ram, gpa(END - 8), &v, 8), 0);
	cr_assert_eq(guest_ram_read(&ram, gpa(END - 8), &back, 8), 0);
	cr_assert_eq(back, v);
}

Test(guest_ram, read_out_of_range_leaves_dst_untouched)
{
	uint8_t dst[16];

	memset((void *)ram.hva.v, 0x55, SIZE);
	memset(dst, 0xAA, sizeof(dst));
	cr_assert_eq(guest_ram_read(&ram, gpa(END - 8), dst, 16), -1);
	cr_assert_eq(guest_ram_read(&ram, gpa(BASE - 8), dst, 16), -1);
	cr_assert_eq(guest_ram_read(&ram, gpa(END), dst, 1), -1);
	cr_assert_eq(guest_ram_read(&ram, gpa(BASE), dst, UINT64_MAX), -1);
	for (size_t i = 0; i < sizeof(dst); i++)
		cr_assert_eq(dst[i], 0xAA);
}

Test(guest_ram, write_out_of_range_leaves_ram_untouched)
{
	uint8_t src[16];
	const uint8_t *p = (const uint8_t *)ram.hva.v;

	memset(src, 0xAA, sizeof(src));
	cr_assert_eq(guest_ram_write(&ram, gpa(END - 8), src, 16), -1);
	cr_assert_eq(guest_ram_write(&ram, gpa(BASE - 8), src, 16), -1);
	for (size_t i = 0; i < 16; i++) {
		cr_assert_eq(p[i], 0);
		cr_assert_eq(p[SIZE - 16 + i], 0);
	}
}

Test(guest_ram, read_str_nul_terminated)
{
	char out[32];

	guest_ram_write(&ram, gpa(BASE + 0x100), "hello", 6);
	memset(out, 'X', sizeof(out));
	cr_assert_eq(guest_ram_read_str(&ram, gpa(BASE + 0x100), out, sizeof(out)), 5);
	cr_assert_str_eq(out, "hello");
}

Test(guest_ram, read_str_empty)
{
	char out[8];

	memset(out, 'X', sizeof(out));
	cr_assert_eq(guest_ram_read_str(&ram, gpa(BASE + 0x200), out, sizeof(out)), 0);
	cr_assert_str_eq(out, "");
}

Test(guest_ram, read_str_truncated_at_max_minus_1)
{
	char out[8];

	guest_ram_write(&ram, gpa(BASE + 0x100), "abcdefghijkl", 13);
	memset(out, 'X', sizeof(out));
	cr_assert_eq(guest_ram_read_str(&ram, gpa(BASE + 0x100), out, sizeof(out)), 7);
	cr_assert_str_eq(out, "abcdefg");
}

Test(guest_ram, read_str_exactly_max_minus_1_fits)
{
	char out[8];

	guest_ram_write(&ram, gpa(BASE + 0x100), "abcdefg", 8);
	cr_assert_eq(guest_ram_read_str(&ram, gpa(BASE + 0x100), out, sizeof(out)), 7);
	cr_assert_str_eq(out, "abcdefg");
}

Test(guest_ram, read_str_max_1_gives_empty_string)
{
	char out[1] = {'X'};

	guest_ram_write(&ram, gpa(BASE + 0x100), "abc", 4);
	cr_assert_eq(guest_ram_read_str(&ram, gpa(BASE + 0x100), out, 1), 0);
	cr_assert_eq(out[0], '\0');
}

Test(guest_ram, read_str_running_to_end_of_ram_stops_there)
{
	char out[64];

	/* The last 10 bytes of RAM are non-NUL and nothing follows them. */
	memset((uint8_t *)ram.hva.v + SIZE - 10, 'q', 10);
	memset(out, 'X', sizeof(out));
	cr_assert_eq(guest_ram_read_str(&ram, gpa(END - 10), out, sizeof(out)), 10);
	cr_assert_str_eq(out, "qqqqqqqqqq");
}

Test(guest_ram, read_str_last_byte_of_ram)
{
	char out[8];

	memset((uint8_t *)ram.hva.v + SIZE - 1, 'z', 1);
	cr_assert_eq(guest_ram_read_str(&ram, gpa(END - 1), out, sizeof(out)), 1);
	cr_assert_str_eq(out, "z");
}

Test(guest_ram, read_str_start_outside_is_minus_1_and_terminated)
{
	char out[8];

	memset(out, 'X', sizeof(out));
	cr_assert_eq(guest_ram_read_str(&ram, gpa(END), out, sizeof(out)), -1);
	cr_assert_eq(out[0], '\0');
	cr_assert_eq(guest_ram_read_str(&ram, gpa(BASE - 1), out, sizeof(out)), -1);
	cr_assert_eq(guest_ram_read_str(&ram, gpa(0), out, sizeof(out)), -1);
	cr_assert_eq(guest_ram_read_str(&ram, gpa(UINT64_MAX), out, sizeof(out)), -1);
}

Test(guest_ram, read_str_max_0_is_minus_1)
{
	char out[1] = {'X'};

	cr_assert_eq(guest_ram_read_str(&ram, gpa(BASE), out, 0), -1);
	cr_assert_eq(out[0], 'X');
}

Test(guest_ram, zero_clears_everything_and_keeps_mapping)
{
	uint8_t *p = (uint8_t *)ram.hva.v;
	uint8_t b = 0;

	memset(p, 0xCC, SIZE);
	guest_ram_zero(&ram);
	for (uint64_t i = 0; i < SIZE; i += 512)
		cr_assert_eq(p[i], 0, "byte %lu", (unsigned long)i);
	cr_assert_eq(p[SIZE - 1], 0);
	/* Still usable afterwards. */
	cr_assert_eq(guest_ram_write(&ram, gpa(BASE + 7), "\x42", 1), 0);
	cr_assert_eq(guest_ram_read(&ram, gpa(BASE + 7), &b, 1), 0);
	cr_assert_eq(b, 0x42);
}

Test(guest_ram, two_mappings_of_the_memfd_share_pages)
{
	/* MAP_SHARED memfd: a second mapping (as a second VM would have) sees writes. */
	uint8_t *other = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, ram.memfd, 0);

	cr_assert_neq(other, MAP_FAILED);
	guest_ram_write(&ram, gpa(BASE + 0x3000), "shared", 7);
	cr_assert_str_eq((const char *)other + 0x3000, "shared");
	munmap(other, SIZE);
}
