/* `vtlmon bench`: micro-benchmarks on real KVM, reported as ratios against a baseline from the same
 * run. */
#include "monitor/cmd/bench.h"
#include "monitor/base/limits.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/cmd/cli.h"
#include "monitor/image/embedded.h"
#include "monitor/base/events.h"
#include "monitor/base/exitcodes.h"
#include "monitor/base/version.h"
#include "monitor/base/log.h"
#include "monitor/vm/machine.h"
#include "monitor/vm/run.h"
#include "vtl_bench.h"
#include "vtl_layout.h"
#include "vtl_ucall.h"

/* Bench ids and the PROTECT figure's module: include/vtl_bench.h (vtl0/tests/bench.c). */
_Static_assert(BPR_IDS <= MACHINE_BENCH_SLOTS, "every bench id has a slot");
#define BENCH_DEFAULT_RUNS 5
/* The SMP call figure's vCPUs (--smp-cpus; 0 skips it). */
#define BENCH_SMP_DEFAULT_CPUS 2
#define BENCH_TIMEOUT_MS       120000

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

static struct bench_stat bench_stat_of(double *v, int n)
{
	struct bench_stat st = {0, 0, 0};

	if (n < 1)
		return st;
	st.median = bench_median(v, n); /* sorts v */
	st.min = v[0];
	st.max = v[n - 1];
	return st;
}

static int bench_per_op(const struct bench_slot *s, double *ns)
{
	if (!s->iterations || s->end_ns <= s->begin_ns)
		return -1;
	*ns = (double)(s->end_ns - s->begin_ns) / (double)s->iterations;
	return 0;
}

/* clock_ns() around a bench machine's launch. */
struct bench_launch {
	uint64_t start_ns, init_ns, vtl1_boot_ns, vtl0_boot_ns;
};

/*
 * One fresh machine per run (nothing warmed by an earlier run skews the
 * next) of the bench guest with `ram` bytes of VTL0 RAM and, when mod is not
 * NULL, the PROTECT figure's parameters as module 0. The bench slots are
 * copied to `slots` when the guest finished.
 */
static int bench_run_guest(uint64_t ram, const struct bpr_module *mod, const char *policy,
			   size_t policy_len, uint32_t cpus,
			   struct bench_slot slots[MACHINE_BENCH_SLOTS],
			   struct bench_launch *launch)
{
	struct machine_config cfg = {
	    .vtl0_image = embedded_bench_elf,
	    .vtl0_image_len = EMBEDDED_SIZE(embedded_bench_elf),
	    .vtl0_name = "built-in:bench",
	    .vtl1_image = embedded_vtl1_elf,
	    .vtl1_image_len = EMBEDDED_SIZE(embedded_vtl1_elf),
	    .vtl1_name = "built-in:vtl1",
	    .vtl0_mem = ram,
	    .vtl1_mem = VTLMON_DEFAULT_VTL1_MEM,
	    .cpus = cpus,
	    .timeout_ms = BENCH_TIMEOUT_MS,
	    .quiet = true,
	};
	struct machine *m = calloc(1, sizeof(*m));
	int status;

	if (!m)
		return VTLMON_EXIT_MONITOR;
	if (policy) {
		cfg.policy = policy;
		cfg.policy_len = policy_len;
		cfg.policy_name = "built-in:default.policy padded with comments";
	}
	if (mod) {
		cfg.modules[0] = (struct machine_module){
		    .data = mod, .len = sizeof(*mod), .name = "built-in:bench-protect-params"};
		cfg.nr_modules = 1;
	}
	launch->start_ns = clock_ns();
	status = machine_init(m, &cfg);
	launch->init_ns = clock_ns();
	if (!status)
		status = machine_run(m);
	if (!status) {
		memcpy(slots, m->bench, sizeof(m->bench));
		launch->vtl1_boot_ns = m->boot_ns[1];
		launch->vtl0_boot_ns = m->boot_ns[0];
	}
	machine_destroy(m);
	free(m);
	return status;
}

/*
 * The default policy padded with comment lines to VTL_BOOT_POLICY_MAX bytes
 * (the largest VTL1 takes): NULL if out of memory.
 */
static char *bench_big_policy(void)
{
	static const char line[] = "# a comment line of the 64 KiB policy: VTL1 skips it at "
				   "launch, 8 bytes at a time\n";
	size_t len = EMBEDDED_SIZE(embedded_default_policy), n = len;
	char *p = malloc(VTL_BOOT_POLICY_MAX);

	if (!p)
		return NULL;
	memcpy(p, embedded_default_policy, len);
	while (n + sizeof(line) - 1 <= VTL_BOOT_POLICY_MAX) {
		memcpy(p + n, line, sizeof(line) - 1);
		n += sizeof(line) - 1;
	}
	memset(p + n, '\n', VTL_BOOT_POLICY_MAX - n);
	return p;
}

/*
 * The raw exit and null call loops, and the launch that led to them: set-up
 * (machine_init: VMs, memslots, images, policy), VTL1's BOOT entry (its boot
 * event to VTL0's: the policy parse and the boot op list), VTL0's start (its
 * boot event to its first ucall, the bench's BEGIN).
 */
