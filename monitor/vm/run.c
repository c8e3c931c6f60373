/* A run: start-up in order (events, KVM, RAM, VMs, policy, images), the pairs, the end and
 * teardown. */
#include "monitor/vm/run.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monitor/base/exitcodes.h"
#include "monitor/base/version.h"
#include "monitor/image/policy_load.h"
#include "monitor/base/log.h"
#include "monitor/protect/features.h"
#include "monitor/vm/build.h"
#include "monitor/vm/intercept.h"
#include "monitor/vm/lifecycle.h"
#include "monitor/vm/pair.h"
#include "monitor/vm/sandbox.h"
#include "monitor/vm/state.h"
#include "vtl_layout.h"

static void kick_handler(int sig)
{
	/* Nothing to do: the signal exists to make KVM_RUN return -EINTR. */
	(void)sig;
}

/*
 * The run's last event, whoever ended it: the guest, VTL1, the monitor, or
 * a launch refused before anything ran. Never rate-limited.
 */
static void machine_event_exit(struct machine *m, const char *reason, int status,
			       const char *detail)
{
	char summary[512];
	struct ev e;

	ev_begin(&e, &m->events, "exit");
	ev_str(&e, "reason", reason);
	if (atomic_load(&m->end) == RUN_END_SHUTDOWN)
		ev_i64(&e, "code", m->guest_code);
	ev_i64(&e, "status", status);
	ev_str(&e, "detail", detail);
	events_add_totals(&e, &m->events); /* what the rate limit kept out of the log */
	ev_emit(&e);
	events_flush(&m->events);
	if (events_summary(&m->events, summary, sizeof(summary)))
		fprintf(stderr, "vtlmon: %s\n", summary);
	if (!m->cfg.no_violation_lines && intercept_summary(m, summary, sizeof(summary)))
		fprintf(stderr, "vtlmon: violations: %s\n", summary);
}

/* One input of the run in the `start` event: NAME (the path, cut) and NAME_sha256. */
static void machine_event_digest(struct ev *e, const char *key, const char *name, const char *hex)
{
	/* Paths are cut so that six of them always fit one event line (EV_LINE_MAX). */
	enum { NAME_MAX_SHOWN = 160 };
	char hkey[32];

	ev_strn(e, key, name ? name : "", name ? strnlen(name, NAME_MAX_SHOWN) : 0);
	snprintf(hkey, sizeof(hkey), "%s_sha256", key);
	ev_str(e, hkey, hex);
}

static void machine_event_input(struct ev *e, const char *key, const char *name, const void *data,
				size_t len)
{
	char hash[65];

	if (!data)
		return;
	sha256_hex(data, len, hash);
	machine_event_digest(e, key, name, hash);
}

/*
 * A streamed input (--kernel, --initrd): the digest its load computed, or
 * when the launch stopped before loading it, one read just for the event.
 */
static void machine_event_file(struct ev *e, const char *key, const char *name,
			       const struct file_input *in, bool measured,
			       const uint8_t sha[FILE_SHA256_BYTES])
{
	uint8_t own[FILE_SHA256_BYTES];
	char hash[65] = "unreadable";

	if (!in)
		return;
	if (!measured && file_input_stream(in, NULL, 0, NULL, 0, own) == 0)
		sha = own, measured = true;
	if (measured)
		sodium_bin2hex(hash, sizeof(hash), sha, FILE_SHA256_BYTES);
	machine_event_digest(e, key, name, hash);
}

/*
 * The run's first event: what ran and when, so that a log stands on its own:
 * the vtlmon version, the wall-clock time at `t` = 0 (t itself is
 * CLOCK_MONOTONIC), and the SHA-256 of every input, hashed from the very
 * bytes that are loaded (read once: nothing can change between hash and load;
 * a Linux kernel and initrd are hashed as they stream into VTL0 RAM, so the
 * event follows their load).
 */
