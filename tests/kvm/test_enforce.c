/* KVM tests of enforcement: attack guests against page, MSR and CR protections under policies. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/file.h"
#include "monitor/cmd/cli.h"
#include "monitor/base/exitcodes.h"
#include "monitor/image/inspect.h"
#include "tests/kvm/harness.h"
#include "vtl1_abi.h"
#include "vtl_call.h"
#include "vtl_layout.h"
#include "vtl_status.h"
#include "vtl_ucall.h"

#define UCALL_FAILED "cmd=2"
#define UCALL_DONE   "cmd=1"
#define UCALL_CP     "cmd=4"
#define PROTECT_OK   "result=ok"

#define DEFAULT_POLICY SRC_DIR "/policy/examples/default.policy"

/*
 * protect_many makes 10,064 VTL calls (about 4 s here): more than the usual
 * run watchdog, still well inside Criterion's KVM_TEST_TIMEOUT_S.
 */
#define PROTECT_MANY_TIMEOUT_MS 40000
#define PROTECT_MANY_CALLS	(10000 + 64)
#define PROTECT_MANY_PAGES	64

static struct guest_run run;

static void run_fini(void)
{
	guest_run_free(&run);
}

TestSuite(enforce, .init = kvm_require, .fini = run_fini, .timeout = KVM_TEST_TIMEOUT_S);

/* ---- event helpers ---------------------------------------------------------- */

/* Long runs (protect_many) would flood the log: show the interesting events only. */
static void enf_dump(void)
{
	size_t skipped = 0;

	const struct evlog *l = &run.log;

	for (size_t i = 0; i < l->n; i++) {
		const struct evlog_event *e = &l->ev[i];

		if (l->n > 400 && i + 20 < l->n &&
		    (evlog_matches(e, "vtl_call", NULL, 0) ||
		     evlog_matches(e, "protect", NULL, 0))) {
			skipped++;
			continue;
		}
		evlog_dump(stderr, l, i, i + 1);
	}
	/* And why a malformed log is (evlog_dump shows it after the last event). */
	if (!l->n)
		evlog_dump(stderr, l, 0, 0);
	if (skipped)
		fprintf(stderr, "  (%zu vtl_call/protect events not shown)\n", skipped);
}

/* Like cr_assert, but shows the run's events first: an enforcement failure needs them. */
#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond);         \
			enf_dump();                                                                \
			cr_assert_fail(__VA_ARGS__);                                               \
		}                                                                                  \
	} while (0)

/* A numeric field (events write addresses as "0x..." strings, counts as bare numbers). */
static uint64_t ev_num(const struct evlog_event *e, const char *key)
{
	uint64_t v;

	cr_assert(evlog_get(e, key), "no \"%s\" in %s", key, e->raw);
	cr_assert(evlog_u64(e, key, &v), "\"%s\" is not a number in %s", key, e->raw);
	return v;
}

/* A true/false field with this value (never the string "true"). */
static bool ev_flag(const struct evlog_event *e, const char *key, bool want)
{
	bool v;

	return evlog_bool(e, key, &v) && v == want;
}

/* arg1 of the guest's CHECKPOINT with arg0 == step (the guests report addresses this way). */
static uint64_t checkpoint_arg1(uint64_t step)
{
	char arg0[48];
	long i;

	snprintf(arg0, sizeof(arg0), "arg0=0x%" PRIx64, step);
	i = ev_find(&run, 0, "ucall", UCALL_CP, arg0);
	EXPECT(i >= 0, "guest never reached checkpoint %" PRIu64, step);
	return ev_num(ev_at(&run, i), "arg1");
}

static bool has_checkpoint(uint64_t step)
{
	char arg0[48];

	snprintf(arg0, sizeof(arg0), "arg0=0x%" PRIx64, step);
	return ev_find(&run, 0, "ucall", UCALL_CP, arg0) >= 0;
}

/* Events of `type` from the VTL0 boot on (boot-time protections come before it). */
static size_t count_after_vtl0_boot(const char *type, const char *match)
{
	long b0 = ev_find(&run, 0, "boot", "vtl=0");
	size_t n = 0;

	EXPECT(b0 >= 0, "no VTL0 boot event");
	for (long i = b0; (i = ev_find(&run, (size_t)i + 1, type, match)) >= 0;)
		n++;
	return n;
}

