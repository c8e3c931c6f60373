/* KVM attack catalogue (LKDTM style): every access form against every protection, every pin. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/base/file.h"
#include "monitor/cmd/cli.h"
#include "monitor/base/exitcodes.h"
#include "tests/kvm/harness.h"
#include "vtl_layout.h"
#include "vtl_status.h"

/*
 * Each test runs one form of one catalogue guest in its own VM (the form's
 * name is the guest's module), so that a form that ends the run cannot hide
 * the others. The guests (vtl0/tests/attack_*.c, vtl0/tests/attack_probe.h)
 * load every GPR, RSP, RFLAGS and xmm0 with known values, run the one
 * instruction, and report what the guest saw after the fault: see
 * attack_probe.h for the ucall protocol. This file checks those reports
 * against the events of the same window and the exit status.
 *
 * Policies: tests/policies/enforce-deny.policy for memory (VTL1 answers
 * #PF), tests/policies/attack-pins.policy for pins (#GP; EFER and CR0.WP
 * pinned at launch, LSTAR, STAR, CR4.OSXMMEXCPT pinned by the guest).
 *
 * Outcome classes (what "passes" means):
 *   PRECISE   exactly one violation, "precise":true, rip = the instruction,
 *             gpa = CR2 = the address; the guest sees one #PF (W for
 *             stores) with RIP on the instruction, and every GPR, RSP,
 *             RFLAGS, xmm0 and the protected bytes unchanged.
 *   DENIED    exactly one violation, one #PF, the protected bytes unchanged,
 *             the run goes on; rip on the instruction or right after it (rep
 *             forms: on the rep instruction itself). Not necessarily precise.
 *   WIDE      at least one violation and a VTL1 decision: one #PF, the
 *             protected bytes unchanged; never status 71.
 *   DENIED_R  a load into a GPR that also moves RSI/RSP, writes memory or
 *             straddles: exactly one violation, one #PF, the destination
 *             register old or zero. Not necessarily precise.
 *   MEMDEST   exactly one violation for the instruction, one #PF, and no stale
 *             or secret byte in the destination (memory or xmm0): old
 *             contents or zeros only.
 *   FETCH     exactly one mem_exec violation, precise, rip = the target, gpa
 *             in its page; the guest sees #PF with I, RIP and CR2 on the target.
 *   STRADDLE  one mem_exec violation for an instruction that starts on an
 *             executable page and ends on a no-access one; one #PF with I;
 *             never status 71.
 *   CONTROL   no violation, no fault: the same instruction is fine elsewhere.
 * And for every form: a violation claiming "precise":true must be true —
 * RIP on the instruction and nothing of it done (registers, flags, xmm0,
 * memory on either side; for a fetch: RIP, CR2 and the I bit as the CPU
 * would deliver them) — or the test fails. An imprecise report names the
 * instruction or the one right after it (where VTL0 stopped), nothing else.
 *
 * store (attack_store, a read-only page)     expected
 *   mov_r8 mov_r16 mov_r32 mov_r32_odd mov_r64  PRECISE
 *   mov_r64_r15 mov_r64_last (last qword)       PRECISE
 *   mov_imm8 mov_imm16 mov_imm32 mov_imm64      PRECISE
 *   mov_sib mov_riprel                          PRECISE
 *   mov_fs (FS-prefixed, FS base 0)             DENIED: "64 48 89 18" and its suffix "48 89 18"
 *                                               make the same store, so where the instruction
 *                                               began is ambiguous; it must not claim precise
 *   movnti setcc not_m64 movbe                  PRECISE (movbe: skipped where it #UDs anyway)
 *   add_m32 inc_m16 xchg_m64 xadd_m64           DENIED (also change flags/registers)
 *   cmpxchg_m64 bts_m64                         DENIED
 *   push_r64 push_imm push_m64 call_rel         DENIED (RSP = page + 8: the slot is read-only)
 *   stosb stosq movsb movsq                     DENIED (RDI/RSI advance)
 *   rep_stosb_cross rep_stosq_cross             DENIED, rip = the rep (16 writable bytes first)
 *   rep_movsb_cross stosb_rep_stosb             DENIED, rip = the rep (not the stosb before it)
 *   straddle_m64 straddle_m32                   DENIED (writable -> read-only)
 *   movdqu_st movups_st movaps_st movq_xmm_st   WIDE
 *   movdqu_straddle cmpxchg16b fxsave           WIDE
 *   movdqu_rw movaps_rw fxsave_rw               CONTROL (writable page)
 * load (attack_load, a no-access page)
 *   mov_ld64 mov_ld32 mov_ld8 movzx_ld8         PRECISE (destination register unchanged)
 *   movzx_ld16 movsx_ld32 add_ld imul_ld        PRECISE
 *   cmp_ld cmp_imm_ld test_ld riprel_ld         PRECISE (flags unchanged)
 *   straddle_ld64 xchg_ld lodsq_ld pop_ld       DENIED_R
 *   movsb_ld movsq_ld rep_movsb_ld (32 bytes)   MEMDEST
 *   rep_movsq_ld rep_movsb_cross_ld push_m_ld   MEMDEST
 *   movdqu_ld movups_ld movaps_ld movq_xmm_ld   MEMDEST (and never status 71)
 *   movdqu_straddle_ld fxrstor_ld               MEMDEST (and never status 71)
 * fetch (attack_fetch, a no-access page)
 *   jmp_na call_na ret_na jmp_rel_na            FETCH
 *   fallthrough_na (runs off the end of code)   FETCH
 *   straddle_movabs straddle_jmp                STRADDLE
 * monitor's own accesses (attack_mem_rights)
 *   ucall_strings_na ucall_msg_straddle         no "SECRET" byte in any event
 *   ucall_struct_na                             the ucall is not reported (nor its args)
 *   ucall_ro                                    CONTROL: reported, text and all
 *   call_block_na call_block_ro                 VTL_E_BAD_ADDRESS, block untouched
 *   call_block_rw                               CONTROL: answered
 *   console_outsb_na                            one mem_read violation, no "SECRET" in events
 * pins (attack_pins, tests/policies/attack-pins.policy)
 *   efer_sce lstar_low lstar_high lstar_rcx_hi  #GP on the WRMSR (precise), MSR unchanged
 *   lstar_after_unpin star_cs star_low          same (UNPIN_MSR is refused first)
 *   efer_same cstar_unpinned                    CONTROL: the write lands
 *   pin_fs_base pin_gs_base pin_kernel_gs_base  PIN_MSR refused (NOT_SUPPORTED or DENIED)
 *   pin_tsc pin_x2apic_tpr                      PIN_MSR refused
 *   (a policy naming FS/GS/KERNEL_GS_BASE, TSC or an x2APIC MSR is refused at launch,
 *    and by `vtlmon policy check` with FILE:LINE:COL)
 *   cr0_wp_{ucall,pio,mmio_read,wrmsr,spin}     one cr violation (not precise) at that exit;
 *   cr4_ucall                                   the guest sees one #GP, the bit is back
 *   cr0_wp_cf9 cr4_cf9 cr0_wp_triple            the cr violation comes before the reset
 * kexec (attack_kexec starts attack_kexec_new, measured by digest)
 *   kexec_cr_clear_before_exec                  CR0.WP and CR4.OSXMMEXCPT cleared right before
 *                                               KEXEC_EXEC under `action cr deny`: the new
 *                                               kernel reads exactly the documented entry
 *                                               state (docs/abi.md) and runs to its end
 *   kexec_control                               CONTROL: the same kexec, pins intact
 */

