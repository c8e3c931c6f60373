/* VTL0 page-permission map and its memslot plan: pure logic, no KVM calls. */
#ifndef MONITOR_PERMMAP_H
#define MONITOR_PERMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An intrusive AVL tree keyed by a page number, with parent links so that a
 * node found once can be stepped from, split around or unlinked without a
 * second search. The map's ranges and the engine's live slots both live in
 * one: every change and every lookup is O(log n) in the worst case, which a
 * hostile VTL1 choosing the keys cannot degrade (unlike a hashed treap), and
 * nothing is ever shifted in an array.
 */
struct pmtree_node {
	struct pmtree_node *child[2], *parent;
	uint64_t key;
	int height;
};

struct pmtree {
	struct pmtree_node *root;
};

/* The node with the largest key <= key, or NULL. */
struct pmtree_node *pmtree_floor(const struct pmtree *t, uint64_t key);
struct pmtree_node *pmtree_first(const struct pmtree *t);
/* In-order neighbours: amortised O(1), O(log n) at worst. NULL past the ends. */
struct pmtree_node *pmtree_next(const struct pmtree_node *n);
struct pmtree_node *pmtree_prev(const struct pmtree_node *n);
/* Inserts n by n->key; keys must be unique. */
void pmtree_insert(struct pmtree *t, struct pmtree_node *n);
/*
 * Inserts n right after `at` in key order (at NULL: as the first node),
 * without comparing keys: the caller knows where n belongs.
 */
void pmtree_insert_after(struct pmtree *t, struct pmtree_node *at, struct pmtree_node *n);
/*
 * pmtree_insert_after(t, at, n1) then pmtree_insert_after(t, n1, n2), with
 * one rebalancing walk instead of two.
 */
void pmtree_insert_after2(struct pmtree *t, struct pmtree_node *at, struct pmtree_node *n1,
			  struct pmtree_node *n2);
void pmtree_remove(struct pmtree *t, struct pmtree_node *n);
/* Heights, balance, parent links and strictly increasing keys (tests: O(n)). */
bool pmtree_check(const struct pmtree *t);

/*
 * An interval map over page numbers [0, npages): ranges that cover every
 * page exactly once, where adjacent ranges never share a perm, so the ranges
 * are the canonical (smallest) description of the map.
 *
 * Perms are VTL_PERM_* bits from vtl1_abi.h. Setters take them as uint64_t
 * so that a VTL1 op argument can be passed as is: a narrower parameter
 * would silently truncate 0x101 into a valid VTL_PERM_R.
 */
struct perm_range {
	struct pmtree_node node; /* key: the first page */
	uint64_t count;
	uint8_t perm; /* in the kind tree: the enum slot_kind */
};

static inline uint64_t perm_range_first(const struct perm_range *r)
{
	return r->node.key;
}

struct permmap {
	struct pmtree perms; /* struct perm_range: the map itself, canonical by perm */
	/*
	 * The same pages by slot kind, canonical too: the slot spans before the
	 * chunk cuts. Kept beside the perms so that finding where a span starts
	 * or ends is one O(log n) lookup, not a walk over every range of
	 * another perm with the same kind (R, X, R|X all share a READONLY slot).
	 */
	struct pmtree kinds;
	size_t n;      /* ranges in perms */
	size_t nkinds; /* ranges in kinds */
	uint64_t npages;
	/*
	 * Slots never cross a multiple of chunk pages: a change then deletes
	 * and creates slots of at most chunk pages, whatever the RAM size, and
	 * restoring a page never merges large neighbours into one slot.
	 * 0 in a map of the perms alone (permmap_init_perms()): no kind tree,
	 * no slot plan.
	 */
	uint64_t chunk;
	size_t max_ranges; /* bounds the memory a hostile VTL1 can make us use */
	size_t nspans;	   /* length of the slot plan, kept current by every set */
	/* Unlinked nodes kept for the next set, so that applying one never fails. */
	struct perm_range *spare;
	size_t nspare;
};

/*
 * 0, -EINVAL (npages 0, max_ranges 0, chunk 0, perm > VTL_PERM_MASK) or
 * -ENOMEM.
 */
int permmap_init(struct permmap *m, uint64_t npages, uint64_t perm, size_t max_ranges,
		 uint64_t chunk);
/*
 * A map of the perms alone: no kind tree and no slot plan (permmap_plan*()
 * give 0 spans, nspans_after is 0), so a set edits one tree, not two. For
 * the memslot engine, whose live slots are the plan already (perm.c).
 * permmap_init()'s return values.
 */
