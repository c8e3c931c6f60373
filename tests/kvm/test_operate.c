/* KVM tests of running vtlmon as an operator would: signals, a log that fails closed, odd outputs.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <sodium.h>
#include <unistd.h>

#include "monitor/base/exitcodes.h"
#include "monitor/base/file.h"
#include "monitor/base/version.h"
#include "tests/kvm/harness.h"

TestSuite(operate, .init = kvm_require, .timeout = KVM_TEST_TIMEOUT_S);

#define HANG_ELF GUEST_DIR "/vtl0/tests/hang.elf"
#define DEMO_ELF GUEST_DIR "/vtl0/demo.elf"
/*
 * How long a stopped run may take to end: a watchdog, not a timing claim. Generous, because CI
 * runs these while other suites (and a kernel build) share the two cores; below Criterion's own.
 */
#define OP_LIMIT_S 45

static pid_t op_spawn(const char *const *args, const char *out)
{
	return vtlmon_spawn(args, out, false);
}

/* A monitor that ignores the signal or the failure fails the test, never hangs it. */
static int op_wait(pid_t pid, int limit_s)
{
	return child_wait(pid, limit_s, "vtlmon");
}

/* A guest that never exits, a signal once it runs: a clean end, an exit event, 128 + signal. */
static void op_signal_ends_cleanly(int sig)
{
	char events[64];
	char want[64];
	char *log;
	pid_t pid;
	int st;

	snprintf(events, sizeof(events), "/tmp/vtlmon-op-%d.jsonl", getpid());
	pid = op_spawn((const char *const[]){"run", "--quiet", "--vtl0", HANG_ELF, "--events",
					     events, "--timeout", "30", NULL},
		       NULL);
	/* The guest is running once its boot event is in the log. */
	for (int i = 0; i < 200; i++) {
		struct stat sb;

		if (!stat(events, &sb) && sb.st_size > 0) {
			log = test_read_file(events);
			bool booted = strstr(log, "\"type\":\"boot\",\"vtl\":0") != NULL;

			free(log);
			if (booted)
				break;
		}
		usleep(50000);
	}
	kill(pid, sig);
	st = op_wait(pid, OP_LIMIT_S);
	cr_assert(WIFEXITED(st), "wait status %#x: killed instead of ending cleanly", st);
	cr_assert_eq(WEXITSTATUS(st), (VTLMON_EXIT_SIGNAL_BASE + sig) & 0xFF);
	log = test_read_file(events);
	snprintf(want, sizeof(want), "\"status\":%d", VTLMON_EXIT_SIGNAL_BASE + sig);
	cr_assert_not_null(strstr(log, "\"type\":\"exit\",\"reason\":\"signal\""), "%s", log);
	cr_assert_not_null(strstr(log, want), "%s", log);
	free(log);
	unlink(events);
}

Test(operate, sigterm_ends_the_run_cleanly)
{
	op_signal_ends_cleanly(SIGTERM);
}

Test(operate, sigint_ends_the_run_cleanly)
{
	op_signal_ends_cleanly(SIGINT);
}

Test(operate, sighup_ends_the_run_cleanly)
{
	op_signal_ends_cleanly(SIGHUP);
}

Test(operate, an_events_log_that_cannot_be_written_stops_the_guest)
{
	/* The guest never exits by itself: only the failed log can end this run. */
	pid_t pid = op_spawn((const char *const[]){"run", "--quiet", "--vtl0", HANG_ELF, "--events",
						   "/dev/full", "--timeout", "30", NULL},
			     NULL);
	int st = op_wait(pid, OP_LIMIT_S);

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == VTLMON_EXIT_AUDIT, "wait status %#x", st);
}

Test(operate, events_dash_is_standard_output)
{
	char out[64];
	char *log;
	int st;

	snprintf(out, sizeof(out), "/tmp/vtlmon-op-out-%d.txt", getpid());
	st = op_wait(op_spawn((const char *const[]){"run", "--quiet", "--events", "-", NULL}, out),
		     30);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait status %#x", st);
	log = test_read_file(out);
	cr_assert_not_null(strstr(log, "\"type\":\"exit\",\"reason\":\"shutdown\""), "%s", log);
	cr_assert_null(strstr(log, "[vtl0]"), "--quiet still printed the console");
	free(log);
	unlink(out);
	cr_assert_neq(access("-", F_OK), 0, "a file named '-' was created");
}

