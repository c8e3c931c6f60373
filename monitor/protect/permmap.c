/* VTL0 page-permission map: interval arithmetic, slot plans and slot diffs. */
#include "monitor/protect/permmap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vtl1_abi.h"

/*
 * Spare nodes kept past a set; more are freed, so a big merge does not pin
 * memory. A map of the perms alone is one of many (one per chunk, perm.c):
 * it keeps only what one set can need, two.
 */
#define PERMMAP_SPARE_MAX	64
#define PERMMAP_PERMS_SPARE_MAX 2

/* ---- the AVL tree ------------------------------------------------------------------ */

static int pmtree_height(const struct pmtree_node *n)
{
	return n ? n->height : 0;
}

static void pmtree_fix_height(struct pmtree_node *n)
{
	int l = pmtree_height(n->child[0]), r = pmtree_height(n->child[1]);

	n->height = 1 + (l > r ? l : r);
}

static struct pmtree_node *pmtree_extreme(struct pmtree_node *n, int dir)
{
	while (n && n->child[dir])
		n = n->child[dir];
	return n;
}

struct pmtree_node *pmtree_first(const struct pmtree *t)
{
	return pmtree_extreme(t->root, 0);
}

/* The in-order neighbour in direction dir (1: next, 0: previous). */
static struct pmtree_node *pmtree_step(const struct pmtree_node *n, int dir)
{
	const struct pmtree_node *p;

	if (n->child[dir])
		return pmtree_extreme(n->child[dir], !dir);
	for (p = n->parent; p && p->child[dir] == n; p = p->parent)
		n = p;
	return (struct pmtree_node *)p;
}

struct pmtree_node *pmtree_next(const struct pmtree_node *n)
{
	return pmtree_step(n, 1);
}

struct pmtree_node *pmtree_prev(const struct pmtree_node *n)
{
	return pmtree_step(n, 0);
}

struct pmtree_node *pmtree_floor(const struct pmtree *t, uint64_t key)
{
	struct pmtree_node *n = t->root, *best = NULL;

	while (n) {
		if (n->key <= key) {
			best = n;
			n = n->child[1];
		} else {
			n = n->child[0];
		}
	}
	return best;
}

static void pmtree_replace_child(struct pmtree *t, struct pmtree_node *parent,
				 struct pmtree_node *old, struct pmtree_node *new_)
{
	if (!parent)
		t->root = new_;
	else
		parent->child[parent->child[1] == old] = new_;
}

/* Lifts x's child on side !dir into x's place; returns the subtree's new root. */
static struct pmtree_node *pmtree_rotate(struct pmtree *t, struct pmtree_node *x, int dir)
{
	struct pmtree_node *y = x->child[!dir];

	x->child[!dir] = y->child[dir];
	if (y->child[dir])
		y->child[dir]->parent = x;
	y->child[dir] = x;
	y->parent = x->parent;
	pmtree_replace_child(t, x->parent, x, y);
	x->parent = y;
	pmtree_fix_height(x);
	pmtree_fix_height(y);
	return y;
}

/* Restores the AVL balance at n (children balanced); returns the subtree's root. */
static struct pmtree_node *pmtree_balance(struct pmtree *t, struct pmtree_node *n)
{
	int bal = pmtree_height(n->child[0]) - pmtree_height(n->child[1]);

	if (bal > 1 || bal < -1) {
		int heavy = bal < 0; /* the taller side */
		struct pmtree_node *c = n->child[heavy];

		/* A zig-zag is first straightened into a zig-zig. */
		if (pmtree_height(c->child[!heavy]) > pmtree_height(c->child[heavy]))
			pmtree_rotate(t, c, heavy);
		return pmtree_rotate(t, n, !heavy);
	}
	pmtree_fix_height(n);
	return n;
}

/*
 * Rebalances from n up. Once a subtree keeps its height, nothing above it
 * can change: inserts stop after O(1) steps amortised, removals after at
 * most the tree's height.
 */
