/* Unit tests of `vtlmon report`: summary numbers, the SVG, and hostile or broken logs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/base/evlog.h"
#include "monitor/base/exitcodes.h"
#include "monitor/cmd/report.h"
#include "tests/lib/evlog.h"

static char dir[] = "/tmp/vtlmon-report-XXXXXX";
static char *out_text, *err_text, *svg_text;
static size_t out_len, err_len, svg_len;
static struct evlog json;

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	free(out_text);
	free(err_text);
	free(svg_text);
	evlog_free(&json);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(report, .init = setup, .fini = teardown);

/* A run of the demo as the monitor logs it, with a guest's hostile console line. */
static const char demo[] =
    "{\"t\":1200000,\"type\":\"boot\",\"vtl\":1,\"vcpu\":0,\"image\":\"vtl1 (built-in)\","
    "\"entry\":\"0xffffffff80100000\",\"segments\":3,\"mem\":8388608,\"policy\":\"default.policy\","
    "\"policy_sha256\":\"3b1f0c9e\"}\n"
    "{\"t\":2500000,\"type\":\"protect\",\"vcpu\":0,\"gpa\":\"0x100000\",\"pages\":4,\"perms\":5,"
    "\"slots\":5,\"result\":\"ok\"}\n"
    "{\"t\":2600000,\"type\":\"protect\",\"vcpu\":0,\"gpa\":\"0x104000\",\"pages\":2,\"perms\":1,"
    "\"slots\":7,\"result\":\"ok\"}\n"
    "{\"t\":2700000,\"type\":\"pin\",\"vcpu\":0,\"reg\":\"cr0\",\"index\":\"0x0\","
    "\"mask\":\"0x80010001\",\"value\":\"0x80010001\",\"pinned\":true}\n"
    "{\"t\":2800000,\"type\":\"boot\",\"vtl\":0,\"vcpu\":0,\"image\":\"demo (built-in)\","
    "\"entry\":\"0x100000\",\"segments\":2,\"mem\":33554432}\n"
    "{\"t\":3100000,\"type\":\"protect\",\"vcpu\":0,\"gpa\":\"0x300000\",\"pages\":1,\"perms\":0,"
    "\"slots\":9,\"result\":\"ok\"}\n"
    "{\"t\":3200000,\"type\":\"protect\",\"vcpu\":0,\"gpa\":\"0x1000000\",\"pages\":256,"
    "\"perms\":3,\"slots\":9,\"result\":\"denied by policy\"}\n"
    "{\"t\":3300000,\"type\":\"violation\",\"vcpu\":0,\"kind\":\"mem_write\",\"gpa\":\"0x100010\","
    "\"rip\":\"0x100234\",\"insn\":\"mov dword ptr [rax], ecx\",\"value\":\"0x0\",\"len\":4,"
    "\"action\":\"deny\",\"precise\":true}\n"
    "{\"t\":3400000,\"type\":\"violation\",\"vcpu\":0,\"kind\":\"mem_read\",\"gpa\":\"0x300008\","
    "\"rip\":\"0x100240\",\"insn\":\"<script>alert('x')</script> & \\\"q\\\"\",\"value\":\"0x0\","
    "\"len\":8,\"action\":\"log\",\"precise\":true}\n"
    "{\"t\":3500000,\"type\":\"violation\",\"vcpu\":0,\"kind\":\"msr\",\"gpa\":\"0x0\","
    "\"rip\":\"0x100250\",\"insn\":\"wrmsr\",\"value\":\"0xc0000080\",\"len\":0,"
    "\"action\":\"deny\",\"precise\":true}\n"
    "{\"t\":3600000,\"type\":\"console\",\"vtl\":0,\"vcpu\":0,"
    "\"line\":\"<script>alert(1)</script>\\u001b[2J\"}\n"
    "{\"t\":3650000,\"type\":\"reset\",\"trigger\":\"vtl1\",\"step\":\"trigger\",\"count\":1}\n"
    "{\"t\":3660000,\"type\":\"reset\",\"trigger\":\"vtl1\",\"step\":\"drop_restrictions\","
    "\"count\":1}\n"
    "{\"t\":3700000,\"type\":\"protect\",\"vcpu\":0,\"gpa\":\"0x300000\",\"pages\":1,\"perms\":7,"
    "\"slots\":7,\"result\":0}\n"
    "{\"t\":3800000,\"type\":\"kexec\",\"step\":\"load\",\"gpa\":\"0x800000\",\"size\":4096,"
    "\"sha256\":\"00\"}\n"
    "{\"t\":3850000,\"type\":\"brand_new_type\",\"x\":[1,{\"y\":null}]}\n"
    "{\"t\":3900000,\"type\":\"violation\",\"vcpu\":0,\"kind\":\"cr\",\"gpa\":\"0x0\","
    "\"rip\":\"0x100260\",\"insn\":\"mov cr0, rax\",\"value\":\"0x80000001\",\"len\":0,"
    "\"action\":\"kill\",\"precise\":false}\n"
    "{\"t\":4000000,\"type\":\"exit\",\"reason\":\"killed\",\"status\":66,"
    "\"detail\":\"VTL1 killed VTL0: cr\",\"suppressed\":{\"violation\":3,\"console\":12}}\n";

