/* Unit tests of the event-log reader (monitor/base/evlog.c) and the tests' queries on it
 * (tests/lib/evlog.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/evlog.h"

static struct evlog l;

static void evlog_fini(void)
{
	evlog_free(&l);
}

TestSuite(evlog, .fini = evlog_fini);

static int parse(const char *text)
{
	evlog_free(&l);
	return evlog_parse(&l, text, strlen(text));
}

/* A single line that must be malformed at `col` for `why`. */
static void rejected(const char *line, size_t col, const char *why)
{
	cr_assert_eq(parse(line), -1, "accepted: %s", line);
	cr_assert_eq(l.n, 0);
	cr_assert_eq(l.err_line, 1, "%s", line);
	cr_assert_eq(l.err_col, col, "%s: column %zu, expected %zu (%s)", line, l.err_col, col,
		     l.err);
	cr_assert_str_eq(l.err, why, "%s", line);
	cr_assert_eq(l.sys_errno, 0);
}

/* ---- valid lines ------------------------------------------------------------- */

Test(evlog, valid_lines_give_their_fields_in_order)
{
	const char *text = "{\"t\":5,\"type\":\"boot\",\"vtl\":1,\"entry\":\"0x100000\"}\n"
			   " { \"t\" : 6 , \"type\" : \"exit\" , \"ok\" : true , \"x\" : null } \n"
			   "{\"t\":7,\"type\":\"log\",\"no\":false,\"f\":-1.5e+3}";
	const struct evlog_event *e;
	uint64_t v;
	bool b;

	cr_assert_eq(parse(text), 0, "%s", l.err);
	cr_assert_eq(l.n, 3);
	cr_assert_null(l.err);
	e = &l.ev[0];
	cr_assert_eq(e->lineno, 1);
	cr_assert_str_eq(e->raw, "{\"t\":5,\"type\":\"boot\",\"vtl\":1,\"entry\":\"0x100000\"}");
	cr_assert_eq(e->rawlen, strlen(e->raw));
	cr_assert_str_eq(e->type.p, "boot");
	cr_assert_eq(e->f.n, 4);
	cr_assert_str_eq(e->f.f[0].key.p, "t");
	cr_assert_str_eq(e->f.f[3].key.p, "entry");
	cr_assert(evlog_u64(e, "t", &v) && v == 5);
	cr_assert(evlog_u64(e, "vtl", &v) && v == 1);
	cr_assert(evlog_u64(e, "entry", &v) && v == 0x100000);
	cr_assert_str_eq(evlog_str(e, "entry"), "0x100000");
	cr_assert_null(evlog_str(e, "vtl"), "a number is not a string");
	cr_assert_null(evlog_get(e, "nope"));
	cr_assert(evlog_is(e, "type", "boot"));
	cr_assert(!evlog_is(e, "type", "boo"));
	cr_assert(!evlog_is(e, "vtl", "1"), "evlog_is compares strings only");

	e = &l.ev[1];
	cr_assert_eq(e->lineno, 2);
	cr_assert_str_eq(e->type.p, "exit");
	cr_assert(evlog_bool(e, "ok", &b) && b);
	cr_assert(!evlog_bool(e, "x", &b), "null is not a bool");
	cr_assert_eq(evlog_get(e, "x")->kind, EVLOG_NULL);
	cr_assert(!evlog_bool(e, "t", &b), "a number is not a bool");

	e = &l.ev[2];
	cr_assert_eq(e->lineno, 3);
	cr_assert(evlog_bool(e, "no", &b) && !b);
	cr_assert_eq(evlog_get(e, "f")->kind, EVLOG_NUM);
	cr_assert_str_eq(evlog_get(e, "f")->val.p, "-1.5e+3", "a number keeps its text");
	cr_assert(!evlog_u64(e, "f", &v));
}

Test(evlog, a_final_newline_ends_the_last_line_and_crlf_is_blank)
{
	cr_assert_eq(parse("{\"t\":1,\"type\":\"a\"}\r\n{\"t\":2,\"type\":\"b\"}\n"), 0, "%s",
		     l.err);
	cr_assert_eq(l.n, 2);
	cr_assert_str_eq(l.ev[1].type.p, "b");
}

