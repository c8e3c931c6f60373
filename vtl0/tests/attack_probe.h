/* Attack catalogue: runs one instruction with every GPR, RFLAGS and xmm0 set, records the fault. */
#ifndef VTL0_TESTS_ATTACK_PROBE_H
#define VTL0_TESTS_ATTACK_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "idt.h"
#include "vtl0.h"

/*
 * Included by exactly one guest (vtl0/tests/attack_*.c), so it defines its
 * state here. The catalogue's guests share this machinery and the ucall
 * protocol tests/kvm/test_attacks.c decodes:
 *
 *   before a form:  CHECKPOINT msg=NAME arg0=AP_BEGIN            arg1=site | len << 56
 *   after it:       CHECKPOINT msg=NAME arg0=AP_RESULT|details   arg1=AP_OBS_* bits
 *   then:           PRINT "NAME: ..." with the fault's details (for humans)
 *
 * Every event between the two checkpoints belongs to the form. A form is
 * one instruction at `site`, run by an asm trampoline that loads all 15
 * GPRs, RSP, RFLAGS and xmm0 from attack_probe.in, and stores them to
 * attack_probe.out right after it (or, when it faults, right after the
 * handler resumes there: then out is what the guest saw at the fault).
 */

/* GPR order in struct ap_regs (the trampoline below depends on it). */
enum {
	AP_RAX,
	AP_RBX,
	AP_RCX,
	AP_RDX,
	AP_RSI,
	AP_RDI,
	AP_RBP,
	AP_R8,
	AP_R9,
	AP_R10,
	AP_R11,
	AP_R12,
	AP_R13,
	AP_R14,
	AP_R15,
	AP_NR_GPRS
};

struct ap_regs {
	uint64_t gpr[AP_NR_GPRS];
	uint64_t rsp;
	uint64_t rflags;
	uint64_t xmm0[2];
};

struct ap_state {
	struct ap_regs in;
	struct ap_regs out;
	uint64_t saved_rsp; /* the C caller's stack */
	uint64_t resume;    /* where a fault resumes (the form's end label); 0 outside a probe */
	/* Faults taken while armed; the last one's frame. */
	uint64_t faults, vector, error, rip, cr2, rsp, rflags;
	/* Exceptions while not armed: a late or duplicate injection. Resumed where they hit. */
	uint64_t strays, stray_vector, stray_rip;
};

/* Byte offsets for the asm, checked against the struct below. */
#define AP_OFF_IN	 0
#define AP_OFF_OUT	 152
#define AP_OFF_SAVED_RSP 304
#define AP_OFF_RESUME	 312
#define AP_OFF_RSP	 120 /* within ap_regs */
#define AP_OFF_RFLAGS	 128
#define AP_OFF_XMM0	 136
_Static_assert(offsetof(struct ap_state, in) == AP_OFF_IN, "in");
_Static_assert(offsetof(struct ap_state, out) == AP_OFF_OUT, "out");
_Static_assert(offsetof(struct ap_state, saved_rsp) == AP_OFF_SAVED_RSP, "saved_rsp");
_Static_assert(offsetof(struct ap_state, resume) == AP_OFF_RESUME, "resume");
_Static_assert(offsetof(struct ap_regs, rsp) == AP_OFF_RSP, "rsp");
_Static_assert(offsetof(struct ap_regs, rflags) == AP_OFF_RFLAGS, "rflags");
_Static_assert(offsetof(struct ap_regs, xmm0) == AP_OFF_XMM0, "xmm0");

/* Global: the trampolines name it. */
struct ap_state attack_probe __attribute__((aligned(64)));

#define AP_STR_(x) #x
#define AP_STR(x)  AP_STR_(x)
/* attack_probe + off, RIP-relative (gas evaluates the sum). */
#define AP_MEM(off) "attack_probe+" AP_STR(off) "(%rip)"
#define AP_IN(i)    AP_MEM(AP_OFF_IN + 8 * (i))
#define AP_OUT(i)   AP_MEM(AP_OFF_OUT + 8 * (i))

/*
 * Callee-saved registers and the caller's RSP first; then xmm0, RFLAGS
 * (through the caller's stack), RSP and the GPRs, in an order that needs
 * no scratch register. Nothing between the last load and the site changes
 * a flag.
 */