static void machine_event_start(struct machine *m, uint64_t unix_ns)
{
	const struct machine_config *cfg = &m->cfg;
	char when[64], key[16];
	struct tm tm;
	time_t sec = (time_t)(unix_ns / 1000000000ULL);
	struct ev e;

	gmtime_r(&sec, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(unix_ns % 1000000000ULL / 1000));
	ev_begin(&e, &m->events, "start");
	ev_str(&e, "version", VTLMON_VERSION);
	ev_str(&e, "time", when);
	ev_u64(&e, "unix_ns", unix_ns);
	ev_u64(&e, "pid", (uint64_t)getpid());
	machine_event_input(&e, "vtl1", cfg->vtl1_name, cfg->vtl1_image, cfg->vtl1_image_len);
	machine_event_input(&e, "policy", cfg->policy_name, cfg->policy, cfg->policy_len);
	if (cfg->kernel) {
		machine_event_file(&e, "kernel", cfg->kernel_name, cfg->kernel, m->linux_measured,
				   m->kernel_sha256);
		machine_event_file(&e, "initrd", cfg->initrd_name, cfg->initrd, m->linux_measured,
				   m->initrd_sha256);
	} else {
		machine_event_input(&e, "vtl0", cfg->vtl0_name, cfg->vtl0_image,
				    cfg->vtl0_image_len);
	}
	for (uint32_t i = 0; i < cfg->nr_modules && i < MACHINE_MAX_MODULES; i++) {
		snprintf(key, sizeof(key), "module%u", i);
		machine_event_input(&e, key, cfg->modules[i].name, cfg->modules[i].data,
				    cfg->modules[i].len);
	}
	ev_emit(&e);
}

static int machine_setup(struct machine *m, const struct machine_config *cfg, uint64_t *unix_ns,
			 bool *started);

int machine_init(struct machine *m, const struct machine_config *cfg)
{
	char detail[sizeof(m->end_detail)];
	uint64_t unix_ns = 0;
	bool started = false;
	int status = machine_setup(m, cfg, &unix_ns, &started);

	/* After the set-up, which hashes the streamed inputs as it loads them. */
	if (started)
		machine_event_start(m, unix_ns);

	if (!status)
		return 0;
	/* Refused by the monitor itself: the log still ends with an `exit` event. */
	log_last_error(detail, sizeof(detail));
	machine_event_exit(m,
			   status == VTLMON_EXIT_USAGE	  ? "usage"
			   : status == VTLMON_EXIT_LAUNCH ? "launch_refused"
							  : "monitor_error",
			   status, detail[0] ? detail : "the monitor refused the launch");
	return status;
}

/* *started: the run is far enough for a `start` event (the events file is open, the config sane).
 */
static int machine_setup(struct machine *m, const struct machine_config *cfg, uint64_t *unix_ns,
			 bool *started)
{
	pthread_condattr_t cattr;
	struct sigaction sa;

	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->kvm.fd = m->vm[0].fd = m->vm[1].fd = -1;
	m->vtl0_ram.memfd = m->vtl1_ram.memfd = -1;
	m->state_fd = -1;
	m->t0 = clock_ns();
	*unix_ns = wall_clock_ns(); /* the same instant, as far as two clock reads can be */
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&cattr);
	/* Deadlines (--timeout, the CR watchdog) on CLOCK_MONOTONIC: a wall-clock step moves none.
	 */
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cond, &cattr);
	pthread_cond_init(&m->smp_cond, &cattr);
	pthread_condattr_destroy(&cattr);
	m->smp = cfg->cpus > 1;
	/* Spinning for the exit lock helps only when no vCPU thread waits for a core. */
	m->smp_spin = m->smp && sysconf(_SC_NPROCESSORS_ONLN) >= (long)cfg->cpus;
	if (events_open(&m->events, cfg->events_path, m->t0))
		return VTLMON_EXIT_USAGE;
	if (machine_check_config(cfg) || machine_state_open(m))
		return VTLMON_EXIT_USAGE;
	machine_default_policy(m);
	*started = true;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler; /* no SA_RESTART: KVM_RUN must return -EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(VTLMON_KICK_SIGNAL, &sa, NULL))
		return VTLMON_EXIT_MONITOR;

	if (kvm_open(&m->kvm) || machine_check_caps(m))
		return VTLMON_EXIT_MONITOR;
	if (guest_ram_create(&m->vtl0_ram, "vtl0-ram", 0, cfg->vtl0_mem) ||
	    guest_ram_create(&m->vtl1_ram, "vtl1-private", VTL1_PRIV_GPA, cfg->vtl1_mem))
		return VTLMON_EXIT_MONITOR;
	if (cfg->mem_prealloc &&
	    (guest_ram_prealloc(&m->vtl0_ram) || guest_ram_prealloc(&m->vtl1_ram)))
		return VTLMON_EXIT_MONITOR;
	if (machine_create_vms(m) || machine_create_pairs(m))
		return VTLMON_EXIT_MONITOR;
	m->features = features_of_host(&m->kvm);
	if (machine_check_policy(m))
		return VTLMON_EXIT_LAUNCH;
	return machine_load_guests(m);
}

void machine_destroy(struct machine *m)
{
	for (uint32_t i = m->nr_pairs; i-- > 0;) {
		vcpu_destroy(&m->pairs[i].vtl1);
		vcpu_destroy(&m->pairs[i].vtl0);
	}
	m->nr_pairs = 0;
	vm_destroy(&m->vm[1]);
	perm_destroy(&m->perm);
	vm_destroy(&m->vm[0]);
	guest_ram_destroy(&m->vtl1_ram);
	guest_ram_destroy(&m->vtl0_ram);
	kvm_close(&m->kvm);
	machine_state_close(m);
	events_close(&m->events);
	pthread_cond_destroy(&m->smp_cond);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
}

static void timespec_add_us(struct timespec *t, uint64_t us)
{
	t->tv_sec += (time_t)(us / 1000000);
	t->tv_nsec += (long)(us % 1000000) * 1000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static bool timespec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* CR pins are only checked at exits: force one every watchdog period (detection bound). */