/* The only violation of the run; checks its kind and action. */
static const struct evlog_event *the_violation(const char *kind, const char *action)
{
	long i = ev_find(&run, 0, "violation");

	EXPECT(i >= 0, "no violation event");
	EXPECT(ev_count(&run, "violation") == 1, "%zu violations, expected 1",
	       ev_count(&run, "violation"));
	EXPECT(evlog_is(ev_at(&run, i), "kind", kind), "violation kind is not %s", kind);
	EXPECT(evlog_is(ev_at(&run, i), "action", action), "violation action is not %s", action);
	return ev_at(&run, i);
}

/* ---- run helpers ------------------------------------------------------------- */

static int run_guest(const char *guest, const char *policy, const char *policy_text,
		     uint64_t timeout_ms)
{
	return guest_run(&run, &(struct guest_run_opts){
				   .vtl0 = guest,
				   .policy = policy,
				   .policy_text = policy_text,
				   .timeout_ms = timeout_ms,
			       });
}

/* The guest finished every check: DONE, no failed assertion, exit 0. */
static void expect_passed(const char *guest, const char *policy, const char *policy_text,
			  uint64_t timeout_ms)
{
	int status = run_guest(guest, policy, policy_text, timeout_ms);

	EXPECT(ev_count(&run, "ucall", UCALL_FAILED) == 0, "%s failed an assertion", guest);
	EXPECT(status == 0, "%s exited with %d", guest, status);
	EXPECT(ev_count(&run, "ucall", UCALL_DONE) == 1, "%s did not finish", guest);
}

/* VTL1 killed the guest before it could go on: status 66, nothing after the attack. */
static void expect_killed(const char *guest, const char *policy)
{
	int status = run_guest(guest, policy, NULL, 0);

	EXPECT(status == VTLMON_EXIT_KILLED, "%s exited with %d, not %d (killed)", guest, status,
	       VTLMON_EXIT_KILLED);
	EXPECT(ev_count(&run, "ucall", UCALL_FAILED) == 0, "%s failed an assertion", guest);
	EXPECT(ev_count(&run, "ucall", UCALL_DONE) == 0, "%s finished after a kill", guest);
	EXPECT(ev_find(&run, 0, "exit", "reason=killed") >= 0, "no killed exit");
}

/* ---- 1. read-only page, written ---------------------------------------------- */

Test(enforce, ro_write_is_denied_with_a_precise_page_fault)
{
	const struct evlog_event *v;
	const char *insn;

	expect_passed("ro_write", "enforce-deny", NULL, 0);
	v = the_violation("mem_write", "deny");
	EXPECT(ev_num(v, "gpa") == checkpoint_arg1(1), "violation gpa is not the page");
	EXPECT(ev_num(v, "rip") == checkpoint_arg1(2), "violation rip is not the store");
	insn = evlog_str(v, "insn");
	EXPECT(insn && strstr(insn, "mov"), "insn: %s", insn ? insn : "(none)");
	EXPECT(strstr(insn, "[rax]"), "insn does not name the store's operand: %s", insn);
	EXPECT(ev_flag(v, "precise", true), "a denied write must be precise");
	/* VTL1 applied the protection and its relaxation. */
	EXPECT(count_after_vtl0_boot("protect", PROTECT_OK) == 2, "expected 2 protect events");
}

/* ---- 11. the same guest under a kill policy (vs. deny above) ----------------- */

Test(enforce, ro_write_is_killed_under_a_kill_policy)
{
	const struct evlog_event *v;

	expect_killed("ro_write", "enforce-kill");
	v = the_violation("mem_write", "kill");
	EXPECT(ev_num(v, "gpa") == checkpoint_arg1(1), "violation gpa is not the page");
	EXPECT(!has_checkpoint(2), "the guest ran past the attack");
}

/* ---- 2. no-access page, read -------------------------------------------------- */

Test(enforce, noaccess_read_is_denied_and_never_observed)
{
	const struct evlog_event *v;

	expect_passed("noaccess_read", "enforce-deny", NULL, 0);
	v = the_violation("mem_read", "deny");
	EXPECT(ev_num(v, "gpa") == checkpoint_arg1(1), "violation gpa is not the exact address");
	EXPECT(ev_num(v, "rip") == checkpoint_arg1(2), "violation rip is not the load");
	EXPECT(ev_flag(v, "precise", true), "a denied read must be precise");
}

/* ---- 3. no-access page, executed ---------------------------------------------- */