#define AP_ENTER                                                                                                                                                        \
	"pushq %rbx\n\tpushq %rbp\n\tpushq %r12\n\tpushq %r13\n\tpushq %r14\n\tpushq %r15\n\t"                                                                          \
	"movq %rsp, " AP_MEM(                                                                                                                                           \
	    AP_OFF_SAVED_RSP) "\n\t"                                                                                                                                    \
			      "movdqu " AP_MEM(                                                                                                                         \
				  AP_OFF_IN +                                                                                                                           \
				  AP_OFF_XMM0) ", %xmm0\n\t"                                                                                                            \
					       "pushq " AP_MEM(                                                                                                         \
						   AP_OFF_IN +                                                                                                          \
						   AP_OFF_RFLAGS) "\n\t"                                                                                                \
								  "popfq\n\t"                                                                                           \
								  "movq " AP_MEM(                                                                                       \
								      AP_OFF_IN +                                                                                       \
								      AP_OFF_RSP) ", %rsp\n\t"                                                                          \
										  "movq " AP_IN(0) ", %rax\n\tmovq " AP_IN(                                             \
										      1) ", "                                                                           \
											 "%rbx\n"                                                                       \
											 "\t"                                                                           \
											 "movq"                                                                         \
											 " " AP_IN(2) ", %rcx\n\tmovq " AP_IN(                                          \
											     3) ", %rdx\n\t"                                                            \
												"movq " AP_IN(4) ", %rsi\n\tmovq " AP_IN(                               \
												    5) ", %rdi\n\t"                                                     \
												       "movq " AP_IN(6) ", %rbp\n\tmovq " AP_IN(                        \
													   7) ", %r8\n\t"                                               \
													      "movq " AP_IN(8) ", %r9\n\tmovq " AP_IN(                  \
														  9) ", %r10\n\t"                                       \
														     "movq " AP_IN(10) ", %r11\n\tmovq " AP_IN(         \
															 11) ", %r12\n\t"                               \
															     "movq " AP_IN(12) ", %r13\n\tmovq " AP_IN( \
																 13) ", %r14\n\t"                       \
																     "movq " AP_IN(                     \
																	 14) ", %r15\n\t"

/* Stores before anything touches the stack: RSP may point into a protected page. */
#define AP_LEAVE                                                                                                                                                                                                                                         \
	"movq %rax, " AP_OUT(0) "\n\tmovq %rbx, " AP_OUT(                                                                                                                                                                                                \
	    1) "\n\t"                                                                                                                                                                                                                                    \
	       "movq %rcx, " AP_OUT(2) "\n\tmovq %rdx, " AP_OUT(                                                                                                                                                                                         \
		   3) "\n\t"                                                                                                                                                                                                                             \
		      "movq %rsi, " AP_OUT(4) "\n\tmovq %rdi, " AP_OUT(                                                                                                                                                                                  \
			  5) "\n\t"                                                                                                                                                                                                                      \
			     "movq %rbp, " AP_OUT(6) "\n\tmovq %r8, " AP_OUT(                                                                                                                                                                            \
				 7) "\n\t"                                                                                                                                                                                                               \
				    "movq %r9, " AP_OUT(8) "\n\tmovq %r10, " AP_OUT(                                                                                                                                                                     \
					9) "\n\t"                                                                                                                                                                                                        \
					   "movq %r11, " AP_OUT(10) "\n\tmovq %r12, " AP_OUT(                                                                                                                                                            \
					       11) "\n\t"                                                                                                                                                                                                \
						   "movq %r13, " AP_OUT(                                                                                                                                                                                 \
						       12) "\n\tmovq "                                                                                                                                                                                   \
							   "%r14, " AP_OUT(                                                                                                                                                                              \
							       13) "\n\t"                                                                                                                                                                                \
								   "movq "                                                                                                                                                                               \
								   "%r15,"                                                                                                                                                                               \
								   " " AP_OUT(                                                                                                                                                                           \
								       14) "\n\t"                                                                                                                                                                        \
									   "movq"                                                                                                                                                                        \
									   " %"                                                                                                                                                                          \
									   "rsp,"                                                                                                                                                                        \
									   " " AP_MEM(                                                                                                                                                                   \
									       AP_OFF_OUT +                                                                                                                                                              \
									       AP_OFF_RSP) "\n\t"                                                                                                                                                        \
											   "movdq"                                                                                                                                                       \
											   "u "                                                                                                                                                          \
											   "%xmm0"                                                                                                                                                       \
											   ","                                                                                                                                                           \
											   " " AP_MEM(                                                                                                                                                   \
											       AP_OFF_OUT +                                                                                                                                              \
											       AP_OFF_XMM0) "\n\t"                                                                                                                                       \
													    "movq " AP_MEM(                                                                                                                              \
														AP_OFF_SAVED_RSP) ", %rsp\n\t"                                                                                                           \
																  "pushfq\n\t"                                                                                                           \
																  "popq " AP_MEM(                                                                                                        \
																      AP_OFF_OUT +                                                                                                       \
																      AP_OFF_RFLAGS) "\n\t"                                                                                              \
																		     "movq $0, " AP_MEM(                                                                                 \
																			 AP_OFF_RESUME) "\n\t"                                                                           \
																					"cld\n\t"                                                                        \
																					"popq %r15\n\tpopq %r14\n\tpopq %r13\n\tpopq %r12\n\tpopq %rbp\n\tpopq %rbx\n\t" \
																					"ret\n"

