/* libFuzzer target: event lines (events.c) built from guest bytes are whole, valid JSON objects. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "monitor/base/events.h"
#include "monitor/base/log.h"

/*
 * Input layout (zero past the end): a sequence of steps, each a u8 op:
 *   op % 8 == 0..1: ev_strn (key chosen by op >> 3), u16 length, the bytes
 *   op % 8 == 2: ev_u64, u64;  3: ev_i64, u64;  4: ev_hex, u64;  5: ev_bool, u8
 *   op % 8 == 6: ev_str of the bytes up to the first NUL (u16 length bound)
 *   op % 8 == 7: ev_emit, then ev_begin of the next event (type by op >> 3)
 * An event is begun before the first step and emitted after the last.
 *
 * The harness builds the line each event must produce, byte for byte, from
 * the same steps and its own escaping (valid JSON: printable ASCII, quote and
 * backslash escaped, everything else \u00XX). The events file must hold
 * exactly those lines, except that a line longer than EV_LINE_MAX is
 * replaced, whole, by an "event_overflow" object: never a cut one.
 */
#define FUZZ_STEPS_MAX 64u
#define T_OFFSET       1000000000000000ULL /* "t" always has 16 digits */

static const char *const keys[] = {"msg", "file", "text", "line", "vcpu", "gpa", "value"};
static const char *const types[] = {"console", "ucall", "log", "violation"};
#define NKEYS  (sizeof(keys) / sizeof(keys[0]))
#define NTYPES (sizeof(types) / sizeof(types[0]))

/* The expected line of the event being built. */
struct want {
	char *s;
	size_t n, cap;
};

static void want_put(struct want *w, const char *s, size_t n)
{
	if (w->n + n + 1 > w->cap) {
		w->cap = (w->n + n + 1) * 2;
		w->s = realloc(w->s, w->cap);
		FUZZ_CHECK(w->s != NULL, "realloc");
	}
	memcpy(w->s + w->n, s, n);
	w->n += n;
	w->s[w->n] = '\0';
}

