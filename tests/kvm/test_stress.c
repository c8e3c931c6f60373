/* KVM stress suite: seeded hostile-guest runs; the monitor survives, VTL1's code stays intact. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/base/exitcodes.h"
#include "tests/kvm/harness.h"
#include "vtl_boot.h"
#include "vtl_ucall.h"

/*
 * The seed module, as vtl0/tests/stress.c reads it (the guest's copy of
 * this struct is the reference; the ABI has no header for test modules).
 */
struct stress_module {
	uint64_t seed;
	uint32_t iters;
	uint32_t flags;
};
#define STRESS_F_DENY 1U

/* The guest's own exit codes (vtl0/tests/stress.c). */
#define STRESS_EXIT_STUCK  3
#define STRESS_EXIT_BREACH 13
#define STRESS_EXIT_KEXEC  62
#define STRESS_EXIT_RANDOM 63

#define STRESS_SEEDS_DEFAULT 40
#define STRESS_SEEDS_SMP     12 /* each SMP run emulates N vCPUs' code on this host's 2 cores */
#define STRESS_ITERS_DEFAULT 400
/* Seed i is a hash of this base and i: fixed, so that a CI failure is a rerun away. */
#define STRESS_SEED_BASE 0x5354524553530000ULL
/*
 * A run takes under a second; a seed that resets replays itself up to
 * `reset max` + 1 times. Past this the monitor's watchdog calls it a hang.
 */
#define STRESS_RUN_TIMEOUT_MS 20000
/* And past this the child running the seed is killed: the watchdog itself failed. */
#define STRESS_CHILD_TIMEOUT_S 60
/* Criterion's limit; no new seed starts once the budget is spent (the rest are reported). */
#define STRESS_TEST_TIMEOUT_S	  300
#define STRESS_SMP_TEST_TIMEOUT_S 600
#define STRESS_TAIL		  30

/*
 * With N vCPUs this host emulates N vCPUs' guest code on its 2 cores: the
 * run's watchdog scales with N, and the child's with it.
 */
static uint32_t stress_child_timeout_s(uint32_t cpus)
{
	return STRESS_CHILD_TIMEOUT_S + (cpus - 1) * STRESS_RUN_TIMEOUT_MS / 1000;
}

/* A child's verdict on its seed, sent to the test process through a pipe. */
struct stress_result {
	int status;
	int ok;
	uint64_t progress; /* iterations the guest reported (CHECKPOINT), 0 if none */
	uint32_t kexecs, resets;
};

/* Child exit codes; anything else (a signal, a sanitizer's exit) is a monitor crash. */
#define CHILD_PASS 0
#define CHILD_FAIL 10

TestSuite(stress, .init = kvm_require, .timeout = STRESS_TEST_TIMEOUT_S);

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

/* " VTLMON_STRESS_ITERS=N" for the rerun hint, when N is not the default. */
static const char *iters_hint(uint32_t iters)
{
	static char buf[48];

	buf[0] = '\0';
	if (iters != STRESS_ITERS_DEFAULT)
		snprintf(buf, sizeof(buf), " VTLMON_STRESS_ITERS=%u", iters);
	return buf;
}

/* This test binary, for the rerun hint (build/ or build-san/). */
static const char *self_path(void)
{
	static char path[512];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	path[n > 0 ? n : 0] = '\0';
	return n > 0 ? path : "build/tests/kvm-tests";
}