static int bench_once(double *raw_ns, double *call_ns, uint64_t *iters, double launch_ms[5],
		      uint32_t smp_cpus, double *smp_call_ns)
{
	struct bench_slot slots[MACHINE_BENCH_SLOTS];
	struct bench_launch l = {0}, big = {0};
	char *policy = bench_big_policy();
	int status;

	if (!policy)
		return VTLMON_EXIT_MONITOR;
	/* The same launch with the largest policy VTL1 takes: what its parse costs. */
	status = bench_run_guest(VTLMON_DEFAULT_VTL0_MEM, NULL, policy, VTL_BOOT_POLICY_MAX, 1,
				 slots, &big);
	free(policy);
	/*
	 * NOP calls on every vCPU at once first (its own machine), so that the
	 * slots read below are the single-vCPU run's.
	 */
	if (!status && smp_cpus > 1) {
		struct bench_launch unused = {0};

		status = bench_run_guest(VTLMON_DEFAULT_VTL0_MEM, NULL, NULL, 0, smp_cpus, slots,
					 &unused);
		if (!status && bench_per_op(&slots[BENCH_ID_SMPCALL], smp_call_ns)) {
			log_err("bench guest did not report its %u-vCPU calls", smp_cpus);
			return VTLMON_EXIT_MONITOR;
		}
	}
	if (!status)
		status = bench_run_guest(VTLMON_DEFAULT_VTL0_MEM, NULL, NULL, 0, 1, slots, &l);
	uint64_t first = slots[BENCH_ID_EXIT].begin_ns;

	if (status)
		return status;
	if (bench_per_op(&slots[BENCH_ID_EXIT], raw_ns) ||
	    bench_per_op(&slots[BENCH_ID_NOPCALL], call_ns)) {
		log_err("bench guest did not report both benchmarks");
		return VTLMON_EXIT_MONITOR;
	}
	if (!(l.start_ns <= l.init_ns && l.init_ns <= l.vtl1_boot_ns &&
	      l.vtl1_boot_ns <= l.vtl0_boot_ns && l.vtl0_boot_ns <= first)) {
		log_err("bench: the launch's timestamps are out of order");
		return VTLMON_EXIT_MONITOR;
	}
	launch_ms[0] = (double)(l.init_ns - l.start_ns) / 1e6;
	launch_ms[1] = (double)(l.vtl0_boot_ns - l.vtl1_boot_ns) / 1e6;
	launch_ms[2] = (double)(first - l.vtl0_boot_ns) / 1e6;
	launch_ms[3] = (double)(first - l.start_ns) / 1e6;
	launch_ms[4] = (double)(big.vtl0_boot_ns - big.start_ns) / 1e6;
	*iters = slots[BENCH_ID_NOPCALL].iterations;
	return 0;
}

/* ---- PROTECT + un-PROTECT pairs ------------------------------------------------------- */

#define BENCH_PROT_DEFAULT_RANGES 16000
#define BENCH_PROT_DEFAULT_PAIRS  200
#define BENCH_PROT_MAX_PAIRS	  100000
#define BENCH_PROT_FEW		  10
#define BENCH_PROT_RANGE_BASE	  (8ULL << 20) /* above the bench guest and its module */
#define BENCH_PROT_SMALL_RAM	  VTLMON_DEFAULT_VTL0_MEM
#define BENCH_PROT_BIG_RAM	  (3ULL << 30)

/* One case of one run. */
struct bench_prot_sample {
	double pair_ns, ioctl_ns, ioctls;
};

/*
 * VTL0 RAM for `ranges` ranges from BENCH_PROT_RANGE_BASE, the 2 MiB region
 * above them and the last page: at least 128 MiB, in whole MiB.
 */
static uint64_t bench_prot_ram(uint32_t ranges)
{
	uint64_t need =
	    BENCH_PROT_RANGE_BASE + (uint64_t)ranges * VTL_PAGE_SIZE + 2 * VTL_LARGE_PAGE_SIZE;
	uint64_t ram = 128ULL << 20;

	while (ram < need)
		ram += 64ULL << 20;
	return ram;
}

static int bench_prot_sample_of(const struct bench_slot *s, struct bench_prot_sample *out)
{
	if (bench_per_op(s, &out->pair_ns))
		return -1;
	out->ioctl_ns = (double)s->slot_ns / (double)s->iterations;
	out->ioctls = (double)s->slot_calls / (double)s->iterations;
	return 0;
}

/* One machine: `ranges` ranges in `ram`; fills the cases for the page above and below. */
static int bench_protect_once(uint64_t ram, uint32_t ranges, uint32_t pairs,
			      struct bench_prot_sample *above, struct bench_prot_sample *below,
			      struct bench_prot_sample *small_region)
{
	const struct bpr_module mod = {.magic = BPR_MAGIC,
				       .ranges = ranges,
				       .pairs = pairs,
				       .range_base = BENCH_PROT_RANGE_BASE};
	struct bench_slot slots[MACHINE_BENCH_SLOTS];
	struct bench_launch launch;
	int status = bench_run_guest(ram, &mod, NULL, 0, 1, slots, &launch);

	if (status)
		return status;
	if (bench_prot_sample_of(&slots[BPR_ID_ABOVE], above) ||
	    bench_prot_sample_of(&slots[BPR_ID_BELOW], below) ||
	    bench_prot_sample_of(&slots[BPR_ID_SMALL_REGION], small_region)) {
		log_err("bench guest did not report the PROTECT pairs");
		return VTLMON_EXIT_MONITOR;
	}
	return 0;
}

