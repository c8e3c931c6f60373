/* VTL1 internals shared by its files: addresses, op lists, policy state, entry handlers. */
#ifndef VTL1_H
#define VTL1_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"
#include "vtl1_abi.h"
#include "vtl_boot.h"
#include "vtl_layout.h"

/* VTL1's own RAM: GPA VTL1_PRIV_GPA + x is seen at VA VTL1_KERNEL_VA + x. */
static inline uint64_t vtl1_gpa(const void *va)
{
	return (uint64_t)(uintptr_t)va - VTL1_KERNEL_VA + VTL1_PRIV_GPA;
}

static inline void *vtl1_va(uint64_t gpa)
{
	return (void *)(uintptr_t)(gpa - VTL1_PRIV_GPA + VTL1_KERNEL_VA);
}

/*
 * arg0 of KILL and RESET, as the monitor reports it. A violation carries its
 * policy class plus one (1 mem-write, 2 mem-read, 3 mem-exec, 4 msr, 5 cr),
 * so that 0 is never mistaken for one.
 */
#define VTL1_REASON_SELF      0U /* VTL1 itself cannot go on */
#define VTL1_REASON_CLASS(c)  ((c) + 1U)
#define VTL1_REASON_BAD_ENTRY 0x100U /* the inbox holds an unknown entry reason */
#define VTL1_REASON_BAD_KIND  0x101U /* an INTERCEPT of an unknown kind */

/*
 * An entry handler returns the GPA of its terminal answer, or
 * VTL1_ANSWERED when it already sent one that went through: VTL0 has
 * resumed and the inbox holds the next entry.
 */
#define VTL1_ANSWERED 0ULL

/* boot_kind is the entry's enum vtl1_boot_kind: a launch, or the start of a kexec'd kernel. */
uint64_t vtl1_on_boot(uint32_t boot_kind);
uint64_t vtl1_on_call(const struct vtl_call_block *c);
uint64_t vtl1_on_intercept(const struct vtl1_intercept *ic);

/* Op lists (main.c). There is one list page, so a list is built, sent and consumed in turn. */
struct vtl1_op_list *vtl1_list_begin(void);
void vtl1_list_add(struct vtl1_op_list *l, uint32_t code, uint64_t a0, uint64_t a1, uint64_t a2);
/* One LOG per list: the text lives in a single buffer. */
void vtl1_list_log(struct vtl1_op_list *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Writes the list to OPS. VTL_OK means every op was applied; after a
 * terminal list that also means the inbox already holds the next entry.
 * Otherwise VTL1 resumes at once with the status of the op that failed.
 */
uint32_t vtl1_list_send(struct vtl1_op_list *l);
/* Index of the op that stopped a failed list. */
uint32_t vtl1_list_failed_op(const struct vtl1_op_list *l);
uint64_t vtl1_ret(uint32_t status);
uint64_t vtl1_kill(uint64_t reason);
/* LOG the reason (formatted) and RETURN status: how VTL1 explains a refusal. */
uint64_t vtl1_refuse(uint32_t status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *vtl1_op_name(uint32_t code);
/* KILL reason used if the monitor refuses the answer to the current entry. */
extern uint64_t vtl1_fail_reason;

/* Policy state, set once by the BOOT entry (policy_apply.c). */
extern const struct vtl_boot_info *vtl1_boot;
extern struct policy vtl1_policy;
extern uint64_t vtl1_features; /* VTL_FEAT_* read from the control device */

/* Per-page state of VTL0 RAM (pages.c). */
extern uint64_t vtl1_ram_pages;

/* Page-aligned, non-empty and inside VTL0 RAM, without overflow. */
static inline bool vtl1_pages_valid(uint64_t gpa, uint64_t pages)
{
	/* pages <= vtl1_ram_pages first, so the subtraction cannot wrap. */
	return !(gpa & (VTL_PAGE_SIZE - 1)) && pages && pages <= vtl1_ram_pages &&
	       gpa / VTL_PAGE_SIZE <= vtl1_ram_pages - pages;
}

/* What setting a range of pages to some perms would change, from vtl1_pages_scan(). */
struct vtl1_page_change {
	bool gains;	   /* some page gains a permission: a relaxation */
	bool loses;	   /* some page loses a permission: a restriction */
	bool locked_gains; /* some LOCKED page gains a permission */
};
/* n >= 1, and [first, first + n) inside VTL0 RAM (vtl1_pages_valid()). */
void vtl1_pages_scan(uint64_t first, uint64_t n, uint32_t perms, struct vtl1_page_change *out);
/* LOCKED is sticky: lock sets it, and pages already LOCKED keep it. */
void vtl1_pages_set(uint64_t first, uint64_t n, uint32_t perms, bool lock);
/* The VTL_PERM_* VTL1 has applied to one page (page < vtl1_ram_pages). */
uint32_t vtl1_pages_perms(uint64_t page);
/*
 * Calls emit() on each maximal run of [first, first + n) whose perms, ANDed
 * with mask, are equal, in address order: the fewest SET_PERMS that put
 * those (masked) perms in force. n >= 1, range as for vtl1_pages_scan().
 */
void vtl1_pages_runs(uint64_t first, uint64_t n, uint32_t mask,
		     void (*emit)(uint64_t first, uint64_t n, uint32_t perms));
/* Takes W and X away from [first, first + n) in the page state; locks stay. */
void vtl1_pages_drop_wx(uint64_t first, uint64_t n);
/* Every page back to "RWX, unlocked", as after launch: the kexec'd kernel starts bare. */
void vtl1_pages_reset(void);

/* VTL0's own requests (calls.c): its pins and END_OF_BOOT, forgotten at kexec. */
void vtl1_calls_reset(void);

/*
 * kexec (kexec.c). While an image is staged its pages, [vtl1_kexec_first,
 * + vtl1_kexec_pages) (pages == 0: none), are held read-only on top of the
 * page state, which keeps what they had before: VTL0 may not PROTECT them,
 * and a write to a page only the hold protects is denied (#PF), whatever the
 * policy's mem-write action (intercept.c).
 */
extern uint64_t vtl1_kexec_first, vtl1_kexec_pages;

static inline bool vtl1_kexec_holds(uint64_t first, uint64_t n)
{
	return vtl1_kexec_pages && first < vtl1_kexec_first + vtl1_kexec_pages &&
	       vtl1_kexec_first < first + n;
}

uint64_t vtl1_kexec_load(uint64_t gpa, uint64_t size, uint64_t sig_gpa);
uint64_t vtl1_kexec_exec(void);
/*
 * A BOOT entry of kind KEXEC: true when VTL1 did commit an image (and then
 * VTL1's view of VTL0 has been reset for the new kernel), false when the
 * entry is unexpected.
 */
bool vtl1_kexec_booted(void);

__attribute__((noreturn)) void vtl1_main(const struct vtl_boot_info *bi);

#endif
