/* Unit tests of `vtlmon bench` output: min/median/max, no negative cost, valid JSON. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/cmd/bench.h"
#include "tests/lib/evlog.h"

static char *bench_capture(bool json, const struct bench_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	if (json)
		bench_print_json(f, r);
	else
		bench_print_text(f, r);
	fclose(f);
	return buf;
}

static struct bench_report bench_sample(double ratio_median)
{
	struct bench_report r;

	memset(&r, 0, sizeof(r));
	r.runs = 3;
	r.iterations = 2000;
	r.raw_exit_ns = (struct bench_stat){4000, 4500, 5200};
	r.null_call_ns = (struct bench_stat){8800, 9900, 12000};
	r.call_per_2_exits = (struct bench_stat){ratio_median - 0.05, ratio_median, 1.2};
	return r;
}

Test(bench_report, text_shows_min_median_max)
{
	struct bench_report r = bench_sample(1.11);
	char *t = bench_capture(false, &r);

	cr_assert_not_null(strstr(t, "4.00    4.50    5.20 us"), "%s", t);
	cr_assert_not_null(strstr(t, "11% above it"), "%s", t);
	free(t);
}

/* A shared host can make a call look cheaper than two exits: that is noise, not a gain. */
Test(bench_report, a_ratio_under_the_floor_is_never_a_negative_cost)
{
	struct bench_report r = bench_sample(0.97);
	char *t = bench_capture(false, &r);

	for (const char *c = t; *c; c++)
		cr_assert(!(c[0] == '-' && c[1] >= '0' && c[1] <= '9'), "a negative figure: %s", t);
	cr_assert_null(strstr(t, "above it"), "%s", t);
	cr_assert_not_null(strstr(t, "within this host's noise"), "%s", t);
	free(t);
}

Test(bench_report, json_is_one_valid_object)
{
	struct bench_report r = bench_sample(1.11);
	struct evlog l;
	char *j;

	r.cr_period_us = 10000;
	r.cr_samples = 200;
	r.cr_load = 1;
	r.cr_idle.samples = r.cr_idle.detected = 200;
	r.cr_idle.nr_windows = 1;
	r.cr_idle.window[0] =
	    (struct bench_cr_window){.spin = 0, .cycles = 10, .duration_ns = 2000};
	j = bench_capture(true, &r);
	cr_assert_null(memchr(j, '\n', strlen(j) - 1), "one line");
	cr_assert_eq(evlog_parse_json(&l, "b", j, strlen(j)), 0, "%s: %s", l.err ? l.err : "", j);
	cr_assert_not_null(evlog_get(&l.ev[0], "b.raw_exit_ns.median"));
	cr_assert_not_null(evlog_get(&l.ev[0], "b.cr.idle.p99_ns"));
	cr_assert_not_null(evlog_get(&l.ev[0], "b.cr.busy.max_ns"));
	evlog_free(&l);
	free(j);
}

static void bench_sample_protect(struct bench_report *r)
{
	r->protect_ranges = 16000;
	r->protect_pairs = 200;
	for (int c = 0; c < BENCH_PROT_CASES; c++)
		r->protect[c] = (struct bench_protect_figure){
		    .pair_ns = {250000 + 1000.0 * c, 270000, 300000},
		    .ioctl_ns = {40000, 50000, 60000},
		    .ratio = {4.5, 5.4, 6.0},
		    .rest_ns = {200000, 220000, 240000},
		    .ioctls = c & 1 ? 8 : 6,
		};
	r->protect_ram_ratio = (struct bench_stat){0.95, 1.1, 1.3};
	r->protect_region_ratio = (struct bench_stat){0.9, 0.98, 1.05};
	r->launch_setup_ms = (struct bench_stat){3.3, 3.5, 4.1};
	r->launch_vtl1_ms = (struct bench_stat){10.8, 10.9, 11.1};
	r->launch_vtl0_ms = (struct bench_stat){0.13, 0.14, 0.16};
	r->launch_total_ms = (struct bench_stat){14.5, 14.9, 15.5};
	r->launch_big_policy_ms = (struct bench_stat){79.2, 82.3, 83.7};
}

Test(bench_report, protect_and_launch_in_text)
{
	struct bench_report r = bench_sample(1.11);
	char *t;

	bench_sample_protect(&r);
	t = bench_capture(false, &r);
	/* The many-ranges machine is sized for the range count: 8 MiB + 16000 pages + 4 MiB. */
	cr_assert_not_null(strstr(t, "128 MiB, 16000 ranges, page above them"), "%s", t);
	cr_assert_not_null(strstr(t, "32 MiB, 10 ranges, page below them"), "%s", t);
	cr_assert_not_null(strstr(t, "3 GiB, 10 ranges, page in a 2 MiB rw region"), "%s", t);
	cr_assert_not_null(
	    strstr(t, "250.0    270.0    300.0      50.0    220.0  6.0 4.50 5.40 6.00"), "%s", t);
	cr_assert_not_null(strstr(t, "0.95 1.10 1.30 x  (goal <= 1.2)"), "%s", t);
	cr_assert_not_null(strstr(t, "10.80   10.90   11.10 ms"), "%s", t);
	cr_assert_not_null(strstr(t, "64 KiB policy (goal < 150)    79.20   82.30   83.70 ms"),
			   "%s", t);
	free(t);
	/* No PROTECT figure asked for (--protect-ranges 0): no such lines. */
	r.protect_ranges = 0;
	t = bench_capture(false, &r);
	cr_assert_null(strstr(t, "PROTECT"), "%s", t);
	free(t);
}

Test(bench_report, protect_and_launch_in_json)
{
	struct bench_report r = bench_sample(1.11);
	struct evlog l;
	char *j;

	bench_sample_protect(&r);
	j = bench_capture(true, &r);
	cr_assert_eq(evlog_parse_json(&l, "b", j, strlen(j)), 0, "%s: %s", l.err ? l.err : "", j);
	cr_assert_not_null(evlog_get(&l.ev[0], "b.launch_ms.vtl1_boot.median"));
	cr_assert_not_null(evlog_get(&l.ev[0], "b.launch_ms.big_policy_total.max"));
	cr_assert_not_null(evlog_get(&l.ev[0], "b.protect.many_below.pair_per_ioctls.max"));
	cr_assert_not_null(evlog_get(&l.ev[0], "b.protect.small_region.ioctls_per_pair"));
	cr_assert_not_null(evlog_get(&l.ev[0], "b.protect.few_above.rest_ns.median"));
	cr_assert_not_null(evlog_get(&l.ev[0], "b.protect.large_ram_per_small_ram.median"));
	cr_assert_not_null(evlog_get(&l.ev[0], "b.protect.large_region_per_small_region.min"));
	evlog_free(&l);
	free(j);
}