/* Every case, r->runs times, interleaved: a change in host load hits all cases alike. */
static int bench_protect(struct bench_report *r)
{
	static struct bench_prot_sample smp[BENCH_PROT_CASES][64];
	double v[4][64], ram_ratio[64], region_ratio[64];
	struct bench_prot_sample unused;
	int status, i, c;

	for (i = 0; i < r->runs; i++) {
		status = bench_protect_once(BENCH_PROT_SMALL_RAM, BENCH_PROT_FEW, r->protect_pairs,
					    &smp[BENCH_PROT_FEW_ABOVE][i],
					    &smp[BENCH_PROT_FEW_BELOW][i], &unused);
		if (!status)
			status =
			    bench_protect_once(bench_prot_ram(r->protect_ranges), r->protect_ranges,
					       r->protect_pairs, &smp[BENCH_PROT_MANY_ABOVE][i],
					       &smp[BENCH_PROT_MANY_BELOW][i], &unused);
		if (!status)
			status = bench_protect_once(BENCH_PROT_BIG_RAM, BENCH_PROT_FEW,
						    r->protect_pairs, &smp[BENCH_PROT_LARGE_RAM][i],
						    &unused, &smp[BENCH_PROT_SMALL_REGION][i]);
		if (status) {
			log_err("PROTECT bench run %d failed with status %d", i + 1, status);
			return status;
		}
		ram_ratio[i] =
		    smp[BENCH_PROT_LARGE_RAM][i].pair_ns / smp[BENCH_PROT_FEW_ABOVE][i].pair_ns;
		region_ratio[i] =
		    smp[BENCH_PROT_LARGE_RAM][i].pair_ns / smp[BENCH_PROT_SMALL_REGION][i].pair_ns;
	}
	for (c = 0; c < BENCH_PROT_CASES; c++) {
		struct bench_protect_figure *f = &r->protect[c];

		for (i = 0; i < r->runs; i++) {
			v[0][i] = smp[c][i].pair_ns;
			v[1][i] = smp[c][i].ioctl_ns;
			v[2][i] =
			    smp[c][i].ioctl_ns > 0 ? smp[c][i].pair_ns / smp[c][i].ioctl_ns : 0;
			v[3][i] = smp[c][i].pair_ns - smp[c][i].ioctl_ns;
		}
		f->pair_ns = bench_stat_of(v[0], r->runs);
		f->ioctl_ns = bench_stat_of(v[1], r->runs);
		f->ratio = bench_stat_of(v[2], r->runs);
		f->rest_ns = bench_stat_of(v[3], r->runs);
		for (i = 0; i < r->runs; i++)
			v[0][i] = smp[c][i].ioctls;
		f->ioctls = bench_stat_of(v[0], r->runs).median;
	}
	r->protect_ram_ratio = bench_stat_of(ram_ratio, r->runs);
	r->protect_region_ratio = bench_stat_of(region_ratio, r->runs);
	return 0;
}

/* ---- CR-pin detection ----------------------------------------------------------------- */

/* The guest's parameters (module 0) and checkpoints: include/vtl_bench.h. */
_Static_assert(BENCH_CR_WINDOWS == CRL_WINDOWS, "the guest's window count");

#define BENCH_CR_DEFAULT_PERIOD_US 10000
#define BENCH_CR_DEFAULT_SAMPLES   200
/* Samples and their events stay inside the event log's default burst (1000 per type). */
#define BENCH_CR_MAX_SAMPLES  900
#define BENCH_CR_DEFAULT_LOAD 1
#define BENCH_CR_MAX_LOAD     8

/*
 * Transient clears of three lengths: back to back (the shape of "clear WP,
 * store, set WP"), and two longer windows. Each phase lasts 0.4 to 0.9 s on
 * a quiet host here (a WP flip costs ~9 us, a dec/jnz pair ~4 us, both
 * emulated), a few times that when the host is busy.
 */
static const struct {
	uint32_t spin, cycles;
} bench_cr_windows[] = {{0, 20000}, {100, 500}, {1000, 100}};

/*
 * Only what the figure needs: the watchdog period under test, WP pinned at
 * launch, and `deny`, which restores the bit and lets the guest go on.
 */
static int bench_cr_policy(char *buf, size_t len, uint32_t period_us)
{
	int n = snprintf(buf, len,
			 "vtlmon-policy 1\n"
			 "exec-protection best-effort\n"
			 "cr pin CR0.WP\n"
			 "cr watchdog %uus\n"
			 "action cr deny\n"
			 "action default kill\n",
			 period_us);

	return n < 0 || (size_t)n >= len ? -1 : n;
}

static atomic_bool bench_load_stop;

/* The host load: a thread that competes for a core and never sleeps. */
static void *bench_load_thread(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&bench_load_stop, memory_order_relaxed))
		;
	return NULL;
}

/* The unsigned number after `"key":` (a quoted "0x..." too), or `def` when the key is absent. */
static uint64_t bench_ev_num(const char *line, const char *key, uint64_t def)
{
	char pat[32];
	const char *at;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	at = strstr(line, pat);
	if (!at)
		return def;
	at += strlen(pat);
	if (*at == '"')
		at++;
	return strtoull(at, NULL, 0);
}

static bool bench_ev_is(const char *line, const char *type)
{
	char pat[48];

	snprintf(pat, sizeof(pat), "\"type\":\"%s\"", type);
	return strstr(line, pat) != NULL;
}

/* Nearest rank: the smallest sample with at least q percent of the samples at or below it. */
static double bench_rank(const double *sorted, uint32_t n, uint32_t q)
{
	uint64_t rank = ((uint64_t)q * n + 99) / 100;

	return sorted[rank ? rank - 1 : 0];
}

