/* Unit tests for monitor/events: json_escape and the JSON Lines event builder. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/events.h"
#include "monitor/log.h"

/* ---- json_escape ---- */

static size_t esc(char *dst, size_t cap, const char *src, size_t len)
{
	size_t n = json_escape(dst, cap, src, len);

	cr_assert_leq(n, cap);
	dst[n] = '\0';
	return n;
}

Test(json_escape, plain_ascii_is_copied)
{
	char out[64];

	cr_assert_eq(esc(out, 63, "hello, world", 12), 12);
	cr_assert_str_eq(out, "hello, world");
}

Test(json_escape, quote_and_backslash)
{
	char out[64];

	esc(out, 63, "a\"b\\c", 5);
	cr_assert_str_eq(out, "a\\\"b\\\\c");
}

Test(json_escape, newline_tab_and_cr_become_unicode_escapes)
{
	char out[64];

	esc(out, 63, "\n\t\r", 3);
	cr_assert_str_eq(out, "\\u000a\\u0009\\u000d");
}

Test(json_escape, nul_byte_is_escaped_not_a_terminator)
{
	char out[64];

	cr_assert_eq(esc(out, 63, "a\0b", 3), 8);
	cr_assert_str_eq(out, "a\\u0000b");
}

Test(json_escape, byte_0x1f_is_escaped)
{
	char out[64];

	esc(out, 63, "\x1f", 1);
	cr_assert_str_eq(out, "\\u001f");
}

Test(json_escape, byte_0x20_and_tilde_are_literal)
{
	char out[64];

	esc(out, 63, " ~", 2);
	cr_assert_str_eq(out, " ~");
}

Test(json_escape, byte_0x7f_is_escaped)
{
	char out[64];

	esc(out, 63, "\x7f", 1);
	cr_assert_str_eq(out, "\\u007f");
}

Test(json_escape, byte_0xff_and_0x80_are_escaped)
{
	char out[64];

	esc(out, 63, "\xff\x80", 2);
	cr_assert_str_eq(out, "\\u00ff\\u0080");
}

Test(json_escape, every_byte_value_yields_only_printable_ascii)
{
	char src[256], out[256 * 6 + 1];
	size_t n;

	for (int i = 0; i < 256; i++)
		src[i] = (char)i;
	n = esc(out, sizeof(out) - 1, src, 256);
	for (size_t i = 0; i < n; i++)
		cr_assert(out[i] >= 0x20 && out[i] < 0x7f, "byte %zu is 0x%02x", i,
			  (unsigned char)out[i]);
}

Test(json_escape, zero_cap_writes_nothing)
{
	char out[4] = {'X', 'X', 'X', 'X'};

	cr_assert_eq(json_escape(out, 0, "abc", 3), 0);
	cr_assert_eq(out[0], 'X');
}

Test(json_escape, truncation_never_splits_a_two_byte_escape)
{
	char out[8];

	cr_assert_eq(esc(out, 2, "a\"", 2), 1);
	cr_assert_str_eq(out, "a");
}

Test(json_escape, truncation_never_splits_a_unicode_escape)
{
	char out[16];

	for (size_t cap = 0; cap < 6; cap++)
		cr_assert_eq(json_escape(out, cap, "\x01", 1), 0, "cap %zu", cap);
	cr_assert_eq(esc(out, 6, "\x01", 1), 6);
	cr_assert_eq(esc(out, 10, "ab\x01", 3), 8);
	cr_assert_eq(esc(out, 7, "ab\x01", 3), 2);
	cr_assert_str_eq(out, "ab");
}

Test(json_escape, truncation_stops_at_first_escape_that_does_not_fit)
{
	char out[16];

	/* After the escape is refused no later (shorter) byte may be appended. */
	cr_assert_eq(esc(out, 4,
			 "a\x01"
			 "b",
			 3),
		     1);
	cr_assert_str_eq(out, "a");
}

