/* Per-page state of VTL0 RAM: the permissions VTL1 has applied and which pages are locked. */
#ifndef VTL1_PAGES_H
#define VTL1_PAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "vtl1_abi.h"
#include "vtl_layout.h"

/*
 * vtl1/ modules, lowest first: addr < oplist < pages < state < kexec < calls <
 * intercept < policy_apply < main. A file includes only the vtl1 headers below
 * its own (docs/architecture.md, "VTL1 (vtl1/) and the policy").
 */

/* VTL0 RAM in pages, from boot info (set by the BOOT entry). */
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
/*
 * One byte per page, storing the permissions taken AWAY (VTL_PERM_* bits)
 * plus VTL1_PAGE_LOCKED: the all-zero .bss is then "RWX, unlocked" for
 * every page, with no initialisation loop over up to 786,432 pages. Only
 * pages.c and the single-page paths below touch it.
 */
#define VTL1_PAGE_LOCKED 0x8U
#define VTL1_PAGES_MAX	 (VTL0_RAM_MAX / VTL_PAGE_SIZE)
extern uint8_t vtl1_pages[VTL1_PAGES_MAX];
/* Until the first lock, a range can be rewritten with one `rep stosb`. */
extern bool vtl1_pages_have_locks;

void vtl1_pages_scan_range(uint64_t first, uint64_t n, uint32_t perms,
			   struct vtl1_page_change *out);
void vtl1_pages_set_range(uint64_t first, uint64_t n, uint32_t perms, bool lock);

/*
 * n >= 1, and [first, first + n) inside VTL0 RAM (vtl1_pages_valid()). A
 * PROTECT storm is mostly single pages, and VTL1 runs emulated at about
 * 1 us per instruction: one page is handled inline, with no call.
 */
static inline void vtl1_pages_scan(uint64_t first, uint64_t n, uint32_t perms,
				   struct vtl1_page_change *out)
{
	uint32_t d;

	if (n != 1) {
		vtl1_pages_scan_range(first, n, perms, out);
		return;
	}
	d = vtl1_pages[first];
	out->gains = d & perms;
	out->loses = ~d & ~perms & VTL_PERM_MASK;
	out->locked_gains = (d & VTL1_PAGE_LOCKED) && (d & perms);
}

/* LOCKED is sticky: lock sets it, and pages already LOCKED keep it. */
static inline void vtl1_pages_set(uint64_t first, uint64_t n, uint32_t perms, bool lock)
{
	uint8_t d = (uint8_t)((~perms & VTL_PERM_MASK) | (lock ? VTL1_PAGE_LOCKED : 0));

	if (n != 1) {
		vtl1_pages_set_range(first, n, perms, lock);
		return;
	}
	vtl1_pages[first] = (uint8_t)((lock ? 0 : vtl1_pages[first] & VTL1_PAGE_LOCKED) | d);
	vtl1_pages_have_locks |= lock;
}
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

#endif