static void pmtree_retrace(struct pmtree *t, struct pmtree_node *n)
{
	while (n) {
		struct pmtree_node *p = n->parent;
		int old = n->height;

		n = pmtree_balance(t, n);
		if (n->height == old)
			return;
		n = p;
	}
}

static void pmtree_link_only(struct pmtree *t, struct pmtree_node *parent, int dir,
			     struct pmtree_node *n)
{
	n->child[0] = n->child[1] = NULL;
	n->height = 1;
	n->parent = parent;
	if (!parent)
		t->root = n;
	else
		parent->child[dir] = n;
}

static void pmtree_link(struct pmtree *t, struct pmtree_node *parent, int dir,
			struct pmtree_node *n)
{
	pmtree_link_only(t, parent, dir, n);
	pmtree_retrace(t, parent);
}

void pmtree_insert(struct pmtree *t, struct pmtree_node *n)
{
	struct pmtree_node *p = NULL, *c = t->root;
	int dir = 0;

	while (c) {
		p = c;
		dir = c->key < n->key;
		c = c->child[dir];
	}
	pmtree_link(t, p, dir, n);
}

/* Links n as a leaf right after at (at NULL: first), without rebalancing. */
static void pmtree_link_after(struct pmtree *t, struct pmtree_node *at, struct pmtree_node *n)
{
	if (!at)
		pmtree_link_only(t, pmtree_extreme(t->root, 0), 0, n);
	else if (!at->child[1])
		pmtree_link_only(t, at, 1, n);
	else
		pmtree_link_only(t, pmtree_extreme(at->child[1], 0), 0, n);
}

void pmtree_insert_after(struct pmtree *t, struct pmtree_node *at, struct pmtree_node *n)
{
	pmtree_link_after(t, at, n);
	pmtree_retrace(t, n->parent);
}

/*
 * n1 as a leaf where pmtree_insert_after() puts it, n2 as n1's right child:
 * n1's subtree is two high and balanced, so the one walk up from n1 can
 * restore every ancestor (each one is off by at most two, which one single
 * or double rotation mends), where two inserts would walk twice.
 */
void pmtree_insert_after2(struct pmtree *t, struct pmtree_node *at, struct pmtree_node *n1,
			  struct pmtree_node *n2)
{
	pmtree_link_after(t, at, n1);
	pmtree_link_only(t, n1, 1, n2);
	pmtree_retrace(t, n1);
}

void pmtree_remove(struct pmtree *t, struct pmtree_node *n)
{
	struct pmtree_node *start;

	if (n->child[0] && n->child[1]) {
		/* The successor takes n's place: it has no left child. */
		struct pmtree_node *s = pmtree_extreme(n->child[1], 0);

		if (s->parent != n) {
			start = s->parent;
			start->child[0] = s->child[1];
			if (s->child[1])
				s->child[1]->parent = start;
			s->child[1] = n->child[1];
			s->child[1]->parent = s;
		} else {
			start = s;
		}
		s->child[0] = n->child[0];
		s->child[0]->parent = s;
		s->parent = n->parent;
		s->height = n->height;
		pmtree_replace_child(t, n->parent, n, s);
	} else {
		struct pmtree_node *c = n->child[n->child[0] == NULL];

		start = n->parent;
		if (c)
			c->parent = start;
		pmtree_replace_child(t, start, n, c);
	}
	n->child[0] = n->child[1] = n->parent = NULL;
	pmtree_retrace(t, start);
}

/* Height of the subtree, or -1 if anything in it is wrong; keys within (lo, hi). */
static int pmtree_check_node(const struct pmtree_node *n, const struct pmtree_node *parent,
			     const uint64_t *lo, const uint64_t *hi)
{
	int l, r;

	if (!n)
		return 0;
	if (n->parent != parent || (lo && n->key <= *lo) || (hi && n->key >= *hi))
		return -1;
	l = pmtree_check_node(n->child[0], n, lo, &n->key);
	r = pmtree_check_node(n->child[1], n, &n->key, hi);
	if (l < 0 || r < 0 || l - r > 1 || r - l > 1 || n->height != 1 + (l > r ? l : r))
		return -1;
	return n->height;
}