static void want_fmt(struct want *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void want_fmt(struct want *w, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	want_put(w, tmp, (size_t)len);
}

static void want_string(struct want *w, const uint8_t *p, size_t n)
{
	want_put(w, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			want_fmt(w, "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			want_fmt(w, "\\u%04x", p[i]);
		else
			want_put(w, (const char *)&p[i], 1);
	}
	want_put(w, "\"", 1);
}

/*
 * Checks one line of output against the event the steps described. "t" is
 * the only field not known in advance: it is read from the line.
 */
static void check_line(const char *line, size_t len, const struct want *body, const char *type)
{
	static const char overflow_fmt[] = "{\"t\":%" SCNu64 ",\"type\":\"event_overflow\"}%n";
	char head[64];
	uint64_t t = 0;
	int used = -1;

	FUZZ_CHECK(len <= EV_LINE_MAX, "line of %zu bytes", len);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(line[i] >= 0x20 && line[i] <= 0x7e, "byte 0x%02x in a line",
			   (unsigned char)line[i]);
	FUZZ_CHECK(sscanf(line, "{\"t\":%" SCNu64, &t) == 1 && t >= T_OFFSET && t < 10 * T_OFFSET,
		   "line does not start with a 16-digit t: %.60s", line);
	snprintf(head, sizeof(head), "{\"t\":%" PRIu64 ",\"type\":\"%s\"", t, type);
	/* The whole object fits: exactly the fields, in order. */
	if (strlen(head) + body->n + 1 <= EV_LINE_MAX - 1) {
		FUZZ_CHECK(len == strlen(head) + body->n + 1 && !memcmp(line, head, strlen(head)) &&
			       !memcmp(line + strlen(head), body->s, body->n) &&
			       line[len - 1] == '}',
			   "line differs from the event:\n  got  %.*s\n  want %s%s}", (int)len,
			   line, head, body->s);
		return;
	}
	FUZZ_CHECK(sscanf(line, overflow_fmt, &t, &used) == 1 && used == (int)len,
		   "a %zu-byte event is not replaced by event_overflow: %.80s",
		   strlen(head) + body->n + 1, line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct events evs;
	struct ev e;
	struct want body[FUZZ_STEPS_MAX + 1];
	const char *type[FUZZ_STEPS_MAX + 1];
	size_t nev = 0, outlen = 0;
	char *out = NULL;
	FILE *f;

	FUZZ_CHECK(events_open(&evs, NULL, 0) == 0 && !evs.f, "events off");
	/* Off: every call is a no-op and nothing is written. */
	ev_begin(&e, &evs, "off");
	ev_str(&e, "k", "v");
	ev_emit(&e);
	f = open_memstream(&out, &outlen);
	FUZZ_CHECK(f != NULL, "open_memstream");
	evs.f = f;
	evs.t0 = clock_ns() - T_OFFSET;

	memset(body, 0, sizeof(body));
	type[0] = types[0];
	ev_begin(&e, &evs, type[0]);
	for (unsigned step = 0; step < FUZZ_STEPS_MAX && in.n; step++) {
		uint8_t op = fuzz_u8(&in);
		const char *key = keys[(op >> 3) % NKEYS];
		struct want *w = &body[nev];
		uint64_t v;
		size_t n;

		switch (op % 8) {
		case 0:
		case 1:
		case 6:
			n = fuzz_u16(&in) % 3000;
			n = n < in.n ? n : in.n;
			if (op % 8 == 6) {
				/* ev_str: a C string, as read by guest_ram_read_str. */
				char *s = malloc(n + 1);

				FUZZ_CHECK(s != NULL, "malloc");
				memcpy(s, in.p, n);
				s[n] = '\0';
				ev_str(&e, key, s);
				want_fmt(w, ",\"%s\":", key);
				want_string(w, (const uint8_t *)s, strlen(s));
				free(s);
			} else {
				ev_strn(&e, key, (const char *)in.p, n);
				want_fmt(w, ",\"%s\":", key);
				want_string(w, in.p, n);
			}
			in.p += n;
			in.n -= n;
			break;
		case 2:
			v = fuzz_u64(&in);
			ev_u64(&e, key, v);
			want_fmt(w, ",\"%s\":%" PRIu64, key, v);
			break;
		case 3:
			v = fuzz_u64(&in);
			ev_i64(&e, key, (int64_t)v);
			want_fmt(w, ",\"%s\":%" PRId64, key, (int64_t)v);
			break;
		case 4:
			v = fuzz_u64(&in);
			ev_hex(&e, key, v);
			want_fmt(w, ",\"%s\":\"0x%" PRIx64 "\"", key, v);
			break;
		case 5:
			v = fuzz_u8(&in) & 1;
			ev_bool(&e, key, v);
			want_fmt(w, ",\"%s\":%s", key, v ? "true" : "false");
			break;
		case 7:
			ev_emit(&e);
			nev++;
			type[nev] = types[(op >> 3) % NTYPES];
			ev_begin(&e, &evs, type[nev]);
			break;
		}
	}
	ev_emit(&e);
	nev++;
	FUZZ_CHECK(fflush(f) == 0, "fflush");

	/* Exactly nev lines, each ending in a newline, none cut or merged. */
	{
		size_t pos = 0, i = 0;

		while (pos < outlen) {
			const char *nl = memchr(out + pos, '\n', outlen - pos);

			FUZZ_CHECK(nl != NULL, "last line has no newline");
			FUZZ_CHECK(i < nev, "more than %zu lines", nev);
			if (!body[i].s)
				want_put(&body[i], "", 0);
			check_line(out + pos, (size_t)(nl - (out + pos)), &body[i], type[i]);
			pos = (size_t)(nl - out) + 1;
			i++;
		}
		FUZZ_CHECK(i == nev, "%zu lines for %zu events", i, nev);
	}
	evs.f = NULL;
	fclose(f);
	free(out);
	for (size_t i = 0; i < nev; i++)
		free(body[i].s);
	events_close(&evs);
	return 0;
}
