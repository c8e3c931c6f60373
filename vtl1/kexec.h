/* kexec: KEXEC_LOAD holds an image read-only and checks it under the policy; EXEC enters it. */
#ifndef VTL1_KEXEC_H
#define VTL1_KEXEC_H

#include <stdbool.h>
#include <stdint.h>

/*
 * vtl1/ modules, lowest first: addr < oplist < pages < state < kexec < calls <
 * intercept < policy_apply < main. A file includes only the vtl1 headers below
 * its own (docs/architecture.md, "VTL1 (vtl1/) and the policy").
 */

/*
 * While an image is staged its pages, [vtl1_kexec_first, + vtl1_kexec_pages)
 * (pages == 0: none), are held read-only on top of the page state, which
 * keeps what they had before: VTL0 may not PROTECT them (calls.c), and a
 * write to a page only the hold protects is denied (#PF), whatever the
 * policy's mem-write action (intercept.c).
 */
extern uint64_t vtl1_kexec_first, vtl1_kexec_pages;

static inline bool vtl1_kexec_holds(uint64_t first, uint64_t n)
{
	return vtl1_kexec_pages && first < vtl1_kexec_first + vtl1_kexec_pages &&
	       vtl1_kexec_first < first + n;
}

/* The KEXEC_LOAD and KEXEC_EXEC calls; each returns its answer as an entry handler does. */
uint64_t vtl1_kexec_load(uint64_t gpa, uint64_t size, uint64_t sig_gpa);
uint64_t vtl1_kexec_exec(void);
/*
 * A BOOT entry of kind KEXEC: true when VTL1 did commit an image (which is
 * then no longer staged), false when the entry is unexpected. The caller
 * resets the rest of VTL1's view of VTL0 for the new kernel.
 */
bool vtl1_kexec_booted(void);

#endif