Test(evlog, arrays_are_checked_and_kept_as_text)
{
	const struct evlog_field *f;

	cr_assert_eq(parse("{\"t\":1,\"type\":\"a\",\"l\":[1,\"x\",[true,{}],null],\"z\":[]}"), 0,
		     "%s", l.err);
	f = evlog_get(&l.ev[0], "l");
	cr_assert_eq(f->kind, EVLOG_ARR);
	cr_assert_eq(f->val.n, strlen("[1,\"x\",[true,{}],null]"));
	cr_assert_eq(memcmp(f->val.p, "[1,\"x\",[true,{}],null]", f->val.n), 0);
	rejected("{\"t\":1,\"type\":\"a\",\"l\":[1,]}", 26, "bad number");
	rejected("{\"t\":1,\"type\":\"a\",\"l\":[1 2]}", 26, "expected ',' or ']'");
}

/* ---- escapes --------------------------------------------------------------------- */

Test(evlog, escapes_decode_to_the_guest_bytes)
{
	const struct evlog_field *f;

	cr_assert_eq(parse("{\"t\":1,\"type\":\"console\",\"line\":"
			   "\"q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\f\\u0041\\u00e9\\u00FF\"}"),
		     0, "%s", l.err);
	f = evlog_get(&l.ev[0], "line");
	cr_assert_eq(f->kind, EVLOG_STR);
	/* \u00XX is the raw byte XX (the monitor's escape of a guest byte), not UTF-8. */
	cr_assert_eq(f->val.n, 19);
	cr_assert_eq(memcmp(f->val.p, "q\"b\\s/n\nt\tr\rb\bf\fA\xe9\xff", 19), 0);
	cr_assert(evlog_is(&l.ev[0], "line", "q\"b\\s/n\nt\tr\rb\bf\fA\xe9\xff"));
}

Test(evlog, larger_code_points_become_utf8_and_nul_stays_counted)
{
	const struct evlog_field *f;

	cr_assert_eq(parse("{\"t\":1,\"type\":\"a\",\"s\":\"\\u20ac\\u0100\\ud83d\\ude00\","
			   "\"z\":\"a\\u0000b\",\"k\\u0041\":1}"),
		     0, "%s", l.err);
	f = evlog_get(&l.ev[0], "s");
	cr_assert_eq(f->val.n, 3 + 2 + 4);
	cr_assert_eq(memcmp(f->val.p, "\xe2\x82\xac\xc4\x80\xf0\x9f\x98\x80", 9), 0);
	f = evlog_get(&l.ev[0], "z");
	cr_assert_eq(f->val.n, 3);
	cr_assert_eq(memcmp(f->val.p, "a\0b", 3), 0);
	cr_assert(!evlog_is(&l.ev[0], "z", "a"), "the NUL does not end the value");
	cr_assert_not_null(evlog_get(&l.ev[0], "kA"), "keys are decoded too");
}

Test(evlog, bad_escapes_are_rejected_where_they_are)
{
	rejected("{\"t\":1,\"type\":\"a\",\"s\":\"\\x\"}", 26, "unknown escape in a string");
	rejected("{\"t\":1,\"type\":\"a\",\"s\":\"\\u12\"}", 26, "short \\u escape");
	rejected("{\"t\":1,\"type\":\"a\",\"s\":\"\\u12g4\"}", 29, "bad hex digit in a \\u escape");
	rejected("{\"t\":1,\"type\":\"a\",\"s\":\"\\ud83d\"}", 30,
		 "unpaired surrogate in a \\u escape");
	rejected("{\"t\":1,\"type\":\"a\",\"s\":\"\\ude00\"}", 30,
		 "unpaired surrogate in a \\u escape");
	rejected("{\"t\":1,\"type\":\"a\",\"s\":\"\\ud83d\\u0041\"}", 36,
		 "unpaired surrogate in a \\u escape");
	rejected("{\"t\":1,\"type\":\"a\",\"s\":\"a\tb\"}", 26,
		 "control character inside a string (escape it)");
	rejected("{\"t\":1,\"type\":\"a\",\"s\":\"abc}", 23, "unterminated string");
	rejected("{\"t\":1,\"type\":\"a\",\"s\":\"abc\\\"}", 23, "unterminated string");
}

