/* KVM test harness: runs a guest pair in-process and gives access to its events and memory. */
#ifndef TESTS_KVM_HARNESS_H
#define TESTS_KVM_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/vm/machine.h"

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
	char *events; /* whole events file */
	char **lines; /* one per event */
	size_t nlines;
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

/* Skips the test when /dev/kvm is absent (make kvm-test fails loudly in that case). */
void kvm_require(void);
/* machine_init + machine_run; keeps the machine for inspection. Returns the exit status. */
int guest_run(struct guest_run *r, const struct guest_run_opts *o);
/* Only machine_init (returns its status); for tests that poke memory before running. */
int guest_run_init(struct guest_run *r, const struct guest_run_opts *o);
int guest_run_go(struct guest_run *r);
void guest_run_free(struct guest_run *r);

/* Index of the first event at or after `from` with this type whose line contains every
 * fragment (e.g. "\"vtl\":1"); -1 if none. */
long ev_find(const struct guest_run *r, size_t from, const char *type, const char *frag1,
	     const char *frag2);
size_t ev_count(const struct guest_run *r, const char *type, const char *frag);
/* Prints all events to stderr (on failure, for diagnosis). */
void ev_dump(const struct guest_run *r);

#endif