bool pmtree_check(const struct pmtree *t)
{
	return pmtree_check_node(t->root, NULL, NULL, NULL) >= 0;
}

/* ---- the interval map ---------------------------------------------------------------- */

#define PR(n) ((struct perm_range *)(n)) /* node is the first member */

static struct perm_range *range_next(const struct perm_range *r)
{
	return PR(pmtree_next(&r->node));
}

static struct perm_range *range_floor(const struct pmtree *t, uint64_t page)
{
	return PR(pmtree_floor(t, page));
}

static uint64_t range_end(const struct perm_range *r)
{
	return r->node.key + r->count;
}

enum slot_kind perm_slot_kind(uint64_t perm)
{
	if (perm & ~(uint64_t)VTL_PERM_MASK)
		return SLOT_NONE;
	if (perm & VTL_PERM_W)
		return SLOT_RW;
	if (perm & (VTL_PERM_R | VTL_PERM_X))
		return SLOT_RO;
	return SLOT_NONE;
}

static bool permmap_valid(const struct permmap *m)
{
	/* chunk 0: a map of the perms alone, without the kind tree. */
	return m && m->perms.root && m->npages > 0 && (!m->chunk || m->kinds.root);
}

/* Slots a kind run of [first, first + count) needs: one per chunk it meets. */
static uint64_t permmap_pieces(const struct permmap *m, uint64_t first, uint64_t count,
			       uint8_t kind)
{
	if (kind == SLOT_NONE)
		return 0;
	return (first + count - 1) / m->chunk - first / m->chunk + 1;
}

static inline void edit_push(struct permmap_edit_side *s, uint64_t first, uint64_t count,
			     uint8_t val)
{
	struct permmap_piece *last = s->npiece ? &s->piece[s->npiece - 1] : NULL;

	if (last && last->perm == val) {
		last->count += count;
		return;
	}
	last = &s->piece[s->npiece++];
	last->first = first;
	last->count = count;
	last->perm = val;
}

/*
 * A set replaces the ranges it touches plus the neighbour on each side it
 * may merge with by at most five pieces: the left neighbour, the left
 * remainder of the first touched range, the new range, the right remainder
 * of the last touched range, the right neighbour. A neighbour can only merge
 * when the set reaches it (no remainder between them) and it has the set's
 * perm: otherwise it stays out of the window and is not even looked up.
 * all: both neighbours whatever they are (the kind side, whose window
 * permmap_plan_edit() starts from: it must hold the run of first - 1).
 * Computing this first and applying it second is what makes a set atomic.
 */
static inline __attribute__((always_inline)) void edit_side_prepare(const struct pmtree *t,
								    uint64_t first, uint64_t count,
								    uint8_t val, bool all,
								    struct permmap_edit_side *s)
{
	uint64_t last = first + count - 1;
	struct perm_range *lo = range_floor(t, first), *hi = lo, *wlo = NULL, *whi = NULL;

	s->nold = 1;
	while (range_end(hi) <= last) {
		hi = range_next(hi);
		s->nold++;
	}
	if (all || lo->node.key == first) {
		wlo = PR(pmtree_prev(&lo->node));
		if (!all && wlo && wlo->perm != val)
			wlo = NULL;
	}
	if (all || range_end(hi) == last + 1) {
		whi = range_next(hi);
		if (!all && whi && whi->perm != val)
			whi = NULL;
	}
	s->lo = wlo ? wlo : lo;
	s->hi = whi ? whi : hi;
	s->nold += (wlo != NULL) + (whi != NULL);
	s->npiece = 0;

