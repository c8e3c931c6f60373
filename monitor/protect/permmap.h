/* VTL0 page-permission map and its memslot plan: pure logic, no KVM calls. */
#ifndef MONITOR_PERMMAP_H
#define MONITOR_PERMMAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * An interval map over page numbers [0, npages): a sorted array of ranges
 * that covers every page exactly once, and adjacent ranges never share a
 * perm, so the array is the canonical (smallest) description of the map.
 *
 * Perms are VTL_PERM_* bits from vtl1_abi.h. Setters take them as uint64_t
 * so that a VTL1 op argument can be passed as is: a narrower parameter
 * would silently truncate 0x101 into a valid VTL_PERM_R.
 */
struct perm_range {
	uint64_t first, count;
	uint8_t perm;
};

struct permmap {
	struct perm_range *r;
	size_t n, cap;
	uint64_t npages;
	size_t max_ranges; /* bounds the memory a hostile VTL1 can make us use */
	size_t nspans;	   /* length of the slot plan, kept current by every set */
};

/* 0, -EINVAL (npages 0, max_ranges 0, perm > VTL_PERM_MASK) or -ENOMEM. */
int permmap_init(struct permmap *m, uint64_t npages, uint64_t perm, size_t max_ranges);
/* Safe on a zeroed or already destroyed map. */
void permmap_destroy(struct permmap *m);

/*
 * Sets [first, first + count) to perm. Returns 0, -EINVAL (count 0, first +
 * count wraps, range past npages, perm > VTL_PERM_MASK), -ENOSPC (the map
 * would need more than max_ranges ranges) or -ENOMEM. On any error the map
 * is unchanged: a refused protection must not half-apply.
 */
int permmap_set(struct permmap *m, uint64_t first, uint64_t count, uint64_t perm);

/*
 * What permmap_set() would leave, without changing anything, in O(log n +
 * ranges replaced): the caller refuses a PROTECT that would exceed the
 * memslot budget before touching any slot. Same argument checks and return
 * values as permmap_set(), except that it never returns -ENOSPC or -ENOMEM:
 * compare *nranges_after with max_ranges yourself. Either out pointer may be
 * NULL.
 */
int permmap_set_dry(const struct permmap *m, uint64_t first, uint64_t count, uint64_t perm,
		    size_t *nranges_after, size_t *nspans_after);

/* Pages outside the map read as 0 (no access): fail closed. */
uint8_t permmap_get(const struct permmap *m, uint64_t page);

static inline size_t permmap_nranges(const struct permmap *m)
{
	return m->n;
}

/* Number of memslots the current plan needs, in O(1). */
static inline size_t permmap_nspans(const struct permmap *m)
{
	return m->nspans;
}

/*
 * How a perm is enforced with upstream KVM memslots. W (even without R)
 * needs a writable slot. R or X without W gets a KVM_MEM_READONLY slot:
 * exec protection is not enforceable, and an unmapped page cannot even be
 * fetched from, so X-only has to be mapped readable. Only 0 is unmapped.
 * Bits outside VTL_PERM_MASK give SLOT_NONE (fail closed).
 */
enum slot_kind { SLOT_NONE = 0, SLOT_RO = 1, SLOT_RW = 2 };
enum slot_kind perm_slot_kind(uint64_t perm);

/* One memslot: a maximal run of pages with the same kind, never SLOT_NONE. */
struct slot_span {
	uint64_t first, count;
	enum slot_kind kind;
};

/*
 * Writes the whole slot plan, sorted by page, into out (at most max spans;
 * out may be NULL when max is 0) and returns the number of spans it has,
 * which is permmap_nspans().
 */
size_t permmap_plan(const struct permmap *m, struct slot_span *out, size_t max);

/*
 * The part of the plan that setting [first, first + count) can change: every
 * span that meets [first - 1, first + count], whole, sorted. Spans outside
 * that window keep their extent and kind through the set, so diffing this
 * window before and after the set gives the same del/add lists as diffing
 * the whole plans, without the O(n) walk. The window is clipped to the map;
 * count 0 or a wrapping range gives 0 spans. Returns the number of spans in
 * the window (at most permmap_nspans()); writes at most max. Cost is
 * O(log n + ranges in the spans reported).
 */
size_t permmap_plan_around(const struct permmap *m, uint64_t first, uint64_t count,
			   struct slot_span *out, size_t max);

/*
 * Minimal slot changes from plan old_ to plan new_ (both sorted, non
 * overlapping, non-empty spans of kind RO or RW). A KVM slot cannot change
 * its size, base or READONLY flag in place, so every old span not present
 * identically in new_ must be deleted and every new span not present
 * identically in old_ must be created; identical spans are left alone.
 * Apply all deletions before any creation, or KVM rejects the overlap.
 * del needs room for nold spans and add for nnew. Returns 0, or -EINVAL for
 * a NULL pointer or a malformed plan (then *ndel and *nadd are 0).
 */
int slot_plan_diff(const struct slot_span *old_, size_t nold, const struct slot_span *new_,
		   size_t nnew, struct slot_span *del, size_t *ndel, struct slot_span *add,
		   size_t *nadd);

#endif
