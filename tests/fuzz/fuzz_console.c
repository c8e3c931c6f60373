/* libFuzzer target: a guest console line (console_line.c): sanitising and cutting arbitrary bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "monitor/base/console_line.h"

/*
 * The input is the guest's byte stream. An independent model keeps the line
 * the contract describes; every flush must hand out exactly it: no byte
 * outside printable ASCII and tab (no escape sequence reaches the terminal),
 * no CR, never longer than CONSOLE_LINE_MAX, cut at every newline and every
 * CONSOLE_LINE_MAX bytes.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct console_line c;
	char model[CONSOLE_LINE_MAX];
	size_t mn = 0;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < size; i++) {
		uint8_t ch = data[i];
		bool done = console_line_feed(&c, ch), want = false;

		if (ch == '\n') {
			want = true;
		} else if (ch != '\r') {
			model[mn++] = (ch >= 0x20 && ch < 0x7F) || ch == '\t' ? (char)ch : '?';
			want = mn == CONSOLE_LINE_MAX;
		}
		FUZZ_CHECK(c.n <= CONSOLE_LINE_MAX, "line of %u bytes", c.n);
		FUZZ_CHECK(c.n == mn && !memcmp(c.buf, model, mn),
			   "line differs from the model at %zu", i);
		FUZZ_CHECK(done == want, "byte %zu (0x%02x): flush %d, expected %d", i, ch, done,
			   want);
		for (uint32_t k = 0; k < c.n; k++)
			FUZZ_CHECK((c.buf[k] >= 0x20 && c.buf[k] < 0x7F) || c.buf[k] == '\t',
				   "byte 0x%02x reached the line", (uint8_t)c.buf[k]);
		if (done) {
			c.n = 0; /* what the flush does */
			mn = 0;
		}
	}
	return 0;
}