static uint64_t stress_seed(uint64_t i)
{
	uint64_t x = STRESS_SEED_BASE + i;

	/* splitmix64: neighbouring indices give unrelated seeds. */
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* FNV-1a over one VTL's segments with (or without) the W flag: what must never change. */
static uint64_t seg_sum(const struct guest_ram *ram, const struct elf_image *img, bool writable,
			bool *ok)
{
	uint64_t h = 0xCBF29CE484222325ULL;

	for (uint32_t i = 0; i < img->nr_segments; i++) {
		const struct vtl_segment *s = &img->segments[i];
		const uint8_t *p;

		if (!!(s->flags & VTL_SEG_W) != writable)
			continue;
		p = guest_ram_ptr((struct guest_ram *)ram, gpa(s->gpa), s->size);
		if (!p) {
			*ok = false;
			continue;
		}
		for (uint64_t j = 0; j < s->size; j++)
			h = (h ^ p[j]) * 0x100000001B3ULL;
	}
	return h;
}

static const char *status_verdict(int status)
{
	switch (status) {
	case 0: return NULL;		     /* the guest finished its iterations */
	case STRESS_EXIT_STUCK: return NULL; /* it made its own state unusable, and said so */
	case VTL_UCALL_FAIL_CODE: return NULL;
	case STRESS_EXIT_KEXEC: return NULL;  /* it kexec'd into its planted kernel, which ran */
	case STRESS_EXIT_RANDOM: return NULL; /* a random SHUTDOWN write */
	case VTLMON_EXIT_KILLED: return NULL;
	case VTLMON_EXIT_RESET_LIMIT: return NULL; /* a reset replays the seed: a loop */
	case VTLMON_EXIT_VTL0_FAULT: return NULL;
	case STRESS_EXIT_BREACH: return "the guest saw the monitor break a guarantee";
	case VTLMON_EXIT_TIMEOUT: return "timeout: the run hung";
	case VTLMON_EXIT_VTL1_FAULT: return "VTL1 fault (status 69)";
	case VTLMON_EXIT_MONITOR: return "monitor error (status 70)";
	case VTLMON_EXIT_LAUNCH: return "launch refused (status 65)";
	default: return "unexpected exit status";
	}
}

/* The last events of a seed's log; a line cut by a crash is shown as the malformed one. */
static void print_tail(const char *path, uint64_t seed, const char *policy)
{
	struct evlog l;
	size_t from;

	if ((evlog_load(&l, path, 256 << 20) && l.sys_errno) || l.missing) {
		fprintf(stderr, "  (no event log at %s)\n", path);
		evlog_free(&l);
		return;
	}
	from = l.n > STRESS_TAIL ? l.n - STRESS_TAIL : 0;
	fprintf(stderr, "  event log tail (seed 0x%016" PRIx64 ", %s), last %zu of %zu events:\n",
		seed, policy, l.n - from, l.n);
	evlog_dump(stderr, &l, from, l.n);
	evlog_free(&l);
}

/* Where a child's stderr goes (the monitor's messages, a sanitizer's report). */
static void log_path(char *buf, size_t len, pid_t pid)
{
	snprintf(buf, len, "/tmp/vtlmon-stress-%d.log", (int)pid);
}

/* Copies what the child logged to stderr, bounded, and removes the file. */
static void print_captured(pid_t pid)
{
	char path[64], buf[512];
	int n = 0;
	FILE *f;

	log_path(path, sizeof(path), pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f) && n++ < 2 * STRESS_TAIL)
		fprintf(stderr, "  stderr: %s", buf);
	fclose(f);
	unlink(path);
}

