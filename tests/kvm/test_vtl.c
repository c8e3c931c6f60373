/* KVM integration tests: secure launch order, the VTL call path, hostile VTL0, isolation, watchdog.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/exitcodes.h"
#include "tests/kvm/harness.h"
#include "vtl_layout.h"
#include "vtl_ucall.h"

#define UCALL_FAILED "cmd=2"
#define UCALL_DONE   "cmd=1"

static struct guest_run run;

static void run_fini(void)
{
	guest_run_free(&run);
}

TestSuite(vtl, .init = kvm_require, .fini = run_fini, .timeout = KVM_TEST_TIMEOUT_S);

/* A guest test passes when it said DONE, never failed an assertion and exited 0. */
static void expect_guest_passed_opts(const struct guest_run_opts *o)
{
	const char *guest = o->vtl0;
	int status = guest_run(&run, o);

	if (status || ev_count(&run, "ucall", UCALL_FAILED) || !ev_count(&run, "ucall", UCALL_DONE))
		ev_dump(&run);
	cr_assert_eq(status, 0, "%s exited with %d", guest, status);
	cr_assert_eq(ev_count(&run, "ucall", UCALL_FAILED), 0, "%s failed an assertion", guest);
	cr_assert_eq(ev_count(&run, "ucall", UCALL_DONE), 1, "%s did not finish", guest);
}

static void expect_guest_passed(const char *guest)
{
	expect_guest_passed_opts(&(struct guest_run_opts){.vtl0 = guest});
}

Test(vtl, vtl1_boots_before_vtl0_executes)
{
	long b1, b0, first_vtl0, first_call;

	expect_guest_passed("calls");
	b1 = ev_find(&run, 0, "boot", "vtl=1");
	b0 = ev_find(&run, 0, "boot", "vtl=0");
	cr_assert(b1 >= 0 && b0 >= 0, "both boot events present");
	cr_assert_lt(b1, b0, "VTL1 boots first");
	/* VTL1 finished its BOOT entry (its log) before VTL0 was started. */
	cr_assert_lt(ev_find(&run, 0, "log", "vtl=1"), b0);
	/* Nothing from VTL0 before its boot event. */
	first_vtl0 = ev_find(&run, 0, "console", "vtl=0");
	first_call = ev_find(&run, 0, "vtl_call");
	cr_assert(first_vtl0 < 0 || first_vtl0 > b0);
	cr_assert_gt(first_call, b0);
	cr_assert_eq(ev_find(&run, 0, "exit", "status=0"), (long)ev_log(&run)->n - 1,
		     "exit is the last event");
}

Test(vtl, thousand_nop_calls_in_a_row)
{
	expect_guest_passed("calls");
	/* 1000 NOPs plus one ECHO, every one answered by VTL1 with VTL_OK. */
	cr_assert_eq(ev_count(&run, "vtl_call", "call=nop"), 1000);
	cr_assert_eq(ev_count(&run, "vtl_call", "call=echo"), 1);
	cr_assert_eq(ev_count(&run, "vtl_call", "status=0"), 1001);
	cr_assert_eq(run.m.pairs[0].calls, 1001);
}

Test(vtl, hostile_call_blocks_get_error_statuses)
{
	expect_guest_passed("hostile");
	/*
	 * Seven bad GPAs, refused by the monitor before VTL1 is entered; the last
	 * is in read-only text (regression: the answer used to be written there).
	 */
	cr_assert_eq(ev_count(&run, "vtl_call", "status=3"), 7);
	cr_assert_eq(ev_count(&run, "vtl_call", "status=1"), 2);
	cr_assert_eq(ev_count(&run, "vtl_call", "status=2"), 1);
	/* Only the well-formed blocks reached VTL1 (3 of them). */
	cr_assert_eq(run.m.pairs[0].calls, 3);
}