Test(enforce, noaccess_exec_is_killed_under_the_default_policy)
{
	const struct evlog_event *v;
	uint64_t buf;

	/* default.policy says `action mem-exec kill`. */
	expect_killed("noaccess_exec", DEFAULT_POLICY);
	v = the_violation("mem_exec", "kill");
	buf = checkpoint_arg1(1);
	EXPECT(ev_num(v, "gpa") == buf, "violation gpa is not the buffer");
	EXPECT(ev_num(v, "rip") == buf, "violation rip is not the buffer");
	EXPECT(!has_checkpoint(2), "the guest ran past the attack");
}

Test(enforce, noaccess_exec_is_denied_with_an_instruction_fetch_fault)
{
	const struct evlog_event *v;
	uint64_t buf;

	expect_passed("noaccess_exec", "enforce-deny", NULL, 0);
	v = the_violation("mem_exec", "deny");
	buf = checkpoint_arg1(1);
	EXPECT(ev_num(v, "gpa") == buf, "violation gpa is not the buffer");
	EXPECT(ev_num(v, "rip") == buf, "violation rip is not the buffer");
	/* The guest saw #PF with the I bit (checkpoint 2 carries its error code). */
	EXPECT(checkpoint_arg1(2) & 0x10, "#PF error code without I");
}

/* ---- 4. pinned MSR ------------------------------------------------------------ */

Test(enforce, msr_pin_denies_a_changed_lstar_with_a_precise_gp)
{
	const struct evlog_event *v;

	expect_passed("msr_pin", "enforce-deny", NULL, 0);
	EXPECT(ev_find(&run, 0, "pin", "reg=msr", "index=0xc0000082") >= 0,
	       "no pin event for the MSR");
	/* Rewriting the pinned value and writing CSTAR are not violations: exactly one. */
	v = the_violation("msr", "deny");
	EXPECT(ev_num(v, "rip") == checkpoint_arg1(2), "violation rip is not the WRMSR");
	EXPECT(ev_num(v, "value") == checkpoint_arg1(1), "violation value is not the attempt");
	EXPECT(ev_flag(v, "precise", true), "an MSR denial is synchronous");
}

Test(enforce, msr_pin_is_killed_under_a_kill_policy)
{
	const struct evlog_event *v;

	expect_killed("msr_pin", "enforce-kill");
	v = the_violation("msr", "kill");
	EXPECT(ev_num(v, "value") == checkpoint_arg1(1), "violation value is not the attempt");
	EXPECT(!has_checkpoint(2), "the guest ran past the attack");
}

/* ---- 5. pinned CR4 bit, cleared at an undeclared site --------------------------- */

Test(enforce, cr4_pin_detects_a_cleared_bit_and_kills)
{
	const struct evlog_event *v;

	expect_killed("cr4_pin", "enforce-kill");
	EXPECT(ev_find(&run, 0, "pin", "reg=cr4", "mask=0x400") >= 0,
	       "no pin event for CR4.OSXMMEXCPT");
	v = the_violation("cr", "kill");
	/* Seen only at a later exit: the report must not claim precision. */
	EXPECT(ev_flag(v, "precise", false), "an undeclared CR write cannot be precise");
	EXPECT(has_checkpoint(1), "the guest never pinned the bit");
	EXPECT(!has_checkpoint(3), "the guest ran past the attack");
}

Test(enforce, cr4_pin_detects_a_cleared_bit_and_restores_it_under_deny)
{
	const struct evlog_event *v;

	expect_passed("cr4_pin", "enforce-deny", NULL, 0);
	v = the_violation("cr", "deny");
	EXPECT(ev_flag(v, "precise", false), "an undeclared CR write cannot be precise");
	/* The value VTL0 wrote: its CR4 at the pin (checkpoint 1) without the bit. */
	EXPECT(ev_num(v, "value") == (checkpoint_arg1(1) & ~0x400ULL), "violation value");
	/* The guest read CR4 back with the bit set (its own assertion) and saw one #GP. */
	EXPECT(checkpoint_arg1(3) == 1, "the guest saw %" PRIu64 " #GPs, expected 1",
	       checkpoint_arg1(3));
}

/* ---- 6. pinned CR4 bit, cleared at a declared (breakpointed) site ---------------- */

/* The single `mov cr4, reg` of the cr_site image, found as `vtlmon inspect` finds it. */
static uint64_t cr_site_address(void)
{
	struct inspect_hit hits[16];
	size_t n = 0, found = 0;
	uint64_t site = 0;
	char err[256] = "";
	void *img;
	size_t len;

	cr_assert_eq(file_read_all(GUEST_DIR "/vtl0/tests/cr_site.elf", 64 << 20, &img, &len), 0);
	cr_assert_eq(inspect_image(img, len, hits, 16, &n, err, sizeof(err)), 0, "%s", err);
	free(img);
	cr_assert_leq(n, 16);
	for (size_t i = 0; i < n; i++) {
		if (hits[i].kind == DISASM_KIND_CR4_WRITE && hits[i].aligned) {
			site = hits[i].va;
			found++;
		}
	}
	cr_assert_eq(found, 1, "cr_site.elf has %zu CR4 write sites, expected 1", found);
	return site;
}