/*
 * Defines ap_fn_NAME (call it through ap_run), and the labels ap_site_NAME
 * (the attacked instruction) and ap_end_NAME (right after it: where a fault
 * resumes). `pre` runs after the registers are loaded, before the site.
 */
#define AP_FORM_PRE(name, pre, insn)                                                               \
	__asm__(".pushsection .text.ap_" #name ", \"ax\", @progbits\n"                             \
		".globl ap_fn_" #name "\n"                                                         \
		"ap_fn_" #name ":\n\t" AP_ENTER pre "\n"                                           \
		".globl ap_site_" #name "\n"                                                       \
		"ap_site_" #name ":\n\t" insn "\n"                                                 \
		".globl ap_end_" #name "\n"                                                        \
		"ap_end_" #name ":\n\t" AP_LEAVE ".popsection\n");                                 \
	void ap_fn_##name(void);                                                                   \
	extern const char ap_site_##name[], ap_end_##name[]
#define AP_FORM(name, insn) AP_FORM_PRE(name, "", insn)

/* The table entry fields naming a form's code. */
#define AP_CODE(f) .name = #f, .fn = ap_fn_##f, .site = ap_site_##f, .end = ap_end_##f

/* ---- faults ------------------------------------------------------------------- */

/* More exceptions than this in one probe, or outside probes, is a loop: give up. */
#define AP_FAULTS_MAX 8U

static void ap_on_exception(struct exc_frame *f)
{
	struct ap_state *s = &attack_probe;

	if (!s->resume) {
		s->strays++;
		s->stray_vector = f->vector;
		s->stray_rip = f->rip;
		if (s->strays > AP_FAULTS_MAX)
			idt_fail(f, "exception loop outside a probe");
		return;
	}
	s->faults++;
	s->vector = f->vector;
	s->error = f->error_code;
	s->rip = f->rip;
	s->cr2 = read_cr2();
	s->rsp = f->rsp;
	s->rflags = f->rflags;
	if (s->faults > AP_FAULTS_MAX)
		idt_fail(f, "exception loop in a probe");
	/* The end label stores what the fault left in the registers (the frame restores them). */
	f->rip = s->resume;
}

/* Every vector: a catalogue guest records whatever VTL1 or the CPU raises. */
static inline void ap_install(void)
{
	idt_install();
	for (unsigned int v = 0; v < IDT_NR_EXCEPTIONS; v++)
		idt_set_handler(v, ap_on_exception);
}

/* ---- registers ---------------------------------------------------------------- */

/* RFLAGS bit 1, and flags every form starts with set (CF PF ZF SF OF); IF, DF, TF clear. */
#define AP_RFLAGS_IN 0x8C7ULL
/* The flags an instruction may change, plus DF. */
#define AP_RFLAGS_CMP 0xCD5ULL

/* Distinct per register: a value that moved between registers, or changed, shows. */
static inline uint64_t ap_gpr_default(unsigned int i)
{
	return 0x6a00000000000000ULL | (uint64_t)(i + 1) << 48 | 0x0123456789ULL * (i + 1);
}

/* The 4 KiB the trampolines run on, unless a form sets its own RSP. */
static uint8_t ap_stack[4096] __attribute__((aligned(4096)));

/* in = defaults: every GPR distinct, RSP at the top of ap_stack, xmm0 = fill. */
static inline void ap_reset_in(uint8_t xmm_fill)
{
	struct ap_regs *in = &attack_probe.in;

	for (unsigned int i = 0; i < AP_NR_GPRS; i++)
		in->gpr[i] = ap_gpr_default(i);
	in->rsp = (uintptr_t)(ap_stack + sizeof(ap_stack));
	in->rflags = AP_RFLAGS_IN;
	in->xmm0[0] = in->xmm0[1] = 0x0101010101010101ULL * xmm_fill;
}

/* Mask of GPRs (bit i = AP_R*) that differ between in and out. */
static inline uint32_t ap_gprs_changed(void)
{
	uint32_t m = 0;

	for (unsigned int i = 0; i < AP_NR_GPRS; i++)
		if (attack_probe.in.gpr[i] != attack_probe.out.gpr[i])
			m |= 1U << i;
	return m;
}

/* ---- running a form ------------------------------------------------------------ */

/* Bits of the result checkpoint's arg1: what the guest saw. */
#define AP_OBS_RIP_EXACT (1ULL << 0)  /* the fault's RIP is the expected one (the site) */
#define AP_OBS_RIP_PAST	 (1ULL << 1)  /* ... or the end label: past the instruction */
#define AP_OBS_CR2	 (1ULL << 2)  /* CR2 is the expected address */
#define AP_OBS_ERR_W	 (1ULL << 3)  /* #PF error code: W */
#define AP_OBS_ERR_I	 (1ULL << 4)  /* #PF error code: I */
#define AP_OBS_GPRS	 (1ULL << 5)  /* every GPR but RSP as before */
#define AP_OBS_RSP	 (1ULL << 6)  /* RSP as before */
#define AP_OBS_FLAGS	 (1ULL << 7)  /* the arithmetic flags and DF as before */
#define AP_OBS_XMM	 (1ULL << 8)  /* xmm0 as before */
#define AP_OBS_PROT	 (1ULL << 9)  /* the protected bytes are unchanged */
#define AP_OBS_SIDE	 (1ULL << 10) /* the writable bytes the form may also write are unchanged */
#define AP_OBS_NO_STALE	 (1ULL << 11) /* every destination byte holds its old value or zero */
#define AP_OBS_KEPT	 (1ULL << 12) /* the pinned register reads back as before */
#define AP_OBS_DONE	 (1ULL << 13) /* the instruction completed (no fault): state is after it */
#define AP_OBS_NO_CPU	 (1ULL << 14) /* not run: this guest cannot execute it at all (#UD) */
#define AP_OBS_MASK	 0xffffULL

#define AP_TAG	  0xA77A000000000000ULL
#define AP_BEGIN  (AP_TAG | 1)
#define AP_RESULT (AP_TAG | 2)
/*
 * The result checkpoint's arg0: AP_RESULT | vector << 8 | faults << 16 |
 * strays << 24 (vector 0xff: no fault). Bits 32..47 may carry a value of
 * the guest's (a call status).
 */
static inline uint64_t ap_result_arg0(void)
{
	const struct ap_state *s = &attack_probe;
	uint64_t faults = s->faults > 0xff ? 0xff : s->faults;
	uint64_t strays = s->strays > 0xff ? 0xff : s->strays;

	return AP_RESULT | (s->faults ? s->vector & 0xff : 0xff) << 8 | faults << 16 | strays << 24;
}

/* Stale-data bait: whatever the monitor's last MMIO data buffer held ("STALEDAT"). */
#define AP_STALE 0x5441444553544154ULL

/* arg1 = site | its length << 56 (the host tells "on it" from "past it"). */
static inline void ap_begin(const char *name, const char *site, const char *end)
{
	uint64_t len = end > site ? (uint64_t)(end - site) : 0;

	vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, name, AP_BEGIN,
		  (uintptr_t)site | (len < 256 ? len : 0) << 56);
}