/* The child: one seed, one fresh machine (policy NULL: the built-in default). Never returns. */
__attribute__((noreturn)) static void stress_child(int fd, uint64_t seed, const char *label,
						   const char *policy, uint32_t iters,
						   uint32_t cpus)
{
	struct stress_module mod = {.seed = seed, .iters = iters, .flags = STRESS_F_DENY};
	struct stress_result res = {0};
	struct guest_run r;
	uint64_t vtl1_before, vtl1_after, vtl0_before, vtl0_after;
	bool ok = true;
	const char *why;
	long cp = -1, pr = -1, i;
	const char *msg = NULL;
	bool log_ok;
	char path[64];
	FILE *log;
	int err = dup(STDERR_FILENO);

	/* The monitor's own messages ("run ended: killed") only matter when the seed fails. */
	log_path(path, sizeof(path), getpid());
	log = fopen(path, "w");
	if (log && err >= 0)
		dup2(fileno(log), STDERR_FILENO);
	res.status = guest_run_init(&r, &(struct guest_run_opts){
					    .vtl0 = "stress",
					    .cpus = cpus,
					    .policy = policy,
					    .module = &mod,
					    .module_len = sizeof(mod),
					    .timeout_ms = STRESS_RUN_TIMEOUT_MS * cpus,
					});
	if (res.status) {
		if (log && err >= 0)
			dup2(err, STDERR_FILENO);
		fprintf(stderr,
			"stress: seed 0x%016" PRIx64 " (%s) failed: machine_init: status %d\n",
			seed, label, res.status);
		print_captured(getpid());
		(void)!write(fd, &res, sizeof(res));
		_exit(CHILD_FAIL);
	}
	/* VTL1's code and constants, and VTL0's text (`memory text rx locked`). */
	vtl1_before = seg_sum(&r.m.vtl1_ram, &r.m.vtl1_img, false, &ok);
	vtl0_before = seg_sum(&r.m.vtl0_ram, &r.m.vtl0_img, false, &ok);
	res.status = guest_run_go(&r);
	vtl1_after = seg_sum(&r.m.vtl1_ram, &r.m.vtl1_img, false, &ok);
	vtl0_after = seg_sum(&r.m.vtl0_ram, &r.m.vtl0_img, false, &ok);
	/* Checked here: ev_log()'s assertion on a malformed log would hang this child. */
	log_ok = !r.log.err;
	while (log_ok && (i = ev_find(&r, (size_t)(cp + 1), "ucall", "cmd=4")) >= 0)
		cp = i;
	if (cp >= 0 && !evlog_u64(ev_at(&r, cp), "arg0", &res.progress))
		res.progress = 0;
	fflush(stderr);
	if (log && err >= 0)
		dup2(err, STDERR_FILENO);
	why = status_verdict(res.status);
	if (!why && !log_ok)
		why = "the event log is malformed";
	if (!why && !ok)
		why = "a segment is outside guest RAM";
	if (!why && vtl1_after != vtl1_before)
		why = "VTL1 text/rodata changed (host checksum)";
	res.kexecs = log_ok ? (uint32_t)ev_count(&r, "kexec", "step=exec") : 0;
	res.resets = log_ok ? (uint32_t)ev_count(&r, "reset", "step=trigger") : 0;
	/* After a kexec the old image is unprotected (and r.m.vtl0_img is the new one). */
	if (!why && !res.kexecs && vtl0_after != vtl0_before)
		why = "VTL0 text/rodata (write-protected by the policy) changed (host checksum)";
	res.ok = !why;
	/* The guest's last PRINT says why it stopped (it gave up, or what it saw break). */
	while (log_ok && (i = ev_find(&r, (size_t)(pr + 1), "ucall", "cmd=3")) >= 0)
		pr = i;
	if (pr >= 0)
		msg = evlog_str(ev_at(&r, pr), "msg");
	if (env_u64("VTLMON_STRESS_VERBOSE", 0))
		fprintf(stderr,
			"stress: seed 0x%016" PRIx64 " (%s): status %d after %" PRIu64
			" iterations (%s); guest's last PRINT %.160s\n",
			seed, label, res.status, res.progress, r.m.end_detail, msg ? msg : "-");
	if (why) {
		fprintf(stderr,
			"stress: seed 0x%016" PRIx64 " (%s) failed: %s; exit status %d (%s)\n"
			"  guest's last PRINT %.200s\n"
			"  rerun: VTLMON_STRESS_SEED=0x%" PRIx64 "%s %s --filter 'stress/*'\n",
			seed, label, why, res.status, r.m.end_detail, msg ? msg : "-", seed,
			iters_hint(iters), self_path());
		print_captured(getpid());
		print_tail(r.events_path, seed, label);
	}
	(void)!write(fd, &res, sizeof(res));
	guest_run_free(&r);
	unlink(path);
	_exit(why ? CHILD_FAIL : CHILD_PASS);
}

struct stress_stats {
	uint32_t runs, failed, crashed, kexecs, resets;
	uint32_t by_status[256];
	uint64_t progress;
	char failed_seeds[512];
};

static void stress_note_failure(struct stress_stats *st, uint64_t seed)
{
	size_t n = strlen(st->failed_seeds);

	st->failed++;
	if (n + 24 < sizeof(st->failed_seeds))
		snprintf(st->failed_seeds + n, sizeof(st->failed_seeds) - n, " 0x%" PRIx64, seed);
}

/* Runs one seed in a child and waits for it (bounded). */
static void stress_one(struct stress_stats *st, uint64_t seed, const char *label,
		       const char *policy, uint32_t iters, uint32_t cpus)
{
	struct stress_result res = {.status = -1};
	double deadline = now_s() + stress_child_timeout_s(cpus);
	int fds[2], wstatus = 0;
	char path[64];
	pid_t pid, w;
	bool got;

	cr_assert_eq(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		stress_child(fds[1], seed, label, policy, iters, cpus);
	}
	close(fds[1]);
	while ((w = waitpid(pid, &wstatus, WNOHANG)) == 0 && now_s() < deadline)
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &wstatus, 0);
	}
	got = read(fds[0], &res, sizeof(res)) == (ssize_t)sizeof(res);
	close(fds[0]);
	st->runs++;
	if (got) {
		st->by_status[res.status & 255]++;
		st->progress += res.progress;
		st->kexecs += res.kexecs;
		st->resets += res.resets;
	}
	if (w == 0 || !WIFEXITED(wstatus) ||
	    (WEXITSTATUS(wstatus) != CHILD_PASS && WEXITSTATUS(wstatus) != CHILD_FAIL)) {
		/* The monitor took the process down (a signal, seccomp, a sanitizer report). */
		st->crashed++;
		stress_note_failure(st, seed);
		fprintf(stderr,
			"stress: seed 0x%016" PRIx64
			" (%s) failed: the process running the monitor "
			"%s %d\n"
			"  rerun: VTLMON_STRESS_SEED=0x%" PRIx64 "%s %s --filter 'stress/*'\n",
			seed, label,
			w == 0		       ? "hung past its watchdog; killed, pid"
			: WIFSIGNALED(wstatus) ? "was killed by signal"
					       : "exited with",
			w == 0		       ? pid
			: WIFSIGNALED(wstatus) ? WTERMSIG(wstatus)
					       : WEXITSTATUS(wstatus),
			seed, iters_hint(iters), self_path());
		print_captured(pid);
		snprintf(path, sizeof(path), "/tmp/vtlmon-test-%d.jsonl", pid);
		print_tail(path, seed, label);
		unlink(path);
		return;
	}
	if (WEXITSTATUS(wstatus) == CHILD_FAIL || !got || !res.ok)
		stress_note_failure(st, seed);
}