Test(enforce, cr_site_denies_a_declared_cr4_write_before_it_happens)
{
	static char policy[512];
	char value[48];
	uint64_t site = cr_site_address();
	const struct evlog_event *v;
	long i;

	snprintf(policy, sizeof(policy),
		 "# cr_site: generated by test_enforce.c with the site from the built image.\n"
		 "vtlmon-policy 1\n"
		 "cr pinnable CR4.OSXMMEXCPT\n"
		 "cr breakpoint 0x%" PRIx64 "\n"
		 "memory text rx locked\n"
		 "memory rodata r\n"
		 "action default deny\n",
		 site);
	expect_passed("cr_site", NULL, policy, 0);
	EXPECT(checkpoint_arg1(1) == site, "the guest's site is not the one inspect found");
	snprintf(value, sizeof(value), "value=0x%" PRIx64, site);
	EXPECT(ev_find(&run, 0, "pin", "reg=cr_site", value) >= 0,
	       "VTL1 never declared the site to the monitor");
	/*
	 * Three attacks, each stopped at the site: all precise, all at the site's
	 * RIP; the third comes after a write that faulted on its own while it was
	 * stepped over (no TF may leak into its #GP frame, and the site re-arms).
	 */
	EXPECT(ev_count(&run, "violation") == 3, "%zu violations, expected 3",
	       ev_count(&run, "violation"));
	for (i = -1; (i = ev_find(&run, (size_t)(i + 1), "violation")) >= 0;) {
		v = ev_at(&run, i);
		EXPECT(evlog_is(v, "kind", "cr"), "violation kind is not cr");
		EXPECT(evlog_is(v, "action", "deny"), "violation action is not deny");
		EXPECT(ev_flag(v, "precise", true), "a breakpointed site must be precise");
		EXPECT(ev_num(v, "rip") == site, "violation rip is not the site");
	}
}

/* ---- 7. malformed PROTECT calls ------------------------------------------------ */

Test(enforce, protect_bad_arguments_get_statuses_and_change_nothing)
{
	const char *protect = "nr=16";

	expect_passed("protect_bad", "enforce-deny", NULL, 0);
	EXPECT(ev_count(&run, "violation") == 0, "a refused PROTECT caused a violation");
	/* 12 bad addresses or sizes, 6 invalid sizes or perms, then 2 good calls. */
	EXPECT(ev_find(&run, 0, "vtl_call", protect) >= 0, "no PROTECT call events");
	EXPECT(ev_count(&run, "vtl_call", "status=3") == 12, "expected 12 BAD_ADDRESS");
	EXPECT(ev_count(&run, "vtl_call", "status=1") == 6, "expected 6 INVALID");
	/* Only the two well-formed calls were applied. */
	EXPECT(count_after_vtl0_boot("protect", PROTECT_OK) == 2, "a refused PROTECT was applied");
}

/* ---- 8. ten thousand flips, checked page by page from the host ------------------- */

enum perm_class { CLASS_NONE, CLASS_RO, CLASS_RW };

/* What a memslot can enforce: unmapped, read-only (X cannot be taken away), writable. */
static enum perm_class perm_class(uint8_t perm)
{
	if (!perm)
		return CLASS_NONE;
	return perm & VTL_PERM_W ? CLASS_RW : CLASS_RO;
}

static const char *class_name(enum perm_class c)
{
	return c == CLASS_NONE ? "none" : c == CLASS_RO ? "ro" : "rw";
}

/* protect_many's final pattern (see the guest), then the policy's text/rodata rules. */
static enum perm_class expected_class(uint64_t gpa, uint64_t region)
{
	static const enum perm_class pattern[4] = {CLASS_NONE, CLASS_RO, CLASS_RW, CLASS_RO};
	const struct elf_image *img = &run.m.vtl0_img;