Test(operate, an_events_fifo_without_a_reader_is_refused_not_waited_on)
{
	char fifo[64];
	int st;

	snprintf(fifo, sizeof(fifo), "/tmp/vtlmon-op-fifo-%d", getpid());
	unlink(fifo);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	st = op_wait(
	    op_spawn((const char *const[]){"run", "--quiet", "--events", fifo, NULL}, NULL), 10);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0, "wait status %#x", st);
	unlink(fifo);
}

Test(operate, an_input_fifo_is_refused_not_waited_on)
{
	char fifo[64];
	int st;

	snprintf(fifo, sizeof(fifo), "/tmp/vtlmon-op-in-%d", getpid());
	unlink(fifo);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	st = op_wait(
	    op_spawn((const char *const[]){"run", "--quiet", "--policy", fifo, NULL}, NULL), 10);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == VTLMON_EXIT_NOINPUT, "wait status %#x", st);
	unlink(fifo);
}

/* `vtlmon --version`, `vtlmon help CMD` and `vtlmon CMD --help` for every sub-command: exit 0. */
Test(operate, version_and_help_for_every_sub_command)
{
	static const char *const cmds[] = {"run", "policy", "inspect", "caps", "bench"};
	char out[64], *text;
	int st;

	snprintf(out, sizeof(out), "/tmp/vtlmon-op-help-%d.txt", getpid());
	st = op_wait(vtlmon_spawn((const char *const[]){"--version", NULL}, out, false), 10);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "--version: wait status %#x", st);
	text = test_read_file(out);
	cr_assert(!strncmp(text, "vtlmon ", 7), "--version printed: %s", text);
	free(text);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		st = op_wait(
		    vtlmon_spawn((const char *const[]){cmds[i], "--help", NULL}, out, false), 10);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s --help: wait status %#x",
			  cmds[i], st);
		text = test_read_file(out);
		cr_assert_not_null(strstr(text, cmds[i]), "%s --help printed: %s", cmds[i], text);
		free(text);
		st = op_wait(vtlmon_spawn((const char *const[]){"help", cmds[i], NULL}, out, false),
			     10);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "help %s: wait status %#x",
			  cmds[i], st);
	}
	st = op_wait(vtlmon_spawn((const char *const[]){"help", "nope", NULL}, out, false), 10);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == VTLMON_EXIT_USAGE, "wait status %#x", st);
	unlink(out);
}

/* The first event says what ran and when: version, wall-clock anchor, SHA-256 of every input. */
Test(operate, the_first_event_says_what_ran_and_when)
{
	const char *policy = SRC_DIR "/policy/examples/default.policy";
	unsigned char digest[crypto_hash_sha256_BYTES];
	char events[64], hex[65];
	const struct evlog_event *s;
	struct evlog l;
	struct timespec before, after;
	uint64_t unix_ns, pid;
	void *buf;
	size_t len;
	int st;

	snprintf(events, sizeof(events), "/tmp/vtlmon-op-start-%d.jsonl", getpid());
	clock_gettime(CLOCK_REALTIME, &before);
	st = op_wait(op_spawn((const char *const[]){"run", "--quiet", "--vtl0", DEMO_ELF,
						    "--policy", policy, "--events", events, NULL},
			      NULL),
		     30);
	clock_gettime(CLOCK_REALTIME, &after);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait status %#x", st);
	cr_assert_eq(evlog_load(&l, events, 1 << 20), 0);
	unlink(events);
	cr_assert_geq(l.n, 2);
	s = &l.ev[0];
	cr_assert(evlog_is(s, "type", "start"), "the first event is not start");
	cr_assert(evlog_is(s, "version", VTLMON_VERSION));
	cr_assert(evlog_u64(s, "unix_ns", &unix_ns));
	cr_assert_geq(unix_ns, (uint64_t)before.tv_sec * 1000000000ULL + (uint64_t)before.tv_nsec);
	cr_assert_leq(unix_ns, (uint64_t)after.tv_sec * 1000000000ULL + (uint64_t)after.tv_nsec);
	cr_assert(evlog_u64(s, "pid", &pid) && pid > 0);
	cr_assert_not_null(evlog_str(s, "time"));
	cr_assert_eq(strlen(evlog_str(s, "time")), strlen("2026-12-07T18:40:00.123456Z"));
	/* Each input's hash is the hash of the file's bytes. */
	const struct {
		const char *key, *path;
	} inputs[] = {{"vtl0", DEMO_ELF}, {"policy", policy}};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		char key[32];

		cr_assert_eq(file_read_all(inputs[i].path, 64 << 20, &buf, &len), 0);
		crypto_hash_sha256(digest, buf, len);
		free(buf);
		sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
		snprintf(key, sizeof(key), "%s_sha256", inputs[i].key);
		cr_assert(evlog_is(s, key, hex), "%s: %s, want %s", key,
			  evlog_str(s, key) ? evlog_str(s, key) : "(none)", hex);
		cr_assert(evlog_is(s, inputs[i].key, inputs[i].path), "%s is not named", key);
	}
	/* The built-in VTL1 is hashed too; there is no kernel or module here. */
	cr_assert_not_null(evlog_str(s, "vtl1_sha256"));
	cr_assert_eq(strlen(evlog_str(s, "vtl1_sha256")), 64);
	cr_assert_null(evlog_get(s, "kernel_sha256"));
	cr_assert_null(evlog_get(s, "module0"));
	evlog_free(&l);
}

