/* The CR-pin detection figure of `vtlmon bench`, callable by the KVM tests as well. */
#ifndef MONITOR_BENCH_H
#define MONITOR_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_CR_WINDOWS 4

struct bench_cr_opts {
	uint32_t period_us;    /* the policy's `cr watchdog` */
	uint32_t samples;      /* latency samples (clears the guest waits out) */
	uint32_t load_threads; /* busy host threads for the run's duration */
	uint32_t nr_windows;   /* transient-clear phases after the samples */
	struct {
		uint32_t spin;	 /* guest dec/jnz iterations with WP clear, and again with it set */
		uint32_t cycles; /* clears in this phase */
	} window[BENCH_CR_WINDOWS];
};

struct bench_cr_window {
	uint32_t spin;
	uint32_t cycles;
	uint64_t duration_ns; /* the whole phase, from the guest's checkpoints */
	uint32_t detected;    /* #GPs the guest took: one per detection under `action cr deny` */
	uint32_t events;      /* `violation` events in the phase (a cross-check of detected) */
};

struct bench_cr_result {
	int status;	   /* the run's exit status (0: the guest finished) */
	bool guest_done;   /* the guest reached its DONE ucall */
	uint32_t samples;  /* clears the guest made in the latency phase */
	uint32_t detected; /* of those, paired with a `violation` event */
	uint32_t guest_gp; /* #GPs the guest counted in the latency phase */
	double min_ns, median_ns, p99_ns, max_ns; /* latency: violation "t" minus the t0 ucall's */
	uint32_t nr_windows;
	struct bench_cr_window window[BENCH_CR_WINDOWS];
};

/*
 * One machine run of vtl0/tests/cr_latency.c under a policy that pins
 * CR0.WP with `action cr deny` and the given watchdog period, with the
 * events in a temporary file that is parsed, then removed. Returns 0 when
 * the run ended normally and its events could be read (`res` then says
 * what was measured), else a VTLMON_EXIT_* status.
 */
int bench_cr_run(const struct bench_cr_opts *o, struct bench_cr_result *res);

/* A figure over the runs of one bench. */
struct bench_stat {
	double min, median, max;
};

/* What `vtlmon bench` measured, so that printing it is pure (and unit-tested). */
struct bench_report {
	int runs; /* 0: no call/exit figure (--cr-only) */
	uint64_t iterations;
	struct bench_stat raw_exit_ns, null_call_ns;
	struct bench_stat call_per_2_exits; /* per run: null call / (2 x raw exit); floor 1.0 */
	uint32_t cr_period_us, cr_samples, cr_load; /* cr_samples 0: no CR figure */
	struct bench_cr_result cr_idle, cr_busy;
};

void bench_print_text(FILE *f, const struct bench_report *r);
/* One JSON object on one line, the same figures (ns, ratios, counts). */
void bench_print_json(FILE *f, const struct bench_report *r);

/* `vtlmon bench`: argv[0] is "bench". Returns a VTLMON_EXIT_* status. */
int cli_bench(int argc, char **argv);

#endif