int permmap_init_perms(struct permmap *m, uint64_t npages, uint64_t perm, size_t max_ranges);
/* Safe on a zeroed or already destroyed map. */
void permmap_destroy(struct permmap *m);

/*
 * One set, computed but not applied: the window of ranges it replaces in
 * each tree (the touched ones, plus the neighbour on a side where the set
 * may merge with it), the pieces that replace them, and the counts it
 * leaves. Valid until the map next changes.
 */
#define PERMMAP_EDIT_PIECES 5

/* A range to be: what a window's node takes over, without the tree links. */
struct permmap_piece {
	uint64_t first, count;
	uint8_t perm;
};

struct permmap_edit_side {
	struct perm_range *lo, *hi; /* the window, inclusive, in key order */
	size_t nold;		    /* ranges in the window */
	struct permmap_piece piece[PERMMAP_EDIT_PIECES];
	size_t npiece;
};

struct permmap_edit {
	struct permmap_edit_side perms, kinds;
	uint64_t first, count;
	size_t nranges_after, nspans_after;
};

/*
 * Prepares setting [first, first + count) to perm, in O(log n + ranges
 * replaced), without changing anything. 0 or -EINVAL (count 0, first +
 * count wraps, range past npages, perm > VTL_PERM_MASK).
 */
int permmap_prepare(const struct permmap *m, uint64_t first, uint64_t count, uint64_t perm,
		    struct permmap_edit *e);
/*
 * Allocates the nodes applying e will need (permmap_apply() does it too):
 * after 0, permmap_apply(m, e) cannot fail with -ENOMEM, so a caller
 * changing several maps together can reserve in all of them before it
 * changes any. 0 or -ENOMEM.
 */
int permmap_reserve(struct permmap *m, const struct permmap_edit *e);
/*
 * Applies a prepared edit. 0, -ENOSPC (more than max_ranges ranges) or
 * -ENOMEM; on any error the map is unchanged: a refused protection must not
 * half-apply.
 */
int permmap_apply(struct permmap *m, const struct permmap_edit *e);

/*
 * Sets [first, first + count) to perm: permmap_prepare() then
 * permmap_apply(), with their return values.
 */
int permmap_set(struct permmap *m, uint64_t first, uint64_t count, uint64_t perm);

/*
 * What permmap_set() would leave, without changing anything: the caller
 * refuses a PROTECT that would exceed the memslot budget before touching any
 * slot. permmap_prepare()'s return values: compare *nranges_after with
 * max_ranges yourself. Either out pointer may be NULL.
 */
int permmap_set_dry(const struct permmap *m, uint64_t first, uint64_t count, uint64_t perm,
		    size_t *nranges_after, size_t *nspans_after);

/* Pages outside the map read as 0 (no access): fail closed. O(log n). */
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

/* The ranges in page order: NULL after the last (and for an empty map). */
const struct perm_range *permmap_first(const struct permmap *m);
const struct perm_range *permmap_next(const struct perm_range *r);

/*
 * Both trees well formed, the kind tree the canonical kind cover of the
 * perms, and the counts right. O(n): for tests.
 */
bool permmap_check(const struct permmap *m);

/*
 * How a perm is enforced with upstream KVM memslots. W (even without R)
 * needs a writable slot. R or X without W gets a KVM_MEM_READONLY slot:
 * exec protection is not enforceable, and an unmapped page cannot even be
 * fetched from, so X-only has to be mapped readable. Only 0 is unmapped.
 * Bits outside VTL_PERM_MASK give SLOT_NONE (fail closed).
 */
enum slot_kind { SLOT_NONE = 0, SLOT_RO = 1, SLOT_RW = 2 };
enum slot_kind perm_slot_kind(uint64_t perm);

/*
 * One memslot: a maximal run of pages with the same kind, never SLOT_NONE,
 * cut at every multiple of the map's chunk.
 */
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
 * the whole plans. Since spans stop at chunk boundaries, the window's spans
 * lie in the chunks the set and its one-page neighbours touch: its size is
 * proportional to the change, not to RAM. The window is clipped to the map;
 * count 0 or a wrapping range gives 0 spans. Returns the number of spans in
 * the window (at most permmap_nspans()); writes at most max. Cost is
 * O(log n + spans in the window).
 */
size_t permmap_plan_around(const struct permmap *m, uint64_t first, uint64_t count,
			   struct slot_span *out, size_t max);

/*
 * permmap_plan_around(m, first, count, out, max) for the edit's range, both
 * before and right after permmap_apply(m, e), without searching the tree:
 * the edit's kind window starts at or before the run that holds first - 1,
 * before and after.
 */
size_t permmap_plan_edit(const struct permmap *m, const struct permmap_edit *e,
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