/*
 * Runs the form: clears the fault record, arms the resume point, leaves
 * AP_STALE in the monitor's MMIO data (an ignored 8-byte device write) and
 * calls the trampoline. Then one more exit, so that an exception the
 * monitor injects late (at the next exit) is counted as a stray.
 */
static inline void ap_run(void (*fn)(void), const char *end)
{
	struct ap_state *s = &attack_probe;

	s->faults = s->strays = 0;
	s->vector = s->error = s->rip = s->cr2 = s->rsp = s->rflags = 0;
	vtl_device_write64(VTL0_REG_NULL, AP_STALE);
	s->resume = (uintptr_t)end;
	__asm__ volatile("" : : : "memory");
	fn();
	__asm__ volatile("" : : : "memory");
	s->resume = 0;
	vtl_device_write64(VTL0_REG_NULL, 0);
}

/* Generic observations; the guest adds what only it can check (memory, pins). */
static inline uint64_t ap_observe(const char *end, uint64_t want_rip, uint64_t want_cr2)
{
	const struct ap_state *s = &attack_probe;
	uint64_t obs = 0;

	if (!s->faults)
		obs |= AP_OBS_DONE;
	if (s->faults && s->rip == want_rip)
		obs |= AP_OBS_RIP_EXACT;
	if (s->faults && s->rip == (uintptr_t)end)
		obs |= AP_OBS_RIP_PAST;
	if (s->faults && s->vector == EXC_PF && s->cr2 == want_cr2)
		obs |= AP_OBS_CR2;
	if (s->faults && s->vector == EXC_PF && (s->error & PF_ERR_W))
		obs |= AP_OBS_ERR_W;
	if (s->faults && s->vector == EXC_PF && (s->error & PF_ERR_I))
		obs |= AP_OBS_ERR_I;
	if (!ap_gprs_changed())
		obs |= AP_OBS_GPRS;
	if (s->in.rsp == s->out.rsp)
		obs |= AP_OBS_RSP;
	if (!((s->in.rflags ^ s->out.rflags) & AP_RFLAGS_CMP))
		obs |= AP_OBS_FLAGS;
	if (s->in.xmm0[0] == s->out.xmm0[0] && s->in.xmm0[1] == s->out.xmm0[1])
		obs |= AP_OBS_XMM;
	return obs;
}

