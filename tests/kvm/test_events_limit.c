/* KVM tests of the event rate limit: a flooding guest leaves a bounded log with counted losses. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/base/events.h"
#include "tests/kvm/harness.h"

#define UCALL_FAILED "cmd=2"
#define UCALL_DONE   "cmd=1"
#define UCALL_CP     "cmd=4"

/* The flood takes a few seconds (each denied store enters VTL1): more than the usual watchdog. */
#define FLOOD_TIMEOUT_MS 40000

static struct guest_run run;

static void run_fini(void)
{
	guest_run_free(&run);
}

TestSuite(events_limit, .init = kvm_require, .fini = run_fini, .timeout = KVM_TEST_TIMEOUT_S);

/* Like cr_assert, but shows the run's events first (a flood's log is short once limited). */
#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond);         \
			if (run.log.n < 5000)                                                      \
				ev_dump(&run);                                                     \
			cr_assert_fail(__VA_ARGS__);                                               \
		}                                                                                  \
	} while (0)

/* What the exit event's "suppressed" object says about one type (0 when not listed). */
static uint64_t suppressed_of(const struct evlog_event *exit_ev, const char *type)
{
	const struct evlog_field *obj = evlog_get(exit_ev, "suppressed");
	char key[64];
	uint64_t v;

	cr_assert(obj && obj->kind == EVLOG_OBJ, "no suppressed totals in %s", exit_ev->raw);
	snprintf(key, sizeof(key), "suppressed.%s", type);
	if (!evlog_get(exit_ev, key))
		return 0;
	cr_assert(evlog_u64(exit_ev, key, &v), "%s is not a count in %s", key, exit_ev->raw);
	return v;
}

/* The counts the guest announces at checkpoint 1 (stores << 32 | lines). */
static void flood_counts(uint64_t *stores, uint64_t *lines)
{
	long i = ev_find(&run, 0, "ucall", UCALL_CP, "arg0=0x1");
	uint64_t v;

	EXPECT(i >= 0, "no checkpoint 1");
	EXPECT(evlog_u64(ev_at(&run, i), "arg1", &v), "checkpoint 1 has no arg1");
	*stores = v >> 32;
	*lines = v & 0xffffffff;
}

/* The guest checked every store itself: it finished, and the run ended with its status 0. */
static const struct evlog_event *expect_flood_passed(int status)
{
	long x;

	EXPECT(ev_count(&run, "ucall", UCALL_FAILED) == 0, "the flood guest failed an assertion");
	EXPECT(ev_count(&run, "ucall", UCALL_DONE) == 1, "the flood guest did not finish");
	EXPECT(status == 0, "exit status %d", status);
	/* The exit event is never suppressed: it is there, last, with the run's status. */
	x = ev_find(&run, 0, "exit", "reason=shutdown", "status=0");
	EXPECT(x >= 0 && (size_t)x == ev_log(&run)->n - 1, "no final exit event");
	return ev_at(&run, x);
}

static uint64_t events_file_size(void)
{
	struct stat st;

	cr_assert_eq(stat(run.events_path, &st), 0);
	return (uint64_t)st.st_size;
}

/*
 * Fixed limits with no refill make the outcome exact: the first 100 events
 * of each type are written, every other one is counted in the exit event.
 */
Test(events_limit, flood_keeps_exactly_the_burst_and_counts_the_rest)
{
	uint64_t stores, lines;
	const struct evlog_event *exit_ev;
	size_t nviol, ncon;
	int status;

	status = guest_run(&run, &(struct guest_run_opts){
				     .vtl0 = "flood",
				     .policy = "enforce-deny",
				     .timeout_ms = FLOOD_TIMEOUT_MS,
				     .ev_burst = 100,
				     .ev_rate = 0,
				 });
	exit_ev = expect_flood_passed(status);
	flood_counts(&stores, &lines);
	nviol = ev_count(&run, "violation");
	ncon = ev_count(&run, "console");
	EXPECT(nviol == 100, "%zu violation events, expected the burst of 100", nviol);
	EXPECT(ncon == 100, "%zu console events, expected the burst of 100", ncon);
	/* Each denied store is one violation: shown or counted, none lost silently. */
	EXPECT(suppressed_of(exit_ev, "violation") == stores - nviol,
	       "suppressed violations %" PRIu64 ", expected %" PRIu64,
	       suppressed_of(exit_ev, "violation"), stores - nviol);
	EXPECT(suppressed_of(exit_ev, "console") == lines - ev_count(&run, "console", "line=flood"),
	       "suppressed console lines do not add up");
	/* The few calls, protects and ucalls of the run stayed under their own limits. */
	EXPECT(suppressed_of(exit_ev, "ucall") == 0 && suppressed_of(exit_ev, "vtl_call") == 0,
	       "an unflooded type lost events");
	EXPECT(events_file_size() < 100 * 1024, "events file is %" PRIu64 " bytes",
	       events_file_size());
}

