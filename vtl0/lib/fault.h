/* Expected faults: a probe arms a per-vector record right before one access that may fault. */
#ifndef VTL0_FAULT_H
#define VTL0_FAULT_H

#include <stdint.h>

#include "idt.h"

/*
 * What the attack guests check after a denied access: how many faults came,
 * and the last one's error code, RIP (the faulting instruction) and CR2
 * (meaningful for #PF only).
 */
struct fault_rec {
	volatile uint64_t count;
	volatile uint64_t error;
	volatile uint64_t rip;
	volatile uint64_t cr2;
	/* Where the next fault resumes: set by a probe right before its access, 0 otherwise. */
	uint64_t resume;
};

/*
 * Routes `vector` to `rec` (after idt_install()): each fault is recorded,
 * then resumes at rec->resume. A fault while rec->resume is 0 was not
 * expected: it goes to idt_fail(). NULL restores the default handler.
 */
void fault_rec_install(unsigned int vector, struct fault_rec *rec);

/*
 * The asm text of one probed instruction: arms [resume] with local label 1,
 * right after `insn`, and leaves insn's own address (label 0) in [site].
 * FAULT_PROBE_OUTPUTS names both, and the caller clears rec->resume after
 * the asm (no fault came to do so). FAULT_PROBE does all of that for an
 * instruction with inputs only. Every probe is written with these, so none
 * arms its record one instruction too early or too late.
 */
#define FAULT_PROBE_ASM(insn)                                                                      \
	"leaq 1f(%%rip), %[site]\n\t"                                                              \
	"movq %[site], %[resume]\n\t"                                                              \
	"leaq 0f(%%rip), %[site]\n\t"                                                              \
	"0: " insn "\n\t"                                                                          \
	"1:"
/* Early-clobber: [site] is written before insn reads its inputs. */
#define FAULT_PROBE_OUTPUTS(site_var, rec) [site] "=&r"(site_var), [resume] "=m"((rec)->resume)

/* One probed `insn` reading only the asm inputs `...`: its address. Evaluates rec twice. */
#define FAULT_PROBE(rec, insn, ...)                                                                \
	({                                                                                         \
		uint64_t fault_site_;                                                              \
		__asm__ volatile(FAULT_PROBE_ASM(insn)                                             \
				 : FAULT_PROBE_OUTPUTS(fault_site_, rec)                           \
				 : __VA_ARGS__                                                     \
				 : "memory");                                                      \
		(rec)->resume = 0;                                                                 \
		fault_site_;                                                                       \
	})

/* The probes return their access's address. Fixed registers keep each to one encoding. */

/* `mov %bl, (%rax)`. */
static inline uint64_t fault_try_store8(struct fault_rec *rec, volatile void *p, uint8_t v)
{
	return FAULT_PROBE(rec, "movb %%bl, (%%rax)", "a"(p), "b"(v));
}

/* `mov %rbx, (%rax)` (Capstone: "mov qword ptr [rax], rbx"). */
static inline uint64_t fault_try_store64(struct fault_rec *rec, volatile uint64_t *p, uint64_t v)
{
	return FAULT_PROBE(rec, "movq %%rbx, (%%rax)", "a"(p), "b"(v));
}

static inline uint64_t fault_try_wrmsr(struct fault_rec *rec, uint32_t msr, uint64_t v)
{
	return FAULT_PROBE(rec, "wrmsr", "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/*
 * `mov (%rax), %rbx`. The destination starts as *val; a denied read leaves
 * it so (the exception frame restores rbx), which is what the caller checks.
 */
static inline uint64_t fault_try_load64(struct fault_rec *rec, const volatile uint64_t *p,
					uint64_t *val)
{
	uint64_t site, v = *val;

	__asm__ volatile(FAULT_PROBE_ASM("movq (%%rax), %%rbx")
			 : FAULT_PROBE_OUTPUTS(site, rec), "+b"(v)
			 : "a"(p)
			 : "memory");
	rec->resume = 0;
	*val = v;
	return site;
}

#endif