	if (wlo)
		edit_push(s, wlo->node.key, wlo->count, wlo->perm);
	if (first > lo->node.key)
		edit_push(s, lo->node.key, first - lo->node.key, lo->perm);
	edit_push(s, first, count, val);
	if (last + 1 < range_end(hi))
		edit_push(s, last + 1, range_end(hi) - (last + 1), hi->perm);
	if (whi)
		edit_push(s, whi->node.key, whi->count, whi->perm);
}

int permmap_prepare(const struct permmap *m, uint64_t first, uint64_t count, uint64_t perm,
		    struct permmap_edit *e)
{
	const struct perm_range *r;
	size_t old_spans = 0, new_spans = 0, i;

	if (!permmap_valid(m) || !e || count == 0 || first >= m->npages ||
	    count > m->npages - first || perm > VTL_PERM_MASK)
		return -EINVAL;
	edit_side_prepare(&m->perms, first, count, (uint8_t)perm, false, &e->perms);
	e->first = first;
	e->count = count;
	e->nranges_after = m->n - e->perms.nold + e->perms.npiece;
	if (!m->chunk) {
		/* The perms alone: no kind side, no plan. */
		e->kinds.lo = e->kinds.hi = NULL;
		e->kinds.nold = e->kinds.npiece = 0;
		e->nspans_after = 0;
		return 0;
	}
	edit_side_prepare(&m->kinds, first, count, (uint8_t)perm_slot_kind(perm), true, &e->kinds);

	/*
	 * Slots are the kind runs cut at chunk boundaries, so the plan's
	 * length changes only by the pieces of the kind runs the edit
	 * replaces: the runs outside its window keep their extent.
	 */
	for (r = e->kinds.lo, i = 0; i < e->kinds.nold; r = range_next(r), i++)
		old_spans += permmap_pieces(m, r->node.key, r->count, r->perm);
	for (i = 0; i < e->kinds.npiece; i++)
		new_spans += permmap_pieces(m, e->kinds.piece[i].first, e->kinds.piece[i].count,
					    e->kinds.piece[i].perm);
	e->nspans_after = m->nspans - old_spans + new_spans;
	return 0;
}

static struct perm_range *permmap_take_spare(struct permmap *m)
{
	struct perm_range *r = m->spare;

	m->spare = PR(r->node.child[1]);
	m->nspare--;
	return r;
}

static void permmap_push_spare(struct permmap *m, struct perm_range *r)
{
	r->node.child[1] = m->spare ? &m->spare->node : NULL;
	m->spare = r;
	m->nspare++;
}

static void permmap_put_spare(struct permmap *m, struct perm_range *r)
{
	if (m->nspare >= (m->chunk ? PERMMAP_SPARE_MAX : PERMMAP_PERMS_SPARE_MAX))
		free(r);
	else
		permmap_push_spare(m, r);
}

/* Spare nodes for need new ranges, so that applying cannot fail half-way. */
static int permmap_reserve_n(struct permmap *m, size_t need)
{
	while (m->nspare < need) {
		struct perm_range *r = calloc(1, sizeof(*r));

		if (!r)
			return -ENOMEM;
		permmap_push_spare(m, r);
	}
	return 0;
}

static size_t edit_side_growth(const struct permmap_edit_side *s)
{
	return s->npiece > s->nold ? s->npiece - s->nold : 0;
}

/* A spare node holding piece p, not linked yet. */
static struct perm_range *edit_take_piece(struct permmap *m, const struct permmap_piece *p)
{
	struct perm_range *r = permmap_take_spare(m);

	r->node.key = p->first;
	r->count = p->count;
	r->perm = p->perm;
	return r;
}

/*
 * The window's ranges take the pieces in order (their keys change, but all
 * stay between the window's outer neighbours, so the tree stays sorted);
 * ranges left over are unlinked, missing ones linked in after the last.
 */