/*
 * The monitor's own defaults, as `vtlmon run` has them: the burst passes
 * whole, then at most the refill rate over the measured span of the flood.
 * The operator gets the one-line summary on stderr.
 */
Test(events_limit, flood_under_default_limits_is_bounded_and_summarised)
{
	char errpath[] = "/tmp/vtlmon-test-stderr-XXXXXX";
	uint64_t stores, lines, t_first, t_exit, span_s, bound, sup;
	const struct evlog_event *exit_ev;
	/* Every violation is also a stderr line (rate-limited): room for all, then the summary. */
	static char errbuf[1 << 20];
	char want[128];
	int fd, saved, status;
	size_t nviol;
	ssize_t len;
	long first;

	cr_assert_eq(guest_run_init(&run,
				    &(struct guest_run_opts){
					.vtl0 = "flood",
					.policy = "enforce-deny",
					.timeout_ms = FLOOD_TIMEOUT_MS,
					.ev_default_limits = true,
				    }),
		     0);
	cr_assert_eq(run.m.events.burst, EV_DEFAULT_BURST);
	cr_assert_eq(run.m.events.per_s, EV_DEFAULT_RATE);
	/* Capture the monitor's stderr for the run (the summary line goes there). */
	fd = mkstemp(errpath);
	cr_assert_geq(fd, 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	status = guest_run_go(&run);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	len = pread(fd, errbuf, sizeof(errbuf) - 1, 0);
	close(fd);
	unlink(errpath);
	errbuf[len > 0 ? len : 0] = '\0';

	exit_ev = expect_flood_passed(status);
	flood_counts(&stores, &lines);
	nviol = ev_count(&run, "violation");
	sup = suppressed_of(exit_ev, "violation");
	EXPECT(stores > 5 * EV_DEFAULT_BURST, "the flood does not exceed the burst");
	EXPECT(nviol + sup == stores, "%zu shown + %" PRIu64 " suppressed != %" PRIu64 " stores",
	       nviol, sup, stores);
	EXPECT(nviol >= EV_DEFAULT_BURST, "the burst was not passed whole: %zu", nviol);
	/* The bucket starts full at the first violation; after that it earns per_s a second. */
	first = ev_find(&run, 0, "violation");
	EXPECT(evlog_u64(ev_at(&run, first), "t", &t_first), "no t");
	EXPECT(evlog_u64(exit_ev, "t", &t_exit), "no t");
	span_s = (t_exit - t_first) / 1000000000ULL + 1;
	bound = EV_DEFAULT_BURST + EV_DEFAULT_RATE * span_s;
	EXPECT(nviol <= bound, "%zu violation events over %" PRIu64 " s, bound %" PRIu64, nviol,
	       span_s, bound);
	EXPECT(ev_count(&run, "console") <= bound, "console lines not bounded");
	EXPECT(suppressed_of(exit_ev, "console") > 0, "the console flood was not limited");

	snprintf(want, sizeof(want), "vtlmon: events suppressed by rate limit: violation %" PRIu64,
		 sup);
	EXPECT(strstr(errbuf, want) != NULL, "no summary line \"%s\" in stderr: %s", want, errbuf);
	EXPECT(strstr(errbuf, ", console ") != NULL, "summary does not name console: %s", errbuf);
}

/* A run that floods nothing still says so: the totals are an empty object. */
Test(events_limit, quiet_run_reports_empty_totals)
{
	const struct evlog_field *sup;
	long x;

	cr_assert_eq(guest_run(&run, &(struct guest_run_opts){.vtl0 = "exitcode",
							      .ev_default_limits = true}),
		     7);
	x = ev_find(&run, 0, "exit", "code=7");
	EXPECT(x >= 0, "no exit event");
	sup = evlog_get(ev_at(&run, x), "suppressed");
	EXPECT(sup && sup->kind == EVLOG_OBJ && sup->obj.n == 0, "totals not empty: %s",
	       ev_at(&run, x)->raw);
}
