/* `vtlmon bench`: micro-benchmarks on real KVM, reported as ratios against a baseline from the same
 * run. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/cli.h"
#include "monitor/embedded.h"
#include "monitor/exitcodes.h"
#include "monitor/log.h"
#include "monitor/machine.h"

/* Slot ids written by the bench guest (vtl0/tests/bench.c). */
#define BENCH_RAW_EXIT	   1
#define BENCH_NULL_CALL	   2
#define BENCH_DEFAULT_RUNS 5
#define BENCH_TIMEOUT_MS   120000

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int bench_per_op(const struct bench_slot *s, double *ns)
{
	if (!s->iterations || s->end_ns <= s->begin_ns)
		return -1;
	*ns = (double)(s->end_ns - s->begin_ns) / (double)s->iterations;
	return 0;
}

/* One fresh machine per run: nothing warmed by an earlier run skews the next. */
static int bench_once(double *raw_ns, double *call_ns, uint64_t *iters)
{
	const struct machine_config cfg = {
	    .vtl0_image = embedded_bench_elf,
	    .vtl0_image_len = EMBEDDED_SIZE(embedded_bench_elf),
	    .vtl0_name = "built-in:bench",
	    .vtl1_image = embedded_vtl1_elf,
	    .vtl1_image_len = EMBEDDED_SIZE(embedded_vtl1_elf),
	    .vtl1_name = "built-in:vtl1",
	    .vtl0_mem = 32ULL << 20,
	    .vtl1_mem = 8ULL << 20,
	    .cpus = 1,
	    .timeout_ms = BENCH_TIMEOUT_MS,
	    .quiet = true,
	};
	struct machine *m = calloc(1, sizeof(*m));
	int status;

	if (!m)
		return VTLMON_EXIT_MONITOR;
	status = machine_init(m, &cfg);
	if (!status)
		status = machine_run(m);
	if (!status && (bench_per_op(&m->bench[BENCH_RAW_EXIT], raw_ns) ||
			bench_per_op(&m->bench[BENCH_NULL_CALL], call_ns))) {
		log_err("bench guest did not report both benchmarks");
		status = VTLMON_EXIT_MONITOR;
	}
	*iters = m->bench[BENCH_NULL_CALL].iterations;
	machine_destroy(m);
	free(m);
	return status;
}

int cli_bench(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"runs", required_argument, NULL, 'r'},
	    {0, 0, 0, 0},
	};
	double raw[64], call[64], ratio[64], raw_med, call_med, ratio_med;
	int runs = BENCH_DEFAULT_RUNS, c;
	uint64_t iters = 0;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'r')
			return VTLMON_EXIT_USAGE;
		runs = (int)strtol(optarg, &end, 10);
		if (*end || runs < 1 || runs > 64) {
			log_err("--runs must be 1..64");
			return VTLMON_EXIT_USAGE;
		}
	}
	for (int i = 0; i < runs; i++) {
		int status = bench_once(&raw[i], &call[i], &iters);

		if (status) {
			log_err("bench run %d failed with status %d", i + 1, status);
			return status;
		}
		ratio[i] = call[i] / raw[i];
	}
	raw_med = bench_median(raw, runs);
	call_med = bench_median(call, runs);
	ratio_med = bench_median(ratio, runs);
	printf("vtlmon bench: %d runs x %llu iterations, medians\n", runs,
	       (unsigned long long)iters);
	printf("  raw MMIO exit round trip (VTL0 -> monitor -> VTL0)   %8.2f us\n", raw_med / 1e3);
	printf("  null VTL call round trip (VTL0 -> VTL1 -> VTL0)      %8.2f us\n", call_med / 1e3);
	printf("  ratio null call / raw exit                           %8.2fx\n", ratio_med);
	printf("  floor: 2.00x (a call is two exits, VTL0's and VTL1's); the %.2fx above it is\n"
	       "  the vCPU switch between the two VMs plus VTL1's emulated dispatch "
	       "(docs/results.md)\n",
	       ratio_med - 2.0);
	return 0;
}
