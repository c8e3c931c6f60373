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

/* The PROTECT figure's cases: a machine size, a range count and where the timed page lies. */
enum bench_protect_case {
	BENCH_PROT_FEW_ABOVE,	 /* 32 MiB, 10 ranges, the last page of RAM */
	BENCH_PROT_FEW_BELOW,	 /* 32 MiB, 10 ranges, a page below them all */
	BENCH_PROT_MANY_ABOVE,	 /* 128 MiB, --protect-ranges ranges, the last page */
	BENCH_PROT_MANY_BELOW,	 /* the same, a page below them all */
	BENCH_PROT_LARGE_RAM,	 /* 3 GiB, 10 ranges, the last page: a 3 GiB read-write region */
	BENCH_PROT_SMALL_REGION, /* 3 GiB, 10 ranges, a page in a 2 MiB read-write region */
	BENCH_PROT_CASES,
};

/* One case over the runs. */
struct bench_protect_figure {
	struct bench_stat pair_ns;  /* PROTECT r-- then rwx of one page, from the guest's view */
	struct bench_stat ioctl_ns; /* the memslot ioctls of one pair, timed around ioctl() */
	struct bench_stat ratio;    /* per run: pair / ioctls; floor 1.0 */
	struct bench_stat rest_ns;  /* per run: pair - ioctls: the VTL calls, VTL1, the monitor */
	double ioctls;		    /* memslot ioctls per pair (median over the runs) */
};

/* What `vtlmon bench` measured, so that printing it is pure (and unit-tested). */
struct bench_report {
	int runs; /* 0: no call/exit figure (--cr-only) */
	uint64_t iterations;
	struct bench_stat raw_exit_ns, null_call_ns;
	struct bench_stat call_per_2_exits; /* per run: null call / (2 x raw exit); floor 1.0 */
	/* The launch of those runs, ms: set-up, VTL1's BOOT entry, VTL0 to its first exit. */
	struct bench_stat launch_setup_ms, launch_vtl1_ms, launch_vtl0_ms, launch_total_ms;
	struct bench_stat launch_big_policy_ms;	    /* to VTL0's boot event with a 64 KiB policy */
	uint32_t cr_period_us, cr_samples, cr_load; /* cr_samples 0: no CR figure */
	uint32_t protect_ranges, protect_pairs;	    /* protect_ranges 0: no PROTECT figure */
	struct bench_protect_figure protect[BENCH_PROT_CASES];
	struct bench_stat protect_ram_ratio;	/* per run: LARGE_RAM / FEW_ABOVE pair time */
	struct bench_stat protect_region_ratio; /* per run: LARGE_RAM / SMALL_REGION pair time */
	struct bench_cr_result cr_idle, cr_busy;
	/* NOP calls on smp_cpus vCPUs at once (0: not measured): per call, and / null_call_ns. */
	uint32_t smp_cpus;
	struct bench_stat smp_call_ns, smp_call_ratio;
};

void bench_print_text(FILE *f, const struct bench_report *r);
/* One JSON object on one line, the same figures (ns, ratios, counts). */
void bench_print_json(FILE *f, const struct bench_report *r);

/* `vtlmon bench`: argv[0] is "bench". Returns a VTLMON_EXIT_* status. */
int cli_bench(int argc, char **argv);

#endif