/*
 * Pairs each sample's t0 (its checkpoint ucall) with the first CR
 * `violation` after it. The windows count their detections from the
 * guest's own #GP count, which a rate-limited event log cannot thin out.
 */
static int bench_cr_parse(const char *path, const struct bench_cr_opts *o,
			  struct bench_cr_result *res)
{
	FILE *f = fopen(path, "re");
	double *lat = calloc(o->samples ? o->samples : 1, sizeof(*lat));
	uint64_t t0 = 0, wbegin = 0, idx;
	bool pending = false, sampling = true;
	int win = -1;
	char *line = NULL;
	size_t cap = 0;

	if (!f || !lat) {
		if (f)
			fclose(f);
		free(lat);
		return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		uint64_t t = bench_ev_num(line, "t", 0);

		if (bench_ev_is(line, "violation") && strstr(line, "\"kind\":\"cr\"")) {
			if (sampling && pending && res->detected < o->samples)
				lat[res->detected++] = (double)(t - t0);
			else if (win >= 0)
				res->window[win].events++;
			pending = false;
			continue;
		}
		if (!bench_ev_is(line, "ucall"))
			continue;
		if (bench_ev_num(line, "cmd", 0) == VTL_UCALL_DONE) {
			res->guest_done = true;
			continue;
		}
		if (bench_ev_num(line, "cmd", 0) != VTL_UCALL_CHECKPOINT)
			continue;
		switch (bench_ev_num(line, "arg0", 0)) {
		case CRL_CP_SAMPLE:
			res->samples++;
			t0 = t;
			pending = true;
			break;
		case CRL_CP_SAMPLES_DONE:
			res->guest_gp = (uint32_t)bench_ev_num(line, "arg1", 0);
			sampling = pending = false;
			break;
		case CRL_CP_WINDOW_BEGIN:
			idx = bench_ev_num(line, "arg1", BENCH_CR_WINDOWS);
			win = idx < o->nr_windows ? (int)idx : -1;
			wbegin = t;
			break;
		case CRL_CP_WINDOW_END:
			if (win < 0)
				break;
			res->window[win].duration_ns = t - wbegin;
			res->window[win].detected = (uint32_t)bench_ev_num(line, "arg1", 0);
			res->nr_windows = (uint32_t)win + 1;
			win = -1;
			break;
		}
	}
	free(line);
	fclose(f);
	if (res->detected) {
		qsort(lat, res->detected, sizeof(*lat), bench_cmp);
		res->min_ns = lat[0];
		res->median_ns = bench_median(lat, (int)res->detected);
		res->p99_ns = bench_rank(lat, res->detected, 99);
		res->max_ns = lat[res->detected - 1];
	}
	free(lat);
	return 0;
}

int bench_cr_run(const struct bench_cr_opts *o, struct bench_cr_result *res)
{
	char path[] = "/tmp/vtlmon-bench-cr-XXXXXX", policy[256];
	struct crl_module mod = {.magic = CRL_MAGIC, .samples = o->samples};
	struct machine_config cfg = {
	    .vtl0_image = embedded_cr_latency_elf,
	    .vtl0_image_len = EMBEDDED_SIZE(embedded_cr_latency_elf),
	    .vtl0_name = "built-in:cr_latency",
	    .vtl1_image = embedded_vtl1_elf,
	    .vtl1_image_len = EMBEDDED_SIZE(embedded_vtl1_elf),
	    .vtl1_name = "built-in:vtl1",
	    .policy = policy,
	    .policy_name = "built-in:cr-latency.policy",
	    .vtl0_mem = VTLMON_DEFAULT_VTL0_MEM,
	    .vtl1_mem = VTLMON_DEFAULT_VTL1_MEM,
	    .cpus = 1,
	    .events_path = path,
	    .timeout_ms = BENCH_TIMEOUT_MS,
	    .quiet = true,
	    .no_violation_lines = true,
	    .modules = {{.data = &mod, .len = sizeof(mod), .name = "built-in:cr-latency-params"}},
	    .nr_modules = 1,
	};
	pthread_t load[BENCH_CR_MAX_LOAD];
	uint32_t nr_load = 0;
	struct machine *m;
	int fd, plen, status;

	memset(res, 0, sizeof(*res));
	if (o->nr_windows > BENCH_CR_WINDOWS || o->load_threads > BENCH_CR_MAX_LOAD ||
	    o->samples > BENCH_CR_MAX_SAMPLES)
		return VTLMON_EXIT_USAGE;
	plen = bench_cr_policy(policy, sizeof(policy), o->period_us);
	if (plen < 0)
		return VTLMON_EXIT_USAGE;
	cfg.policy_len = (size_t)plen;
	mod.nr_windows = o->nr_windows;
	for (uint32_t i = 0; i < o->nr_windows; i++) {
		mod.window[i].spin = res->window[i].spin = o->window[i].spin;
		mod.window[i].cycles = res->window[i].cycles = o->window[i].cycles;
	}
	fd = mkstemp(path);
	if (fd < 0) {
		log_err("cannot create an events file in /tmp: %s", strerror(errno));
		return VTLMON_EXIT_MONITOR;
	}
	close(fd);
	m = calloc(1, sizeof(*m));
	if (!m) {
		unlink(path);
		return VTLMON_EXIT_MONITOR;
	}
	status = machine_init(m, &cfg);
	if (!status) {
		atomic_store(&bench_load_stop, false);
		for (; nr_load < o->load_threads; nr_load++)
			if (pthread_create(&load[nr_load], NULL, bench_load_thread, NULL))
				break;
		status = machine_run(m);
		atomic_store(&bench_load_stop, true);
		while (nr_load)
			pthread_join(load[--nr_load], NULL);
	}
	machine_destroy(m); /* closes the events file: everything is on disk */
	free(m);
	res->status = status;
	if (bench_cr_parse(path, o, res)) {
		log_err("cannot read the bench events file %s", path);
		status = status ? status : VTLMON_EXIT_MONITOR;
	}
	unlink(path);
	return status;
}

