/* libFuzzer target: json_escape of guest bytes, decoded back (also by the event-log reader). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "monitor/base/events.h"
#include "monitor/base/evlog.h"

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

/*
 * The event-log reader (monitor/base/evlog.c) on the raw input: any bytes
 * give a log or a located error, never a crash, and only whole lines count.
 */
static void fuzz_evlog_raw(const uint8_t *data, size_t size)
{
	struct evlog l;
	size_t lines = 0;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	lines += size && data[size - 1] != '\n';
	if (evlog_parse(&l, (const char *)data, size) == 0) {
		FUZZ_CHECK(!l.err && l.n == lines, "%zu events from %zu lines", l.n, lines);
	} else {
		FUZZ_CHECK(l.err && l.err_line == l.n + 1 && l.err_col >= 1 && l.err_raw,
			   "error at line %zu after %zu events", l.err_line, l.n);
		FUZZ_CHECK(l.err_col <= l.err_rawlen + 1, "column %zu past the line", l.err_col);
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct evlog_event *e = &l.ev[i];
		const struct evlog_field *t = evlog_get(e, "t");

		FUZZ_CHECK(e->lineno == i + 1 && strlen(e->raw) == e->rawlen, "line %zu", i + 1);
		FUZZ_CHECK(e->type.n && t && t->kind == EVLOG_NUM, "line %zu: no t or type", i + 1);
	}
	evlog_free(&l);
}

/* The escaped bytes, as the value of an event's field, decode back to the input's prefix. */
static void fuzz_evlog_decode(const char *dst, size_t n, const unsigned char *src, size_t m)
{
	static const char head[] = "{\"t\":0,\"type\":\"j\",\"s\":\"", tail[] = "\"}";
	size_t hl = sizeof(head) - 1, tl = sizeof(tail) - 1;
	char *line = malloc(hl + n + tl);
	const struct evlog_field *f;
	struct evlog l;

	FUZZ_CHECK(line != NULL, "malloc");
	memcpy(line, head, hl);
	memcpy(line + hl, dst, n);
	memcpy(line + hl + n, tail, tl);
	FUZZ_CHECK(evlog_parse(&l, line, hl + n + tl) == 0, "evlog: %s at column %zu", l.err,
		   l.err_col);
	f = l.n == 1 ? evlog_get(&l.ev[0], "s") : NULL;
	FUZZ_CHECK(f && f->kind == EVLOG_STR, "no string field");
	FUZZ_CHECK(f->val.n == m && !memcmp(f->val.p, src, m),
		   "evlog decoded %zu bytes, the escaper took %zu", f->val.n, m);
	evlog_free(&l);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	size_t cap = fuzz_u16(&in) % (FUZZ_CAP_MAX + 1);
	const unsigned char *src = in.p;
	size_t len = in.n, n, i = 0, m = 0;
	char *dst;

	fuzz_evlog_raw(data, size);
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
	fuzz_evlog_decode(dst, n, src, m);
	free(dst);
	return 0;
}