/* `caps --json` on this host: one valid JSON object whose features match the text form's. */
Test(operate, caps_json_is_valid_and_matches_the_text)
{
	char out[64], *json, *text, want[64];
	struct evlog l;
	int st;

	snprintf(out, sizeof(out), "/tmp/vtlmon-op-caps-%d.txt", getpid());
	st = op_wait(op_spawn((const char *const[]){"caps", "--json", NULL}, out), 30);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait status %#x", st);
	json = test_read_file(out);
	st = op_wait(op_spawn((const char *const[]){"caps", NULL}, out), 30);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait status %#x", st);
	text = test_read_file(out);
	unlink(out);
	cr_assert_gt(strlen(json), 1);
	cr_assert_eq(evlog_parse_json(&l, "caps", json, strlen(json)), 0, "%s", l.err ? l.err : "");
	cr_assert_not_null(evlog_str(&l.ev[0], "caps.features"));
	snprintf(want, sizeof(want), "reported to guests: %s\n",
		 evlog_str(&l.ev[0], "caps.features"));
	cr_assert_not_null(strstr(text, want), "text says otherwise: %s", text);
	evlog_free(&l);
	free(json);
	free(text);
}

/* --mem-prealloc: the demo runs as without it (every page allocated up front). */
Test(operate, mem_prealloc_runs_the_demo)
{
	int st = op_wait(op_spawn((const char *const[]){"run", "--quiet", "--mem-prealloc", "--mem",
							"64M", NULL},
				  NULL),
			 30);

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait status %#x", st);
}

/* --state-out: the demo's end state, with the page it gave up and its locked text. */
Test(operate, state_out_shows_the_map_and_pins_at_the_end)
{
	char state[64], *text;
	struct evlog l;
	int st;

	snprintf(state, sizeof(state), "/tmp/vtlmon-op-state-%d.json", getpid());
	st = op_wait(
	    op_spawn((const char *const[]){"run", "--quiet", "--state-out", state, NULL}, NULL),
	    30);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait status %#x", st);
	text = test_read_file(state);
	unlink(state);
	cr_assert_eq(evlog_parse_json(&l, "s", text, strlen(text)), 0, "%s: %s", l.err ? l.err : "",
		     text);
	cr_assert(evlog_is(&l.ev[0], "s.end", "shutdown"), "%s", text);
	/* The demo gave up one page (attack 2): no access, as intended and as enforced. */
	cr_assert_not_null(strstr(text, "\"pages\":1,\"intended\":\"---\",\"enforced\":\"---\""),
			   "%s", text);
	/* Its text is locked read-only: KVM enforces r-x (exec cannot be taken away). */
	cr_assert_not_null(strstr(text, "\"intended\":\"r-x\",\"enforced\":\"r-x\""), "%s", text);
	/* The default policy pins CR0.WP (bit 16) among others, and EFER. */
	cr_assert_not_null(strstr(text, "{\"reg\":\"cr0\",\"mask\":\"0x80010001\""), "%s", text);
	cr_assert_not_null(strstr(text, "{\"index\":\"0xc0000080\""), "%s", text);
	evlog_free(&l);
	free(text);
}

