/* Unit tests of the guests' formatter (guestlib/fmt.c), built for the host from its source. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "guestlib/fmt.c"

/* Truncation is the point of some cases here; an empty or odd format is a case too. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-overflow"

/* gl_snprintf and the host's snprintf must agree on everything both support. */
#define SAME(size, ...)                                                                            \
	do {                                                                                       \
		char got_[96], want_[96];                                                          \
		int g_, w_;                                                                        \
                                                                                                   \
		memset(got_, 0x55, sizeof(got_));                                                  \
		memset(want_, 0x55, sizeof(want_));                                                \
		g_ = gl_snprintf(got_, (size), __VA_ARGS__);                                       \
		w_ = snprintf(want_, (size), __VA_ARGS__);                                         \
		cr_assert_eq(g_, w_, "length %d, want %d for %s", g_, w_, #__VA_ARGS__);           \
		cr_assert_eq(memcmp(got_, want_, sizeof(got_)), 0, "\"%s\", want \"%s\" (%s)",     \
			     got_, want_, #__VA_ARGS__);                                           \
	} while (0)

Test(fmt, literal_runs_and_conversions)
{
	SAME(96, "plain text with no conversion at all");
	SAME(96, "%s", "");
	SAME(96, "");
	SAME(96, "a%sb%sc", "X", "");
	SAME(96, "policy: %u memory rules (%u ranges), watchdog %lu us", 2u, 2u, 10000ul);
	SAME(96, "%5s|%1s|%c|%%|%x|%08lx|%d|%ld", "ab", "q", 'z', 0xbeefu, 0x1234ul, -42,
	     -9000000000l);
	SAME(96, "100%% sure: %s%%", "50% of it");
	SAME(96, "%zu %lu", (size_t)7, (unsigned long)UINT64_MAX);
}

/* Truncation: what fits, always NUL-terminated, and the full length returned. */
Test(fmt, truncates_like_snprintf)
{
	for (size_t size = 1; size < 40; size++) {
		SAME(size, "abcdefghij %s klmnop %u qrstuv", "0123456789", 123456u);
		SAME(size, "%s", "a string longer than some of the buffers");
	}
}

Test(fmt, size_zero_writes_nothing)
{
	char c = 'x';

	cr_assert_eq(gl_snprintf(&c, 0, "hello %s", "world"), 11);
	cr_assert_eq(c, 'x');
}

Test(fmt, null_string_and_lone_percent)
{
	char buf[32];

	cr_assert_eq(gl_snprintf(buf, sizeof(buf), "[%s]", (const char *)NULL), 8);
	cr_assert_str_eq(buf, "[(null)]");
	cr_assert_eq(gl_snprintf(buf, sizeof(buf), "tail %"), 5);
	cr_assert_str_eq(buf, "tail ");
	cr_assert_eq(gl_snprintf(buf, sizeof(buf), "%p", (void *)0x1234), 18);
	cr_assert_str_eq(buf, "0x0000000000001234");
}