static int bench_parse_period(const char *s, uint32_t *us)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t unit = !strcmp(end, "us")   ? 1
			: !strcmp(end, "ms") ? 1000
			: !strcmp(end, "s")  ? 1000000
					     : 0;

	/* The policy's own bounds (`cr watchdog`, docs/policy.md). */
	if (end == s || !unit || v > 10000000 || v * unit < 100 || v * unit > 10000000)
		return -1;
	*us = (uint32_t)(v * unit);
	return 0;
}

static void bench_cr_print_latency(FILE *f, const char *label, const struct bench_report *r,
				   const struct bench_cr_result *c)
{
	double period = r->cr_period_us * 1e3;

	if (!c->detected) {
		fprintf(f, "  %-15s %5u of %u clears detected\n", label, c->detected, c->samples);
		return;
	}
	fprintf(f, "  %-15s %5u %7.2f %7.2f %7.2f %7.2f %6.2fx %6.2fx\n", label, c->detected,
		c->min_ns / 1e6, c->median_ns / 1e6, c->p99_ns / 1e6, c->max_ns / 1e6,
		c->median_ns / period, c->max_ns / period);
	if (c->detected != c->samples || c->guest_gp != c->samples)
		fprintf(f,
			"  %-15s (%u clears made, %u #GPs taken, %u paired with a violation "
			"event)\n",
			"", c->samples, c->guest_gp, c->detected);
}

/* WP is clear for half of each cycle: the set half mirrors the clear half. */
static double bench_window_ns(const struct bench_cr_window *w)
{
	return w->cycles ? (double)w->duration_ns / w->cycles / 2 : 0;
}

static double bench_window_expect(const struct bench_report *r, const struct bench_cr_window *w)
{
	double e = bench_window_ns(w) / (r->cr_period_us * 1e3);

	return e < 1 ? e : 1;
}

static void bench_cr_print_text(FILE *f, const struct bench_report *r)
{
	char label[32];

	fprintf(f, "CR-pin detection latency: watchdog period T = %.2f ms, %u samples per line\n",
		r->cr_period_us / 1e3, r->cr_samples);
	fprintf(f,
		"  latency = `violation` event t - t0 ucall t; each clear of CR0.WP follows the\n"
		"  previous detection by ~0.2 ms, just after a kick: the phase an attacker "
		"picks\n");
	fprintf(f, "  %-15s %5s %7s %7s %7s %7s %7s %7s\n", "host", "count", "min ms", "median",
		"p99", "max", "med/T", "max/T");
	bench_cr_print_latency(f, "no added load", r, &r->cr_idle);
	if (r->cr_load) {
		snprintf(label, sizeof(label), "%u busy thread%s", r->cr_load,
			 r->cr_load == 1 ? "" : "s");
		bench_cr_print_latency(f, label, r, &r->cr_busy);
	}
	fprintf(f, "  transient clears, in the first run (clear WP, spin, set WP, spin; no exit "
		   "between):\n");
	fprintf(f, "  %6s %11s %7s %9s %10s %13s\n", "spin", "window us", "clears", "detected",
		"P(detect)", "min(1,w/T)");
	for (uint32_t i = 0; i < r->cr_idle.nr_windows; i++) {
		const struct bench_cr_window *w = &r->cr_idle.window[i];

		fprintf(f, "  %6u %11.1f %7u %9u %9.3f%% %12.3f%%\n", w->spin,
			bench_window_ns(w) / 1e3, w->cycles, w->detected,
			w->cycles ? 100.0 * w->detected / w->cycles : 0,
			100.0 * bench_window_expect(r, w));
	}
}

/* For the text and the JSON: what each case is. */
static const struct {
	const char *key, *ram, *page;
	bool many;
} bench_prot_cases[BENCH_PROT_CASES] = {
    [BENCH_PROT_FEW_ABOVE] = {"few_above", "32 MiB", "above them", false},
    [BENCH_PROT_FEW_BELOW] = {"few_below", "32 MiB", "below them", false},
    [BENCH_PROT_MANY_ABOVE] = {"many_above", "", "above them", true},
    [BENCH_PROT_MANY_BELOW] = {"many_below", "", "below them", true},
    [BENCH_PROT_LARGE_RAM] = {"large_region", "3 GiB", "in a 3 GiB rw region", false},
    [BENCH_PROT_SMALL_REGION] = {"small_region", "3 GiB", "in a 2 MiB rw region", false},
};