static struct guest_run run;

static void att_fini(void)
{
	guest_run_free(&run);
}

TestSuite(attacks, .init = kvm_require, .fini = att_fini, .timeout = KVM_TEST_TIMEOUT_S);

/* ---- the guests' protocol (vtl0/tests/attack_probe.h) ---------------------------- */

#define AP_TAG	    0xA77A000000000000ULL
#define AP_BEGIN    (AP_TAG | 1)
#define AP_RESULT   2
#define AP_WANT_RIP (AP_TAG | 3) /* attack_fetch: the instruction that cannot be fetched */
#define AP_CR_VALUE (AP_TAG | 4) /* attack_pins: the CR value the form writes */
#define AP_LIFE2    (AP_TAG | 5) /* attack_pins: the second life after a reset */

#define OBS_RIP_EXACT (1ULL << 0)
#define OBS_RIP_PAST  (1ULL << 1)
#define OBS_CR2	      (1ULL << 2)
#define OBS_ERR_W     (1ULL << 3)
#define OBS_ERR_I     (1ULL << 4)
#define OBS_GPRS      (1ULL << 5)
#define OBS_RSP	      (1ULL << 6)
#define OBS_FLAGS     (1ULL << 7)
#define OBS_XMM	      (1ULL << 8)
#define OBS_PROT      (1ULL << 9)
#define OBS_SIDE      (1ULL << 10)
#define OBS_NO_STALE  (1ULL << 11)
#define OBS_KEPT      (1ULL << 12)
#define OBS_DONE      (1ULL << 13)
#define OBS_NO_CPU    (1ULL << 14)

static const char *const obs_names[] = {
    "fault RIP on the instruction",
    "fault RIP past the instruction",
    "CR2 is the address",
    "#PF error W",
    "#PF error I",
    "GPRs unchanged",
    "RSP unchanged",
    "flags unchanged",
    "xmm0 unchanged",
    "protected bytes unchanged",
    "writable side/destination unchanged",
    "no stale data",
    "register kept / block untouched",
    "completed without a fault",
    "not run: the guest cannot execute it at all",
};

#define VECTOR_GP 13
#define VECTOR_PF 14

#define UCALL_FAILED "cmd=2"

/* ---- events ------------------------------------------------------------------ */

/* A number of an event ("key":1 or "key":"0x1"); ~0 when absent or not a number. */
static uint64_t att_u64(const struct evlog_event *e, const char *key)
{
	uint64_t v;

	return evlog_u64(e, key, &v) ? v : ~0ULL;
}

/* A true/false field with this value (never the string "true"). */
static bool att_flag(const struct evlog_event *e, const char *key, bool want)
{
	bool v;

	return evlog_bool(e, key, &v) && v == want;
}

static bool att_type(const struct evlog_event *e, const char *type)
{
	return evlog_is(e, "type", type);
}

/* First checkpoint at or after `from` with this arg0 (and msg, when given); -1 if none. */
static long att_checkpoint(size_t from, uint64_t arg0, const char *msg)
{
	const struct evlog *l = ev_log(&run);

	for (size_t i = from; i < l->n; i++) {
		const struct evlog_event *e = &l->ev[i];

		if (att_type(e, "ucall") && att_u64(e, "cmd") == 4 && att_u64(e, "arg0") == arg0 &&
		    (!msg || evlog_is(e, "msg", msg)))
			return (long)i;
	}
	return -1;
}

/* ---- one form's report ---------------------------------------------------------- */

struct att_report {
	const char *name;
	int status;
	long begin, result; /* event indices; the form's window lies between */
	uint64_t site;	    /* the attacked instruction */
	uint64_t end;	    /* right after it */
	uint64_t want;	    /* the address the fault should name */
	uint64_t obs;	    /* OBS_* */
	uint64_t vector, faults, strays, value;
	/* The window's violations. */
	size_t nviol;
	const struct evlog_event *viol[64];
};

/* Every problem found, so that a failing form names all of them at once. */
struct verdict {
	char text[8192];
	size_t len;
	unsigned int n;
};

__attribute__((format(printf, 2, 3))) static void bad(struct verdict *v, const char *fmt, ...)
{
	va_list ap;
	int k;

	v->n++;
	if (v->len + 8 >= sizeof(v->text))
		return;
	k = snprintf(v->text + v->len, sizeof(v->text) - v->len, "  - ");
	v->len += (size_t)k;
	va_start(ap, fmt);
	k = vsnprintf(v->text + v->len, sizeof(v->text) - v->len, fmt, ap);
	va_end(ap);
	if (k > 0)
		v->len +=
		    (size_t)k < sizeof(v->text) - v->len ? (size_t)k : sizeof(v->text) - v->len - 1;
	if (v->len + 1 < sizeof(v->text)) {
		v->text[v->len++] = '\n';
		v->text[v->len] = '\0';
	}
}