static uint64_t vtl1_text_sum(struct machine *m)
{
	const struct vtl_segment *s = &m->vtl1_img.segments[0];
	const uint8_t *p = guest_ram_ptr(&m->vtl1_ram, gpa(s->gpa), s->size);
	uint64_t sum = 0;

	cr_assert_not_null(p);
	for (uint64_t i = 0; i < s->size; i++)
		sum = sum * 31 + p[i];
	return sum;
}

Test(vtl, vtl0_cannot_reach_vtl1_memory)
{
	const uint64_t pattern = 0x5a5a5a5a5a5a5a5aULL;
	uint64_t before, words;
	const uint64_t *priv;

	cr_assert_eq(guest_run_init(&run, &(struct guest_run_opts){.vtl0 = "isolation"}), 0);
	before = vtl1_text_sum(&run.m);
	cr_assert_eq(guest_run_go(&run), 0);
	cr_assert_eq(ev_count(&run, "ucall", UCALL_FAILED), 0);
	cr_assert_eq(ev_count(&run, "ucall", UCALL_DONE), 1);
	/* Each probe exited to the monitor as an access to unbacked memory. */
	cr_assert_geq(ev_count(&run, "unmapped_access", "gpa^0x1"), 6);
	/* Checked from the host: no byte of VTL1 RAM holds the pattern, and its text is intact. */
	priv = guest_ram_ptr(&run.m.vtl1_ram, gpa(VTL1_PRIV_GPA), run.m.vtl1_ram.size);
	words = run.m.vtl1_ram.size / sizeof(uint64_t);
	for (uint64_t i = 0; i < words; i++)
		cr_assert_neq(priv[i], pattern, "pattern found in VTL1 RAM at offset %#llx",
			      (unsigned long long)(i * 8));
	cr_assert_eq(vtl1_text_sum(&run.m), before);
}

Test(vtl, timeout_stops_a_guest_that_never_exits)
{
	int status = guest_run(&run, &(struct guest_run_opts){.vtl0 = "hang", .timeout_ms = 300});

	cr_assert_eq(status, VTLMON_EXIT_TIMEOUT);
	cr_assert_geq(ev_find(&run, 0, "exit", "reason=timeout"), 0);
}

Test(vtl, guest_exit_code_is_the_status)
{
	cr_assert_eq(guest_run(&run, &(struct guest_run_opts){.vtl0 = "exitcode"}), 7);
	cr_assert_geq(ev_find(&run, 0, "exit", "code=7"), 0);
}

Test(vtl, triple_fault_resets_until_the_policy_limit)
{
	long r1, b1;

	/* The guest faults on every boot: the default policy allows 3 resets, the 4th ends it. */
	cr_assert_eq(guest_run(&run, &(struct guest_run_opts){.vtl0 = "triplefault"}),
		     VTLMON_EXIT_RESET_LIMIT);
	r1 = ev_find(&run, 0, "reset", "trigger=triple_fault", "step=trigger");
	cr_assert_geq(r1, 0);
	/* Each reset relaunches securely: VTL1 boots again before VTL0. */
	b1 = ev_find(&run, (size_t)r1, "boot", "vtl=1");
	cr_assert_gt(b1, ev_find(&run, (size_t)r1, "reset", "step=reload"));
	cr_assert_lt(b1, ev_find(&run, (size_t)b1, "boot", "vtl=0"));
	cr_assert_eq(ev_count(&run, "reset", "step=reload"), 3);
	cr_assert_geq(ev_find(&run, 0, "exit", "reason=reset_limit"), 0);
}

Test(vtl, guest_idt_sees_its_own_exceptions)
{
	expect_guest_passed("exceptions");
}

Test(vtl, vtl0_image_as_vtl1_is_rejected_before_launch)
{
	/* A VTL0-linked image violates VTL1's load window and VA rule: refused, nothing runs. */
	int status = guest_run(&run, &(struct guest_run_opts){
					 .vtl0 = "calls",
					 .vtl1 = GUEST_DIR "/vtl0/tests/calls.elf",
				     });

	cr_assert_eq(status, VTLMON_EXIT_LAUNCH);
}