Test(evlog, json_string_alone_reports_its_end_or_its_fault)
{
	const char *s = "x \"a\\u0042c\" y";
	const char *err = NULL;
	size_t pos = 2, len = 0;
	char *d = evlog_json_string(s, strlen(s), &pos, &len, &err);

	cr_assert_not_null(d);
	cr_assert_str_eq(d, "aBc");
	cr_assert_eq(len, 3);
	cr_assert_eq(pos, 12, "past the closing quote");
	free(d);
	pos = 0;
	cr_assert_null(evlog_json_string("\"a\\qb\"", 6, &pos, &len, &err));
	cr_assert_str_eq(err, "unknown escape in a string");
	cr_assert_eq(pos, 4);
	pos = 0;
	cr_assert_null(evlog_json_string("abc", 3, &pos, &len, &err));
	cr_assert_str_eq(err, "expected a string");
}

/* ---- numbers ------------------------------------------------------------------- */

Test(evlog, numbers_at_the_64_bit_edges)
{
	const struct evlog_event *e;
	uint64_t v;

	cr_assert_eq(parse("{\"t\":0,\"type\":\"a\",\"max\":18446744073709551615,"
			   "\"over\":18446744073709551616,\"big\":99999999999999999999999,"
			   "\"hmax\":\"0xffffffffffffffff\",\"hover\":\"0x10000000000000000\","
			   "\"hup\":\"0XFF\",\"zero\":\"0x0\",\"neg\":-1,\"frac\":1.0,\"exp\":1e3,"
			   "\"dec\":\"12\",\"bare\":\"0x\",\"junk\":\"0x1g\"}"),
		     0, "%s", l.err);
	e = &l.ev[0];
	cr_assert(evlog_u64(e, "t", &v) && v == 0);
	cr_assert(evlog_u64(e, "max", &v) && v == UINT64_MAX);
	cr_assert(evlog_u64(e, "hmax", &v) && v == UINT64_MAX);
	cr_assert(evlog_u64(e, "hup", &v) && v == 0xff);
	cr_assert(evlog_u64(e, "zero", &v) && v == 0);
	/* Valid JSON, but not a u64: never a wrapped or clamped value. */
	cr_assert(!evlog_u64(e, "over", &v));
	cr_assert(!evlog_u64(e, "big", &v));
	cr_assert(!evlog_u64(e, "hover", &v));
	cr_assert(!evlog_u64(e, "neg", &v));
	cr_assert(!evlog_u64(e, "frac", &v));
	cr_assert(!evlog_u64(e, "exp", &v));
	cr_assert(!evlog_u64(e, "dec", &v), "a string is hex or not a number");
	cr_assert(!evlog_u64(e, "bare", &v));
	cr_assert(!evlog_u64(e, "junk", &v));
	cr_assert(!evlog_u64(e, "absent", &v));
	/* By value, in either spelling; past 64 bits only as text. */
	cr_assert(evlog_value_eq(evlog_get(e, "max"), "0xffffffffffffffff", 18));
	cr_assert(evlog_value_eq(evlog_get(e, "hmax"), "18446744073709551615", 20));
	cr_assert(!evlog_value_eq(evlog_get(e, "max"), "18446744073709551614", 20));
	cr_assert(evlog_value_eq(evlog_get(e, "neg"), "-1", 2));
	cr_assert(!evlog_value_eq(evlog_get(e, "neg"), "1", 1));
	cr_assert(evlog_value_eq(evlog_get(e, "frac"), "1", 1), "1.0 == 1 as doubles");
	cr_assert(evlog_value_eq(evlog_get(e, "exp"), "1000", 4));
	cr_assert(evlog_value_eq(evlog_get(e, "over"), "18446744073709551616", 20));
	cr_assert(!evlog_value_eq(evlog_get(e, "dec"), "0xc", 3), "\"12\" is text, not a number");
}

Test(evlog, malformed_numbers_are_rejected)
{
	rejected("{\"t\":01,\"type\":\"a\"}", 7, "expected ',' or '}'");
	rejected("{\"t\":1.,\"type\":\"a\"}", 6, "bad number");
	rejected("{\"t\":1e,\"type\":\"a\"}", 6, "bad number");
	rejected("{\"t\":-,\"type\":\"a\"}", 6, "bad number");
	rejected("{\"t\":+1,\"type\":\"a\"}", 6, "bad number");
	rejected("{\"t\":0x10,\"type\":\"a\"}", 7, "expected ',' or '}'");
	rejected("{\"t\":tru,\"type\":\"a\"}", 6, "unexpected character");
}

/* ---- nested objects ------------------------------------------------------------ */