Test(json_escape, never_writes_past_cap)
{
	char src[64], out[512];

	for (int i = 0; i < 64; i++)
		src[i] = (char)(i * 7);
	for (size_t cap = 0; cap < 400; cap++) {
		size_t n;

		memset(out, 'Z', sizeof(out));
		n = json_escape(out, cap, src, sizeof(src));
		cr_assert_leq(n, cap);
		for (size_t i = cap; i < sizeof(out); i++)
			cr_assert_eq(out[i], 'Z', "cap %zu: byte %zu written", cap, i);
	}
}

/* ---- a minimal JSON object validator for emitted lines ---- */

static const char *skip_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 5;
				continue;
			}
			if (!strchr("\"\\/bfnrt", *p) || !*p)
				return NULL;
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *skip_value(const char *p)
{
	if (*p == '"')
		return skip_string(p);
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

/* One flat JSON object on one line, first keys "t" (a number) then "type". */
static void assert_event_line(const char *line)
{
	const char *p = line;
	int nkeys = 0;

	cr_assert(!strncmp(p, "{\"t\":", 5), "line does not start with {\"t\": %s", line);
	cr_assert(isdigit((unsigned char)p[5]), "t is not a number: %s", line);
	cr_assert_not_null(strstr(line, ",\"type\":\""), "no type: %s", line);
	cr_assert_eq(strchr(line, ',') - line, strstr(line, ",\"type\":\"") - line,
		     "type is not the second key: %s", line);
	p++;
	for (;;) {
		p = skip_string(p);
		cr_assert_not_null(p, "bad key in %s", line);
		cr_assert_eq(*p, ':', "no colon in %s", line);
		p = skip_value(p + 1);
		cr_assert_not_null(p, "bad value in %s", line);
		nkeys++;
		if (*p == '}')
			break;
		cr_assert_eq(*p, ',', "bad separator in %s", line);
		p++;
	}
	cr_assert_eq(p[1], '\0', "trailing bytes after object: %s", line);
	cr_assert_geq(nkeys, 2);
}

/* The part after the "t" value: ,"type":...} */
static const char *after_t(const char *line)
{
	const char *p = line + 5;

	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

/* ---- the event builder, writing to a temp file ---- */

static char path[64];
static struct events evs;
static char **lines_read; /* freed in teardown */
static size_t nlines_read;

static void ev_setup(void)
{
	int fd;

	strcpy(path, "/tmp/vtlmon-test-events-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(events_open(&evs, path, clock_ns()), 0);
	cr_assert_not_null(evs.f);
}

static void ev_teardown(void)
{
	for (size_t i = 0; i < nlines_read; i++)
		free(lines_read[i]);
	free(lines_read);
	unlink(path);
}

/* Closes the log and returns its lines (NULL-terminated array, freed by the teardown). */
static char **read_lines(size_t *nlines)
{
	FILE *f;
	char **lines = NULL;
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;

	events_close(&evs);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while ((len = getline(&line, &cap, f)) >= 0) {
		cr_assert(len > 0 && line[len - 1] == '\n', "line without newline");
		line[len - 1] = '\0';
		cr_assert_eq(strlen(line), (size_t)len - 1, "NUL byte inside a line");
		lines = realloc(lines, (n + 2) * sizeof(*lines));
		lines[n++] = strdup(line);
		lines[n] = NULL;
	}
	free(line);
	fclose(f);
	lines_read = lines;
	nlines_read = n;
	*nlines = n;
	return lines;
}

TestSuite(events, .init = ev_setup, .fini = ev_teardown);

Test(events, minimal_event_has_t_then_type)
{
	struct ev e;
	size_t n;
	char **l;

	ev_begin(&e, &evs, "boot");
	ev_emit(&e);
	l = read_lines(&n);
	cr_assert_eq(n, 1);
	assert_event_line(l[0]);
	cr_assert_str_eq(after_t(l[0]), ",\"type\":\"boot\"}");
}

Test(events, t_is_nanoseconds_since_t0)
{
	struct ev e;
	size_t n;
	char **l;
	uint64_t before = clock_ns() - evs.t0, after, t;

	ev_begin(&e, &evs, "boot");
	ev_emit(&e);
	after = clock_ns() - evs.t0;
	l = read_lines(&n);
	cr_assert_eq(sscanf(l[0], "{\"t\":%" SCNu64, &t), 1);
	cr_assert_geq(t, before);
	cr_assert_leq(t, after);
}

Test(events, all_field_kinds)
{
	struct ev e;
	size_t n;
	char **l;

	ev_begin(&e, &evs, "violation");
	ev_str(&e, "insn", "mov cr0, rax");
	ev_hex(&e, "gpa", 0xFEB00000ULL);
	ev_hex(&e, "zero", 0);
	ev_hex(&e, "max", UINT64_MAX);
	ev_u64(&e, "u", UINT64_MAX);
	ev_i64(&e, "i", INT64_MIN);
	ev_bool(&e, "yes", true);
	ev_bool(&e, "no", false);
	ev_emit(&e);
	l = read_lines(&n);
	cr_assert_eq(n, 1);
	assert_event_line(l[0]);
	cr_assert_str_eq(after_t(l[0]),
			 ",\"type\":\"violation\",\"insn\":\"mov cr0, rax\",\"gpa\":\"0xfeb00000\","
			 "\"zero\":\"0x0\",\"max\":\"0xffffffffffffffff\","
			 "\"u\":18446744073709551615,\"i\":-9223372036854775808,"
			 "\"yes\":true,\"no\":false}");
}

Test(events, string_values_are_escaped)
{
	struct ev e;
	size_t n;
	char **l;

	ev_begin(&e, &evs, "ucall");
	ev_str(&e, "msg", "say \"hi\"\\\n\x01\xff");
	ev_strn(&e, "raw", "a\0b\"", 4);
	ev_emit(&e);
	l = read_lines(&n);
	cr_assert_eq(n, 1);
	assert_event_line(l[0]);
	cr_assert_str_eq(after_t(l[0]), ",\"type\":\"ucall\",\"msg\":\"say \\\"hi\\\"\\\\\\u000a"
					"\\u0001\\u00ff\",\"raw\":\"a\\u0000b\\\"\"}");
}

Test(events, several_events_are_several_lines_in_order)
{
	struct ev e;
	size_t n;
	char **l;

	for (uint64_t i = 0; i < 10; i++) {
		ev_begin(&e, &evs, "vtl_call");
		ev_u64(&e, "seq", i);
		ev_emit(&e);
	}
	l = read_lines(&n);
	cr_assert_eq(n, 10);
	for (size_t i = 0; i < n; i++) {
		char want[64];

		assert_event_line(l[i]);
		snprintf(want, sizeof(want), ",\"type\":\"vtl_call\",\"seq\":%zu}", i);
		cr_assert_str_eq(after_t(l[i]), want);
	}
}

Test(events, over_long_string_becomes_event_overflow)
{
	struct ev e;
	char big[3000];
	size_t n;
	char **l;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ev_begin(&e, &evs, "ucall");
	ev_str(&e, "msg", big);
	ev_u64(&e, "after", 1);
	ev_emit(&e);
	l = read_lines(&n);
	cr_assert_eq(n, 1);
	assert_event_line(l[0]);
	cr_assert_str_eq(after_t(l[0]), ",\"type\":\"event_overflow\"}");
}

Test(events, string_whose_escaping_overflows_becomes_event_overflow)
{
	struct ev e;
	char bin[400];
	size_t n;
	char **l;

	/* 400 raw bytes fit the line; 2400 escaped ones do not. */
	memset(bin, 0x01, sizeof(bin));
	ev_begin(&e, &evs, "ucall");
	ev_strn(&e, "msg", bin, sizeof(bin));
	ev_emit(&e);
	l = read_lines(&n);
	cr_assert_eq(n, 1);
	assert_event_line(l[0]);
	cr_assert_str_eq(after_t(l[0]), ",\"type\":\"event_overflow\"}");
}

Test(events, many_fields_overflow_becomes_event_overflow)
{
	struct ev e;
	size_t n;
	char **l;

	ev_begin(&e, &evs, "protect");
	for (int i = 0; i < 200; i++)
		ev_hex(&e, "gpa", 0xFFFFFFFFFFFFFFFFULL);
	ev_emit(&e);
	l = read_lines(&n);
	cr_assert_eq(n, 1);
	assert_event_line(l[0]);
	cr_assert_str_eq(after_t(l[0]), ",\"type\":\"event_overflow\"}");
}

Test(events, long_string_that_fits_is_kept_whole)
{
	struct ev e;
	char s[1900];
	size_t n;
	char **l;

	memset(s, 'y', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	ev_begin(&e, &evs, "ucall");
	ev_str(&e, "msg", s);
	ev_emit(&e);
	l = read_lines(&n);
	cr_assert_eq(n, 1);
	assert_event_line(l[0]);
	cr_assert_not_null(strstr(l[0], s));
}

Test(events, largest_fitting_line_and_one_more_byte)
{
	/* Grow a string until the event overflows: every line must stay well-formed. */
	bool overflowed = false;
	size_t n;
	char **l;
	static char s[EV_LINE_MAX + 1];

	for (size_t len = EV_LINE_MAX - 64; len <= EV_LINE_MAX; len++) {
		struct ev e;

		memset(s, 'z', len);
		s[len] = '\0';
		ev_begin(&e, &evs, "t");
		ev_str(&e, "k", s);
		ev_emit(&e);
	}
	l = read_lines(&n);
	cr_assert_eq(n, 65);
	for (size_t i = 0; i < n; i++) {
		assert_event_line(l[i]);
		cr_assert_leq(strlen(l[i]) + 1, EV_LINE_MAX);
		if (strstr(l[i], "event_overflow"))
			overflowed = true;
		else
			cr_assert_not(overflowed,
				      "a longer event fit after a shorter one overflowed");
	}
	cr_assert(overflowed);
}

static void *emit_many(void *arg)
{
	for (int i = 0; i < 500; i++) {
		struct ev e;

		ev_begin(&e, &evs, "exit");
		ev_u64(&e, "thread", (uint64_t)(uintptr_t)arg);
		ev_str(&e, "pad", "0123456789012345678901234567890123456789");
		ev_emit(&e);
	}
	return NULL;
}

Test(events, concurrent_emitters_never_interleave_lines)
{
	pthread_t th[4];
	size_t n;
	char **l;

	for (uintptr_t i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, emit_many, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	l = read_lines(&n);
	cr_assert_eq(n, 2000);
	for (size_t i = 0; i < n; i++)
		assert_event_line(l[i]);
}

/* ---- events off ---- */

Test(events_off, open_null_makes_every_call_a_noop)
{
	struct events off;
	struct ev e;

	cr_assert_eq(events_open(&off, NULL, clock_ns()), 0);
	cr_assert_null(off.f);
	ev_begin(&e, &off, "boot");
	ev_str(&e, "s", "x");
	ev_strn(&e, "s", "x", 1);
	ev_u64(&e, "u", 1);
	ev_i64(&e, "i", -1);
	ev_hex(&e, "h", 1);
	ev_bool(&e, "b", true);
	ev_emit(&e);
	cr_assert_eq(e.n, 0);
	cr_assert_not(e.overflow);
	events_close(&off);
}

Test(events_off, null_events_pointer_is_a_noop)
{
	struct ev e;

	ev_begin(&e, NULL, "boot");
	ev_u64(&e, "u", 1);
	ev_str(&e, "s", "x");
	ev_emit(&e);
	cr_assert_eq(e.n, 0);
}

Test(events_off, open_of_unwritable_path_fails)
{
	struct events bad;

	cr_assert_eq(events_open(&bad, "/nonexistent-dir/vtlmon/events.jsonl", 0), -1);
	cr_assert_null(bad.f);
	events_close(&bad);
}
