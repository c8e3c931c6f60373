/* KVM test of the guest SDK: examples/minimal, built by its own Makefile outside build/, runs. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/base/file.h"
#include "tests/kvm/harness.h"

TestSuite(sdk, .init = kvm_require, .timeout = KVM_TEST_TIMEOUT_S);

/*
 * Watchdogs for the build and for the run, each well below Criterion's own
 * and together too: a stuck make or vtlmon fails the test with a reason
 * instead of being killed with none. Generous, because the nested test VM
 * compiles slowly.
 */
#define SDK_BUILD_LIMIT_S 30
#define SDK_RUN_LIMIT_S	  25
#define SDK_HELLO	  "minimal: hello from an out-of-tree VTL0 kernel"

/* Every file the build and the run leave in the temporary folder, for the clean-up. */
static const char *const sdk_files[] = {
    "start.o", "minimal.o", "minimal.elf", "make.log", "events.jsonl", "stdout.txt",
};

/*
 * `make -C examples/minimal O=DIR VTLMON_INCLUDE=include`: the example's own
 * Makefile and flags, nothing of the tree's build, objects only in DIR. The
 * outer make's variables stay out (a -j jobserver it does not share).
 */
static void sdk_build(const char *dir)
{
	char out[300], log[300];
	pid_t pid;
	int st;

	snprintf(out, sizeof(out), "O=%s", dir);
	snprintf(log, sizeof(log), "%s/make.log", dir);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		unsetenv("MAKEFLAGS");
		unsetenv("MFLAGS");
		unsetenv("MAKELEVEL");
		execlp("make", "make", "--no-print-directory", "-C", SRC_DIR "/examples/minimal",
		       out, "VTLMON_INCLUDE=" SRC_DIR "/include", (char *)NULL);
		_exit(127);
	}
	st = child_wait(pid, SDK_BUILD_LIMIT_S, "make -C examples/minimal");
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		char *text = test_read_file(log);

		cr_assert_fail("make -C examples/minimal %s failed (wait status %#x):\n%s", out, st,
			       text);
	}
}

Test(sdk, minimal_example_builds_out_of_tree_and_runs)
{
	char dir[] = "/tmp/vtlmon-sdk-XXXXXX";
	char elf[64], events[64], out[64], why[256], path[96];
	struct evlog ev;
	long hello, echo, denied, done, exit_ev;
	char *text;
	pid_t pid;
	int st;

	cr_assert_not_null(mkdtemp(dir));
	sdk_build(dir);
	snprintf(elf, sizeof(elf), "%s/minimal.elf", dir);
	snprintf(events, sizeof(events), "%s/events.jsonl", dir);
	snprintf(out, sizeof(out), "%s/stdout.txt", dir);

	/* The real binary, as the example's README runs it; the monitor's --timeout first. */
	pid = vtlmon_spawn((const char *const[]){"run", "--vtl0", elf, "--events", events,
						 "--timeout", "20", NULL},
			   out, false);
	st = child_wait(pid, SDK_RUN_LIMIT_S, "vtlmon run --vtl0 minimal.elf");
	text = test_read_file(out);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait status %#x, stdout:\n%s", st, text);
	cr_assert_not_null(strstr(text, "[vtl0] " SDK_HELLO "\n"), "stdout:\n%s", text);
	free(text);

	if (evlog_load(&ev, events, 1 << 20)) {
		evlog_strerror(&ev, why, sizeof(why));
		cr_assert_fail("%s: %s", events, why);
	}
	cr_assert(!ev.missing, "no events file %s", events);
	hello = evlog_find(&ev, 0, "console", "vtl=0", "line=" SDK_HELLO);
	echo = evlog_find(&ev, 0, "vtl_call", "nr=1", "call=echo", "status=0", "result=ok");
	done = evlog_find(&ev, 0, "console", "vtl=0", "line=minimal: done");
	exit_ev = evlog_find(&ev, 0, "exit", "reason=shutdown", "code=0", "status=0");
	if (hello < 0 || echo < 0 || done < 0 || exit_ev < 0)
		evlog_dump(stderr, &ev, 0, ev.n);
	cr_assert_geq(hello, 0, "no console event with the greeting");
	cr_assert_gt(echo, hello, "no ECHO vtl_call with status 0 after the greeting");
	cr_assert_gt(done, echo, "the guest did not reach its last line");
	cr_assert_gt(exit_ev, done, "no shutdown exit with code 0 at the end");
	/* The optional step: where the host can make pages read-only, the write was denied. */
	if (evlog_find(&ev, 0, "console", "line~cannot make a page read-only") < 0) {
		denied = evlog_find(&ev, echo, "violation", "kind=mem_write", "action=deny");
		cr_assert_geq(evlog_find(&ev, echo, "protect", "pages=1", "perms=1", "result=ok"),
			      0, "no protect event for the scratch page");
		cr_assert_geq(denied, 0, "no denied mem_write violation");
		cr_assert_geq(evlog_find(&ev, denied, "console", "line~denied, #PF error 0x3"), 0,
			      "the guest did not see its #PF");
	}
	evlog_free(&ev);

	for (size_t i = 0; i < sizeof(sdk_files) / sizeof(sdk_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sdk_files[i]);
		unlink(path);
	}
	cr_assert_eq(rmdir(dir), 0, "%s holds a file the test does not know", dir);
}