static void att_dump(const struct att_report *r)
{
	size_t from = r->begin >= 0 ? (size_t)r->begin : 0;
	size_t to = r->result >= 0 ? (size_t)r->result + 2 : run.log.n;

	/* From the form's start to its report (and details), or to the end of a run cut short. */
	fprintf(stderr, "%s: exit status %d; events of the form:\n", r->name, r->status);
	evlog_dump(stderr, &run.log, from, to);
	if (r->result >= 0) {
		fprintf(stderr,
			"  guest: %" PRIu64 " fault(s), vector %" PRIu64 ", %" PRIu64
			" stray(s); saw:",
			r->faults, r->vector, r->strays);
		for (unsigned int b = 0; b < sizeof(obs_names) / sizeof(obs_names[0]); b++)
			if (r->obs & 1ULL << b)
				fprintf(stderr, " [%s]", obs_names[b]);
		fprintf(stderr, "\n");
	}
}

static void att_finish(const struct att_report *r, const struct verdict *v)
{
	if (!v->n)
		return;
	att_dump(r);
	cr_assert_fail("%s: %u problem(s):\n%s", r->name, v->n, v->text);
}

/* Runs `form` of `guest` alone and collects its report. */
static void att_run(struct att_report *r, const char *guest, const char *policy,
		    const char *policy_text, const char *form)
{
	memset(r, 0, sizeof(*r));
	r->name = form;
	r->begin = r->result = -1;
	r->status = guest_run(&run, &(struct guest_run_opts){
					.vtl0 = guest,
					.policy = policy,
					.policy_text = policy_text,
					.module = form,
					.module_len = strlen(form) + 1,
				    });
	r->begin = att_checkpoint(0, AP_BEGIN, form);
	if (r->begin < 0)
		return;
	r->site = att_u64(ev_at(&run, r->begin), "arg1") & ((1ULL << 56) - 1);
	r->end = r->site + (att_u64(ev_at(&run, r->begin), "arg1") >> 56);
	for (size_t i = (size_t)r->begin + 1; i < ev_log(&run)->n; i++) {
		const struct evlog_event *l = ev_at(&run, (long)i);
		uint64_t a0;

		if (att_type(l, "violation") && r->nviol < sizeof(r->viol) / sizeof(r->viol[0]))
			r->viol[r->nviol++] = l;
		if (!att_type(l, "ucall") || att_u64(l, "cmd") != 4 || !evlog_is(l, "msg", form))
			continue;
		a0 = att_u64(l, "arg0");
		if ((a0 & 0xffff000000000000ULL) != AP_TAG || (a0 & 0xff) != AP_RESULT)
			continue;
		r->result = (long)i;
		r->vector = a0 >> 8 & 0xff;
		r->faults = a0 >> 16 & 0xff;
		r->strays = a0 >> 24 & 0xff;
		r->value = a0 >> 32 & 0xffff;
		r->obs = att_u64(l, "arg1") & 0xffff;
		r->want = att_u64(l, "arg1") >> 16;
		break;
	}
}

/* The run itself: it ended as the guest chose, and the form reported. */
static bool att_ran(const struct att_report *r, struct verdict *v)
{
	if (r->status == VTLMON_EXIT_VTL0_FAULT)
		bad(v, "the run ended with status 71 (VTL0 internal error): no VTL1 decision");
	else if (r->status)
		bad(v, "the run ended with status %d, not 0", r->status);
	if (ev_count(&run, "ucall", UCALL_FAILED))
		bad(v, "the guest failed an assertion (ucall cmd 2)");
	if (r->begin < 0)
		bad(v, "the guest never started the form");
	else if (r->result < 0)
		bad(v, "the guest never reported the form's result");
	return r->result >= 0;
}

/* "a, b" for the OBS_* bits in mask (a static buffer). */
static const char *att_obs_list(uint64_t mask)
{
	static char buf[512];
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int b = 0; b < sizeof(obs_names) / sizeof(obs_names[0]); b++)
		if (mask & 1ULL << b && len + 2 < sizeof(buf))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
						len ? ", " : "", obs_names[b]);
	return buf;
}

static void att_want_obs(const struct att_report *r, struct verdict *v, uint64_t want)
{
	for (unsigned int b = 0; b < sizeof(obs_names) / sizeof(obs_names[0]); b++)
		if (want & 1ULL << b && !(r->obs & 1ULL << b))
			bad(v, "the guest did not see: %s", obs_names[b]);
}

/* Exactly one exception reached the guest, of this vector, and nothing after it. */
static void att_one_fault(const struct att_report *r, struct verdict *v, uint64_t vector)
{
	if (r->faults != 1 || r->vector != vector)
		bad(v,
		    "the guest took %" PRIu64 " exception(s) (last vector %" PRIu64
		    "), expected exactly one, vector %" PRIu64,
		    r->faults, r->vector, vector);
	if (r->strays)
		bad(v, "%" PRIu64 " more exception(s) reached the guest after the instruction",
		    r->strays);
}

/* ---- memory forms ---------------------------------------------------------------- */

enum att_class {
	AC_PRECISE_W,
	AC_DENIED_W,
	AC_WIDE_W,
	AC_CONTROL,
	AC_PRECISE_R,
	AC_DENIED_R,
	AC_MEMDEST_R,
	AC_FETCH,
	AC_STRADDLE_X,
};

#define AF_REP 1U /* a rep instruction: the event names it, never the byte before */

/* What "nothing of the instruction took effect" means for the class. */
static uint64_t att_effect_free(enum att_class c)
{
	switch (c) {
	/* A fetch fault is precise when delivered as the CPU would: RIP, CR2 and I right. */
	case AC_FETCH:
	case AC_STRADDLE_X: return OBS_RIP_EXACT | OBS_CR2 | OBS_ERR_I;
	case AC_PRECISE_R:
	case AC_MEMDEST_R:
		return OBS_RIP_EXACT | OBS_GPRS | OBS_RSP | OBS_FLAGS | OBS_XMM | OBS_SIDE;
	default:
		return OBS_RIP_EXACT | OBS_GPRS | OBS_RSP | OBS_FLAGS | OBS_XMM | OBS_PROT |
		       OBS_SIDE;
	}
}

static const char *att_kind(enum att_class c)
{
	switch (c) {
	case AC_PRECISE_R:
	case AC_DENIED_R:
	case AC_MEMDEST_R: return "mem_read";
	case AC_FETCH:
	case AC_STRADDLE_X: return "mem_exec";
	default: return "mem_write";
	}
}