	if (gpa >= region && gpa < region + PROTECT_MANY_PAGES * VTL_PAGE_SIZE)
		return pattern[(gpa - region) / VTL_PAGE_SIZE % 4];
	for (uint32_t s = 0; s < img->nr_segments; s++) {
		const struct vtl_segment *seg = &img->segments[s];

		if (gpa >= seg->gpa && gpa - seg->gpa < seg->size && !(seg->flags & VTL_SEG_W))
			return CLASS_RO; /* memory text rx, memory rodata r */
	}
	return CLASS_RW;
}

Test(enforce, protect_many_flips_leave_exactly_the_final_pattern, .timeout = KVM_TEST_TIMEOUT_S * 2)
{
	uint64_t region, pages, wrong = 0;

	expect_passed("protect_many", "enforce-deny", NULL, PROTECT_MANY_TIMEOUT_MS);
	region = checkpoint_arg1(1);
	EXPECT(region % VTL_PAGE_SIZE == 0, "region is not page-aligned");
	EXPECT(ev_count(&run, "vtl_call", "nr=16") == PROTECT_MANY_CALLS,
	       "expected %d PROTECT calls", PROTECT_MANY_CALLS);
	EXPECT(ev_count(&run, "violation") == 0, "unexpected violation");

	/* Every page of VTL0 RAM, as the memslots enforce it now. */
	pages = run.m.vtl0_ram.size / VTL_PAGE_SIZE;
	for (uint64_t p = 0; p < pages; p++) {
		uint64_t g = p * VTL_PAGE_SIZE;
		uint8_t got = machine_page_perms(&run.m, g);
		enum perm_class want = expected_class(g, region);

		if (perm_class(got) != want && wrong++ < 16)
			fprintf(stderr, "page %#" PRIx64 ": perms %#x (%s), expected %s\n", g, got,
				class_name(perm_class(got)), class_name(want));
	}
	cr_assert_eq(wrong, 0, "%" PRIu64 " of %" PRIu64 " pages have the wrong protection", wrong,
		     pages);
}

/* ---- 9. no relaxation after END_OF_BOOT ----------------------------------------- */

Test(enforce, relax_after_end_of_boot_is_denied_by_the_default_policy)
{
	const struct evlog_event *v;

	expect_passed("relax_after_eob", DEFAULT_POLICY, NULL, 0);
	EXPECT(ev_count(&run, "vtl_call", "nr=19") >= 1, "no END_OF_BOOT call event");
	/* The locked text before, and four relaxations after. */
	EXPECT(ev_count(&run, "vtl_call", "status=4") == 5, "expected 5 DENIED calls");
	/* The second END_OF_BOOT is BAD_STATE (docs/abi.md). */
	EXPECT(checkpoint_arg1(3) == VTL_E_BAD_STATE, "second END_OF_BOOT status");
	/* The write after the refused relaxation was denied: the page stayed read-only. */
	v = the_violation("mem_write", "deny");
	EXPECT(ev_num(v, "gpa") == checkpoint_arg1(1), "violation gpa is not the page");
}

/* ---- 10. `log` lets the write happen ------------------------------------------- */

Test(enforce, allow_replay_performs_logged_writes)
{
	const uint64_t *page;
	const struct evlog_event *v;
	long i;

	expect_passed("allow_replay", "enforce-log", NULL, 0);
	/* Checked from the host too: the bytes are in VTL0 RAM, not only in the guest's view. */
	page = guest_ram_ptr(&run.m.vtl0_ram, gpa(checkpoint_arg1(1)), VTL_PAGE_SIZE);
	EXPECT(page && page[0] == 0x1122334455667788ULL, "the qword write is not in RAM");
	EXPECT(page && (page[4] >> 8 & 0xff) == 0x99, "the byte write is not in RAM");
	EXPECT(ev_count(&run, "violation") == 2, "%zu violations, expected 2",
	       ev_count(&run, "violation"));
	i = ev_find(&run, 0, "violation");
	v = ev_at(&run, i);
	EXPECT(evlog_is(v, "kind", "mem_write") && evlog_is(v, "action", "log"), "first: %s",
	       v->raw);
	EXPECT(ev_num(v, "gpa") == checkpoint_arg1(1), "first write's gpa");
	EXPECT(ev_num(v, "value") == 0x1122334455667788ULL, "first write's value");
	v = ev_at(&run, ev_find(&run, (size_t)i + 1, "violation"));
	EXPECT(evlog_is(v, "kind", "mem_write") && evlog_is(v, "action", "log"), "second: %s",
	       v->raw);
	EXPECT(ev_num(v, "gpa") == checkpoint_arg1(2), "second write's gpa (a byte at +0x21)");
	EXPECT(ev_num(v, "value") == 0x99, "second write's value");
}