/* `cpus` > 1: the guest's secondaries store, call and clear pins while vCPU 0 does the rest. */
static void stress_run(const char *label, const char *policy, uint32_t cpus, uint64_t seeds,
		       uint32_t test_timeout_s)
{
	double budget = test_timeout_s - stress_child_timeout_s(cpus) - 10;
	uint64_t only = env_u64("VTLMON_STRESS_SEED", 0);
	uint64_t nseeds = only ? 1 : env_u64("VTLMON_STRESS_SEEDS", seeds);
	uint64_t first = env_u64("VTLMON_STRESS_FIRST", 0);
	uint32_t iters = (uint32_t)env_u64("VTLMON_STRESS_ITERS", STRESS_ITERS_DEFAULT);
	static struct stress_stats st;
	double t0 = now_s();
	char hist[512] = "";
	size_t hn = 0;

	memset(&st, 0, sizeof(st));
	/* Here, not in the child: a failed cr_assert there would hang it. */
	cr_assert_eq(access(GUEST_DIR "/vtl0/tests/stress.elf", R_OK), 0,
		     "%s/vtl0/tests/stress.elf: %s", GUEST_DIR, strerror(errno));
	cr_assert(!policy || access(SRC_DIR "/tests/policies/stress-deny.policy", R_OK) == 0);
	for (uint64_t i = 0; i < nseeds; i++) {
		if (now_s() - t0 > budget) {
			cr_log_warn("stress: time budget spent after %" PRIu32 " of %" PRIu64
				    " seeds (%s)",
				    st.runs, nseeds, label);
			fprintf(stderr, "stress: time budget spent after %u of %" PRIu64 " seeds\n",
				st.runs, nseeds);
			break;
		}
		stress_one(&st, only ? only : stress_seed(first + i), label, policy, iters, cpus);
	}
	for (int s = 0; s < 256; s++)
		if (st.by_status[s] && hn < sizeof(hist) - 16)
			hn += (size_t)snprintf(hist + hn, sizeof(hist) - hn, " %d:%u", s,
					       st.by_status[s]);
	fprintf(stderr,
		"stress (%s): %u runs in %.1f s, %u failed (%u crashed); exit statuses "
		"(status:runs)%s; "
		"mean progress %.0f of %u iterations; %u kexecs, %u resets\n",
		label, st.runs, now_s() - t0, st.failed, st.crashed, hist,
		st.runs ? (double)st.progress / st.runs : 0.0, iters, st.kexecs, st.resets);
	cr_assert_eq(st.failed, 0, "stress (%s): %u of %u seeds failed:%s", label, st.failed,
		     st.runs, st.failed_seeds);
}

/* The built-in default policy: writes denied, CR changes put back, exec from no-access kills. */
Test(stress, hostile_guest_under_default_policy)
{
	stress_run("default policy", NULL, 1, STRESS_SEEDS_DEFAULT, STRESS_TEST_TIMEOUT_S);
}

/* Every violation denied, so that runs go on and reach more of the monitor. */
Test(stress, hostile_guest_under_deny_policy)
{
	stress_run("stress-deny policy", "stress-deny", 1, STRESS_SEEDS_DEFAULT,
		   STRESS_TEST_TIMEOUT_S);
}

/* SMP: the same seeds with hostile secondaries racing vCPU 0's protects, kexecs and resets. */
Test(stress, hostile_guest_on_two_vcpus, .timeout = STRESS_SMP_TEST_TIMEOUT_S)
{
	stress_run("stress-deny policy, 2 vCPUs", "stress-deny", 2, STRESS_SEEDS_SMP,
		   STRESS_SMP_TEST_TIMEOUT_S);
}

Test(stress, hostile_guest_on_four_vcpus, .timeout = STRESS_SMP_TEST_TIMEOUT_S)
{
	stress_run("stress-deny policy, 4 vCPUs", "stress-deny", 4, STRESS_SEEDS_SMP,
		   STRESS_SMP_TEST_TIMEOUT_S);
}