static void bench_protect_print_text(FILE *f, const struct bench_report *r)
{
	char what[64], ram[16];

	snprintf(ram, sizeof(ram), "%llu MiB",
		 (unsigned long long)(bench_prot_ram(r->protect_ranges) >> 20));
	fprintf(f,
		"PROTECT r-- + un-PROTECT rwx of one page, %u pairs per run, against the memslot "
		"ioctls\nthe pair makes (timed in the KVM layer in the same run; min / median / "
		"max over runs):\n",
		r->protect_pairs);
	fprintf(f, "  %-42s %8s %8s %8s %9s %8s %4s %14s\n", "case", "pair us", "", "", "ioctls us",
		"rest us", "n", "pair / ioctls");
	for (int c = 0; c < BENCH_PROT_CASES; c++) {
		const struct bench_protect_figure *p = &r->protect[c];

		snprintf(what, sizeof(what), "%s, %u ranges, page %s",
			 bench_prot_cases[c].many ? ram : bench_prot_cases[c].ram,
			 bench_prot_cases[c].many ? r->protect_ranges : BENCH_PROT_FEW,
			 bench_prot_cases[c].page);
		fprintf(f, "  %-42s %8.1f %8.1f %8.1f %9.1f %8.1f %4.1f %4.2f %4.2f %4.2f\n", what,
			p->pair_ns.min / 1e3, p->pair_ns.median / 1e3, p->pair_ns.max / 1e3,
			p->ioctl_ns.median / 1e3, p->rest_ns.median / 1e3, p->ioctls, p->ratio.min,
			p->ratio.median, p->ratio.max);
	}
	fprintf(f, "  goal: pair / ioctls <= 1.3 (floor 1.0: the ioctls themselves); rest: pair "
		   "minus ioctls,\n  per run (two VTL calls, VTL1's PROTECT path, the monitor)\n");
	fprintf(f, "  3 GiB / 32 MiB, page above, per run %22.2f %4.2f %4.2f x  (goal <= 1.2)\n",
		r->protect_ram_ratio.min, r->protect_ram_ratio.median, r->protect_ram_ratio.max);
	fprintf(f, "  3 GiB region / 2 MiB region, per run %21.2f %4.2f %4.2f x  (goal <= 1.2)\n",
		r->protect_region_ratio.min, r->protect_region_ratio.median,
		r->protect_region_ratio.max);
}

static void bench_print_ms(FILE *f, const char *what, const struct bench_stat *st)
{
	fprintf(f, "  %-50s %7.2f %7.2f %7.2f ms\n", what, st->min, st->median, st->max);
}

void bench_print_text(FILE *f, const struct bench_report *r)
{
	double above = r->call_per_2_exits.median - 1.0;

	if (r->runs) {
		fprintf(f,
			"vtlmon bench: %d runs x %llu iterations (min / median / max over runs)\n",
			r->runs, (unsigned long long)r->iterations);
		fprintf(
		    f,
		    "  raw MMIO exit round trip (VTL0 -> monitor -> VTL0)  %7.2f %7.2f %7.2f us\n",
		    r->raw_exit_ns.min / 1e3, r->raw_exit_ns.median / 1e3,
		    r->raw_exit_ns.max / 1e3);
		fprintf(
		    f,
		    "  null VTL call round trip (VTL0 -> VTL1 -> VTL0)     %7.2f %7.2f %7.2f us\n",
		    r->null_call_ns.min / 1e3, r->null_call_ns.median / 1e3,
		    r->null_call_ns.max / 1e3);
		fprintf(
		    f,
		    "  null call / (2 x raw exit), per run                 %7.2f %7.2f %7.2f x\n",
		    r->call_per_2_exits.min, r->call_per_2_exits.median, r->call_per_2_exits.max);
		/* A ratio under the floor is noise (the host is shared): never a negative cost. */
		if (above > 0.005)
			fprintf(
			    f,
			    "  floor: 1.00x (a call is two exits, VTL0's and VTL1's); the median "
			    "is "
			    "%.0f%% above it:\n  the vCPU switch between the two VMs plus VTL1's "
			    "emulated dispatch (docs/results.md)\n",
			    100 * above);
		else
			fprintf(f, "  floor: 1.00x (a call is two exits, VTL0's and VTL1's); the "
				   "median is at the floor, within this host's noise\n");
	}
	if (r->runs) {
		fprintf(
		    f,
		    "launch of the bench guest, 32 MiB, default policy (min / median / max ms):\n");
		bench_print_ms(f, "VM set-up (VMs, memslots, images, policy)", &r->launch_setup_ms);
		bench_print_ms(f, "VTL1 boot (policy parse, boot op list)", &r->launch_vtl1_ms);
		bench_print_ms(f, "VTL0 start (to its first exit)", &r->launch_vtl0_ms);
		bench_print_ms(f, "total", &r->launch_total_ms);
		bench_print_ms(f, "to VTL0's start with a 64 KiB policy (goal < 150)",
			       &r->launch_big_policy_ms);
	}
	if (r->runs && r->smp_cpus) {
		fprintf(f, "null VTL calls on %u vCPUs at once (min / median / max over runs):\n",
			r->smp_cpus);
		fprintf(
		    f, "  per call, all vCPUs together                      %7.2f %7.2f %7.2f us\n",
		    r->smp_call_ns.min / 1e3, r->smp_call_ns.median / 1e3,
		    r->smp_call_ns.max / 1e3);
		fprintf(f,
			"  / the single-vCPU null call, per run              %7.2f %7.2f %7.2f x\n",
			r->smp_call_ratio.min, r->smp_call_ratio.median, r->smp_call_ratio.max);
		fprintf(
		    f,
		    "  (each exit's handling and VTL1's decision are serialised, the vCPUs' guest "
		    "code and KVM round trips\n   are not: under 1.00x the calls overlap, over it "
		    "the exit lock's hand-off costs more)\n");
	}
	if (r->runs && r->protect_ranges)
		bench_protect_print_text(f, r);
	if (r->cr_samples)
		bench_cr_print_text(f, r);
}

