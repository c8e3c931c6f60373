/* Unit tests for monitor/cli helpers: size parsing and bounded whole-file reads. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/base/file.h"
#include "monitor/cmd/cli.h"

/* ---- cli_parse_size ---- */

static uint64_t size_ok(const char *s)
{
	uint64_t v = 0xDEADBEEF;

	cr_assert_eq(cli_parse_size(s, &v), 0, "\"%s\" was rejected", s);
	return v;
}

static void size_bad(const char *s)
{
	uint64_t v = 0xDEADBEEF;

	cr_assert_eq(cli_parse_size(s, &v), -1, "\"%s\" was accepted as %llu", s,
		     (unsigned long long)v);
	cr_assert_eq(v, 0xDEADBEEF, "\"%s\": output written on failure", s);
}

Test(cli_parse_size, plain_bytes)
{
	cr_assert_eq(size_ok("4096"), 4096);
	cr_assert_eq(size_ok("2097152"), 2097152);
	cr_assert_eq(size_ok("0"), 0);
}

Test(cli_parse_size, mebibytes)
{
	cr_assert_eq(size_ok("64M"), 64ULL << 20);
	cr_assert_eq(size_ok("64m"), 64ULL << 20);
}

Test(cli_parse_size, mebibytes_with_ib_suffix)
{
	cr_assert_eq(size_ok("64MiB"), 64ULL << 20);
}

Test(cli_parse_size, mebibytes_with_b_suffix)
{
	cr_assert_eq(size_ok("64MB"), 64ULL << 20);
}

Test(cli_parse_size, gibibytes)
{
	cr_assert_eq(size_ok("1G"), 1ULL << 30);
	cr_assert_eq(size_ok("1GiB"), 1ULL << 30);
}

Test(cli_parse_size, kibibytes)
{
	cr_assert_eq(size_ok("2k"), 2048);
	cr_assert_eq(size_ok("4096K"), 4096ULL << 10);
}

Test(cli_parse_size, hex)
{
	cr_assert_eq(size_ok("0x1000"), 0x1000);
	cr_assert_eq(size_ok("0x10M"), 16ULL << 20);
}

Test(cli_parse_size, largest_values)
{
	cr_assert_eq(size_ok("18446744073709551615"), UINT64_MAX);
	cr_assert_eq(size_ok("17179869183G"), 17179869183ULL << 30);
}

Test(cli_parse_size, rejects_empty)
{
	size_bad("");
}

Test(cli_parse_size, rejects_null)
{
	uint64_t v = 0xDEADBEEF;

	cr_assert_eq(cli_parse_size(NULL, &v), -1);
}

Test(cli_parse_size, rejects_unit_without_number)
{
	size_bad("M");
	size_bad("G");
	size_bad("MiB");
}

Test(cli_parse_size, rejects_negative)
{
	size_bad("-1");
	size_bad("-0");
}

Test(cli_parse_size, rejects_leading_space_and_plus)
{
	size_bad(" 64M");
	size_bad("+64M");
}

Test(cli_parse_size, rejects_unknown_unit)
{
	size_bad("12Q");
	size_bad("12T");
}

Test(cli_parse_size, rejects_trailing_garbage)
{
	size_bad("64M ");
	size_bad("64MiBx");
	size_bad("64 M");
	size_bad("64MM");
	size_bad("0x");
}

Test(cli_parse_size, rejects_suffix_without_unit)
{
	size_bad("64iB");
	size_bad("64B");
}

Test(cli_parse_size, accepts_lowercase_units_with_suffixes)
{
	cr_assert_eq(size_ok("1kiB"), 1024);
	cr_assert_eq(size_ok("3gB"), 3ULL << 30);
}

Test(cli_parse_size, rejects_number_overflowing_u64)
{
	size_bad("99999999999999999999");
	size_bad("18446744073709551616");
}

Test(cli_parse_size, rejects_unit_overflowing_u64)
{
	size_bad("18446744073709551615G");
	size_bad("17179869184G");
	size_bad("17592186044416M");
	size_bad("18014398509481984K");
}

/* ---- file_read_all ---- */

static char dir[64];
static char file[128];

static void files_setup(void)
{
	strcpy(dir, "/tmp/vtlmon-test-cli-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/f", dir);
}

static void files_teardown(void)
{
	unlink(file);
	rmdir(dir);
}

static void write_file(const char *content, size_t len)
{
	FILE *f = fopen(file, "w");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(content, 1, len, f), len);
	fclose(f);
}

TestSuite(file_read_all, .init = files_setup, .fini = files_teardown);

Test(file_read_all, normal_file)
{
	void *buf = NULL;
	size_t len = 0;

	write_file("allow all\n", 10);
	cr_assert_eq(file_read_all(file, 4096, &buf, &len), 0);
	cr_assert_eq(len, 10);
	cr_assert_eq(memcmp(buf, "allow all\n", 10), 0);
	cr_assert_eq(((char *)buf)[10], '\0', "buffer is NUL-terminated");
	free(buf);
}

Test(file_read_all, binary_content_with_nul_bytes)
{
	void *buf = NULL;
	size_t len = 0;

	write_file("a\0b\0c", 5);
	cr_assert_eq(file_read_all(file, 4096, &buf, &len), 0);
	cr_assert_eq(len, 5);
	cr_assert_eq(memcmp(buf, "a\0b\0c", 5), 0);
	free(buf);
}

Test(file_read_all, empty_file)
{
	void *buf = NULL;
	size_t len = 99;

	write_file("", 0);
	cr_assert_eq(file_read_all(file, 4096, &buf, &len), 0);
	cr_assert_eq(len, 0);
	cr_assert_not_null(buf);
	free(buf);
}

Test(file_read_all, exactly_max_is_ok)
{
	void *buf = NULL;
	size_t len = 0;

	write_file("12345678", 8);
	cr_assert_eq(file_read_all(file, 8, &buf, &len), 0);
	cr_assert_eq(len, 8);
	free(buf);
}

Test(file_read_all, over_max_is_efbig)
{
	void *buf = NULL;
	size_t len = 0;

	write_file("123456789", 9);
	cr_assert_eq(file_read_all(file, 8, &buf, &len), -EFBIG);
	cr_assert_null(buf);
}

Test(file_read_all, missing_is_enoent)
{
	void *buf = NULL;
	size_t len = 0;
	char missing[160];

	snprintf(missing, sizeof(missing), "%s/does-not-exist", dir);
	cr_assert_eq(file_read_all(missing, 4096, &buf, &len), -ENOENT);
	cr_assert_null(buf);
}

Test(file_read_all, directory_is_an_error)
{
	void *buf = NULL;
	size_t len = 0;
	int r = file_read_all(dir, 4096, &buf, &len);

	cr_assert_lt(r, 0);
	cr_assert_null(buf);
}

Test(file_read_all, device_is_an_error)
{
	void *buf = NULL;
	size_t len = 0;

	/* /dev/zero would never end; a non-regular file must be refused. */
	cr_assert_lt(file_read_all("/dev/zero", 4096, &buf, &len), 0);
	cr_assert_null(buf);
}

Test(cli_parse_size, leading_zero_is_decimal_not_octal)
{
	uint64_t v = 0;

	cr_assert_eq(cli_parse_size("010", &v), 0);
	cr_assert_eq(v, 10);
	cr_assert_eq(cli_parse_size("0100M", &v), 0);
	cr_assert_eq(v, 100ULL << 20);
	cr_assert_eq(cli_parse_size("08", &v), 0);
	cr_assert_eq(v, 8);
}