/*
 * Reports the result checkpoint: arg1 = obs | want << 16, `want` being the
 * address the fault should name (CR2, and the event's gpa). Then one line
 * of details for humans.
 */
static inline void ap_report(const char *name, const char *site, uint64_t obs, uint64_t want)
{
	const struct ap_state *s = &attack_probe;

	vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, name, ap_result_arg0(),
		  obs | want << 16);
	GUEST_PRINTF("%s: f%lu v%lu e%lx rip+%lx cr2 %lx rsp %lx gprs %x fl %lx s%lu", name,
		     s->faults, s->vector, s->error, s->rip - (uintptr_t)site, s->cr2, s->out.rsp,
		     ap_gprs_changed(), s->out.rflags, s->strays);
}

/* True when every byte of p[0..len) is `old` or zero (no stale or secret data landed). */
static inline bool ap_bytes_old_or_zero(const volatile uint8_t *p, size_t len, uint8_t old)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != old && p[i] != 0)
			return false;
	return true;
}

static inline bool ap_bytes_are(const volatile uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static inline void ap_fill(volatile uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		p[i] = v;
}

/* ---- choosing forms ---------------------------------------------------------- */

/*
 * The form to run: module 0 holds its NUL-terminated name (the host test
 * runs one form per VM). NULL without a module: run the whole table.
 */
static inline const char *ap_selected(const struct vtl_boot_info *bi)
{
	for (uint32_t i = 0; i < bi->nr_mem && i < VTL_BOOT_MAX_MEM; i++) {
		const struct vtl_mem_range *r = &bi->mem[i];
		const char *s = (const char *)(uintptr_t)r->base;

		if (r->type != VTL_MEM_MODULE)
			continue;
		if (!r->size || s[r->size - 1] != '\0')
			GUEST_FAIL("the module is not a NUL-terminated form name");
		return s;
	}
	return NULL;
}

static inline bool ap_streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Should the form `name` run? */
static inline bool ap_wanted(const char *selected, const char *name)
{
	return !selected || ap_streq(selected, name);
}

#endif