static void edit_side_apply(struct permmap *m, struct pmtree *t, const struct permmap_edit_side *s)
{
	struct perm_range *r = s->lo, *prev = NULL;
	size_t i;

	for (i = 0; i < s->nold; i++) {
		struct perm_range *next = i + 1 < s->nold ? range_next(r) : NULL;

		if (i < s->npiece) {
			r->node.key = s->piece[i].first;
			r->count = s->piece[i].count;
			r->perm = s->piece[i].perm;
			prev = r;
		} else {
			pmtree_remove(t, &r->node);
			permmap_put_spare(m, r);
		}
		r = next;
	}
	/* The missing ones after the last: two at a time, with one rebalancing walk. */
	while (i < s->npiece) {
		struct perm_range *n1 = edit_take_piece(m, &s->piece[i++]), *n2;

		if (i == s->npiece) {
			pmtree_insert_after(t, &prev->node, &n1->node);
			break;
		}
		n2 = edit_take_piece(m, &s->piece[i++]);
		pmtree_insert_after2(t, &prev->node, &n1->node, &n2->node);
		prev = n2;
	}
}

int permmap_reserve(struct permmap *m, const struct permmap_edit *e)
{
	return permmap_reserve_n(m, edit_side_growth(&e->perms) + edit_side_growth(&e->kinds));
}

int permmap_apply(struct permmap *m, const struct permmap_edit *e)
{
	int err;

	if (e->nranges_after > m->max_ranges)
		return -ENOSPC;
	err = permmap_reserve(m, e);
	if (err)
		return err;
	/* Nothing can fail from here on. */
	edit_side_apply(m, &m->perms, &e->perms);
	if (m->chunk)
		edit_side_apply(m, &m->kinds, &e->kinds);
	m->n = e->nranges_after;
	m->nkinds = m->nkinds - e->kinds.nold + e->kinds.npiece;
	m->nspans = e->nspans_after;
	return 0;
}

static int permmap_add_range(struct pmtree *t, uint64_t npages, uint8_t val)
{
	struct perm_range *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->count = npages;
	r->perm = val;
	pmtree_insert(t, &r->node);
	return 0;
}

int permmap_init(struct permmap *m, uint64_t npages, uint64_t perm, size_t max_ranges,
		 uint64_t chunk)
{
	if (!m)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	if (npages == 0 || max_ranges == 0 || chunk == 0 || perm > VTL_PERM_MASK)
		return -EINVAL;
	if (permmap_add_range(&m->perms, npages, (uint8_t)perm) ||
	    permmap_add_range(&m->kinds, npages, (uint8_t)perm_slot_kind(perm))) {
		permmap_destroy(m);
		return -ENOMEM;
	}
	m->n = m->nkinds = 1;
	m->npages = npages;
	m->chunk = chunk;
	m->max_ranges = max_ranges;
	m->nspans = permmap_pieces(m, 0, npages, perm_slot_kind(perm));
	return 0;
}

int permmap_init_perms(struct permmap *m, uint64_t npages, uint64_t perm, size_t max_ranges)
{
	if (!m)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	if (npages == 0 || max_ranges == 0 || perm > VTL_PERM_MASK)
		return -EINVAL;
	if (permmap_add_range(&m->perms, npages, (uint8_t)perm))
		return -ENOMEM;
	m->n = 1;
	m->npages = npages;
	m->max_ranges = max_ranges;
	return 0;
}

/* Post-order, with no recursion: a tree of a million ranges is still only ~30 deep. */
static void permmap_free_tree(struct pmtree *t)
{
	struct pmtree_node *n = t->root;

	while (n) {
		if (n->child[0]) {
			n = n->child[0];
		} else if (n->child[1]) {
			n = n->child[1];
		} else {
			struct pmtree_node *p = n->parent;

			if (p)
				p->child[p->child[1] == n] = NULL;
			free(n);
			n = p;
		}
	}
	t->root = NULL;
}

void permmap_destroy(struct permmap *m)
{
	if (!m)
		return;
	permmap_free_tree(&m->perms);
	permmap_free_tree(&m->kinds);
	while (m->spare) {
		struct perm_range *r = m->spare;

		m->spare = PR(r->node.child[1]);
		free(r);
	}
	memset(m, 0, sizeof(*m));
}