Test(evlog, nested_objects_are_fields_too)
{
	const struct evlog_event *e;
	const struct evlog_field *f;
	uint64_t v;

	cr_assert_eq(parse("{\"t\":1,\"type\":\"exit\",\"suppressed\":{\"violation\":98990,"
			   "\"console\":12,\"deep\":{\"x\":\"0x7\"}},\"empty\":{}}"),
		     0, "%s", l.err);
	e = &l.ev[0];
	f = evlog_get(e, "suppressed");
	cr_assert_eq(f->kind, EVLOG_OBJ);
	cr_assert_eq(f->obj.n, 3);
	cr_assert(evlog_u64(e, "suppressed.violation", &v) && v == 98990);
	cr_assert(evlog_u64(e, "suppressed.console", &v) && v == 12);
	cr_assert(evlog_u64(e, "suppressed.deep.x", &v) && v == 7);
	cr_assert_null(evlog_get(e, "suppressed.ucall"));
	cr_assert_null(evlog_get(e, "t.x"), "a number has no fields");
	cr_assert_null(evlog_get(e, "violation"), "nested keys are not top-level ones");
	f = evlog_get(e, "empty");
	cr_assert_eq(f->kind, EVLOG_OBJ);
	cr_assert_eq(f->obj.n, 0);
	cr_assert_eq(f->val.n, 2, "the object's text: {}");
	cr_assert_eq(evlog_count(&l, "exit", "suppressed.violation=98990"), 1);
}

Test(evlog, nested_objects_are_as_strict_and_bounded)
{
	char deep[512];
	size_t k = 0;

	rejected("{\"t\":1,\"type\":\"a\",\"s\":{\"x\":1,\"x\":2}}", 33, "duplicate key");
	rejected("{\"t\":1,\"type\":\"a\",\"s\":{\"x\":1,}}", 30, "expected a string");
	rejected("{\"t\":1,\"type\":\"a\",\"s\":{\"x\" 1}}", 28, "expected ':'");
	/* 63 levels of nesting are fine, the 64th is not. */
	k += (size_t)snprintf(deep, sizeof(deep), "{\"t\":1,\"type\":\"a\",\"s\":");
	for (int i = 0; i < 63; i++)
		deep[k++] = '[';
	for (int i = 0; i < 63; i++)
		deep[k++] = ']';
	strcpy(deep + k, "}");
	cr_assert_eq(parse(deep), 0, "%s", l.err);
	k = (size_t)snprintf(deep, sizeof(deep), "{\"t\":1,\"type\":\"a\",\"s\":");
	for (int i = 0; i < 64; i++)
		deep[k++] = '{', deep[k++] = '"', deep[k++] = 'k', deep[k++] = '"', deep[k++] = ':';
	deep[k] = 0;
	cr_assert_eq(parse(deep), -1);
	cr_assert_str_eq(l.err, "nested too deeply");
}

/* ---- malformed lines ------------------------------------------------------------- */

Test(evlog, a_malformed_line_fails_the_log_with_its_line_and_column)
{
	char why[256];

	cr_assert_eq(parse("{\"t\":1,\"type\":\"a\"}\n{\"t\":2,\"type\":\"b\"}\n"
			   "{\"t\":3,\"type\":\"boot\"\n{\"t\":4,\"type\":\"c\"}\n"),
		     -1);
	cr_assert_eq(l.err_line, 3);
	cr_assert_eq(l.err_col, 21);
	cr_assert_str_eq(l.err, "expected ',' or '}'");
	cr_assert_eq(l.n, 2, "the lines before it are kept, none after");
	cr_assert_str_eq(l.err_raw, "{\"t\":3,\"type\":\"boot\"");
	cr_assert_eq(l.err_rawlen, strlen(l.err_raw));
	evlog_strerror(&l, why, sizeof(why));
	cr_assert_str_eq(why, "events:3:21: malformed event (expected ',' or '}')");
}

