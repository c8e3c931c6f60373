/* KVM test harness: runs a guest pair in-process and gives access to its events and memory. */
#include "tests/kvm/harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/cmd/cli.h"

void kvm_require(void)
{
	if (access("/dev/kvm", R_OK | W_OK))
		cr_skip_test("/dev/kvm is not available");
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
	cr_assert_eq(cli_read_file(vtl0, 64 << 20, &r->images[0], &len0), 0, "read %s", vtl0);
	cr_assert_eq(cli_read_file(vtl1, 64 << 20, &r->images[1], &len1), 0, "read %s", vtl1);
	if (o->policy) {
		char pp[512];
		size_t plen;

		if (strchr(o->policy, '/'))
			snprintf(pp, sizeof(pp), "%s", o->policy);
		else
			snprintf(pp, sizeof(pp), "%s/tests/policies/%s.policy", SRC_DIR, o->policy);
		cr_assert_eq(cli_read_file(pp, 64 << 10, &r->policy, &plen), 0, "read %s", pp);
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
	cfg.vtl0_mem = o->mem ? o->mem : 32ULL << 20;
	cfg.vtl1_mem = 8ULL << 20;
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

static void guest_run_load_events(struct guest_run *r)
{
	void *buf;
	size_t len, n = 0;
	char *line, *save;

	if (cli_read_file(r->events_path, 256 << 20, &buf, &len))
		return;
	r->events = buf;
	for (size_t i = 0; i < len; i++)
		n += r->events[i] == '\n';
	r->lines = calloc(n + 1, sizeof(*r->lines));
	for (line = strtok_r(r->events, "\n", &save); line && r->nlines < n + 1;
	     line = strtok_r(NULL, "\n", &save))
		r->lines[r->nlines++] = line;
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
	free(r->lines);
	free(r->events);
	free(r->images[0]);
	free(r->images[1]);
	free(r->policy);
	free(r->module);
	memset(r, 0, sizeof(*r));
}

long ev_find(const struct guest_run *r, size_t from, const char *type, const char *frag1,
	     const char *frag2)
{
	char want[64];

	snprintf(want, sizeof(want), "\"type\":\"%s\"", type);
	for (size_t i = from; i < r->nlines; i++) {
		const char *l = r->lines[i];

		if (strstr(l, want) && (!frag1 || strstr(l, frag1)) && (!frag2 || strstr(l, frag2)))
			return (long)i;
	}
	return -1;
}

size_t ev_count(const struct guest_run *r, const char *type, const char *frag)
{
	size_t n = 0;
	long i = -1;

	while ((i = ev_find(r, (size_t)(i + 1), type, frag, NULL)) >= 0)
		n++;
	return n;
}

void ev_dump(const struct guest_run *r)
{
	for (size_t i = 0; i < r->nlines; i++)
		fprintf(stderr, "  event %zu: %s\n", i, r->lines[i]);
}