int permmap_set(struct permmap *m, uint64_t first, uint64_t count, uint64_t perm)
{
	struct permmap_edit e;
	int err;

	err = permmap_prepare(m, first, count, perm, &e);
	if (err)
		return err;
	return permmap_apply(m, &e);
}

int permmap_set_dry(const struct permmap *m, uint64_t first, uint64_t count, uint64_t perm,
		    size_t *nranges_after, size_t *nspans_after)
{
	struct permmap_edit e;
	int err;

	err = permmap_prepare(m, first, count, perm, &e);
	if (err)
		return err;
	if (nranges_after)
		*nranges_after = e.nranges_after;
	if (nspans_after)
		*nspans_after = e.nspans_after;
	return 0;
}

uint8_t permmap_get(const struct permmap *m, uint64_t page)
{
	if (!permmap_valid(m) || page >= m->npages)
		return 0;
	return range_floor(&m->perms, page)->perm;
}

const struct perm_range *permmap_first(const struct permmap *m)
{
	return m ? PR(pmtree_first(&m->perms)) : NULL;
}

const struct perm_range *permmap_next(const struct perm_range *r)
{
	return range_next(r);
}

/* A canonical cover of [0, npages) in t, n ranges, optionally of the kinds of perms. */
static bool permmap_check_cover(const struct permmap *m, const struct pmtree *t, size_t n,
				bool kinds, size_t *nspans)
{
	const struct perm_range *r, *prev = NULL;
	uint64_t next = 0;
	size_t count = 0;

	if (!pmtree_check(t))
		return false;
	for (r = PR(pmtree_first(t)); r; prev = r, r = range_next(r), count++) {
		if (r->node.key != next || !r->count || r->count > m->npages - next)
			return false;
		if (prev && prev->perm == r->perm)
			return false;
		if (kinds) {
			/* Every page's kind is its perm's kind. */
			for (uint64_t p = r->node.key; p < range_end(r);) {
				const struct perm_range *q = range_floor(&m->perms, p);

				if (perm_slot_kind(q->perm) != r->perm)
					return false;
				p = range_end(q);
			}
			*nspans += permmap_pieces(m, r->node.key, r->count, r->perm);
		} else if (r->perm > VTL_PERM_MASK) {
			return false;
		}
		next = range_end(r);
	}
	return next == m->npages && count == n;
}

bool permmap_check(const struct permmap *m)
{
	size_t nspans = 0;

	if (permmap_valid(m) && !m->chunk)
		return permmap_check_cover(m, &m->perms, m->n, false, NULL) && !m->kinds.root &&
		       !m->nkinds && !m->nspans && m->n <= m->max_ranges;
	return permmap_valid(m) && permmap_check_cover(m, &m->perms, m->n, false, NULL) &&
	       permmap_check_cover(m, &m->kinds, m->nkinds, true, &nspans) && nspans == m->nspans &&
	       m->n <= m->max_ranges;
}

/* ---- slot plans ------------------------------------------------------------------ */

/*
 * Emits the chunk pieces of the kind runs that meet [lo, hi], from the run
 * r on (r may end before lo): each piece whole, even where it reaches past
 * the window.
 */
static size_t permmap_emit_spans(const struct permmap *m, const struct perm_range *r, uint64_t lo,
				 uint64_t hi, struct slot_span *out, size_t max)
{
	size_t nout = 0;

	for (; r && r->node.key <= hi; r = range_next(r)) {
		uint64_t a = r->node.key > lo ? r->node.key : lo;
		uint64_t b = range_end(r) - 1 < hi ? range_end(r) - 1 : hi;

		/* An edit's window may start a run early. */
		if (r->perm == SLOT_NONE || range_end(r) <= lo)
			continue;
		for (uint64_t c = a / m->chunk; c <= b / m->chunk; c++) {
			uint64_t cs = c * m->chunk;
			uint64_t s = r->node.key > cs ? r->node.key : cs;
			/* cs + chunk may pass UINT64_MAX; the run's end never does. */
			uint64_t e = range_end(r) - cs <= m->chunk ? range_end(r) : cs + m->chunk;

			if (out && nout < max)
				out[nout] = (struct slot_span){
				    .first = s, .count = e - s, .kind = (enum slot_kind)r->perm};
			nout++;
		}
	}
	return nout;
}