/* report_stream() over text; the summary in out_text, the SVG in svg_text. */
static int report(const char *text, size_t len, bool want_json)
{
	FILE *in = fmemopen((void *)text, len, "r"), *out, *err, *svg;
	int ret;

	free(out_text);
	free(err_text);
	free(svg_text);
	out = open_memstream(&out_text, &out_len);
	err = open_memstream(&err_text, &err_len);
	svg = open_memstream(&svg_text, &svg_len);
	cr_assert(in && out && err && svg);
	ret = report_stream(in, "log", out, svg, want_json, err);
	fclose(in);
	fclose(out);
	fclose(err);
	fclose(svg);
	return ret;
}

/* The JSON summary, parsed by the event-log reader as the field "r" of one event. */
static const struct evlog_event *report_json(const char *text, size_t len)
{
	cr_assert_eq(report(text, len, true), 0, "%s", err_text);
	cr_assert(out_len > 0 && out_text[out_len - 1] == '\n', "one line, ended");
	cr_assert_null(memchr(out_text, '\n', out_len - 1), "one line");
	evlog_free(&json);
	cr_assert_eq(evlog_parse_json(&json, "r", out_text, out_len), 0, "%s at %zu: %s", json.err,
		     json.err_col, out_text);
	return &json.ev[0];
}

