/* KVM tests through the vtlmon binary itself: the demo, caps and bench commands. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/base/file.h"
#include "monitor/cmd/cli.h"
#include "monitor/base/exitcodes.h"
#include "tests/kvm/harness.h"
#include "tests/lib/evlog.h"

TestSuite(cli, .init = kvm_require, .timeout = KVM_TEST_TIMEOUT_S);

/* Runs a shell command, captures stdout into buf; returns the exit status. */
static int sh(char *buf, size_t len, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	size_t n = 0;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (buf && n + 1 < len && !feof(f))
		n += fread(buf + n, 1, len - 1 - n, f);
	if (buf)
		buf[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(cli, demo_runs_with_no_arguments)
{
	char out[8192], path[64], why[256];
	struct evlog ev;
	long b1, b0;

	snprintf(path, sizeof(path), "/tmp/vtlmon-cli-%d.jsonl", getpid());
	cr_assert_eq(sh(out, sizeof(out), "%s run --events %s --timeout 30", VTLMON_BIN, path), 0);
	cr_assert_not_null(strstr(out, "[vtl1] "), "VTL1 console is prefixed");
	cr_assert_not_null(strstr(out, "[vtl0] "), "VTL0 console is prefixed");
	if (evlog_load(&ev, path, 1 << 20)) {
		evlog_strerror(&ev, why, sizeof(why));
		cr_assert_fail("%s: %s", path, why);
	}
	cr_assert(!ev.missing, "no events file %s", path);
	b1 = evlog_find(&ev, 0, "boot", "vtl=1");
	b0 = evlog_find(&ev, 0, "boot", "vtl=0");
	cr_assert_geq(b1, 0, "no VTL1 boot event");
	cr_assert_geq(b0, 0, "no VTL0 boot event");
	cr_assert_lt(b1, b0, "VTL1 boots first");
	cr_assert_geq(evlog_find(&ev, 0, "vtl_call"), 0, "no vtl_call event");
	/* The four attacks, each stopped as the default policy says, and said so on the console. */
	cr_assert_not_null(strstr(out, "demo: 4 of 4 attacks stopped"), "%s", out);
	cr_assert_null(strstr(out, "NOT STOPPED"), "%s", out);
	cr_assert_geq(evlog_find(&ev, 0, "violation", "kind=mem_write", "action=deny"), 0);
	cr_assert_geq(evlog_find(&ev, 0, "violation", "kind=mem_read", "action=deny"), 0);
	cr_assert_geq(evlog_find(&ev, 0, "violation", "kind=msr", "action=deny"), 0);
	cr_assert_geq(evlog_find(&ev, 0, "violation", "kind=cr", "action=restore"), 0);
	cr_assert_eq(evlog_count(&ev, "violation"), 4);
	evlog_free(&ev);
	unlink(path);
}

/* --cpus 2 and 4: every other vCPU starts and is stopped writing the locked text too. */
static void demo_on_cpus(unsigned int cpus)
{
	char out[8192], path[64], why[256], want[64];
	struct evlog ev;

	snprintf(path, sizeof(path), "/tmp/vtlmon-cli-%d-%u.jsonl", getpid(), cpus);
	cr_assert_eq(sh(out, sizeof(out), "%s run --cpus %u --events %s --timeout 60", VTLMON_BIN,
			cpus, path),
		     0, "%s", out);
	snprintf(want, sizeof(want), "demo: %u of %u attacks stopped", 3 + cpus, 3 + cpus);
	cr_assert_not_null(strstr(out, want), "%s", out);
	cr_assert_null(strstr(out, "NOT STOPPED"), "%s", out);
	if (evlog_load(&ev, path, 1 << 20)) {
		evlog_strerror(&ev, why, sizeof(why));
		cr_assert_fail("%s: %s", path, why);
	}
	cr_assert_eq(evlog_count(&ev, "cpu_start", "result=ok"), cpus - 1);
	for (unsigned int c = 1; c < cpus; c++) {
		char vcpu[16];

		snprintf(vcpu, sizeof(vcpu), "vcpu=%u", c);
		cr_assert_eq(evlog_count(&ev, "violation", vcpu, "kind=mem_write", "action=deny"),
			     1, "vCPU %u", c);
	}
	evlog_free(&ev);
	unlink(path);
}

Test(cli, demo_runs_on_two_vcpus)
{
	demo_on_cpus(2);
}

Test(cli, demo_runs_on_four_vcpus)
{
	demo_on_cpus(4);
}

/* Each violation's stderr line names what was hit in its own terms, and the decision. */
Test(cli, demo_violation_lines_name_what_was_hit)
{
	char out[8192];

	cr_assert_eq(sh(out, sizeof(out), "%s run --quiet --timeout 30 2>&1", VTLMON_BIN), 0);
	cr_assert_not_null(strstr(out, "vtlmon: vtl0 mem_write at gpa 0x"), "%s", out);
	cr_assert_not_null(strstr(out, "vtlmon: vtl0 write of msr 0xc0000080, rip 0x"), "%s", out);
	/* A CR change is seen at a later exit: no instruction to show, so none is made up. */
	cr_assert_not_null(strstr(out, "vtlmon: vtl0 cr0 = 0x"), "%s", out);
	cr_assert_not_null(strstr(out, "(pinned bits 0x80010001)"), "%s", out);
	cr_assert_null(strstr(out, "unknown"), "%s", out);
	cr_assert_not_null(strstr(out, "vtlmon: violations: mem_read: deny 1; mem_write: deny 1; "
				       "msr: deny 1; cr: restore 1"),
			   "%s", out);
	/* The instructions, decoded by the decoder process (vtlmon never links Capstone). */
	cr_assert_not_null(strstr(out, "(mov byte ptr [rax], bl): deny"), "%s", out);
	cr_assert_not_null(strstr(out, "(mov rbx, qword ptr [rax]): deny"), "%s", out);
	cr_assert_not_null(strstr(out, "(wrmsr): deny"), "%s", out);
	cr_assert_null(strstr(out, "undecoded"), "%s", out);
	cr_assert_null(strstr(out, "decoder process"), "%s", out);
}

/* The same through the events: `insn` is the decoder process's text, and the denials are precise.
 */
Test(cli, demo_violation_events_carry_the_decoded_instruction)
{
	char out[16384];

	cr_assert_eq(
	    sh(out, sizeof(out), "%s run --quiet --timeout 30 --events - 2>/dev/null", VTLMON_BIN),
	    0);
	/* The demo's store into its own text (demo_attacks_run's first byte; vtl0/demo/demo.c). */
	cr_assert_not_null(
	    strstr(out, "\"kind\":\"mem_write\",\"gpa\":\"0x1000c0\",\"rip\":\"0x10012d\","
			"\"insn\":\"mov byte ptr [rax], bl\""),
	    "%s", out);
	cr_assert_not_null(strstr(out, "\"insn\":\"wrmsr\""), "%s", out);
	/* A precise denial needs the store's operands: they came from the decoder too. */
	cr_assert_not_null(strstr(out, "\"action\":\"deny\",\"precise\":true"), "%s", out);
}

Test(cli, usage_errors_have_their_own_status)
{
	cr_assert_eq(sh(NULL, 0, "%s run --mem 3 2>/dev/null", VTLMON_BIN), VTLMON_EXIT_USAGE);
	cr_assert_eq(sh(NULL, 0, "%s run --cpus 9 2>/dev/null", VTLMON_BIN), VTLMON_EXIT_USAGE);
	cr_assert_eq(sh(NULL, 0, "%s run --cpus 0 2>/dev/null", VTLMON_BIN), VTLMON_EXIT_USAGE);
	cr_assert_eq(sh(NULL, 0, "%s bogus 2>/dev/null", VTLMON_BIN), VTLMON_EXIT_USAGE);
	cr_assert_eq(sh(NULL, 0, "%s run --vtl0 /etc/passwd 2>/dev/null", VTLMON_BIN),
		     VTLMON_EXIT_LAUNCH);
}

Test(cli, caps_states_what_cannot_be_enforced)
{
	char out[8192];

	cr_assert_eq(sh(out, sizeof(out), "%s caps", VTLMON_BIN), 0);
	cr_assert_not_null(strstr(out, "non-executable"));
	cr_assert_not_null(strstr(out, "NOT ENFORCEABLE"));
	cr_assert_not_null(strstr(out, "KVM_CAP_SYNC_REGS"));
}

Test(cli, bench_reports_the_ratio, .timeout = 120)
{
	char out[16384];

	cr_assert_eq(sh(out, sizeof(out), "%s bench --runs 1 --protect-ranges 100", VTLMON_BIN), 0);
	cr_assert_not_null(strstr(out, "null call / (2 x raw exit)"));
	cr_assert_not_null(strstr(out, "VTL1 boot (policy parse, boot op list)"), "%s", out);
	cr_assert_not_null(strstr(out, "128 MiB, 100 ranges, page below them"), "%s", out);
	cr_assert_null(strstr(out, "-0."), "a negative figure: %s", out);
}

static double bench_json_num(const struct evlog *l, const char *key, const char *out)
{
	const struct evlog_field *f = evlog_get(&l->ev[0], key);

	cr_assert(f && f->kind == EVLOG_NUM, "%s missing: %s", key, out);
	return strtod(f->val.p, NULL);
}

/* --json: one valid object with min <= median <= max for each figure. */
Test(cli, bench_json_is_valid_with_min_median_max, .timeout = 120)
{
	static const char *const figs[] = {"raw_exit_ns",
					   "null_call_ns",
					   "null_call_per_2_exits",
					   "launch_ms.setup",
					   "launch_ms.vtl1_boot",
					   "launch_ms.total",
					   "launch_ms.big_policy_total",
					   "protect.few_above.pair_ns",
					   "protect.many_below.ioctl_ns",
					   "protect.large_region.pair_per_ioctls",
					   "protect.large_ram_per_small_ram"};
	static const char *const cases[] = {"few_above",  "few_below",	  "many_above",
					    "many_below", "large_region", "small_region"};
	char out[16384], key[96];
	struct evlog l;
	double v[3];

	cr_assert_eq(sh(out, sizeof(out),
			"%s bench --runs 3 --cr-samples 0 --protect-ranges 200 --protect-pairs 20 "
			"--json",
			VTLMON_BIN),
		     0);
	cr_assert_eq(evlog_parse_json(&l, "b", out, strlen(out)), 0, "%s: %s", l.err ? l.err : "",
		     out);
	for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
		static const char *const st[] = {"min", "median", "max"};

		for (int k = 0; k < 3; k++) {
			snprintf(key, sizeof(key), "b.%s.%s", figs[i], st[k]);
			v[k] = bench_json_num(&l, key, out);
		}
		cr_assert(v[0] > 0 && v[0] <= v[1] && v[1] <= v[2], "%s: %f %f %f", figs[i], v[0],
			  v[1], v[2]);
	}
	cr_assert(bench_json_num(&l, "b.launch_ms.total.min", out) >=
		      bench_json_num(&l, "b.launch_ms.vtl1_boot.min", out),
		  "%s", out);
	/*
	 * The structural property behind the PROTECT figure: RAM is backed by
	 * slots of at most 2 MiB, so a pair changes the slots of one chunk only,
	 * in 3 GiB as in 32 MiB: one delete and at most three creates each way.
	 */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double n;

		snprintf(key, sizeof(key), "b.protect.%s.ioctls_per_pair", cases[i]);
		n = bench_json_num(&l, key, out);
		cr_assert(n >= 2 && n <= 8, "%s = %f: %s", key, n, out);
	}
	evlog_free(&l);
}

