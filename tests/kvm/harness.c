/* KVM test harness: runs a guest pair in-process and gives access to its events and memory. */
#include "tests/kvm/harness.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/base/file.h"
#include "monitor/base/limits.h"
#include "monitor/cmd/cli.h"
#include "monitor/x86/decoder.h"

pid_t vtlmon_spawn(const char *const *args, const char *out, bool selftest)
{
	char *argv[16];
	size_t n = 0;
	pid_t pid;

	argv[n++] = (char *)VTLMON_BIN;
	for (; *args && n < 15; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);
		int o = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644) : null;

		dup2(o, 1);
		dup2(null, 2);
		if (selftest)
			setenv("VTLMON_SANDBOX_SELFTEST", "1", 1);
		else
			unsetenv("VTLMON_SANDBOX_SELFTEST");
		execv(VTLMON_BIN, argv);
		_exit(127);
	}
	return pid;
}

int child_wait(pid_t pid, int limit_s, const char *what)
{
	for (int i = 0; i < limit_s * 20; i++) {
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_fail("%s did not end within %d s", what, limit_s);
	return -1;
}

char *test_read_file(const char *path)
{
	void *buf;
	size_t len;

	cr_assert_eq(file_read_all(path, 1 << 20, &buf, &len), 0, "cannot read %s", path);
	return buf;
}

void kvm_require(void)
{
	if (access("/dev/kvm", R_OK | W_OK))
		cr_skip_test("/dev/kvm is not available");
	/*
	 * As `vtlmon run` does: instructions are decoded by a decoder process
	 * (it dies with this test's process), not by Capstone in the monitor.
	 */
	cr_assert_eq(decoder_start(), 0, "cannot fork the decoder process");
}

static const char *guest_path(const char *name, char *buf, size_t len)
{
	if (strchr(name, '/'))
		return name;
	snprintf(buf, len, "%s/vtl0/tests/%s.elf", GUEST_DIR, name);
	return buf;
}

int guest_run_init(struct guest_run *r, const struct guest_run_opts *o)
{
	char p0[512];
	const char *vtl0 = guest_path(o->vtl0, p0, sizeof(p0));
	const char *vtl1 = o->vtl1 ? o->vtl1 : GUEST_DIR "/vtl1/vtl1.elf";
	struct machine_config cfg = {0};
	size_t len0, len1;

	memset(r, 0, sizeof(*r));
	snprintf(r->events_path, sizeof(r->events_path), "/tmp/vtlmon-test-%d.jsonl", getpid());
	cr_assert_eq(file_read_all(vtl0, VTLMON_IMAGE_MAX, &r->images[0], &len0), 0, "read %s",
		     vtl0);
	cr_assert_eq(file_read_all(vtl1, VTLMON_IMAGE_MAX, &r->images[1], &len1), 0, "read %s",
		     vtl1);
	if (o->policy) {
		char pp[512];
		size_t plen;

		if (strchr(o->policy, '/'))
			snprintf(pp, sizeof(pp), "%s", o->policy);
		else
			snprintf(pp, sizeof(pp), "%s/tests/policies/%s.policy", SRC_DIR, o->policy);
		cr_assert_eq(file_read_all(pp, 64 << 10, &r->policy, &plen), 0, "read %s", pp);
		cfg.policy = r->policy;
		cfg.policy_len = plen;
		cfg.policy_name = o->policy;
	} else if (o->policy_text) {
		cfg.policy = o->policy_text;
		cfg.policy_len = strlen(o->policy_text);
		cfg.policy_name = "inline";
	}
	if (o->module) {
		/* machine_init keeps a pointer: the copy lives until guest_run_free. */
		r->module = malloc(o->module_len ? o->module_len : 1);
		cr_assert_not_null(r->module);
		memcpy(r->module, o->module, o->module_len);
		cfg.modules[0] = (struct machine_module){
		    .data = r->module, .len = o->module_len, .name = "test-module"};
		cfg.nr_modules = 1;
	}
	cfg.vtl0_image = r->images[0];
	cfg.vtl0_image_len = len0;
	cfg.vtl0_name = o->vtl0;
	cfg.vtl1_image = r->images[1];
	cfg.vtl1_image_len = len1;
	cfg.vtl1_name = vtl1;
	cfg.vtl0_mem = o->mem ? o->mem : VTLMON_DEFAULT_VTL0_MEM;
	cfg.vtl1_mem = VTLMON_DEFAULT_VTL1_MEM;
	cfg.cpus = o->cpus ? o->cpus : 1;
	cfg.max_memslots = o->max_memslots;
	cfg.timeout_ms = o->timeout_ms ? o->timeout_ms : KVM_RUN_TIMEOUT_MS;
	cfg.events_path = r->events_path;
	cfg.quiet = true;
	r->inited = true;
	r->status = machine_init(&r->m, &cfg);
	/* Nothing is emitted before machine_run(): the limits apply to the whole run. */
	if (o->ev_burst)
		events_set_limits(&r->m.events, o->ev_burst, o->ev_rate);
	else if (!o->ev_default_limits)
		events_set_limits(&r->m.events, KVM_TEST_EV_LIMIT, KVM_TEST_EV_LIMIT);
	return r->status;
}

/* No file is no events; a malformed one is reported here and fails the test in ev_log(). */
static void guest_run_load_events(struct guest_run *r)
{
	char why[256];

	if (evlog_load(&r->log, r->events_path, 256 << 20) == 0)
		return;
	evlog_strerror(&r->log, why, sizeof(why));
	fprintf(stderr, "%s: %s\n", r->events_path, why);
}

int guest_run_go(struct guest_run *r)
{
	r->status = machine_run(&r->m);
	guest_run_load_events(r);
	return r->status;
}

int guest_run(struct guest_run *r, const struct guest_run_opts *o)
{
	if (guest_run_init(r, o))
		return r->status;
	return guest_run_go(r);
}

void guest_run_free(struct guest_run *r)
{
	if (r->inited)
		machine_destroy(&r->m);
	unlink(r->events_path);
	evlog_free(&r->log);
	free(r->images[0]);
	free(r->images[1]);
	free(r->policy);
	free(r->module);
	memset(r, 0, sizeof(*r));
}

const struct evlog *ev_log(const struct guest_run *r)
{
	char why[256];

	if (r->log.err) {
		evlog_strerror(&r->log, why, sizeof(why));
		ev_dump(r);
		cr_assert_fail("%s: %s", r->events_path, why);
	}
	return &r->log;
}

const struct evlog_event *ev_at(const struct guest_run *r, long i)
{
	const struct evlog *l = ev_log(r);

	cr_assert(i >= 0 && (size_t)i < l->n, "no event %ld (the run has %zu)", i, l->n);
	return &l->ev[i];
}

void ev_dump(const struct guest_run *r)
{
	evlog_dump(stderr, &r->log, 0, r->log.n);
}