Test(vtl, more_cpus_than_the_limit_are_refused_clearly)
{
	int status = guest_run(&run, &(struct guest_run_opts){.vtl0 = "calls", .cpus = 9});

	cr_assert_eq(status, VTLMON_EXIT_USAGE);
}

Test(vtl, boot_event_records_the_policy_sha256)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1], want[128];
	const char *text = "vtlmon-policy 1\naction default kill\n";

	cr_assert_eq(
	    guest_run(&run, &(struct guest_run_opts){.vtl0 = "calls", .policy_text = text}), 0);
	crypto_hash_sha256(digest, (const unsigned char *)text, strlen(text));
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	snprintf(want, sizeof(want), "policy_sha256=%s", hex);
	cr_assert_geq(ev_find(&run, 0, "boot", "vtl=1", want), 0, "boot event has %s", want);
}

static const char reset_keep_policy[] = "vtlmon-policy 1\nreset zero-memory no\nreset max 2\n";
static const char reset_zero_policy[] = "vtlmon-policy 1\nreset zero-memory yes\nreset max 2\n";

/* A secret in VTL1's free private RAM, planted from the host as VTL1 would keep one. */
static uint64_t *vtl1_secret(struct machine *m)
{
	uint64_t at = (m->vtl1_img.high_gpa + 0xFFF) & ~0xFFFULL;

	return guest_ram_ptr(&m->vtl1_ram, gpa(at), sizeof(uint64_t));
}

Test(vtl, reset_scrubs_vtl1_and_keeps_vtl0_ram_when_told)
{
	cr_assert_eq(
	    guest_run_init(&run, &(struct guest_run_opts){.vtl0 = "reset_cf9",
							  .policy_text = reset_keep_policy}),
	    0);
	*vtl1_secret(&run.m) = 0x5ec2e75ec2e75ec2ULL;
	cr_assert_eq(guest_run_go(&run), 0, "the second boot found its marker and finished");
	cr_assert_geq(ev_find(&run, 0, "reset", "trigger=port_cf9", "step=keep_vtl0"), 0);
	cr_assert_eq(ev_count(&run, "ucall", "cmd=4"), 2, "checkpoints 1 then 2");
	cr_assert_eq(*vtl1_secret(&run.m), 0, "VTL1 RAM was scrubbed and VTL1 reloaded");
}

Test(vtl, reset_zeroes_vtl0_ram_by_default_and_the_loop_is_bounded)
{
	cr_assert_eq(guest_run(&run, &(struct guest_run_opts){.vtl0 = "reset_cf9",
							      .policy_text = reset_zero_policy}),
		     VTLMON_EXIT_RESET_LIMIT,
		     "the marker never survives, so the guest resets again");
	cr_assert_eq(ev_count(&run, "reset", "step=zero_vtl0"), 2);
	cr_assert_eq(ev_count(&run, "ucall", "cmd=4"), 3, "checkpoint 1 on each of 3 boots");
	cr_assert_eq(ev_count(&run, "boot", "vtl=1"), 3);
}

Test(vtl, running_out_of_memslots_is_a_clear_status_not_a_crash)
{
	long cp;
	uint64_t page;

	/* 24 slots: the boot policy's text/rodata split uses a few, the guest's flips the rest. */
	expect_guest_passed_opts(
	    &(struct guest_run_opts){.vtl0 = "slots_exhaust", .max_memslots = 24});
	cr_assert_geq(ev_count(&run, "vtl_call", "status=5"), 1, "NO_RESOURCES reached VTL0");
	cr_assert_geq(ev_count(&run, "protect", "result=no resources"), 1);
	cp = ev_find(&run, 0, "ucall", "cmd=4", "arg0=0x1");
	cr_assert_geq(cp, 0);
	cr_assert(evlog_u64(ev_at(&run, cp), "arg1", &page), "checkpoint 1 has no arg1");
	/* After the guest freed a slot the refused page could be protected after all. */
	cr_assert_eq(machine_page_perms(&run.m, page) & VTL_PERM_W, 0);
	cr_assert_leq(run.m.perm.nslots, 24);
}