/*
 * A file system that fills up during the run (a 4 KiB tmpfs in a mount
 * namespace of the child's own): the log cannot take the demo's events, so
 * the guest is stopped and the run ends with 73 and a message, never as if
 * the guest had finished.
 */
Test(operate, a_full_file_system_stops_the_guest)
{
	char dir[64], events[96], err[64], *text;
	pid_t pid;
	int st;

	snprintf(dir, sizeof(dir), "/tmp/vtlmon-op-full-%d", getpid());
	snprintf(events, sizeof(events), "%s/events.jsonl", dir);
	snprintf(err, sizeof(err), "/tmp/vtlmon-op-full-%d.err", getpid());
	cr_assert(mkdir(dir, 0700) == 0 || errno == EEXIST);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		/* Private: the small tmpfs exists only in this child's namespace. */
		if (e < 0 || unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("tmpfs", dir, "tmpfs", 0, "size=4k"))
			_exit(126);
		dup2(e, 2);
		execl(VTLMON_BIN, VTLMON_BIN, "run", "--quiet", "--events", events, "--timeout",
		      "30", (char *)NULL);
		_exit(127);
	}
	st = op_wait(pid, OP_LIMIT_S);
	rmdir(dir);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 126, "cannot set up the tmpfs (root?)");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == VTLMON_EXIT_AUDIT, "wait status %#x", st);
	text = test_read_file(err);
	unlink(err);
	cr_assert_not_null(strstr(text, "No space left on device"), "%s", text);
	free(text);
}

#define FLOOD_ELF GUEST_DIR "/vtl0/tests/flood.elf"

/* Spawns vtlmon with stdout on a pipe; returns the pid and the pipe's read end. */
static pid_t op_spawn_piped(const char *const *args, int *rd)
{
	char *argv[16];
	size_t n = 0;
	int fds[2];
	pid_t pid;

	argv[n++] = (char *)VTLMON_BIN;
	for (; *args && n < 15; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fds[1], 1);
		dup2(null, 2);
		close(fds[0]);
		execv(VTLMON_BIN, argv);
		_exit(127);
	}
	close(fds[1]);
	*rd = fds[0];
	return pid;
}

/*
 * The console piped into a reader that goes away (`vtlmon run | head -c 1`):
 * SIGPIPE never kills the monitor; the console is not the audit trail, so the
 * guest runs to its end.
 */
Test(operate, a_closed_console_pipe_never_kills_the_monitor)
{
	char c;
	int rd, st;
	pid_t pid = op_spawn_piped(
	    (const char *const[]){"run", "--vtl0", FLOOD_ELF, "--timeout", "40", NULL}, &rd);

	cr_assert_eq(read(rd, &c, 1), 1);
	close(rd);
	st = op_wait(pid, OP_LIMIT_S);
	cr_assert(!WIFSIGNALED(st), "killed by signal %d", WTERMSIG(st));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait status %#x", st);
}

/* An events FIFO whose reader goes away mid-run: the audit trail is broken, the guest stops. */
Test(operate, an_events_pipe_whose_reader_exits_stops_the_guest)
{
	char fifo[64], buf[256];
	int rd, st;
	pid_t pid;

	snprintf(fifo, sizeof(fifo), "/tmp/vtlmon-op-evpipe-%d", getpid());
	unlink(fifo);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	/* A reader first, so the monitor's open for writing finds one. */
	rd = open(fifo, O_RDONLY | O_NONBLOCK);
	cr_assert_geq(rd, 0);
	pid = op_spawn((const char *const[]){"run", "--quiet", "--vtl0", FLOOD_ELF, "--events",
					     fifo, "--timeout", "40", NULL},
		       NULL);
	/* Read until the first event has come, then go away. */
	for (int i = 0; i < 400; i++) {
		ssize_t n = read(rd, buf, sizeof(buf));

		if (n > 0)
			break;
		usleep(50000);
	}
	close(rd);
	unlink(fifo);
	st = op_wait(pid, OP_LIMIT_S);
	cr_assert(!WIFSIGNALED(st), "killed by signal %d", WTERMSIG(st));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == VTLMON_EXIT_AUDIT, "wait status %#x", st);
}