Test(cli, broken_policy_stops_the_launch_with_file_line_col)
{
	char out[4096], path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/vtlmon-bad-%d.policy", getpid());
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("vtlmon-policy 1\ncr pin CR4.NOPE\n", f);
	fclose(f);
	cr_assert_eq(sh(out, sizeof(out), "%s run --quiet --policy %s 2>&1", VTLMON_BIN, path),
		     VTLMON_EXIT_LAUNCH);
	cr_assert_not_null(strstr(out, ":2:8:"), "FILE:LINE:COL in: %s", out);
	cr_assert_null(strstr(out, "[vtl0]"), "VTL0 never ran");
	unlink(path);
}

Test(cli, policy_requiring_exec_protection_is_refused_on_this_host)
{
	char out[4096];

	cr_assert_eq(sh(out, sizeof(out),
			"%s run --policy %s/policy/examples/nx-required.policy 2>&1", VTLMON_BIN,
			SRC_DIR),
		     VTLMON_EXIT_LAUNCH);
	cr_assert_not_null(strstr(out, "exec protection"), "%s", out);
	cr_assert_null(strstr(out, "[vtl0]"), "VTL0 never ran");
}

/* `policy check --host` refuses exactly what `run` refuses here, at the statement's line:col. */
Test(cli, policy_check_host_refuses_what_run_refuses)
{
	char out[4096], path[64], want[32];
	void *base;
	size_t len, lines = 0;
	FILE *f;

	cr_assert_eq(sh(out, sizeof(out),
			"%s policy check %s/policy/examples/nx-required.policy 2>&1", VTLMON_BIN,
			SRC_DIR),
		     0, "%s", out);
	cr_assert_eq(sh(out, sizeof(out),
			"%s policy check --host %s/policy/examples/nx-required.policy 2>&1",
			VTLMON_BIN, SRC_DIR),
		     VTLMON_EXIT_INVALID, "%s", out);
	cr_assert_not_null(strstr(out, "nx-required.policy:"), "%s", out);
	cr_assert_not_null(strstr(out, "exec protection"), "%s", out);

	/* The default policy (the demo passes under it) plus one page just past 32M of RAM. */
	cr_assert_eq(file_read_all(SRC_DIR "/policy/examples/default.policy", 1 << 16, &base, &len),
		     0);
	for (size_t i = 0; i < len; i++)
		lines += ((char *)base)[i] == '\n';
	snprintf(path, sizeof(path), "/tmp/vtlmon-host-%d.policy", getpid());
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fwrite(base, 1, len, f);
	fputs("memory range 0x2000000 4K r\n", f);
	fclose(f);
	free(base);
	/* 32M of VTL0 RAM ends at 0x2000000: the page is beyond it, and run refuses it too */
	cr_assert_eq(sh(out, sizeof(out), "%s policy check --host %s 2>&1", VTLMON_BIN, path),
		     VTLMON_EXIT_INVALID, "%s", out);
	snprintf(want, sizeof(want), ":%zu:14: range", lines + 1);
	cr_assert_not_null(strstr(out, want), "%s not in %s", want, out);
	cr_assert_eq(sh(out, sizeof(out), "%s run --quiet --policy %s 2>&1", VTLMON_BIN, path),
		     VTLMON_EXIT_LAUNCH, "%s", out);
	cr_assert_eq(
	    sh(out, sizeof(out), "%s policy check --host --mem 64M %s 2>&1", VTLMON_BIN, path), 0,
	    "%s", out);
	cr_assert_eq(
	    sh(out, sizeof(out), "%s run --quiet --mem 64M --policy %s 2>&1", VTLMON_BIN, path), 0,
	    "%s", out);
	unlink(path);
}