static uint32_t machine_watchdog_us(struct machine *m)
{
	/* The pair threads change the masks (op_pin_cr): read them whole (TSan saw the race). */
	if (!__atomic_load_n(&m->pins.cr[0].mask, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&m->pins.cr[1].mask, __ATOMIC_RELAXED))
		return 0;
	return __atomic_load_n(&m->pins.watchdog_us, __ATOMIC_RELAXED);
}

/*
 * The main thread gives up what it no longer needs once the pairs run: from
 * here on it waits, kicks, rebuilds VMs for a reset or kexec, and tears down.
 * Sanitizer builds skip it: LeakSanitizer's exit-time check needs ptrace.
 */
static void machine_enter_main_sandbox(struct machine *m)
{
#if defined(__SANITIZE_ADDRESS__)
	(void)m;
#else
	if (!m->cfg.owns_process || m->cfg.no_sandbox || machine_ended(m))
		return;
	if (sandbox_enter(SANDBOX_MAIN))
		machine_end(m, RUN_END_MONITOR_ERROR, 0,
			    "cannot install the main thread's seccomp sandbox");
#endif
}

/* SIGINT, SIGTERM and SIGHUP, noted by the handler; the main thread acts on them. */
static volatile sig_atomic_t run_signal, run_signal_pid;

static void run_on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* A second Ctrl-C does not wait for the clean end. */
	if (run_signal == SIGINT && sig == SIGINT)
		_exit(VTLMON_EXIT_SIGNAL_BASE + SIGINT);
	run_signal_pid = si ? si->si_pid : 0;
	run_signal = sig;
}

/* The signals that end a run cleanly: blocked in the pairs (inherited), taken by this thread. */
static void run_signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

static void run_install_signals(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = run_on_signal;
	sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: nothing here waits in a restartable call */
	sigemptyset(&sa.sa_mask);
	run_signal_set(&set);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&set, sig) == 1)
			sigaction(sig, &sa, NULL);
	run_signal = 0;
}

/*
 * What the main thread checks each time it wakes: a signal to end on, and
 * the audit log (no guest keeps running once an event could not be written).
 */
static void machine_check_ends(struct machine *m)
{
	int sig = run_signal;

	if (sig && m->cfg.owns_process && !machine_ended(m)) {
		m->end_signal = sig;
		fprintf(stderr, "vtlmon: terminating on signal %d (%s) from pid %d\n", sig,
			strsignal(sig), (int)run_signal_pid);
		machine_end(m, RUN_END_SIGNAL, 0, "signal %d (%s) from pid %d", sig, strsignal(sig),
			    (int)run_signal_pid);
	}
	machine_check_audit(m);
}

