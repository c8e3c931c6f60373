/* libFuzzer target: json_escape of guest bytes into a bounded buffer, decoded back and checked. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "monitor/events.h"

/* Input layout: u16 capacity selector, then the guest bytes to escape. */
#define FUZZ_CAP_MAX 600

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Bytes the escaper emits for one input byte. */
static size_t escaped_len(unsigned char c)
{
	if (c == '"' || c == '\\')
		return 2;
	return c < 0x20 || c >= 0x7f ? 6 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	size_t cap = fuzz_u16(&in) % (FUZZ_CAP_MAX + 1);
	const unsigned char *src = in.p;
	size_t len = in.n, n, i = 0, m = 0;
	char *dst;

	/* Exactly cap bytes, so ASan catches a write past the capacity. */
	dst = malloc(cap ? cap : 1);
	FUZZ_CHECK(dst != NULL, "malloc");
	n = json_escape(dst, cap, (const char *)src, len);
	FUZZ_CHECK(n <= cap, "wrote %zu into %zu", n, cap);

	/*
	 * Decode: only printable ASCII, every quote and backslash escaped, and
	 * the result is exactly a prefix of the input.
	 */
	while (i < n) {
		char c = dst[i];
		int b;

		FUZZ_CHECK(c >= 0x20 && c <= 0x7e, "byte 0x%02x in output", (unsigned char)c);
		FUZZ_CHECK(c != '"', "unescaped quote at %zu", i);
		if (c != '\\') {
			b = (unsigned char)c;
			i++;
		} else {
			FUZZ_CHECK(i + 1 < n, "escape cut at the end");
			if (dst[i + 1] == '"' || dst[i + 1] == '\\') {
				b = (unsigned char)dst[i + 1];
				i += 2;
			} else {
				FUZZ_CHECK(i + 6 <= n && !memcmp(dst + i, "\\u00", 4),
					   "bad escape at %zu", i);
				FUZZ_CHECK(hexval(dst[i + 4]) >= 0 && hexval(dst[i + 5]) >= 0,
					   "bad hex at %zu", i);
				b = hexval(dst[i + 4]) * 16 + hexval(dst[i + 5]);
				/* A \u escape only for what JSON or the log's ASCII-only rule
				 * needs. */
				FUZZ_CHECK(b < 0x20 || b >= 0x7f, "needless escape of 0x%02x", b);
				i += 6;
			}
		}
		FUZZ_CHECK(m < len && src[m] == b, "decoded byte %zu is not the input's", m);
		m++;
	}
	/* It stops only when the next escape does not fit: never a needless truncation. */
	if (m < len)
		FUZZ_CHECK(n + escaped_len(src[m]) > cap,
			   "stopped at input byte %zu with %zu of %zu bytes used", m, n, cap);
	free(dst);
	return 0;
}