static void bench_json_stat(FILE *f, const char *key, const struct bench_stat *st)
{
	fprintf(f, "\"%s\":{\"min\":%.3f,\"median\":%.3f,\"max\":%.3f}", key, st->min, st->median,
		st->max);
}

static void bench_json_cr(FILE *f, const char *key, const struct bench_cr_result *c)
{
	fprintf(f,
		",\"%s\":{\"samples\":%u,\"detected\":%u,\"guest_gp\":%u,\"min_ns\":%.0f,"
		"\"median_ns\":%.0f,\"p99_ns\":%.0f,\"max_ns\":%.0f}",
		key, c->samples, c->detected, c->guest_gp, c->min_ns, c->median_ns, c->p99_ns,
		c->max_ns);
}

void bench_print_json(FILE *f, const struct bench_report *r)
{
	fprintf(f, "{\"version\":");
	json_put_str(f, VTLMON_VERSION);
	if (r->runs) {
		fprintf(f, ",\"runs\":%d,\"iterations\":%llu,", r->runs,
			(unsigned long long)r->iterations);
		bench_json_stat(f, "raw_exit_ns", &r->raw_exit_ns);
		fputc(',', f);
		bench_json_stat(f, "null_call_ns", &r->null_call_ns);
		fputc(',', f);
		bench_json_stat(f, "null_call_per_2_exits", &r->call_per_2_exits);
		fprintf(f, ",\"launch_ms\":{");
		bench_json_stat(f, "setup", &r->launch_setup_ms);
		fputc(',', f);
		bench_json_stat(f, "vtl1_boot", &r->launch_vtl1_ms);
		fputc(',', f);
		bench_json_stat(f, "vtl0_start", &r->launch_vtl0_ms);
		fputc(',', f);
		bench_json_stat(f, "total", &r->launch_total_ms);
		fputc(',', f);
		bench_json_stat(f, "big_policy_total", &r->launch_big_policy_ms);
		fputc('}', f);
	}
	if (r->runs && r->smp_cpus) {
		fprintf(f, ",\"smp_calls\":{\"cpus\":%u,", r->smp_cpus);
		bench_json_stat(f, "per_call_ns", &r->smp_call_ns);
		fputc(',', f);
		bench_json_stat(f, "per_single_vcpu_call", &r->smp_call_ratio);
		fputc('}', f);
	}
	if (r->runs && r->protect_ranges) {
		fprintf(f, ",\"protect\":{\"ranges\":%u,\"pairs\":%u", r->protect_ranges,
			r->protect_pairs);
		for (int c = 0; c < BENCH_PROT_CASES; c++) {
			const struct bench_protect_figure *p = &r->protect[c];

			fprintf(f, ",\"%s\":{", bench_prot_cases[c].key);
			bench_json_stat(f, "pair_ns", &p->pair_ns);
			fputc(',', f);
			bench_json_stat(f, "ioctl_ns", &p->ioctl_ns);
			fputc(',', f);
			bench_json_stat(f, "pair_per_ioctls", &p->ratio);
			fputc(',', f);
			bench_json_stat(f, "rest_ns", &p->rest_ns);
			fprintf(f, ",\"ioctls_per_pair\":%.1f}", p->ioctls);
		}
		fputc(',', f);
		bench_json_stat(f, "large_ram_per_small_ram", &r->protect_ram_ratio);
		fputc(',', f);
		bench_json_stat(f, "large_region_per_small_region", &r->protect_region_ratio);
		fputc('}', f);
	}
	if (r->cr_samples) {
		fprintf(f, ",\"cr\":{\"period_us\":%u,\"samples\":%u,\"load_threads\":%u",
			r->cr_period_us, r->cr_samples, r->cr_load);
		bench_json_cr(f, "idle", &r->cr_idle);
		if (r->cr_load)
			bench_json_cr(f, "busy", &r->cr_busy);
		fprintf(f, ",\"windows\":[");
		for (uint32_t i = 0; i < r->cr_idle.nr_windows; i++) {
			const struct bench_cr_window *w = &r->cr_idle.window[i];

			fprintf(f,
				"%s{\"spin\":%u,\"window_ns\":%.0f,\"clears\":%u,\"detected\":%u,"
				"\"expected_fraction\":%.6f}",
				i ? "," : "", w->spin, bench_window_ns(w), w->cycles, w->detected,
				bench_window_expect(r, w));
		}
		fprintf(f, "]}");
	}
	fprintf(f, "}\n");
}

/* The CR-pin figure: latency without and with added load, then transient clears. */
static int bench_cr(struct bench_report *r)
{
	struct bench_cr_opts o = {.period_us = r->cr_period_us, .samples = r->cr_samples};
	int status;

	o.nr_windows = sizeof(bench_cr_windows) / sizeof(bench_cr_windows[0]);
	for (uint32_t i = 0; i < o.nr_windows; i++) {
		o.window[i].spin = bench_cr_windows[i].spin;
		o.window[i].cycles = bench_cr_windows[i].cycles;
	}
	status = bench_cr_run(&o, &r->cr_idle);
	if (status) {
		log_err("CR latency run (idle) failed with status %d", status);
		return status;
	}
	o.nr_windows = 0;
	o.load_threads = r->cr_load;
	if (r->cr_load) {
		status = bench_cr_run(&o, &r->cr_busy);
		if (status) {
			log_err("CR latency run (load) failed with status %d", status);
			return status;
		}
	}
	return 0;
}

