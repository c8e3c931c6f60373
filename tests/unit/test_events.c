/* Unit tests for monitor/events: json_escape, the JSON Lines event builder, rate limits, failures.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/base/events.h"
#include "monitor/base/log.h"

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

static const char *skip_value(const char *p);

/* A nested object (the exit event's "suppressed"): {} or "key":value pairs. */
static const char *skip_object(const char *p)
{
	if (*p++ != '{')
		return NULL;
	if (*p == '}')
		return p + 1;
	for (;;) {
		p = skip_string(p);
		if (!p || *p != ':')
			return NULL;
		p = skip_value(p + 1);
		if (!p)
			return NULL;
		if (*p == '}')
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *skip_value(const char *p)
{
	if (*p == '"')
		return skip_string(p);
	if (*p == '{')
		return skip_object(p);
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

/* ---- the token bucket (pure) ---- */

#define S  1000000000ULL
#define MS 1000000ULL

/* Takes tokens until the bucket refuses one; how many it gave. */
static unsigned int drain(struct ev_bucket *b, uint64_t burst, uint64_t per_s, uint64_t now)
{
	unsigned int n = 0;

	while (ev_bucket_take(b, burst, per_s, now))
		cr_assert_lt(++n, 100000, "the bucket never runs dry");
	return n;
}

Test(ev_bucket, starts_full_and_gives_exactly_burst)
{
	struct ev_bucket b = {0};

	cr_assert_eq(drain(&b, 3, 0, 5 * S), 3);
	cr_assert_not(ev_bucket_take(&b, 3, 0, 5 * S));
}

Test(ev_bucket, no_rate_never_refills)
{
	struct ev_bucket b = {0};

	drain(&b, 2, 0, 0);
	cr_assert_not(ev_bucket_take(&b, 2, 0, 1000 * S));
}

Test(ev_bucket, refills_at_the_rate)
{
	struct ev_bucket b = {0};

	/* 10 a second: one token every 100 ms. */
	cr_assert_eq(drain(&b, 10, 10, S), 10);
	cr_assert_not(ev_bucket_take(&b, 10, 10, S + 99 * MS));
	cr_assert(ev_bucket_take(&b, 10, 10, S + 100 * MS));
	cr_assert_not(ev_bucket_take(&b, 10, 10, S + 100 * MS));
	cr_assert_eq(drain(&b, 10, 10, S + 450 * MS), 3);
}

Test(ev_bucket, refill_stops_at_burst)
{
	struct ev_bucket b = {0};

	drain(&b, 5, 10, 0);
	cr_assert_eq(drain(&b, 5, 10, 3600 * S), 5);
}

Test(ev_bucket, fractions_of_a_token_are_kept)
{
	struct ev_bucket b = {0};
	unsigned int got = 0;

	/* 3 a second: a token every 333,333,333.3 ns; the thirds must add up. */
	drain(&b, 100, 3, 0);
	cr_assert_not(ev_bucket_take(&b, 100, 3, 333333333));
	cr_assert(ev_bucket_take(&b, 100, 3, 333333334));
	cr_assert_not(ev_bucket_take(&b, 100, 3, 666666666));
	cr_assert(ev_bucket_take(&b, 100, 3, 666666667));
	cr_assert(ev_bucket_take(&b, 100, 3, S));
	cr_assert_not(ev_bucket_take(&b, 100, 3, S));
	/* Polled every 100 ms for 100 s: 300 tokens (rounding may move one across the end). */
	for (uint64_t t = S + S / 10; t <= 101 * S; t += S / 10)
		got += ev_bucket_take(&b, 100, 3, t);
	cr_assert(got >= 299 && got <= 301, "%u tokens", got);
}

Test(ev_bucket, time_spent_full_earns_nothing)
{
	struct ev_bucket b = {0};

	/* Full for 10 s, then drained: the next token is one period after the drain. */
	drain(&b, 2, 1, 10 * S);
	cr_assert_not(ev_bucket_take(&b, 2, 1, 10 * S + S - 1));
	cr_assert(ev_bucket_take(&b, 2, 1, 11 * S));
}

Test(ev_bucket, clock_going_back_gives_nothing)
{
	struct ev_bucket b = {0};

	drain(&b, 4, 1000, 100 * S);
	cr_assert_not(ev_bucket_take(&b, 4, 1000, 50 * S));
	cr_assert(ev_bucket_take(&b, 4, 1000, 100 * S + MS));
}

Test(ev_bucket, extreme_limits_do_not_overflow)
{
	struct ev_bucket b = {0};

	cr_assert(ev_bucket_take(&b, EV_LIMIT_MAX, EV_LIMIT_MAX, 0));
	cr_assert(ev_bucket_take(&b, EV_LIMIT_MAX, EV_LIMIT_MAX, UINT64_MAX));
	cr_assert_eq(b.tokens, EV_LIMIT_MAX - 1);
	memset(&b, 0, sizeof(b));
	drain(&b, 1, EV_LIMIT_MAX, 0);
	cr_assert(ev_bucket_take(&b, 1, EV_LIMIT_MAX, 1)); /* one token a nanosecond */
	memset(&b, 0, sizeof(b));
	drain(&b, EV_LIMIT_MAX / 100000, 1, 0);
	cr_assert(ev_bucket_take(&b, EV_LIMIT_MAX / 100000, 1, UINT64_MAX / 2));
}

/* ---- rate limits in the event log ---- */

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static void emit_type(const char *type, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct ev e;

		ev_begin(&e, &evs, type);
		ev_u64(&e, "i", i);
		ev_str(&e, "s", "guest bytes");
		ev_emit(&e);
	}
}

static size_t count_type(char **l, size_t n, const char *type)
{
	char want[64];
	size_t c = 0;

	snprintf(want, sizeof(want), ",\"type\":\"%s\"", type);
	for (size_t i = 0; i < n; i++) {
		assert_event_line(l[i]);
		c += !strncmp(after_t(l[i]), want, strlen(want));
	}
	return c;
}

Test(events, defaults_are_the_documented_limits)
{
	cr_assert_eq(evs.burst, EV_DEFAULT_BURST);
	cr_assert_eq(evs.per_s, EV_DEFAULT_RATE);
	cr_assert_eq(EV_DEFAULT_BURST, 1000);
	cr_assert_eq(EV_DEFAULT_RATE, 100);
}

Test(events, default_burst_passes_then_suppresses)
{
	size_t n;
	char **l;

	evs.clock = fake_clock;
	fake_now = 7 * S;
	emit_type("violation", EV_DEFAULT_BURST + 500);
	cr_assert_eq(evs.emitted[EV_L_VIOLATION], EV_DEFAULT_BURST);
	cr_assert_eq(evs.suppressed[EV_L_VIOLATION], 500);
	l = read_lines(&n);
	cr_assert_eq(n, EV_DEFAULT_BURST);
	cr_assert_eq(count_type(l, n, "violation"), EV_DEFAULT_BURST);
}

Test(events, every_guest_driven_type_has_its_own_bucket)
{
	static const char *const types[] = {"violation", "unmapped_access", "console", "ucall",
					    "log",	 "vtl_call",	    "protect", "pin",
					    "cpu_start"};
	size_t n;
	char **l;

	cr_assert_eq(sizeof(types) / sizeof(types[0]), EV_NR_LIMITED);
	evs.clock = fake_clock;
	fake_now = S;
	events_set_limits(&evs, 4, 0);
	for (size_t i = 0; i < EV_NR_LIMITED; i++) {
		cr_assert_eq(events_limited_index(types[i]), (int)i);
		cr_assert_str_eq(events_limited_name((unsigned int)i), types[i]);
		emit_type(types[i], 10);
	}
	cr_assert_null(events_limited_name(EV_NR_LIMITED));
	for (size_t i = 0; i < EV_NR_LIMITED; i++) {
		cr_assert_eq(evs.emitted[i], 4, "%s", types[i]);
		cr_assert_eq(evs.suppressed[i], 6, "%s", types[i]);
	}
	l = read_lines(&n);
	cr_assert_eq(n, 4 * EV_NR_LIMITED);
	for (size_t i = 0; i < EV_NR_LIMITED; i++)
		cr_assert_eq(count_type(l, n, types[i]), 4, "%s", types[i]);
}

Test(events, exit_and_lifecycle_events_are_never_suppressed)
{
	static const char *const types[] = {"exit", "boot", "reset", "kexec", "state"};
	size_t n;
	char **l;

	evs.clock = fake_clock;
	events_set_limits(&evs, 1, 0);
	emit_type("violation", 5); /* the limit is in force */
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		cr_assert_eq(events_limited_index(types[i]), -1, "%s", types[i]);
		emit_type(types[i], 50);
	}
	l = read_lines(&n);
	cr_assert_eq(count_type(l, n, "violation"), 1);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		cr_assert_eq(count_type(l, n, types[i]), 50, "%s", types[i]);
}

Test(events, suppressed_event_ignores_its_fields)
{
	struct ev e;

	events_set_limits(&evs, 1, 0);
	emit_type("console", 1);
	ev_begin(&e, &evs, "console");
	cr_assert(e.suppressed);
	ev_str(&e, "line", "x");
	ev_u64(&e, "u", 1);
	ev_hex(&e, "h", 1);
	ev_i64(&e, "i", 1);
	ev_bool(&e, "b", true);
	cr_assert_eq(e.n, 0);
	ev_emit(&e);
	cr_assert_eq(evs.suppressed[EV_L_CONSOLE], 1);
	cr_assert_eq(evs.emitted[EV_L_CONSOLE], 1);
}

Test(events, refill_through_the_injected_clock)
{
	size_t n;
	char **l;

	evs.clock = fake_clock;
	fake_now = 100 * S;
	events_set_limits(&evs, 5, 2); /* a token every 500 ms */
	emit_type("unmapped_access", 8);
	fake_now += S; /* two more */
	emit_type("unmapped_access", 8);
	fake_now += 60 * S; /* full again, no more */
	emit_type("unmapped_access", 8);
	cr_assert_eq(evs.emitted[EV_L_UNMAPPED_ACCESS], 5 + 2 + 5);
	cr_assert_eq(evs.suppressed[EV_L_UNMAPPED_ACCESS], 3 + 6 + 3);
	l = read_lines(&n);
	cr_assert_eq(count_type(l, n, "unmapped_access"), 12);
}

Test(events, burst_zero_means_no_limit)
{
	size_t n;

	events_set_limits(&evs, 0, 0);
	emit_type("violation", 3000);
	cr_assert_eq(evs.suppressed[EV_L_VIOLATION], 0);
	read_lines(&n);
	cr_assert_eq(n, 3000);
}

Test(events, set_limits_clamps_and_refills)
{
	events_set_limits(&evs, 1, 0);
	emit_type("pin", 3);
	cr_assert_eq(evs.suppressed[EV_L_PIN], 2);
	events_set_limits(&evs, UINT64_MAX, UINT64_MAX);
	cr_assert_eq(evs.burst, EV_LIMIT_MAX);
	cr_assert_eq(evs.per_s, EV_LIMIT_MAX);
	emit_type("pin", 3);
	cr_assert_eq(evs.emitted[EV_L_PIN], 4);
}

static void *flood(void *arg)
{
	(void)arg;
	emit_type("violation", 500);
	return NULL;
}

Test(events, concurrent_floods_share_one_bucket_exactly)
{
	pthread_t th[4];
	size_t n;
	char **l;

	evs.clock = fake_clock;
	events_set_limits(&evs, 100, 0);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, flood, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(evs.emitted[EV_L_VIOLATION], 100);
	cr_assert_eq(evs.suppressed[EV_L_VIOLATION], 1900);
	l = read_lines(&n);
	cr_assert_eq(n, 100);
	cr_assert_eq(count_type(l, n, "violation"), 100);
}

/* ---- totals in the exit event, and the operator's summary ---- */

static void emit_exit_with_totals(void)
{
	struct ev e;

	ev_begin(&e, &evs, "exit");
	ev_str(&e, "reason", "shutdown");
	events_add_totals(&e, &evs);
	ev_i64(&e, "status", 0);
	ev_emit(&e);
}

Test(events, totals_list_only_the_suppressed_types)
{
	char sum[256];
	size_t n;
	char **l;

	events_set_limits(&evs, 2, 0);
	emit_type("violation", 5);
	emit_type("ucall", 2); /* none lost: not listed */
	emit_type("console", 3);
	cr_assert(events_summary(&evs, sum, sizeof(sum)));
	cr_assert_str_eq(sum, "events suppressed by rate limit: violation 3, console 1");
	emit_exit_with_totals();
	l = read_lines(&n);
	cr_assert_eq(n, 7);
	cr_assert_str_eq(after_t(l[6]), ",\"type\":\"exit\",\"reason\":\"shutdown\","
					"\"suppressed\":{\"violation\":3,\"console\":1},"
					"\"status\":0}");
}

Test(events, totals_are_an_empty_object_when_nothing_was_suppressed)
{
	char sum[64] = "junk";
	size_t n;
	char **l;

	emit_type("violation", 10);
	cr_assert_not(events_summary(&evs, sum, sizeof(sum)));
	cr_assert_str_eq(sum, "");
	emit_exit_with_totals();
	l = read_lines(&n);
	cr_assert_eq(n, 11);
	cr_assert_str_eq(
	    after_t(l[10]),
	    ",\"type\":\"exit\",\"reason\":\"shutdown\",\"suppressed\":{},\"status\":0}");
}

Test(events, totals_of_every_type_are_valid_json)
{
	size_t n;
	char **l;

	events_set_limits(&evs, 1, 0);
	for (unsigned int i = 0; i < EV_NR_LIMITED; i++)
		emit_type(events_limited_name(i), 1000 + i);
	emit_exit_with_totals();
	l = read_lines(&n);
	cr_assert_eq(n, EV_NR_LIMITED + 1);
	cr_assert_not_null(strstr(l[n - 1], "\"suppressed\":{\"violation\":999,"
					    "\"unmapped_access\":1000,\"console\":1001,"
					    "\"ucall\":1002,\"log\":1003,\"vtl_call\":1004,"
					    "\"protect\":1005,\"pin\":1006,\"cpu_start\":1007}"),
			   "%s", l[n - 1]);
}

Test(events, summary_is_truncated_safely)
{
	char sum[40];

	events_set_limits(&evs, 1, 0);
	emit_type("violation", 100000);
	emit_type("unmapped_access", 2);
	cr_assert(events_summary(&evs, sum, sizeof(sum)));
	cr_assert_eq(strlen(sum), sizeof(sum) - 1);
	cr_assert(!strncmp(sum, "events suppressed by rate limit: ", 33));
	cr_assert_not(events_summary(&evs, sum, 0));
}

/* ---- write failures ---- */

Test(events, a_good_log_has_no_failure)
{
	emit_type("boot", 3);
	cr_assert_eq(events_flush(&evs), 0);
	cr_assert_not(events_failed(&evs));
	cr_assert_eq(evs.write_errno, 0);
}

Test(events, a_full_disk_leaves_a_prefix_and_nothing_after_it)
{
	struct rlimit old, lim;
	struct stat st;
	char *buf, *nl;
	FILE *f;
	size_t len, complete = 0;

	/* A file size limit makes write(2) stop part-way through a line, then fail (EFBIG). */
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1000;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	emit_type("boot", 50);
	cr_assert(events_failed(&evs));
	cr_assert_eq(evs.write_errno, EFBIG, "errno %d", evs.write_errno);
	/* Space again: still nothing more, so no gap is ever followed by later events. */
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	emit_type("exit", 5);
	cr_assert_eq(events_flush(&evs), -1);
	events_close(&evs);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_leq(st.st_size, 1000);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	buf = calloc(1, 2048);
	len = fread(buf, 1, 2047, f);
	fclose(f);
	for (char *p = buf; (nl = memchr(p, '\n', len - (size_t)(p - buf))); p = nl + 1) {
		char want[80];

		*nl = '\0';
		assert_event_line(p);
		snprintf(want, sizeof(want), ",\"type\":\"boot\",\"i\":%zu,\"s\":\"guest bytes\"}",
			 complete);
		cr_assert_str_eq(after_t(p), want);
		complete++;
	}
	cr_assert_gt(complete, 5);
	cr_assert_lt(complete, 50);
	cr_assert_null(strstr(buf, "\"exit\""));
	free(buf);
}

Test(events_off, writing_to_dev_full_fails_closed)
{
	struct events full;
	struct ev e;

	cr_assert_eq(events_open(&full, "/dev/full", clock_ns()), 0);
	cr_assert_not(events_failed(&full));
	ev_begin(&e, &full, "boot");
	ev_u64(&e, "vtl", 1);
	ev_emit(&e);
	cr_assert(events_failed(&full));
	cr_assert_eq(full.write_errno, ENOSPC, "errno %d", full.write_errno);
	cr_assert_eq(full.emitted[EV_L_VIOLATION], 0);
	/* Later events are not attempted and the first error stays. */
	ev_begin(&e, &full, "violation");
	ev_emit(&e);
	cr_assert_eq(full.emitted[EV_L_VIOLATION], 0);
	cr_assert_eq(events_flush(&full), -1);
	cr_assert_eq(full.write_errno, ENOSPC);
	events_close(&full);
	cr_assert(events_failed(&full));
}

Test(events_off, events_off_never_fail)
{
	struct events off;

	cr_assert_eq(events_open(&off, NULL, 0), 0);
	cr_assert_eq(events_flush(&off), 0);
	cr_assert_not(events_failed(&off));
	events_close(&off);
}

Test(events, begin_always_is_never_suppressed_but_uses_the_bucket)
{
	struct ev e;
	size_t n;
	char **l;

	events_set_limits(&evs, 2, 0);
	emit_type("violation", 5); /* 2 shown, 3 suppressed */
	ev_begin_always(&e, &evs, "violation");
	ev_str(&e, "action", "kill");
	ev_emit(&e);
	cr_assert_eq(evs.suppressed[EV_L_VIOLATION], 3);
	cr_assert_eq(evs.emitted[EV_L_VIOLATION], 3);
	l = read_lines(&n);
	cr_assert_eq(n, 3);
	cr_assert_not_null(strstr(l[2], ",\"type\":\"violation\",\"action\":\"kill\"}"));
}

Test(events, begin_always_takes_a_token_when_there_is_one)
{
	struct ev e;

	events_set_limits(&evs, 2, 0);
	ev_begin_always(&e, &evs, "violation");
	ev_emit(&e);
	emit_type("violation", 2); /* one token left */
	cr_assert_eq(evs.emitted[EV_L_VIOLATION], 2);
	cr_assert_eq(evs.suppressed[EV_L_VIOLATION], 1);
}
