/* KVM tests of the CR-pin latency figure: its guest completes and every clear is detected. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/cmd/bench.h"
#include "tests/kvm/harness.h"
#include "vtl_bench.h"

/* Counts and order only: timing is the bench's business, never a test's. */

/* vtl0/tests/cr_latency.c's parameters (module 0) and checkpoint steps: include/vtl_bench.h. */
#define CRL_SAMPLES 6

/* 1 ms keeps the run short; the figure itself defaults to the policy's 10 ms. */
static const char crl_policy[] = "vtlmon-policy 1\n"
				 "exec-protection best-effort\n"
				 "cr pin CR0.WP\n"
				 "cr watchdog 1ms\n"
				 "action cr deny\n"
				 "action default kill\n";

static struct guest_run run;

static void run_fini(void)
{
	guest_run_free(&run);
}

TestSuite(cr_latency, .init = kvm_require, .fini = run_fini, .timeout = KVM_TEST_TIMEOUT_S);

/* A number of event i ("key":1 or "key":"0x1"), which must be there. */
static uint64_t crl_num(long i, const char *key)
{
	const struct evlog_event *e = ev_at(&run, i);
	uint64_t v;

	cr_assert(evlog_u64(e, key, &v), "no number %s in %s", key, e->raw);
	return v;
}

static long crl_checkpoint(size_t from, uint64_t step)
{
	char arg0[48];

	snprintf(arg0, sizeof(arg0), "arg0=0x%" PRIx64, step);
	return ev_find(&run, from, "ucall", "cmd=4", arg0);
}

Test(cr_latency, every_clear_is_detected_once_and_restored)
{
	const struct crl_module mod = {
	    .magic = CRL_MAGIC,
	    .samples = CRL_SAMPLES,
	    .nr_windows = 1,
	    .window = {{.spin = 10, .cycles = 50}},
	};
	const struct guest_run_opts o = {
	    .vtl0 = "cr_latency",
	    .policy_text = crl_policy,
	    .module = &mod,
	    .module_len = sizeof(mod),
	};
	long at = 0, done, wbegin, wend;
	int status = guest_run(&run, &o);

	if (status)
		ev_dump(&run);
	cr_assert_eq(status, 0, "the guest did not finish: status %d", status);
	cr_assert(ev_find(&run, 0, "pin", "reg=cr0", "mask=0x10000") >= 0,
		  "WP was not pinned at launch");
	/* Each sample: its t0 checkpoint, then exactly one CR violation, denied and restored. */
	for (uint64_t i = 0; i < CRL_SAMPLES; i++) {
		long cp = crl_checkpoint((size_t)at, CRL_CP_SAMPLE), v, next;
		bool precise;

		cr_assert_geq(cp, 0, "no t0 checkpoint for sample %" PRIu64, i);
		cr_assert_eq(crl_num(cp, "arg1"), i, "samples out of order");
		v = ev_find(&run, (size_t)cp + 1, "violation", "kind=cr");
		cr_assert_geq(v, 0, "sample %" PRIu64 " was never detected", i);
		cr_assert(evlog_is(ev_at(&run, v), "action", "deny"), "%s", ev_at(&run, v)->raw);
		/* Seen at a later exit, never at the write: not precise. */
		cr_assert(evlog_bool(ev_at(&run, v), "precise", &precise) && !precise, "%s",
			  ev_at(&run, v)->raw);
		cr_assert_eq(crl_num(v, "value") & 0x10000, 0, "the violation's value");
		next = ev_find(&run, (size_t)v + 1, "violation", "kind=cr");
		at = crl_checkpoint((size_t)cp + 1, CRL_CP_SAMPLE);
		if (at < 0)
			at = crl_checkpoint((size_t)cp + 1, CRL_CP_SAMPLES_DONE);
		cr_assert_geq(at, 0, "the guest stopped after sample %" PRIu64, i);
		cr_assert(next < 0 || next > at, "sample %" PRIu64 " detected twice", i);
	}
	/* The guest waited each clear out, so it saw one #GP per sample. */
	done = crl_checkpoint(0, CRL_CP_SAMPLES_DONE);
	cr_assert_geq(done, 0);
	cr_assert_eq(crl_num(done, "arg1"), CRL_SAMPLES);
	/* The transient phase ran to its end; whether a kick landed in a window is chance. */
	wbegin = crl_checkpoint((size_t)done, CRL_CP_WINDOW_BEGIN);
	wend = crl_checkpoint((size_t)done, CRL_CP_WINDOW_END);
	cr_assert(wbegin > done && wend > wbegin, "the transient phase did not run");
	cr_assert(ev_find(&run, (size_t)wend, "ucall", "cmd=1") > wend, "no DONE");
}

Test(cr_latency, the_bench_figure_pairs_every_sample)
{
	struct bench_cr_opts o = {
	    .period_us = 1000,
	    .samples = CRL_SAMPLES,
	    .load_threads = 1,
	    .nr_windows = 1,
	    .window = {{.spin = 0, .cycles = 100}},
	};
	struct bench_cr_result r;

	cr_assert_eq(bench_cr_run(&o, &r), 0);
	cr_assert(r.guest_done, "the bench guest did not finish");
	cr_assert_eq(r.samples, CRL_SAMPLES);
	cr_assert_eq(r.guest_gp, CRL_SAMPLES);
	cr_assert_eq(r.detected, CRL_SAMPLES, "paired %u of %u samples", r.detected, r.samples);
	cr_assert(r.min_ns > 0 && r.min_ns <= r.median_ns && r.median_ns <= r.p99_ns &&
		      r.p99_ns <= r.max_ns,
		  "latency order: %f %f %f %f", r.min_ns, r.median_ns, r.p99_ns, r.max_ns);
	cr_assert_eq(r.nr_windows, 1);
	cr_assert_eq(r.window[0].cycles, 100);
	cr_assert_gt(r.window[0].duration_ns, 0);
	/* Every detection is a #GP and (within the default event limits) a violation event. */
	cr_assert_eq(r.window[0].events, r.window[0].detected);
}
