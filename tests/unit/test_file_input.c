/* Unit tests for the streamed inputs (--kernel, --initrd): one pass that hashes and scatters. */
#include <criterion/criterion.h>

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/base/input.h"

/* Larger than the stream's 64 KiB chunk and not a multiple of it: runs cross chunk edges. */
#define T_SIZE (200 * 1024 + 123)

static char t_dir[64], t_path[128];
static uint8_t *t_bytes;

static void t_write(const uint8_t *b, size_t n)
{
	FILE *f = fopen(t_path, "w");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(b, 1, n, f), n);
	fclose(f);
}

static void t_setup(void)
{
	strcpy(t_dir, "/tmp/vtlmon-test-input-XXXXXX");
	cr_assert_not_null(mkdtemp(t_dir));
	snprintf(t_path, sizeof(t_path), "%s/f", t_dir);
	t_bytes = malloc(T_SIZE);
	cr_assert_not_null(t_bytes);
	for (size_t i = 0; i < T_SIZE; i++)
		t_bytes[i] = (uint8_t)(i * 131 + (i >> 9));
	t_write(t_bytes, T_SIZE);
}

static void t_teardown(void)
{
	unlink(t_path);
	rmdir(t_dir);
	free(t_bytes);
}

TestSuite(file_input, .init = t_setup, .fini = t_teardown);

Test(file_input, digest_is_the_whole_files_and_runs_land_where_asked)
{
	struct file_input in;
	uint8_t want[FILE_SHA256_BYTES], got[FILE_SHA256_BYTES], head[4096];
	static uint8_t a[300], b[70000], c[5];
	/* In the head, across the head's end and a chunk edge, and the file's last bytes. */
	const struct file_copy copies[] = {
	    {100, sizeof(a), a},
	    {4000, sizeof(b), b},
	    {T_SIZE - sizeof(c), sizeof(c), c},
	};

	cr_assert_eq(file_input_open(&in, t_path, 1 << 20), 0);
	cr_assert_eq(in.size, T_SIZE);
	cr_assert_eq(file_input_read(&in, head, sizeof(head), 0), 0);
	cr_assert_eq(memcmp(head, t_bytes, sizeof(head)), 0);
	cr_assert_eq(file_input_stream(&in, head, sizeof(head), copies, 3, got), 0);
	crypto_hash_sha256(want, t_bytes, T_SIZE);
	cr_assert_eq(memcmp(got, want, sizeof(want)), 0, "SHA-256 of the whole file");
	cr_assert_eq(memcmp(a, t_bytes + 100, sizeof(a)), 0);
	cr_assert_eq(memcmp(b, t_bytes + 4000, sizeof(b)), 0);
	cr_assert_eq(memcmp(c, t_bytes + T_SIZE - sizeof(c), sizeof(c)), 0);
	file_input_close(&in);
	cr_assert_eq(in.fd, -1);
}

/* The head is what was planned on: it is hashed and copied, never read again. */
Test(file_input, the_head_is_taken_from_memory)
{
	struct file_input in;
	uint8_t head[64], got[FILE_SHA256_BYTES], want[FILE_SHA256_BYTES], first[64];
	const struct file_copy copy = {0, sizeof(first), first};

	cr_assert_eq(file_input_open(&in, t_path, 1 << 20), 0);
	memset(head, 0xAB, sizeof(head));
	cr_assert_eq(file_input_stream(&in, head, sizeof(head), &copy, 1, got), 0);
	cr_assert_eq(memcmp(first, head, sizeof(first)), 0);
	memcpy(t_bytes, head, sizeof(head));
	crypto_hash_sha256(want, t_bytes, T_SIZE);
	cr_assert_eq(memcmp(got, want, sizeof(want)), 0);
	file_input_close(&in);
}

/* A file changed since it was opened: a different digest, or an error if it shrank. */
Test(file_input, a_changed_file_is_seen)
{
	struct file_input in;
	uint8_t d1[FILE_SHA256_BYTES], d2[FILE_SHA256_BYTES];

	cr_assert_eq(file_input_open(&in, t_path, 1 << 20), 0);
	cr_assert_eq(file_input_stream(&in, NULL, 0, NULL, 0, d1), 0);
	t_bytes[T_SIZE - 1] ^= 1;
	t_write(t_bytes, T_SIZE);
	cr_assert_eq(file_input_stream(&in, NULL, 0, NULL, 0, d2), 0);
	cr_assert_neq(memcmp(d1, d2, sizeof(d1)), 0);
	cr_assert_eq(truncate(t_path, T_SIZE / 2), 0);
	cr_assert_eq(file_input_stream(&in, NULL, 0, NULL, 0, d2), -EIO);
	cr_assert_eq(file_input_read(&in, d2, sizeof(d2), T_SIZE - 100), -EIO);
	file_input_close(&in);
}

Test(file_input, ranges_past_the_size_are_refused)
{
	struct file_input in;
	uint8_t buf[16], d[FILE_SHA256_BYTES];
	const struct file_copy past = {T_SIZE - 8, 16, buf};
	const struct file_copy wraps = {UINT64_MAX - 4, 16, buf};

	cr_assert_eq(file_input_open(&in, t_path, 1 << 20), 0);
	cr_assert_eq(file_input_read(&in, buf, sizeof(buf), T_SIZE - 8), -EINVAL);
	cr_assert_eq(file_input_read(&in, buf, sizeof(buf), UINT64_MAX - 4), -EINVAL);
	cr_assert_eq(file_input_stream(&in, NULL, 0, &past, 1, d), -EINVAL);
	cr_assert_eq(file_input_stream(&in, NULL, 0, &wraps, 1, d), -EINVAL);
	cr_assert_eq(file_input_stream(&in, t_bytes, T_SIZE + 1, NULL, 0, d), -EINVAL);
	file_input_close(&in);
}

Test(file_input, open_refuses_what_file_read_all_refuses)
{
	struct file_input in;

	cr_assert_eq(file_input_open(&in, t_path, T_SIZE - 1), -EFBIG);
	cr_assert_eq(in.fd, -1);
	cr_assert_eq(file_input_open(&in, t_dir, 1 << 20), -EINVAL);
	cr_assert_eq(file_input_open(&in, "/dev/zero", 1 << 20), -EINVAL);
	cr_assert_eq(file_input_open(&in, "/nonexistent/vtlmon", 1 << 20), -ENOENT);
	file_input_close(&in); /* closing a never-opened input is harmless */
}