size_t permmap_plan(const struct permmap *m, struct slot_span *out, size_t max)
{
	if (!permmap_valid(m) || !m->chunk)
		return 0;
	if (!out || !max)
		return m->nspans;
	permmap_emit_spans(m, PR(pmtree_first(&m->kinds)), 0, m->npages - 1, out, max);
	return m->nspans;
}

/* The window of pages whose slots a set of [first, first + count) can change; false if none. */
static bool permmap_window(const struct permmap *m, uint64_t first, uint64_t count,
			   uint64_t *wfirst, uint64_t *wlast)
{
	if (!permmap_valid(m) || !m->chunk || count == 0 || count > UINT64_MAX - first)
		return false;
	*wfirst = first > 0 ? first - 1 : 0;
	*wlast = first + count; /* one past the set: it may merge with the set */
	if (*wfirst >= m->npages)
		return false;
	if (*wlast >= m->npages)
		*wlast = m->npages - 1;
	return true;
}

size_t permmap_plan_around(const struct permmap *m, uint64_t first, uint64_t count,
			   struct slot_span *out, size_t max)
{
	uint64_t wfirst, wlast;

	if (!permmap_window(m, first, count, &wfirst, &wlast))
		return 0;
	return permmap_emit_spans(m, range_floor(&m->kinds, wfirst), wfirst, wlast, out, max);
}

size_t permmap_plan_edit(const struct permmap *m, const struct permmap_edit *e,
			 struct slot_span *out, size_t max)
{
	uint64_t wfirst, wlast;

	if (!e || !permmap_window(m, e->first, e->count, &wfirst, &wlast))
		return 0;
	return permmap_emit_spans(m, e->kinds.lo, wfirst, wlast, out, max);
}

/* ---- slot diffs ------------------------------------------------------------------ */

static bool slot_plan_valid(const struct slot_span *s, size_t n)
{
	uint64_t end = 0;
	size_t i;

	if (n && !s)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i].count == 0 || s[i].count > UINT64_MAX - s[i].first)
			return false;
		if (s[i].kind != SLOT_RO && s[i].kind != SLOT_RW)
			return false;
		if (i > 0 && s[i].first < end)
			return false;
		end = s[i].first + s[i].count;
	}
	return true;
}

int slot_plan_diff(const struct slot_span *old_, size_t nold, const struct slot_span *new_,
		   size_t nnew, struct slot_span *del, size_t *ndel, struct slot_span *add,
		   size_t *nadd)
{
	size_t i = 0, j = 0, nd = 0, na = 0;

	if (!ndel || !nadd)
		return -EINVAL;
	*ndel = 0;
	*nadd = 0;
	if ((nold && !del) || (nnew && !add) || !slot_plan_valid(old_, nold) ||
	    !slot_plan_valid(new_, nnew))
		return -EINVAL;

	/* Starts are unique within a sorted, non-overlapping plan: walk both by start. */
	while (i < nold || j < nnew) {
		if (j == nnew || (i < nold && old_[i].first < new_[j].first)) {
			del[nd++] = old_[i++];
		} else if (i == nold || new_[j].first < old_[i].first) {
			add[na++] = new_[j++];
		} else if (old_[i].count == new_[j].count && old_[i].kind == new_[j].kind) {
			i++;
			j++;
		} else {
			del[nd++] = old_[i++];
			add[na++] = new_[j++];
		}
	}
	*ndel = nd;
	*nadd = na;
	return 0;
}