static void att_mem(const char *guest, const char *form, enum att_class c, unsigned int flags)
{
	const char *kind = att_kind(c);
	struct verdict v = {.len = 0};
	struct att_report r;
	uint64_t want_rip, free_mask = att_effect_free(c);
	size_t n;

	att_run(&r, guest, "enforce-deny", NULL, form);
	if (!att_ran(&r, &v)) {
		att_finish(&r, &v);
		return;
	}
	if (r.obs & OBS_NO_CPU) {
		att_finish(&r, &v);
		cr_skip_test("%s: this guest cannot execute the instruction at all (#UD)", form);
	}
	n = r.nviol;
	want_rip = r.site;
	if (c == AC_FETCH || c == AC_STRADDLE_X) {
		long i = att_checkpoint((size_t)r.result, AP_WANT_RIP, NULL);

		want_rip = i >= 0 ? att_u64(ev_at(&run, i), "arg1") : 0;
	}

	if (c == AC_CONTROL) {
		if (n)
			bad(&v, "%zu violation(s) for an allowed access", n);
		if (r.faults || r.strays)
			bad(&v, "the guest took %" PRIu64 " exception(s) (vector %" PRIu64 ")",
			    r.faults + r.strays, r.vector);
		att_finish(&r, &v);
		return;
	}

	/* Every class: VTL1 decided (deny), and the guest saw that decision once. */
	if (c == AC_WIDE_W ? n < 1 : n != 1)
		bad(&v, "%zu violation event(s), expected %s", n,
		    c == AC_WIDE_W ? "at least 1" : "1");
	att_one_fault(&r, &v, VECTOR_PF);
	for (size_t i = 0; i < n; i++) {
		const struct evlog_event *l = r.viol[i];
		uint64_t rip = att_u64(l, "rip"), gpa = att_u64(l, "gpa");

		if (!evlog_is(l, "kind", kind))
			bad(&v, "violation %zu: kind is not %s", i, kind);
		if (!evlog_is(l, "action", "deny"))
			bad(&v, "violation %zu: action is not deny", i);
		/* "precise" means precise: RIP on the instruction and nothing of it done. */
		if (att_flag(l, "precise", true)) {
			if ((r.obs & free_mask) != free_mask)
				bad(&v,
				    "violation %zu claims \"precise\":true; the guest saw "
				    "otherwise (not: %s)",
				    i, att_obs_list(free_mask & ~r.obs));
			if (rip != want_rip)
				bad(&v,
				    "violation %zu claims \"precise\":true with rip %#" PRIx64
				    ", the instruction is at %#" PRIx64,
				    i, rip, want_rip);
		}
		/* A fetch may name the page rather than the byte: the page must be right. */
		if (i == 0 && (c == AC_FETCH || c == AC_STRADDLE_X) && gpa >> 12 != r.want >> 12)
			bad(&v, "violation gpa %#" PRIx64 " is not in the page of %#" PRIx64, gpa,
			    r.want);
		if (i == 0 && c != AC_WIDE_W && c != AC_FETCH && c != AC_STRADDLE_X &&
		    gpa != r.want)
			bad(&v, "violation gpa %#" PRIx64 ", expected %#" PRIx64, gpa, r.want);
		if (i == 0 && c == AC_WIDE_W && (gpa < r.want || gpa >= r.want + 512))
			bad(&v, "violation gpa %#" PRIx64 " is not within the access at %#" PRIx64,
			    gpa, r.want);
		if (flags & AF_REP && rip != r.site)
			bad(&v,
			    "violation %zu: rip %#" PRIx64
			    " is not the rep instruction at %#" PRIx64,
			    i, rip, r.site);
		/* Imprecise may mean past the instruction, never inside it or elsewhere. */
		if (c != AC_FETCH && c != AC_STRADDLE_X && rip != r.site && rip != r.end)
			bad(&v,
			    "violation %zu: rip %#" PRIx64 " is neither the instruction (%#" PRIx64
			    ") nor right after it (%#" PRIx64 ")",
			    i, rip, r.site, r.end);
		if (c == AC_STRADDLE_X && rip != want_rip)
			bad(&v,
			    "violation %zu: rip %#" PRIx64 ", the instruction starts at %#" PRIx64,
			    i, rip, want_rip);
	}

	switch (c) {
	case AC_PRECISE_W:
		if (n && !att_flag(r.viol[0], "precise", true))
			bad(&v, "a simple store's denial must be \"precise\":true");
		if (n && att_u64(r.viol[0], "rip") != r.site)
			bad(&v, "violation rip is not the store");
		att_want_obs(&r, &v, free_mask | OBS_CR2 | OBS_ERR_W);
		break;
	case AC_DENIED_W:
	case AC_WIDE_W: att_want_obs(&r, &v, OBS_PROT); break;
	case AC_PRECISE_R:
		if (n && !att_flag(r.viol[0], "precise", true))
			bad(&v, "a load into a GPR must be denied \"precise\":true");
		if (n && att_u64(r.viol[0], "rip") != r.site)
			bad(&v, "violation rip is not the load");
		att_want_obs(&r, &v, free_mask | OBS_CR2 | OBS_NO_STALE);
		if (r.obs & OBS_ERR_W)
			bad(&v, "#PF error code says write for a read");
		break;
	case AC_DENIED_R:
	case AC_MEMDEST_R: att_want_obs(&r, &v, OBS_NO_STALE); break;
	case AC_FETCH:
		if (n && !att_flag(r.viol[0], "precise", true))
			bad(&v, "a fetch at a jump target must be denied \"precise\":true");
		if (n && att_u64(r.viol[0], "rip") != want_rip)
			bad(&v, "violation rip is not the target %#" PRIx64, want_rip);
		att_want_obs(&r, &v, OBS_RIP_EXACT | OBS_CR2 | OBS_ERR_I);
		break;
	case AC_STRADDLE_X: att_want_obs(&r, &v, OBS_ERR_I); break;
	default: break;
	}
	att_finish(&r, &v);
}