Test(evlog, the_line_contract_is_enforced)
{
	rejected("\n", 1, "empty line");
	rejected("   ", 4, "empty line");
	rejected("[1]", 1, "expected '{'");
	rejected("{\"t\":1}", 1, "no \"type\" (a non-empty string)");
	rejected("{\"t\":1,\"type\":\"\"}", 1, "no \"type\" (a non-empty string)");
	rejected("{\"t\":1,\"type\":3}", 1, "no \"type\" (a non-empty string)");
	rejected("{\"type\":\"a\"}", 1, "no \"t\" (a non-negative number)");
	rejected("{\"t\":-1,\"type\":\"a\"}", 1, "no \"t\" (a non-negative number)");
	rejected("{\"t\":\"1\",\"type\":\"a\"}", 1, "no \"t\" (a non-negative number)");
	rejected("{\"t\":1,\"type\":\"a\",\"type\":\"b\"}", 25, "duplicate key");
	rejected("{\"t\":1,\"type\":\"a\"} x", 20, "text after the object");
	rejected("{\"t\":1,\"type\":\"a\"}{}", 19, "text after the object");
	rejected("{\"t\":1,\"type\":\"a\",}", 19, "expected a string");
	rejected("{'t':1}", 2, "expected a string");
	rejected("{\"t\":1,\"type\":\"a\",\"x\":}", 23, "bad number");
	rejected("{\"t\":1,\"type\":\"a\",\"x\":", 23, "missing value");
}

Test(evlog, an_empty_line_between_events_is_malformed)
{
	cr_assert_eq(parse("{\"t\":1,\"type\":\"a\"}\n\n{\"t\":2,\"type\":\"b\"}\n"), -1);
	cr_assert_eq(l.err_line, 2);
	cr_assert_str_eq(l.err, "empty line");
}

/* ---- files ------------------------------------------------------------------------ */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(evlog, empty_and_missing_files_have_no_events)
{
	char path[64];

	cr_assert_eq(parse(""), 0);
	cr_assert_eq(l.n, 0);
	cr_assert(!l.missing);
	snprintf(path, sizeof(path), "/tmp/vtlmon-evlog-%d.jsonl", getpid());
	write_file(path, "");
	evlog_free(&l);
	cr_assert_eq(evlog_load(&l, path, 1 << 20), 0);
	cr_assert_eq(l.n, 0);
	cr_assert(!l.missing);
	cr_assert_null(l.err);
	unlink(path);
	evlog_free(&l);
	cr_assert_eq(evlog_load(&l, path, 1 << 20), 0, "no file is no events, not an error");
	cr_assert(l.missing);
	cr_assert_eq(l.n, 0);
}

Test(evlog, files_load_whole_and_never_past_their_limit)
{
	char path[64], why[256];

	snprintf(path, sizeof(path), "/tmp/vtlmon-evlog-%d.jsonl", getpid());
	write_file(path, "{\"t\":1,\"type\":\"a\"}\n{\"t\":2,\"type\":\"b\"}\n");
	cr_assert_eq(evlog_load(&l, path, 1 << 20), 0, "%s", l.err);
	cr_assert_eq(l.n, 2);
	cr_assert_str_eq(l.ev[1].raw, "{\"t\":2,\"type\":\"b\"}");
	evlog_free(&l);
	cr_assert_eq(evlog_load(&l, path, 16), -1);
	cr_assert_eq(l.sys_errno, EFBIG);
	evlog_strerror(&l, why, sizeof(why));
	cr_assert_str_eq(why, "cannot read events file: File too large");
	unlink(path);
	evlog_free(&l);
	cr_assert_eq(evlog_load(&l, "/", 1 << 20), -1, "a directory is not a log");
	cr_assert_neq(l.sys_errno, 0);
}

/* ---- matching --------------------------------------------------------------------- */

static const char matching_log[] =
    "{\"t\":1,\"type\":\"boot\",\"vtl\":1,\"image\":\"vtl1.elf\"}\n"
    "{\"t\":2,\"type\":\"ucall\",\"cmd\":4,\"arg0\":\"0x1\",\"arg1\":\"0x1000\",\"msg\":\"a\"}\n"
    "{\"t\":3,\"type\":\"boot\",\"vtl\":0,\"image\":\"guest.elf\"}\n"
    "{\"t\":4,\"type\":\"ucall\",\"cmd\":4,\"arg0\":\"0x2\",\"arg1\":\"0x2000\",\"msg\":\"b\"}\n"
    "{\"t\":5,\"type\":\"violation\",\"kind\":\"cr\",\"precise\":false}\n"
    "{\"t\":6,\"type\":\"exit\",\"status\":0,\"suppressed\":{}}\n";