/* A decimal option value in [lo, hi]; -1 (logged: "--NAME must be LO..HI NOTE") if not. */
static int bench_opt_u32(const char *name, const char *arg, uint32_t lo, uint32_t hi,
			 const char *note, uint32_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (end == arg || *end || errno || v < (long)lo || v > (long)hi) {
		log_err("--%s must be %u..%u%s", name, lo, hi, note);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

int cli_bench(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"runs", required_argument, NULL, 'r'},
	    {"cr-period", required_argument, NULL, 'p'},
	    {"cr-samples", required_argument, NULL, 's'},
	    {"cr-load", required_argument, NULL, 'l'},
	    {"cr-only", no_argument, NULL, 'c'},
	    {"protect-ranges", required_argument, NULL, 'P'},
	    {"protect-pairs", required_argument, NULL, 'n'},
	    {"smp-cpus", required_argument, NULL, 'S'},
	    {"json", no_argument, NULL, 'j'},
	    {0, 0, 0, 0},
	};
	struct bench_report r = {.runs = BENCH_DEFAULT_RUNS,
				 .cr_period_us = BENCH_CR_DEFAULT_PERIOD_US,
				 .cr_samples = BENCH_CR_DEFAULT_SAMPLES,
				 .cr_load = BENCH_CR_DEFAULT_LOAD,
				 .protect_ranges = BENCH_PROT_DEFAULT_RANGES,
				 .protect_pairs = BENCH_PROT_DEFAULT_PAIRS,
				 .smp_cpus = BENCH_SMP_DEFAULT_CPUS};
	double raw[64], call[64], ratio[64], launch[5][64], l[5], smp[64], smp_ratio[64];
	bool cr_only = false, json = false;
	int c, status;
	uint32_t u;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (bench_opt_u32("runs", optarg, 1, 64, "", &u))
				return VTLMON_EXIT_USAGE;
			r.runs = (int)u;
			break;
		case 'p':
			if (bench_parse_period(optarg, &r.cr_period_us)) {
				log_err("--cr-period must be 100us..10s with its unit (500us, "
					"10ms, 1s)");
				return VTLMON_EXIT_USAGE;
			}
			break;
		case 's':
			if (bench_opt_u32("cr-samples", optarg, 0, BENCH_CR_MAX_SAMPLES,
					  " (0: no CR figure)", &r.cr_samples))
				return VTLMON_EXIT_USAGE;
			break;
		case 'l':
			if (bench_opt_u32("cr-load", optarg, 0, BENCH_CR_MAX_LOAD, " busy threads",
					  &r.cr_load))
				return VTLMON_EXIT_USAGE;
			break;
		case 'P':
			if (bench_opt_u32("protect-ranges", optarg, 0, BPR_MAX_RANGES,
					  " (0: no PROTECT figure)", &r.protect_ranges))
				return VTLMON_EXIT_USAGE;
			break;
		case 'n':
			if (bench_opt_u32("protect-pairs", optarg, 1, BENCH_PROT_MAX_PAIRS, "",
					  &r.protect_pairs))
				return VTLMON_EXIT_USAGE;
			break;
		case 'S':
			if (bench_opt_u32("smp-cpus", optarg, 0, MACHINE_MAX_CPUS,
					  " (0: no SMP figure)", &r.smp_cpus))
				return VTLMON_EXIT_USAGE;
			if (r.smp_cpus == 1)
				r.smp_cpus = 0;
			break;
		case 'c': cr_only = true; break;
		case 'j': json = true; break;
		default: return VTLMON_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_err("bench takes no operands ('%s')", argv[optind]);
		return VTLMON_EXIT_USAGE;
	}
	if (cr_only)
		r.runs = 0;
	for (int i = 0; i < r.runs; i++) {
		status = bench_once(&raw[i], &call[i], &r.iterations, l, r.smp_cpus, &smp[i]);
		if (status) {
			log_err("bench run %d failed with status %d", i + 1, status);
			return status;
		}
		ratio[i] = call[i] / (2 * raw[i]);
		smp_ratio[i] = r.smp_cpus ? smp[i] / call[i] : 0;
		for (int k = 0; k < 5; k++)
			launch[k][i] = l[k];
	}
	r.raw_exit_ns = bench_stat_of(raw, r.runs);
	r.null_call_ns = bench_stat_of(call, r.runs);
	r.call_per_2_exits = bench_stat_of(ratio, r.runs);
	r.launch_setup_ms = bench_stat_of(launch[0], r.runs);
	r.launch_vtl1_ms = bench_stat_of(launch[1], r.runs);
	r.launch_vtl0_ms = bench_stat_of(launch[2], r.runs);
	r.launch_total_ms = bench_stat_of(launch[3], r.runs);
	r.launch_big_policy_ms = bench_stat_of(launch[4], r.runs);
	if (r.smp_cpus) {
		r.smp_call_ns = bench_stat_of(smp, r.runs);
		r.smp_call_ratio = bench_stat_of(smp_ratio, r.runs);
	}
	if (r.runs && r.protect_ranges && (status = bench_protect(&r)))
		return status;
	if (r.cr_samples && (status = bench_cr(&r)))
		return status;
	if (json)
		bench_print_json(stdout, &r);
	else
		bench_print_text(stdout, &r);
	return 0;
}