#define STORE(form, cls, flags)                                                                    \
	Test(attacks, store_##form)                                                                \
	{                                                                                          \
		att_mem("attack_store", #form, cls, flags);                                        \
	}
#define LOAD(form, cls, flags)                                                                     \
	Test(attacks, load_##form)                                                                 \
	{                                                                                          \
		att_mem("attack_load", #form, cls, flags);                                         \
	}
#define FETCH(form, cls)                                                                           \
	Test(attacks, fetch_##form)                                                                \
	{                                                                                          \
		att_mem("attack_fetch", #form, cls, 0);                                            \
	}

/* ---- stores to a read-only page ---- */

STORE(mov_r8, AC_PRECISE_W, 0)
STORE(mov_r16, AC_PRECISE_W, 0)
STORE(mov_r32, AC_PRECISE_W, 0)
STORE(mov_r32_odd, AC_PRECISE_W, 0)
STORE(mov_r64, AC_PRECISE_W, 0)
STORE(mov_r64_r15, AC_PRECISE_W, 0)
STORE(mov_r64_last, AC_PRECISE_W, 0)
STORE(mov_imm8, AC_PRECISE_W, 0)
STORE(mov_imm16, AC_PRECISE_W, 0)
STORE(mov_imm32, AC_PRECISE_W, 0)
STORE(mov_imm64, AC_PRECISE_W, 0)
STORE(mov_sib, AC_PRECISE_W, 0)
STORE(mov_riprel, AC_PRECISE_W, 0)
/* Ambiguous start (the prefix-less suffix stores the same bytes): denied, never "precise". */
STORE(mov_fs, AC_DENIED_W, 0)
STORE(movnti, AC_PRECISE_W, 0)
STORE(setcc, AC_PRECISE_W, 0)
STORE(not_m64, AC_PRECISE_W, 0)

/* MOVBE raises #UD where CPUID or the host's emulator lacks it: nothing to deny then. */
STORE(movbe, AC_PRECISE_W, 0)

STORE(add_m32, AC_DENIED_W, 0)
STORE(inc_m16, AC_DENIED_W, 0)
STORE(xchg_m64, AC_DENIED_W, 0)
STORE(xadd_m64, AC_DENIED_W, 0)
STORE(cmpxchg_m64, AC_DENIED_W, 0)
STORE(bts_m64, AC_DENIED_W, 0)
STORE(push_r64, AC_DENIED_W, 0)
STORE(push_imm, AC_DENIED_W, 0)
STORE(push_m64, AC_DENIED_W, 0)
STORE(call_rel, AC_DENIED_W, 0)
STORE(stosb, AC_DENIED_W, 0)
STORE(stosq, AC_DENIED_W, 0)
STORE(movsb, AC_DENIED_W, 0)
STORE(movsq, AC_DENIED_W, 0)
STORE(rep_stosb_cross, AC_DENIED_W, AF_REP)
STORE(rep_stosq_cross, AC_DENIED_W, AF_REP)
STORE(rep_movsb_cross, AC_DENIED_W, AF_REP)
STORE(stosb_rep_stosb, AC_DENIED_W, AF_REP)
STORE(straddle_m64, AC_DENIED_W, 0)
STORE(straddle_m32, AC_DENIED_W, 0)

STORE(movdqu_st, AC_WIDE_W, 0)
STORE(movups_st, AC_WIDE_W, 0)
STORE(movaps_st, AC_WIDE_W, 0)
STORE(movq_xmm_st, AC_WIDE_W, 0)
STORE(movdqu_straddle, AC_WIDE_W, 0)
STORE(cmpxchg16b, AC_WIDE_W, 0)
STORE(fxsave, AC_WIDE_W, 0)

STORE(movdqu_rw, AC_CONTROL, 0)
STORE(movaps_rw, AC_CONTROL, 0)
STORE(fxsave_rw, AC_CONTROL, 0)

/* ---- loads from a no-access page ---- */

LOAD(mov_ld64, AC_PRECISE_R, 0)
LOAD(mov_ld32, AC_PRECISE_R, 0)
LOAD(mov_ld8, AC_PRECISE_R, 0)
LOAD(movzx_ld8, AC_PRECISE_R, 0)
LOAD(movzx_ld16, AC_PRECISE_R, 0)
LOAD(movsx_ld32, AC_PRECISE_R, 0)
LOAD(add_ld, AC_PRECISE_R, 0)
LOAD(imul_ld, AC_PRECISE_R, 0)
LOAD(cmp_ld, AC_PRECISE_R, 0)
LOAD(cmp_imm_ld, AC_PRECISE_R, 0)
LOAD(test_ld, AC_PRECISE_R, 0)
LOAD(riprel_ld, AC_PRECISE_R, 0)
LOAD(straddle_ld64, AC_DENIED_R, 0)
LOAD(xchg_ld, AC_DENIED_R, 0)
LOAD(lodsq_ld, AC_DENIED_R, 0)
LOAD(pop_ld, AC_DENIED_R, 0)

LOAD(movsb_ld, AC_MEMDEST_R, 0)
LOAD(movsq_ld, AC_MEMDEST_R, 0)
LOAD(rep_movsb_ld, AC_MEMDEST_R, AF_REP)
LOAD(rep_movsq_ld, AC_MEMDEST_R, AF_REP)
LOAD(rep_movsb_cross_ld, AC_MEMDEST_R, AF_REP)
LOAD(push_m_ld, AC_MEMDEST_R, 0)
LOAD(movdqu_ld, AC_MEMDEST_R, 0)
LOAD(movups_ld, AC_MEMDEST_R, 0)
LOAD(movaps_ld, AC_MEMDEST_R, 0)
LOAD(movq_xmm_ld, AC_MEMDEST_R, 0)
LOAD(movdqu_straddle_ld, AC_MEMDEST_R, 0)
LOAD(fxrstor_ld, AC_MEMDEST_R, 0)

/* ---- fetches from a no-access page ---- */

FETCH(jmp_na, AC_FETCH)
FETCH(call_na, AC_FETCH)
FETCH(ret_na, AC_FETCH)
FETCH(jmp_rel_na, AC_FETCH)
FETCH(fallthrough_na, AC_FETCH)
FETCH(straddle_movabs, AC_STRADDLE_X)
FETCH(straddle_jmp, AC_STRADDLE_X)

/* ---- the monitor's own accesses to VTL0 memory ------------------------------------ */

/*
 * No event may carry a byte of the no-access page (its strings all contain
 * "SECRET"): searched in each line as written, whatever field it would be in.
 */
static void att_no_secret(struct verdict *v)
{
	const struct evlog *l = ev_log(&run);

	for (size_t i = 0; i < l->n; i++)
		if (strstr(l->ev[i].raw, "SECRET"))
			bad(v, "event %zu carries text from a no-access page: %s", i, l->ev[i].raw);
}

static void att_rights(const char *form, struct att_report *r, struct verdict *v)
{
	att_run(r, "attack_mem_rights", "enforce-deny", NULL, form);
	att_ran(r, v);
	att_no_secret(v);
}

Test(attacks, rights_ucall_strings_na)
{
	struct verdict v = {.len = 0};
	struct att_report r;

	att_rights("ucall_strings_na", &r, &v);
	att_finish(&r, &v);
}

Test(attacks, rights_ucall_msg_straddle)
{
	struct verdict v = {.len = 0};
	struct att_report r;

	att_rights("ucall_msg_straddle", &r, &v);
	att_finish(&r, &v);
}

Test(attacks, rights_ucall_struct_na)
{
	struct verdict v = {.len = 0};
	struct att_report r;

	att_rights("ucall_struct_na", &r, &v);
	if (att_checkpoint(0, AP_TAG | 0xF003, NULL) >= 0)
		bad(&v, "the monitor reported a ucall block that sits in a no-access page");
	att_finish(&r, &v);
}

/* Control: the monitor may read what VTL0 may read. */
Test(attacks, rights_ucall_ro)
{
	struct verdict v = {.len = 0};
	struct att_report r;
	size_t found = 0;

	att_rights("ucall_ro", &r, &v);
	for (size_t i = 0; i < ev_log(&run)->n; i++) {
		const struct evlog_event *e = ev_at(&run, (long)i);

		found += att_type(e, "ucall") && evlog_is(e, "msg", "ATTACK-PUBLIC-RO") &&
			 att_u64(e, "arg0") == (AP_TAG | 0xF007);
	}
	if (found != 1)
		bad(&v, "a ucall in a read-only page was reported %zu time(s), expected once",
		    found);
	att_finish(&r, &v);
}

static void att_call_block(const char *form, uint32_t want)
{
	struct verdict v = {.len = 0};
	struct att_report r;

	att_rights(form, &r, &v);
	if (r.result >= 0 && r.value != want)
		bad(&v, "CALL_STATUS %" PRIu64 " (%s), expected %u (%s)", r.value,
		    vtl_strerror((uint32_t)r.value), want, vtl_strerror(want));
	if (r.result >= 0 && !(r.obs & OBS_KEPT))
		bad(&v, want == VTL_OK ? "the call block was not answered"
				       : "the monitor wrote into a call block VTL0 cannot write");
	att_finish(&r, &v);
}

Test(attacks, rights_call_block_na)
{
	att_call_block("call_block_na", VTL_E_BAD_ADDRESS);
}

Test(attacks, rights_call_block_ro)
{
	att_call_block("call_block_ro", VTL_E_BAD_ADDRESS);
}

Test(attacks, rights_call_block_rw)
{
	att_call_block("call_block_rw", VTL_OK);
}

Test(attacks, rights_console_outsb_na)
{
	struct verdict v = {.len = 0};
	struct att_report r;

	att_rights("console_outsb_na", &r, &v);
	if (r.result >= 0) {
		if (r.nviol != 1 || !evlog_is(r.viol[0], "kind", "mem_read"))
			bad(&v, "%zu violation(s), expected one mem_read", r.nviol);
		att_one_fault(&r, &v, VECTOR_PF);
	}
	att_finish(&r, &v);
}

/* ---- pins --------------------------------------------------------------------- */

#define PINS_POLICY "attack-pins"

/* A pinned MSR written with another value: a precise #GP, the MSR unchanged. */
static void att_msr(const char *form, bool control, bool unpin)
{
	struct verdict v = {.len = 0};
	struct att_report r;

	att_run(&r, "attack_pins", PINS_POLICY, NULL, form);
	if (!att_ran(&r, &v)) {
		att_finish(&r, &v);
		return;
	}
	if (control) {
		if (r.nviol || r.faults || r.strays)
			bad(&v, "%zu violation(s), %" PRIu64 " exception(s) for an allowed write",
			    r.nviol, r.faults + r.strays);
		att_want_obs(&r, &v, OBS_KEPT);
		att_finish(&r, &v);
		return;
	}
	if (unpin && r.value == VTL_OK)
		bad(&v, "UNPIN_MSR succeeded under a policy without `unpin`");
	if (r.nviol != 1)
		bad(&v, "%zu violation event(s), expected 1", r.nviol);
	for (size_t i = 0; i < r.nviol; i++) {
		const struct evlog_event *l = r.viol[i];

		if (!evlog_is(l, "kind", "msr") || !evlog_is(l, "action", "deny"))
			bad(&v, "violation %zu is not an msr deny", i);
		if (!att_flag(l, "precise", true))
			bad(&v, "violation %zu: a filtered WRMSR is denied precisely", i);
		if (att_u64(l, "rip") != r.site)
			bad(&v, "violation %zu: rip is not the WRMSR", i);
	}
	att_one_fault(&r, &v, VECTOR_GP);
	att_want_obs(&r, &v, OBS_RIP_EXACT | OBS_KEPT);
	att_finish(&r, &v);
}

#define MSR_PIN(form, control, unpin)                                                              \
	Test(attacks, pins_##form)                                                                 \
	{                                                                                          \
		att_msr(#form, control, unpin);                                                    \
	}

MSR_PIN(efer_sce, false, false)
MSR_PIN(lstar_low, false, false)
MSR_PIN(lstar_high, false, false)
MSR_PIN(lstar_rcx_hi, false, false)
MSR_PIN(lstar_after_unpin, false, true)
MSR_PIN(star_cs, false, false)
MSR_PIN(star_low, false, false)
MSR_PIN(efer_same, true, false)
MSR_PIN(cstar_unpinned, true, false)

/* PIN_MSR of a register that changes without WRMSR must be refused. */
static void att_refuse(const char *form, const char *policy, const char *policy_text)
{
	struct verdict v = {.len = 0};
	struct att_report r;

	att_run(&r, "attack_pins", policy, policy_text, form);
	if (att_ran(&r, &v)) {
		if (r.value != VTL_E_NOT_SUPPORTED && r.value != VTL_E_DENIED)
			bad(&v,
			    "PIN_MSR answered %" PRIu64 " (%s), expected NOT_SUPPORTED or DENIED",
			    r.value, vtl_strerror((uint32_t)r.value));
		if (!(r.obs & OBS_KEPT))
			bad(&v, "... and the pinned register changed without an exit");
	}
	att_finish(&r, &v);
}

#define MSR_REFUSE(form)                                                                           \
	Test(attacks, pins_##form)                                                                 \
	{                                                                                          \
		att_refuse(#form, PINS_POLICY, NULL);                                              \
	}

MSR_REFUSE(pin_fs_base)
MSR_REFUSE(pin_gs_base)
MSR_REFUSE(pin_kernel_gs_base)
MSR_REFUSE(pin_tsc)
MSR_REFUSE(pin_x2apic_tpr)

/*
 * The same requests under a policy that names those MSRs pinnable: either
 * the policy is refused at launch (VTL0 never runs), or every PIN_MSR is.
 */
static const char att_unguardable_policy[] =
    "vtlmon-policy 1\n"
    "exec-protection best-effort\n"
    "cr pin CR0.WP\n"
    "cr pinnable CR4.OSXMMEXCPT\n"
    "msr pin EFER\n"
    "msr pinnable LSTAR STAR CSTAR FS_BASE GS_BASE KERNEL_GS_BASE\n"
    "memory text rx locked\n"
    "memory rodata r\n"
    "action default deny\n";

static void att_refuse_unguardable(const char *form)
{
	struct verdict v = {.len = 0};
	struct att_report r;

	att_run(&r, "attack_pins", NULL, att_unguardable_policy, form);
	if (r.status == VTLMON_EXIT_LAUNCH && ev_find(&run, 0, "boot", "vtl=0") < 0)
		return; /* refused before VTL0 ran: what `policy check` says too */
	if (att_ran(&r, &v)) {
		if (r.value != VTL_E_NOT_SUPPORTED && r.value != VTL_E_DENIED)
			bad(&v,
			    "PIN_MSR answered %" PRIu64 " (%s) for a register that changes "
			    "without WRMSR",
			    r.value, vtl_strerror((uint32_t)r.value));
		if (!(r.obs & OBS_KEPT))
			bad(&v, "the \"pinned\" register changed without an exit (segment load or "
				"swapgs)");
	}
	att_finish(&r, &v);
}

Test(attacks, pins_fs_base_pinnable_policy)
{
	att_refuse_unguardable("pin_fs_base");
}

Test(attacks, pins_gs_base_pinnable_policy)
{
	att_refuse_unguardable("pin_gs_base");
}

Test(attacks, pins_kernel_gs_base_pinnable_policy)
{
	att_refuse_unguardable("pin_kernel_gs_base");
}

/* `vtlmon policy check` refuses each unguardable MSR, and says where (FILE:LINE:COL). */
Test(attacks, pins_policy_check_refuses_unguardable_msrs)
{
	static const char *const lines[] = {
	    "msr pin FS_BASE",	    "msr pin GS_BASE",	    "msr pin KERNEL_GS_BASE",
	    "msr pinnable FS_BASE", "msr pinnable GS_BASE", "msr pinnable KERNEL_GS_BASE",
	    "msr pinnable TSC",	    "msr pinnable 0x808",
	};
	char path[64], cmd[256], out[4096], where[96];
	struct verdict v = {.len = 0};

	snprintf(path, sizeof(path), "/tmp/vtlmon-attacks-%d.policy", getpid());
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		FILE *f = fopen(path, "w");
		size_t n;
		int st;

		cr_assert_not_null(f);
		fprintf(f, "vtlmon-policy 1\n%s\n", lines[i]);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "%s policy check %s 2>&1", VTLMON_BIN, path);
		f = popen(cmd, "r");
		cr_assert_not_null(f);
		n = fread(out, 1, sizeof(out) - 1, f);
		out[n] = '\0';
		st = pclose(f);
		snprintf(where, sizeof(where), "%s:2:", path);
		if (!WIFEXITED(st) || !WEXITSTATUS(st))
			bad(&v, "`%s` passed `policy check`", lines[i]);
		else if (!strstr(out, where))
			bad(&v, "`%s`: the error does not say FILE:LINE:COL: %s", lines[i], out);
	}
	unlink(path);
	if (v.n)
		cr_assert_fail("%u problem(s):\n%s", v.n, v.text);
}

/* A pinned CR bit cleared, then an exit: one cr violation there, one #GP, the bit back. */
static void att_cr(const char *form)
{
	struct verdict v = {.len = 0};
	struct att_report r;
	long w;

	att_run(&r, "attack_pins", PINS_POLICY, NULL, form);
	if (!att_ran(&r, &v)) {
		att_finish(&r, &v);
		return;
	}
	w = att_checkpoint(0, AP_CR_VALUE, NULL);
	if (r.nviol != 1)
		bad(&v, "%zu violation event(s), expected 1 (kind cr)", r.nviol);
	for (size_t i = 0; i < r.nviol; i++) {
		const struct evlog_event *l = r.viol[i];
		uint64_t rip = att_u64(l, "rip");

		if (!evlog_is(l, "kind", "cr") || !evlog_is(l, "action", "deny"))
			bad(&v, "violation %zu is not a cr deny", i);
		if (!att_flag(l, "precise", false))
			bad(&v, "violation %zu: a CR write seen at a later exit cannot be precise",
			    i);
		if (w >= 0 && att_u64(l, "value") != att_u64(ev_at(&run, w), "arg1"))
			bad(&v, "violation %zu: value is not what the guest wrote (%#" PRIx64 ")",
			    i, att_u64(ev_at(&run, w), "arg1"));
		if (rip < r.site || rip > r.end)
			bad(&v,
			    "violation %zu: seen at rip %#" PRIx64 ", not at the exit after the "
			    "clear (%#" PRIx64 "..%#" PRIx64 ")",
			    i, rip, r.site, r.end);
	}
	att_one_fault(&r, &v, VECTOR_GP);
	att_want_obs(&r, &v, OBS_KEPT);
	att_finish(&r, &v);
}

#define CR_PIN(form)                                                                               \
	Test(attacks, pins_##form)                                                                 \
	{                                                                                          \
		att_cr(#form);                                                                     \
	}

CR_PIN(cr0_wp_ucall)
CR_PIN(cr0_wp_pio)
CR_PIN(cr0_wp_mmio_read)
CR_PIN(cr0_wp_wrmsr)
CR_PIN(cr0_wp_spin)
CR_PIN(cr4_ucall)

/* A clear followed directly by a reset: the cr violation is reported before the reset. */
static void att_cr_reset(const char *form, const char *trigger)
{
	struct verdict v = {.len = 0};
	struct att_report r;
	char trig[64];
	long viol, reset;

	att_run(&r, "attack_pins", PINS_POLICY, NULL, form);
	if (r.status)
		bad(&v, "the run ended with status %d, not 0", r.status);
	if (ev_count(&run, "ucall", UCALL_FAILED))
		bad(&v, "the guest failed an assertion (ucall cmd 2)");
	if (att_checkpoint(0, AP_LIFE2, NULL) < 0)
		bad(&v, "the guest's second life never reported");
	snprintf(trig, sizeof(trig), "trigger=%s", trigger);
	reset = ev_find(&run, r.begin >= 0 ? (size_t)r.begin : 0, "reset", trig);
	if (reset < 0)
		bad(&v, "no reset event with %s", trig);
	viol = ev_find(&run, r.begin >= 0 ? (size_t)r.begin : 0, "violation", "kind=cr");
	if (viol < 0)
		bad(&v, "the cleared pinned bit was never reported (no cr violation)");
	else if (reset >= 0 && viol > reset)
		bad(&v, "the cr violation (event %ld) comes after the reset (event %ld)", viol,
		    reset);
	r.result = reset >= 0 ? reset : r.result;
	att_finish(&r, &v);
}

Test(attacks, pins_cr0_wp_cf9)
{
	att_cr_reset("cr0_wp_cf9", "port_cf9");
}

Test(attacks, pins_cr4_cf9)
{
	att_cr_reset("cr4_cf9", "port_cf9");
}

Test(attacks, pins_cr0_wp_triple)
{
	att_cr_reset("cr0_wp_triple", "triple_fault");
}

/* ---- kexec ------------------------------------------------------------------------ */

#define AK_NEW_CR0    (AP_TAG | 0x10)
#define AK_NEW_CR4    (AP_TAG | 0x11)
#define AK_NEW_CR3    (AP_TAG | 0x12)
#define AK_NEW_IDTR   (AP_TAG | 0x13)
#define AK_NEW_GDTR   (AP_TAG | 0x14)
#define AK_NEW_RFLAGS (AP_TAG | 0x15)
#define AK_NEW_EFER   (AP_TAG | 0x16)
#define AK_NEW_BI     (AP_TAG | 0x17)
#define AK_LOADED     (AP_TAG | 0x20)

/*
 * The old kernel breaks two CR pins and calls KEXEC_EXEC before any other
 * exit: nothing from before the commit (its CRs, its IDTR, a #GP for the
 * broken pins) may reach the measured kernel's first instruction.
 */
static void att_kexec(const char *name, bool attack)
{
	static const struct {
		uint64_t tag;
		const char *what;
		uint64_t want;
	} entry[] = {
	    {AK_NEW_CR0, "CR0", 0x80050033ULL},
	    {AK_NEW_CR4, "CR4", 0x620ULL},
	    {AK_NEW_CR3, "CR3 (the boot PML4)", VTL_BOOT_PML4},
	    {AK_NEW_IDTR, "IDTR base (the boot IDT)", VTL_BOOT_IDT},
	    {AK_NEW_GDTR, "GDTR base (the boot GDT)", VTL_BOOT_GDT},
	    {AK_NEW_RFLAGS, "RFLAGS IF|TF|DF", 0},
	    {AK_NEW_EFER, "EFER (LME|LMA|SCE|NXE)", 0xD01ULL},
	    {AK_NEW_BI, "boot info for VTL0", 1},
	};
	unsigned char digest[crypto_hash_sha256_BYTES];
	char policy[1024], hex[2 * crypto_hash_sha256_BYTES + 1];
	struct verdict v = {.len = 0};
	struct att_report r = {.name = name, .begin = -1, .result = -1};
	void *img;
	size_t len;

	cr_assert_eq(sodium_init() < 0, 0);
	cr_assert_eq(
	    file_read_all(GUEST_DIR "/vtl0/tests/attack_kexec_new.elf", 64 << 20, &img, &len), 0);
	crypto_hash_sha256(digest, img, len);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	/* Without the CR lines the guest's PIN_CR is refused: it kexecs without the attack. */
	snprintf(policy, sizeof(policy),
		 "vtlmon-policy 1\n"
		 "exec-protection best-effort\n"
		 "%s"
		 "memory text rx locked\n"
		 "memory rodata r\n"
		 "kexec allow yes\n"
		 "kexec digest %s\n"
		 "action default deny\n",
		 attack ? "cr pin CR0.WP\ncr pinnable CR4.OSXMMEXCPT\n" : "", hex);
	r.status = guest_run(&run, &(struct guest_run_opts){
				       .vtl0 = "attack_kexec",
				       .policy_text = policy,
				       .module = img,
				       .module_len = len,
				   });
	free(img);
	r.begin = att_checkpoint(0, AK_LOADED, NULL);
	if (r.status)
		bad(&v, "the run ended with status %d, not 0 (the new kernel's own end)", r.status);
	if (ev_count(&run, "ucall", UCALL_FAILED))
		bad(&v, "a guest failed an assertion (ucall cmd 2)");
	if (r.begin < 0)
		bad(&v, "the old kernel never loaded the image");
	else if (att_u64(ev_at(&run, r.begin), "arg1") != attack)
		bad(&v, "the old kernel %s", attack ? "could not pin CR4.OSXMMEXCPT" : "attacked");
	if (ev_find(&run, 0, "kexec", "step=exec") < 0)
		bad(&v, "KEXEC_EXEC never ran (no kexec step=exec event)%s",
		    ev_find(&run, 0, "ucall", UCALL_FAILED, "arg0=0xd") >= 0
			? ": the old kernel took a #GP for its broken pins instead"
			: "");
	for (size_t i = 0; i < sizeof(entry) / sizeof(entry[0]); i++) {
		long k = att_checkpoint(r.begin >= 0 ? (size_t)r.begin : 0, entry[i].tag, NULL);
		uint64_t got;

		if (k < 0) {
			bad(&v, "the new kernel never reported its %s", entry[i].what);
			continue;
		}
		got = att_u64(ev_at(&run, k), "arg1");
		if (got != entry[i].want)
			bad(&v,
			    "the new kernel started with %s = %#" PRIx64 ", documented %#" PRIx64,
			    entry[i].what, got, entry[i].want);
	}
	att_finish(&r, &v);
}

Test(attacks, kexec_cr_clear_before_exec)
{
	att_kexec("kexec_cr_clear_before_exec", true);
}

/* Control: the same kexec with the pins intact reaches the same documented state. */
Test(attacks, kexec_control)
{
	att_kexec("kexec_control", false);
}
