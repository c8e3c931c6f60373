/* libFuzzer target: `vtlmon report` over arbitrary bytes as an event log (summary, JSON, SVG). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "monitor/base/evlog.h"
#include "monitor/base/exitcodes.h"
#include "monitor/cmd/report.h"

/* Output for a terminal or a file: printable ASCII and newlines, nothing else. */
static void fuzz_printable(const char *s, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK((s[i] >= 0x20 && s[i] < 0x7f) || s[i] == '\n', "%s: byte 0x%02x at %zu",
			   what, (unsigned char)s[i], i);
}

/* The JSON summary is one line of valid JSON: the event-log reader takes it as a field. */
static void fuzz_json_valid(const char *s, size_t n)
{
	static const char head[] = "{\"t\":0,\"type\":\"r\",\"r\":";
	size_t hl = sizeof(head) - 1;
	char *line;
	struct evlog l;

	FUZZ_CHECK(n > 1 && s[n - 1] == '\n' && !memchr(s, '\n', n - 1), "not one line");
	line = malloc(hl + n);
	FUZZ_CHECK(line != NULL, "malloc");
	memcpy(line, head, hl);
	memcpy(line + hl, s, n - 1);
	line[hl + n - 1] = '}';
	FUZZ_CHECK(evlog_parse(&l, line, hl + n) == 0, "JSON: %s at column %zu", l.err,
		   l.err_col > hl ? l.err_col - hl : 0);
	evlog_free(&l);
	free(line);
}

/* Well-formed SVG: every tag closed in order, every '&' one of the five entities. */
static void fuzz_svg_valid(const char *s, size_t n)
{
	static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
	const char *stack[16];
	size_t len[16], depth = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '&') {
			bool ok = false;

			for (size_t k = 0; k < 5; k++)
				ok |= !strncmp(s + i, ents[k], strlen(ents[k]));
			FUZZ_CHECK(ok, "bare '&' at %zu", i);
		}
		if (s[i] != '<')
			continue;
		const char *end = memchr(s + i, '>', n - i);
		size_t name = strcspn(s + i + 1, " />\n");

		FUZZ_CHECK(end != NULL, "tag at %zu never ends", i);
		if (s[i + 1] == '/') {
			FUZZ_CHECK(depth && len[depth - 1] == (size_t)(end - s - i - 2) &&
				       !memcmp(stack[depth - 1], s + i + 2, len[depth - 1]),
				   "end tag at %zu closes no open element", i);
			depth--;
		} else if (s[i + 1] != '?' && end[-1] != '/') {
			FUZZ_CHECK(depth < 16, "nested too deeply at %zu", i);
			stack[depth] = s + i + 1;
			len[depth++] = name;
		}
		i = (size_t)(end - s);
	}
	FUZZ_CHECK(depth == 0, "%zu elements left open", depth);
}

static int fuzz_report(const uint8_t *data, size_t size, bool json, char **out, size_t *out_len,
		       char **svg, size_t *svg_len)
{
	static const char nothing[1];
	FILE *in = fmemopen(size ? (void *)data : (void *)nothing, size ? size : 1, "r");
	FILE *o = open_memstream(out, out_len), *g = open_memstream(svg, svg_len);
	FILE *err = fopen("/dev/null", "w");
	int ret;

	FUZZ_CHECK(in && o && g && err, "streams");
	if (!size)
		fgetc(in); /* an empty log */
	ret = report_stream(in, "fuzz", o, g, json, err);
	fclose(in);
	fclose(o);
	fclose(g);
	fclose(err);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL, *svg = NULL;
	size_t out_len = 0, svg_len = 0;
	int ret;

	for (int json = 0; json < 2; json++) {
		ret = fuzz_report(data, size, json, &out, &out_len, &svg, &svg_len);
		FUZZ_CHECK(ret == VTLMON_EXIT_OK || ret == VTLMON_EXIT_INVALID, "status %d", ret);
		if (ret == VTLMON_EXIT_OK) {
			fuzz_printable(out, out_len, json ? "JSON" : "summary");
			fuzz_printable(svg, svg_len, "SVG");
			fuzz_svg_valid(svg, svg_len);
			if (json)
				fuzz_json_valid(out, out_len);
		} else {
			FUZZ_CHECK(out_len == 0 && svg_len == 0, "output for a log with no event");
		}
		free(out);
		free(svg);
	}
	return 0;
}