static uint64_t num(const struct evlog_event *e, const char *key)
{
	uint64_t v = UINT64_MAX;

	cr_assert(evlog_u64(e, key, &v), "no integer %s", key);
	return v;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Well-formed: every byte printable ASCII or a newline, every '&' an entity, xmllint agrees. */
static void svg_well_formed(void)
{
	char path[256], cmd[512];
	FILE *f;

	cr_assert(svg_len > 0);
	cr_assert(strstr(svg_text, "<svg ") && strstr(svg_text, "</svg>\n"));
	for (size_t i = 0; i < svg_len; i++) {
		unsigned char c = (unsigned char)svg_text[i];

		cr_assert((c >= 0x20 && c < 0x7f) || c == '\n', "byte 0x%02x at %zu", c, i);
		if (c == '&')
			cr_assert(!strncmp(svg_text + i, "&amp;", 5) ||
				      !strncmp(svg_text + i, "&lt;", 4) ||
				      !strncmp(svg_text + i, "&gt;", 4) ||
				      !strncmp(svg_text + i, "&quot;", 6) ||
				      !strncmp(svg_text + i, "&apos;", 6),
				  "bare '&' at %zu", i);
	}
	cr_assert_null(strstr(svg_text, "<script"));
	cr_assert_eq(count(svg_text, "<title>"), count(svg_text, "</title>"));
	if (system("command -v xmllint >/dev/null 2>&1") != 0)
		return;
	snprintf(path, sizeof(path), "%s/t.svg", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fwrite(svg_text, 1, svg_len, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "xmllint --noout '%s'", path);
	cr_assert_eq(system(cmd), 0, "xmllint rejects the SVG");
}

Test(report, demo_summary_numbers)
{
	const struct evlog_event *e = report_json(demo, strlen(demo));

	cr_assert_eq(num(e, "r.events"), 18);
	cr_assert_eq(num(e, "r.lines"), 18);
	cr_assert_eq(evlog_get(e, "r.malformed")->kind, EVLOG_NULL);
	cr_assert_eq(num(e, "r.duration_ns"), 4000000);
	cr_assert_eq(num(e, "r.violations.total"), 4);
	cr_assert_eq(num(e, "r.violations.kind.mem_write"), 1);
	cr_assert_eq(num(e, "r.violations.kind.mem_read"), 1);
	cr_assert_eq(num(e, "r.violations.kind.mem_exec"), 0);
	cr_assert_eq(num(e, "r.violations.kind.msr"), 1);
	cr_assert_eq(num(e, "r.violations.kind.cr"), 1);
	cr_assert_eq(num(e, "r.violations.action.deny"), 2);
	cr_assert_eq(num(e, "r.violations.action.log"), 1);
	cr_assert_eq(num(e, "r.violations.action.kill"), 1);
	cr_assert_eq(num(e, "r.protect.total"), 5);
	cr_assert_eq(num(e, "r.protect.ok"), 4, "result 0 counts as ok, a denial does not");
	cr_assert_eq(num(e, "r.pin"), 1);
	cr_assert_eq(num(e, "r.resets"), 1);
	cr_assert_eq(num(e, "r.kexec.load"), 1);
	cr_assert_eq(num(e, "r.kexec.exec"), 0);
	cr_assert_eq(num(e, "r.unknown_types"), 1);
	cr_assert_eq(num(e, "r.suppressed.violation"), 3);
	cr_assert_eq(num(e, "r.suppressed.console"), 12);
	cr_assert_null(evlog_get(e, "r.suppressed.log"), "only the types that lost events");
	cr_assert(evlog_is(e, "r.exit.reason", "killed"));
	cr_assert_eq(num(e, "r.exit.status"), 66);
	cr_assert_eq(evlog_get(e, "r.exit.code")->kind, EVLOG_NULL);
	cr_assert(evlog_is(e, "r.exit.detail", "VTL1 killed VTL0: cr"));
	cr_assert(strstr(out_text, "\"image\":\"vtl1 (built-in)\",\"policy\":\"default.policy\","
				   "\"policy_sha256\":\"3b1f0c9e\""));
	cr_assert(strstr(out_text, "\"image\":\"demo (built-in)\""));
	/* The insn string is JSON-escaped, and read back exactly. */
	cr_assert(strstr(out_text, "\"insn\":\"<script>alert('x')</script> & \\\"q\\\"\""));
	cr_assert(strstr(out_text, "\"rip\":\"0x100234\",\"gpa\":\"0x100010\""));
	svg_well_formed();
}

Test(report, demo_text_summary)
{
	cr_assert_eq(report(demo, strlen(demo), false), 0);
	cr_assert(strstr(out_text, "log: 18 events on 18 lines, duration 0.004000 s\n"), "%s",
		  out_text);
	cr_assert(strstr(out_text, "boot   vtl1 \"vtl1 (built-in)\" policy \"default.policy\" "
				   "sha256 3b1f0c9e\n"));
	cr_assert(strstr(out_text, "boot   vtl0 \"demo (built-in)\"\n"));
	cr_assert(strstr(out_text, "violations 4: mem_write 1 mem_read 1 mem_exec 0 msr 1 cr 1"));
	cr_assert(strstr(out_text, "actions: deny 2 log 1 skip 0 restore 0 kill 1 reset 0"));
	cr_assert(strstr(out_text, "mem_write rip 0x100234 gpa 0x100010 \"mov dword ptr [rax], "
				   "ecx\" -> deny\n"));
	cr_assert(strstr(out_text, "protect 5 (4 ok), pin 1, resets 1, kexec 1 loaded"));
	cr_assert(strstr(out_text, "suppressed: violation 3, console 12\n"));
	cr_assert(strstr(out_text, "exit   killed, status 66: VTL1 killed VTL0: cr\n"));
	cr_assert_eq(err_len, 0);
	for (size_t i = 0; i < out_len; i++)
		cr_assert((out_text[i] >= 0x20 && out_text[i] < 0x7f) || out_text[i] == '\n');
}

Test(report, svg_draws_the_map_and_escapes)
{
	cr_assert_eq(report(demo, strlen(demo), false), 0);
	svg_well_formed();
	cr_assert(strstr(svg_text, "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; "
				   "&quot;q&quot;"));
	/* Three ranges: labels at their starts, and a gap before 0x300000. */
	cr_assert(strstr(svg_text, ">0x100000</text>") && strstr(svg_text, ">0x104000</text>") &&
		  strstr(svg_text, ">0x300000</text>") && strstr(svg_text, ">0x301000</text>"));
	cr_assert_null(strstr(svg_text, ">0x1000000</text>"), "a refused protect is not drawn");
	/* rx and r from their protects on; 0x300000 none, rwx again after the reset. */
	cr_assert_eq(count(svg_text, "fill=\"#fdd835\"/>"), 1);
	cr_assert_eq(count(svg_text, "fill=\"#6baed6\"/>"), 1);
	cr_assert_eq(count(svg_text, "fill=\"#4d4d4d\"/>"), 1);
	cr_assert(strstr(svg_text, "<title>vtlmon report: VTL0 demo (built-in), policy "
				   "default.policy</title>"));
	cr_assert_eq(count(svg_text, "<circle"), 4 + 3, "4 markers, 3 actions in the legend");
}

Test(report, reset_and_kexec_drop_the_map_to_rwx)
{
	static const char log[] = "{\"t\":100,\"type\":\"protect\",\"gpa\":\"0x1000\",\"pages\":1,"
				  "\"perms\":0,\"result\":\"ok\"}\n"
				  "{\"t\":200,\"type\":\"reset\",\"step\":\"drop_restrictions\"}\n"
				  "{\"t\":300,\"type\":\"protect\",\"gpa\":\"0x1000\",\"pages\":1,"
				  "\"perms\":1,\"result\":\"ok\"}\n"
				  "{\"t\":400,\"type\":\"kexec\",\"step\":\"exec\"}\n"
				  "{\"t\":500,\"type\":\"exit\",\"reason\":\"shutdown\",\"code\":0,"
				  "\"status\":0,\"detail\":\"d\","
				  "\"suppressed\":{}}\n";

	cr_assert_eq(report(log, strlen(log), false), 0);
	svg_well_formed();
	/* rwx [0,100) none [100,200) rwx [200,300) r [300,400) rwx [400,500] */
	cr_assert_eq(count(svg_text, "fill=\"#eeeeee\"/>"), 3, "%s", svg_text);
	cr_assert_eq(count(svg_text, "fill=\"#4d4d4d\"/>"), 1);
	cr_assert_eq(count(svg_text, "fill=\"#6baed6\"/>"), 1);
	cr_assert(strstr(out_text, "kexec 0 loaded 1 executed"));
	cr_assert(strstr(out_text, "suppressed: none\n"));
	cr_assert(strstr(out_text, "exit   shutdown, status 0, guest code 0: d\n"));
}

Test(report, truncated_last_line_keeps_the_prefix)
{
	size_t cut = strlen(demo) - 40; /* inside the exit event */

	cr_assert_eq(report(demo, cut, false), 0);
	cr_assert(strstr(out_text, "log: 17 events on 18 lines"), "%s", out_text);
	cr_assert(strstr(out_text, "line 18, column "), "%s", out_text);
	cr_assert(strstr(out_text, "exit   none"));
	cr_assert(strstr(err_text, "log:18:"), "%s", err_text);
	svg_well_formed();
	cr_assert(strstr(svg_text, "line 18 is malformed"));
}

Test(report, malformed_line_in_the_middle_ends_the_report)
{
	static const char log[] = "{\"t\":1,\"type\":\"pin\"}\n"
				  "{\"t\":2,\"type\":\"pin\"}\n"
				  "{\"t\":3,\"type\":\"pin\",}\n"
				  "{\"t\":4,\"type\":\"pin\"}\n";
	const struct evlog_event *e = report_json(log, strlen(log));

	cr_assert_eq(num(e, "r.pin"), 2);
	cr_assert_eq(num(e, "r.malformed.line"), 3);
	cr_assert_eq(num(e, "r.malformed.column"), 21);
	cr_assert(evlog_is(e, "r.malformed.error", "expected a string"));
}

Test(report, no_valid_event_is_65)
{
	cr_assert_eq(report("", 0, false), VTLMON_EXIT_INVALID);
	cr_assert(strstr(err_text, "no events"));
	cr_assert_eq(report("garbage\n{\"t\":1,\"type\":\"pin\"}\n", 28, false),
		     VTLMON_EXIT_INVALID);
	cr_assert(strstr(err_text, "log:1:1: malformed event"), "%s", err_text);
	cr_assert_eq(out_len, 0);
	cr_assert_eq(svg_len, 0);
	cr_assert_eq(report("\n", 1, false), VTLMON_EXIT_INVALID);
	cr_assert_eq(report("{\"type\":\"pin\"}", 14, false), VTLMON_EXIT_INVALID);
}

/* A guest's huge strings are kept cut, and a line past 1 MiB is malformed, not read whole. */
Test(report, huge_strings_are_cut_and_huge_lines_refused)
{
	size_t big = 300000, n = 0;
	char *log = malloc(2 * big + (2u << 20) + 4096), *p;
	const struct evlog_event *e;

	n += (size_t)sprintf(log + n, "{\"t\":1,\"type\":\"boot\",\"vtl\":0,\"image\":\"");
	memset(log + n, 'A', big);
	n += big;
	n += (size_t)sprintf(log + n, "\"}\n{\"t\":2,\"type\":\"violation\",\"kind\":\"mem_write\","
				      "\"action\":\"deny\",\"insn\":\"");
	for (size_t i = 0; i < big / 8; i++, n += 8)
		memcpy(log + n, "<a&'\\\"> ", 8);
	n += (size_t)sprintf(log + n, "\"}\n{\"t\":3,\"type\":\"console\",\"line\":\"");
	memset(log + n, 'B', 2u << 20);
	n += 2u << 20;
	n += (size_t)sprintf(log + n, "\"}\n");
	e = report_json(log, n);
	cr_assert_eq(num(e, "r.events"), 2);
	cr_assert_eq(num(e, "r.malformed.line"), 3);
	cr_assert(evlog_is(e, "r.malformed.error", "line longer than 1048576 bytes"));
	p = strstr(out_text, "\"image\":\"AAA");
	cr_assert_not_null(p);
	cr_assert(!strncmp(p + 9 + 124, "...\"", 4), "cut at 127 bytes with ...: %.140s", p);
	cr_assert_lt(out_len, 4096);
	cr_assert_eq(report(log, n, false), 0);
	svg_well_formed();
	cr_assert_lt(svg_len, 8192);
	free(log);
}

Test(report, absurd_numbers_and_types)
{
	static const char log[] =
	    "{\"t\":1e999,\"type\":\"protect\",\"gpa\":\"0xfffffffffffff000\",\"pages\":"
	    "99999999999,"
	    "\"perms\":3,\"result\":\"ok\"}\n"
	    "{\"t\":0.5,\"type\":\"protect\",\"gpa\":\"0x1000\",\"pages\":1,\"perms\":99,"
	    "\"result\":\"ok\"}\n"
	    "{\"t\":2,\"type\":\"protect\",\"gpa\":-4096,\"pages\":1.5,\"perms\":\"rw\",\"result\":"
	    "\"ok\"}\n"
	    "{\"t\":3,\"type\":\"protect\",\"gpa\":\"0xffffffffffffffff\",\"pages\":1,\"perms\":1,"
	    "\"result\":\"ok\"}\n"
	    "{\"t\":3,\"type\":\"violation\",\"kind\":\"mem_nope\",\"action\":{\"x\":1},"
	    "\"gpa\":\"0xfffffffffffff800\",\"rip\":12345678901234567890123,\"insn\":7}\n"
	    "{\"t\":4,\"type\":\"boot\",\"vtl\":99999999999999999999999,\"image\":null}\n"
	    "{\"t\":5,\"type\":\"exit\",\"reason\":[],\"status\":-7,\"code\":1e3,\"suppressed\":"
	    "{\"violation\":\"lots\",\"console\":18446744073709551615}}\n"
	    "{\"t\":6,\"type\":\"event_overflow\"}\n";
	const struct evlog_event *e = report_json(log, strlen(log));

	cr_assert_eq(num(e, "r.events"), 8);
	cr_assert_eq(num(e, "r.protect.ok"), 4);
	cr_assert_eq(num(e, "r.limits.protect_not_drawn"), 3);
	cr_assert_eq(num(e, "r.violations.kind.other"), 1);
	cr_assert_eq(num(e, "r.violations.action.other"), 1);
	cr_assert_eq(evlog_get(e, "r.boots")->kind, EVLOG_ARR);
	cr_assert(strstr(out_text, "\"vtl\":null,\"image\":\"\""), "%s", out_text);
	cr_assert(strstr(out_text, "\"rip\":null"));
	cr_assert(strstr(out_text, "\"code\":null,\"status\":-7"));
	cr_assert(strstr(out_text, "\"suppressed\":{\"console\":18446744073709551615}"));
	cr_assert_eq(num(e, "r.event_overflow"), 1);
	cr_assert_eq(report(log, strlen(log), false), 0);
	svg_well_formed();
	cr_assert(strstr(svg_text, ">0xfffffffffffff000</text>"), "the range cut at 2^64");
	cr_assert(strstr(svg_text, ">0xffffffffffffffff</text>"));
}

/* 100,000 events: everything counted, what is kept and drawn capped, and said so. */
Test(report, hundred_thousand_events_are_bounded, .timeout = 60)
{
	size_t n = 0, cap = 100000 * 200;
	char *log = malloc(cap);
	const struct evlog_event *e;

	for (unsigned i = 0; i < 100000; i++)
		n += (size_t)snprintf(
		    log + n, cap - n,
		    i % 2
			? "{\"t\":%u,\"type\":\"violation\",\"kind\":\"mem_write\",\"gpa\":\"0x%"
			  "x\","
			  "\"rip\":\"0x1000\",\"insn\":\"mov\",\"action\":\"deny\"}\n"
			: "{\"t\":%u,\"type\":\"protect\",\"gpa\":\"0x%x\",\"pages\":1,\"perms\":1,"
			  "\"result\":\"ok\"}\n",
		    i * 1000, (i % 5000) * 0x2000);
	e = report_json(log, n);
	cr_assert_eq(num(e, "r.events"), 100000);
	cr_assert_eq(num(e, "r.violations.total"), 50000);
	cr_assert_eq(num(e, "r.violations.action.deny"), 50000);
	cr_assert_eq(num(e, "r.protect.ok"), 50000);
	cr_assert_eq(num(e, "r.limits.violations_not_kept"), 40000);
	cr_assert_eq(num(e, "r.limits.protect_not_drawn"), 50000 - 4096);
	cr_assert_eq(report(log, n, false), 0);
	cr_assert(strstr(out_text, "note: only the first 10000 violations are kept"), "%s",
		  out_text);
	cr_assert(strstr(out_text, "permission changes not drawn"));
	svg_well_formed();
	cr_assert(strstr(svg_text, "the map stops at"));
	cr_assert_lt(svg_len, 16u << 20, "the SVG is bounded: %zu bytes", svg_len);
	free(log);
}

/* ---- the command line and files ------------------------------------------------ */

static int run(const char *a1, const char *a2, const char *a3, const char *a4)
{
	char *argv[] = {"report", (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL};
	int argc = 1;
	FILE *out, *err;
	int ret;

	while (argv[argc])
		argc++;
	free(out_text);
	free(err_text);
	out = open_memstream(&out_text, &out_len);
	err = open_memstream(&err_text, &err_len);
	cr_assert(out && err);
	ret = report_run(argc, argv, out, err);
	fclose(out);
	fclose(err);
	return ret;
}

static const char *path_in(const char *name, const char *content)
{
	static char path[4][256];
	static int k;
	char *p = path[k++ % 4];
	FILE *f;

	snprintf(p, 256, "%s/%s", dir, name);
	if (content) {
		f = fopen(p, "w");
		cr_assert_not_null(f);
		fputs(content, f);
		fclose(f);
	}
	return p;
}

Test(report, command_line_and_exit_statuses)
{
	const char *log = path_in("run.jsonl", demo), *svg = path_in("run.svg", NULL);
	struct stat st;

	cr_assert_eq(run(NULL, NULL, NULL, NULL), VTLMON_EXIT_USAGE);
	cr_assert_eq(run("--help", NULL, NULL, NULL), 0);
	cr_assert(strstr(out_text, "usage: vtlmon report EVENTS.jsonl [--svg FILE] [--json]"));
	cr_assert_eq(run(log, "--svg", NULL, NULL), VTLMON_EXIT_USAGE);
	cr_assert_eq(run(log, "--bogus", NULL, NULL), VTLMON_EXIT_USAGE);
	cr_assert_eq(run(log, log, NULL, NULL), VTLMON_EXIT_USAGE);
	cr_assert_eq(run(path_in("missing", NULL), NULL, NULL, NULL), VTLMON_EXIT_NOINPUT);
	cr_assert_eq(run(dir, NULL, NULL, NULL), VTLMON_EXIT_NOINPUT);
	cr_assert(strstr(err_text, "not a regular file"));
	cr_assert_eq(run(path_in("empty", ""), NULL, NULL, NULL), VTLMON_EXIT_INVALID);

	cr_assert_eq(run("--json", log, "--svg", svg), 0, "%s", err_text);
	cr_assert(out_text[0] == '{');
	cr_assert_eq(stat(svg, &st), 0);
	cr_assert_gt(st.st_size, 1000);
	/* A failed report leaves no SVG behind; one that cannot be written is 70. */
	cr_assert_eq(run(path_in("bad", "nope\n"), "--svg", svg, NULL), VTLMON_EXIT_INVALID);
	cr_assert_neq(stat(svg, &st), 0);
	cr_assert_eq(run(log, "--svg", path_in("no/such/dir.svg", NULL), NULL),
		     VTLMON_EXIT_MONITOR);
}

/* The run's start event: version, time and every input's SHA-256, in text and JSON. */
Test(report, start_names_the_inputs)
{
	static const char log[] =
	    "{\"t\":0,\"type\":\"start\",\"version\":\"0.2.0\",\"time\":\"2026-12-07T18:40:00."
	    "000001Z\","
	    "\"unix_ns\":1,\"pid\":5,\"vtl1\":\"built-in:vtl1\",\"vtl1_sha256\":\"aa11\","
	    "\"policy\":\"p<\\\"x\\\">\",\"policy_sha256\":\"bb22\",\"kernel\":\"vmlinux\","
	    "\"kernel_sha256\":\"cc33\",\"initrd\":\"i.cpio\",\"initrd_sha256\":\"dd44\"}\n"
	    "{\"t\":10,\"type\":\"exit\",\"reason\":\"shutdown\",\"code\":0,\"status\":0,"
	    "\"detail\":\"x\",\"suppressed\":{}}\n";
	const struct evlog_event *j;

	cr_assert_eq(report(log, strlen(log), false), 0);
	cr_assert(strstr(out_text, "start  vtlmon 0.2.0 at 2026-12-07T18:40:00.000001Z\n"), "%s",
		  out_text);
	cr_assert(strstr(out_text, "input  kernel  \"vmlinux\" sha256 cc33\n"), "%s", out_text);
	cr_assert(strstr(out_text, "input  initrd  \"i.cpio\" sha256 dd44\n"), "%s", out_text);
	cr_assert_null(strstr(out_text, "input  vtl0"), "%s", out_text);
	j = report_json(log, strlen(log));
	cr_assert(evlog_is(j, "r.start.version", "0.2.0"));
	cr_assert(evlog_is(j, "r.start.time", "2026-12-07T18:40:00.000001Z"));
	cr_assert_not_null(strstr(out_text, "\"role\":\"policy\",\"name\":\"p<\\\"x\\\">\""), "%s",
			   out_text);
}
