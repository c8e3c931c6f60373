/* KVM test harness: runs a guest pair in-process and gives access to its events and memory. */
#ifndef TESTS_KVM_HARNESS_H
#define TESTS_KVM_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "monitor/vm/machine.h"
#include "monitor/vm/run.h"
#include "tests/lib/evlog.h"

/* Every KVM test carries this watchdog: Criterion kills the test past it. */
#define KVM_TEST_TIMEOUT_S 60
/* And every guest run has the monitor's own watchdog, well below Criterion's. */
#define KVM_RUN_TIMEOUT_MS 20000
/* Burst and rate of every limited event type unless a test asks otherwise. */
#define KVM_TEST_EV_LIMIT 1000000

struct guest_run {
	struct machine m;
	bool inited;
	int status;
	char events_path[64];
	struct evlog log; /* the run's events, read by guest_run_go(); use ev_log() */
	void *images[2];
	void *policy;
	void *module; /* the harness's own copy of guest_run_opts.module */
};

struct guest_run_opts {
	const char *vtl0;    /* test guest name (build/vtl0/tests/NAME.elf) or a path with '/' */
	const char *vtl1;    /* NULL: the reference VTL1 */
	uint64_t timeout_ms; /* 0: KVM_RUN_TIMEOUT_MS */
	uint32_t cpus;	     /* 0: 1 */
	uint64_t mem;	     /* 0: 32 MiB */
	const char *policy;  /* NULL: none; a name (tests/policies/NAME.policy) or a path */
	const char *policy_text; /* inline policy text instead of a file */
	uint32_t max_memslots;	 /* 0: the host's; lower it to reach the memslot limit */
	/* NULL: none. Copied, then loaded after the VTL0 image as module 0 (VTL_MEM_MODULE). */
	const void *module;
	size_t module_len;
	/*
	 * The event rate limit (monitor/base/events.h). By default the harness raises
	 * it to KVM_TEST_EV_LIMIT: tests count every event of runs that exceed
	 * the monitor's defaults (protect_many makes 10,064 calls in seconds).
	 * ev_burst != 0 sets (ev_burst, ev_rate) instead; ev_default_limits
	 * keeps what `vtlmon run` has.
	 */
	uint64_t ev_burst;
	uint64_t ev_rate;
	bool ev_default_limits;
};

/*
 * Starts the real `vtlmon ARGS...` binary: stdout to `out` (NULL: /dev/null),
 * stderr to /dev/null, VTLMON_SANDBOX_SELFTEST set only if `selftest`.
 * Returns the child's pid; the caller waits for it.
 */
pid_t vtlmon_spawn(const char *const *args, const char *out, bool selftest);
/*
 * waitpid with its own watchdog: a child (`what`) that has not ended within
 * limit_s is killed and the test fails with that reason, never hangs.
 * Returns the wait status.
 */
int child_wait(pid_t pid, int limit_s, const char *what);
/* A whole file of at most 1 MiB, NUL-terminated, for the caller to free; the test fails if not. */
char *test_read_file(const char *path);

/* Skips the test when /dev/kvm is absent (make kvm-test fails loudly in that case). */
void kvm_require(void);
/* machine_init + machine_run; keeps the machine for inspection. Returns the exit status. */
int guest_run(struct guest_run *r, const struct guest_run_opts *o);
/* Only machine_init (returns its status); for tests that poke memory before running. */
int guest_run_init(struct guest_run *r, const struct guest_run_opts *o);
int guest_run_go(struct guest_run *r);
void guest_run_free(struct guest_run *r);

/*
 * The run's events (tests/lib/evlog.h). A log with a malformed line fails the
 * test here: no check may read "no such event" from a log it cannot trust.
 */
const struct evlog *ev_log(const struct guest_run *r);
/*
 * Index of the first event at or after `from` of this type (NULL: any) that
 * matches every "key=value" given (also key!=value, key~text, key^text; values
 * compare by meaning, so "arg0=0x1" and "arg0=1" agree); -1 if none:
 *   ev_find(&run, 0, "ucall", "cmd=4", "arg0=0x1")
 */
#define ev_find(r, from, ...) evlog_find(ev_log(r), (from), __VA_ARGS__)
/* How many events of this type (NULL: any) match every "key=value" given. */
#define ev_count(r, ...) evlog_count(ev_log(r), __VA_ARGS__)
/* Event i of the run, which must exist (an index from ev_find() that is not -1). */
const struct evlog_event *ev_at(const struct guest_run *r, long i);
/* Prints all events to stderr (on failure, for diagnosis), and why the log is malformed. */
void ev_dump(const struct guest_run *r);

#endif