/* With signals to watch, the main thread wakes at least this often (a handler cannot signal a
 * condvar). */
#define RUN_SIGNAL_POLL_US 50000U

static void machine_wait(struct machine *m)
{
	struct timespec deadline, now, wake;
	bool timed_out = false;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	timespec_add_us(&deadline, m->cfg.timeout_ms * 1000);
	pthread_mutex_lock(&m->lock);
	while (m->pairs_running) {
		if (m->rebuild != MACHINE_REBUILD_NONE) {
			/* A pair waits for new VMs: this thread alone may create them. */
			pthread_mutex_unlock(&m->lock);
			machine_do_rebuild(m);
			pthread_mutex_lock(&m->lock);
			continue;
		}
		uint32_t tick = timed_out || machine_ended(m) ? 0 : machine_watchdog_us(m);
		bool bounded;

		pthread_mutex_unlock(&m->lock);
		machine_check_ends(m);
		pthread_mutex_lock(&m->lock);
		if (m->cfg.owns_process && !machine_ended(m) &&
		    (!tick || tick > RUN_SIGNAL_POLL_US))
			tick = RUN_SIGNAL_POLL_US;
		bounded = (m->cfg.timeout_ms && !timed_out) || tick;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &now);
		wake = now;
		timespec_add_us(&wake, tick);
		if (!tick || (m->cfg.timeout_ms && !timed_out && timespec_before(&deadline, &wake)))
			wake = deadline;
		r = bounded ? pthread_cond_timedwait(&m->cond, &m->lock, &wake)
			    : pthread_cond_wait(&m->cond, &m->lock);
		if (r != ETIMEDOUT || !m->pairs_running)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		pthread_mutex_unlock(&m->lock);
		if (m->cfg.timeout_ms && !timed_out && !timespec_before(&now, &deadline)) {
			timed_out = true;
			machine_end(m, RUN_END_TIMEOUT, 0, "no exit within %llu ms",
				    (unsigned long long)m->cfg.timeout_ms);
		} else {
			machine_kick_all(m);
		}
		pthread_mutex_lock(&m->lock);
	}
	pthread_mutex_unlock(&m->lock);
}

int machine_run(struct machine *m)
{
	sigset_t kick, old;
	int status;

	/*
	 * Pair threads inherit the block: the kick is deliverable only inside
	 * KVM_RUN, and SIGINT/SIGTERM/SIGHUP never (this thread takes them).
	 */
	run_signal_set(&kick);
	sigaddset(&kick, VTLMON_KICK_SIGNAL);
	if (m->cfg.owns_process)
		run_install_signals();
	pthread_sigmask(SIG_BLOCK, &kick, &old);
	for (uint32_t i = 0; i < m->nr_pairs; i++) {
		pthread_mutex_lock(&m->lock);
		m->pairs_running++;
		pthread_mutex_unlock(&m->lock);
		if (pthread_create(&m->pairs[i].thread, NULL, pair_thread, &m->pairs[i])) {
			pthread_mutex_lock(&m->lock);
			m->pairs_running--;
			pthread_mutex_unlock(&m->lock);
			machine_end(m, RUN_END_MONITOR_ERROR, 0, "cannot start vCPU thread");
			break;
		}
		__atomic_store_n(&m->pairs[i].thread_started, true, __ATOMIC_RELEASE);
	}
	if (m->cfg.owns_process) {
		sigset_t ends;

		run_signal_set(&ends);
		pthread_sigmask(SIG_UNBLOCK, &ends, NULL);
	}
	machine_enter_main_sandbox(m);
	machine_wait(m);
	for (uint32_t i = 0; i < m->nr_pairs; i++)
		if (m->pairs[i].thread_started)
			pthread_join(m->pairs[i].thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	status = machine_exit_status(m);
	machine_state_write(m, run_end_name((enum run_end)atomic_load(&m->end)), status);
	machine_event_exit(m, run_end_name((enum run_end)atomic_load(&m->end)), status,
			   m->end_detail);
	if (atomic_load(&m->end) != RUN_END_SHUTDOWN)
		log_err("run ended: %s: %s", run_end_name((enum run_end)atomic_load(&m->end)),
			m->end_detail);
	return status;
}
