/* Shared helpers for the libFuzzer targets: an input cursor and a fatal invariant check. */
#ifndef TESTS_FUZZ_FUZZ_COMMON_H
#define TESTS_FUZZ_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A broken invariant must stop libFuzzer the way a sanitizer report does, so
 * that the input is saved as a crash artifact: print where and why, then
 * abort() (libFuzzer catches SIGABRT as a "deadly signal").
 */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__,       \
				#cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/*
 * An invariant the code under test is known to break, with the bug reported
 * but not fixed yet (the file belongs to someone else). It is checked only
 * when FUZZ_PENDING=1 is in the environment, so that fuzzing and
 * `make fuzz-regress` stay useful meanwhile; its reproducer lives in
 * regress/<target>/pending-* and `make fuzz-pending` shows which still fail.
 * Once the fix lands, make the check a FUZZ_CHECK and drop the prefix.
 */
static inline int fuzz_pending_enabled(void)
{
	static int on = -1;

	if (on < 0) {
		const char *v = getenv("FUZZ_PENDING");

		on = v && v[0] == '1';
	}
	return on;
}

#define FUZZ_CHECK_PENDING(cond, ...)                                                              \
	do {                                                                                       \
		if (fuzz_pending_enabled())                                                        \
			FUZZ_CHECK(cond, __VA_ARGS__);                                             \
	} while (0)

/*
 * Reads fields off the front of the fuzz input. Past the end every read
 * yields zero bytes, so any input length decodes to some complete value
 * and short inputs stay meaningful (they mean "the rest is zero").
 */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline void fuzz_take(struct fuzz_in *in, void *dst, size_t len)
{
	size_t k = len < in->n ? len : in->n;

	memset(dst, 0, len);
	if (k)
		memcpy(dst, in->p, k);
	in->p += k;
	in->n -= k;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

/* Exact integer test of [addr, addr + len) inside [base, base + size): no wrap can hide. */
static inline int fuzz_range_inside(uint64_t addr, unsigned __int128 len, uint64_t base,
				    uint64_t size)
{
	return addr >= base && (unsigned __int128)addr + len <= (unsigned __int128)base + size;
}

/* A NUL within cap bytes and nothing but printable ASCII before it. */
static inline int fuzz_printable_str(const char *s, size_t cap)
{
	for (size_t i = 0; i < cap; i++) {
		if (s[i] == '\0')
			return 1;
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