Test(evlog, find_and_count_by_type_and_matchers)
{
	cr_assert_eq(parse(matching_log), 0, "%s", l.err);
	cr_assert_eq(evlog_find(&l, 0, "boot"), 0);
	cr_assert_eq(evlog_find(&l, 1, "boot"), 2);
	cr_assert_eq(evlog_find(&l, 3, "boot"), -1);
	cr_assert_eq(evlog_find(&l, 99, "boot"), -1);
	cr_assert_eq(evlog_find(&l, 0, "boot", "vtl=0"), 2);
	cr_assert_eq(evlog_find(&l, 0, NULL, "kind=cr"), 4, "NULL: any type");
	cr_assert_eq(evlog_count(&l, NULL), 6);
	cr_assert_eq(evlog_count(&l, "ucall", "cmd=4"), 2);
	/* By value: 0x2, 2 and 0X02 are the same arg0. */
	cr_assert_eq(evlog_find(&l, 0, "ucall", "cmd=4", "arg0=0x2"), 3);
	cr_assert_eq(evlog_find(&l, 0, "ucall", "cmd=4", "arg0=2"), 3);
	cr_assert_eq(evlog_find(&l, 0, "ucall", "cmd=0x4", "arg0=0X02"), 3);
	cr_assert_eq(evlog_find(&l, 0, "ucall", "cmd=4", "arg0=0x3"), -1);
	cr_assert_eq(evlog_find(&l, 0, "ucall", "arg0!=0x1"), 3);
	cr_assert_eq(evlog_find(&l, 0, "boot", "image~guest"), 2);
	cr_assert_eq(evlog_find(&l, 0, "boot", "image^vtl"), 0);
	cr_assert_eq(evlog_find(&l, 0, "boot", "image^elf"), -1, "a prefix, not a substring");
	cr_assert_eq(evlog_find(&l, 0, "ucall", "arg1^0x2"), 3);
	cr_assert_eq(evlog_find(&l, 0, "violation", "precise=false"), 4);
	cr_assert_eq(evlog_find(&l, 0, "violation", "precise=true"), -1);
	cr_assert_eq(evlog_find(&l, 0, "exit", "status=0"), 5);
	cr_assert_eq(evlog_find(&l, 0, "exit", "suppressed={}"), 5);
	cr_assert_eq(evlog_find(&l, 0, "exit", "msg="), -1);
	/* A field the event lacks never matches, not even with != . */
	cr_assert_eq(evlog_count(&l, "boot", "cmd!=4"), 0);
	cr_assert_eq(evlog_count(&l, "boot", "vtl~"), 2, "an empty text is in every value");
	/* The type matches whole. */
	cr_assert_eq(evlog_count(&l, "boo"), 0);
	cr_assert_eq(evlog_count(&l, "boot2"), 0);
}

Test(evlog, matcher_strings_parse_or_are_refused)
{
	struct evlog_match m;

	cr_assert(evlog_match_parse("a.b!=x=y", &m));
	cr_assert_eq(m.keylen, 3);
	cr_assert_eq(m.op, EVLOG_NE);
	cr_assert_str_eq(m.val, "x=y");
	cr_assert(evlog_match_parse("k=", &m) && m.op == EVLOG_EQ && m.len == 0);
	cr_assert(evlog_match_parse("k~t", &m) && m.op == EVLOG_SUB);
	cr_assert(evlog_match_parse("k^t", &m) && m.op == EVLOG_PREFIX);
	cr_assert(!evlog_match_parse("\"k\":1", &m), "a JSON fragment is no matcher");
	cr_assert(!evlog_match_parse("=1", &m));
	cr_assert(!evlog_match_parse("k", &m));
	cr_assert(!evlog_match_parse("k!x", &m));
}

Test(evlog, a_string_that_is_no_matcher_aborts_the_search, .signal = SIGABRT)
{
	cr_assert_eq(parse(matching_log), 0);
	evlog_find(&l, 0, "ucall", "\"cmd\":4,");
}

/* ---- diagnostics -------------------------------------------------------------------- */

Test(evlog, dump_prints_events_and_the_malformed_line)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);

	cr_assert_eq(parse("{\"t\":1,\"type\":\"a\"}\n{\"t\":2,\"type\":\"b\"}\n{\"t\":3"), -1);
	evlog_dump(o, &l, 1, 99);
	fclose(o);
	cr_assert_str_eq(buf, "  event 1: {\"t\":2,\"type\":\"b\"}\n"
			      "  events:3:7: malformed event (expected ',' or '}'): {\"t\":3\n");
	free(buf);
}
