/* VTL0 page-permission map: interval arithmetic, slot plans and slot diffs. */
#include "monitor/protect/permmap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vtl1_abi.h"

/*
 * A set replaces ranges [wlo, whi] (the ranges it touches plus one neighbour
 * on each side, which it may merge with) by at most five pieces: the left
 * neighbour, the left remainder of the first touched range, the new range,
 * the right remainder of the last touched range, the right neighbour.
 * Computing this first and applying it second is what makes a set atomic.
 */
#define EDIT_MAX_PIECES 5

struct permmap_edit {
	size_t wlo, whi;
	struct perm_range piece[EDIT_MAX_PIECES];
	size_t npiece;
	size_t nranges_after, nspans_after;
};

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
	return m && m->r && m->n > 0 && m->npages > 0;
}

/* Index of the range holding page; the caller guarantees page < npages. */
static size_t permmap_find(const struct permmap *m, uint64_t page)
{
	size_t lo = 0, hi = m->n - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		if (m->r[mid].first <= page)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static enum slot_kind range_kind(const struct permmap *m, size_t i)
{
	return perm_slot_kind(m->r[i].perm);
}

/* Whether range i begins a slot span: the span count is the number of these. */
static bool range_starts_span(const struct permmap *m, size_t i)
{
	enum slot_kind k = range_kind(m, i);

	return k != SLOT_NONE && (i == 0 || range_kind(m, i - 1) != k);
}

static void edit_push(struct permmap_edit *e, uint64_t first, uint64_t count, uint8_t perm)
{
	struct perm_range *last = e->npiece ? &e->piece[e->npiece - 1] : NULL;

	if (last && last->perm == perm) {
		last->count += count;
		return;
	}
	e->piece[e->npiece++] = (struct perm_range){.first = first, .count = count, .perm = perm};
}

static int permmap_edit_prepare(const struct permmap *m, uint64_t first, uint64_t count,
				uint64_t perm, struct permmap_edit *e)
{
	size_t lo, hi, i, old_starts = 0, new_starts = 0;
	enum slot_kind prev;
	uint64_t last, hi_end;

	if (!permmap_valid(m) || count == 0 || first >= m->npages || count > m->npages - first ||
	    perm > VTL_PERM_MASK)
		return -EINVAL;

	last = first + count - 1;
	lo = permmap_find(m, first);
	hi = permmap_find(m, last);
	e->wlo = lo > 0 ? lo - 1 : lo;
	e->whi = hi + 1 < m->n ? hi + 1 : hi;
	e->npiece = 0;

	if (e->wlo < lo)
		edit_push(e, m->r[e->wlo].first, m->r[e->wlo].count, m->r[e->wlo].perm);
	if (first > m->r[lo].first)
		edit_push(e, m->r[lo].first, first - m->r[lo].first, m->r[lo].perm);
	edit_push(e, first, count, (uint8_t)perm);
	hi_end = m->r[hi].first + m->r[hi].count;
	if (last + 1 < hi_end)
		edit_push(e, last + 1, hi_end - (last + 1), m->r[hi].perm);
	if (e->whi > hi)
		edit_push(e, m->r[e->whi].first, m->r[e->whi].count, m->r[e->whi].perm);

	/*
	 * Only span starts inside the window can change: the range before it
	 * is untouched, and the range after it still follows a range with the
	 * same perm (the right neighbour, possibly merged), so its start
	 * status holds too. Merging equal perms never changes a kind boundary.
	 */
	for (i = e->wlo; i <= e->whi; i++)
		old_starts += range_starts_span(m, i);
	prev = e->wlo > 0 ? range_kind(m, e->wlo - 1) : SLOT_NONE;
	for (i = 0; i < e->npiece; i++) {
		enum slot_kind k = perm_slot_kind(e->piece[i].perm);

		new_starts += k != SLOT_NONE && k != prev;
		prev = k;
	}

	e->nranges_after = m->n - (e->whi - e->wlo + 1) + e->npiece;
	e->nspans_after = m->nspans - old_starts + new_starts;
	return 0;
}

int permmap_init(struct permmap *m, uint64_t npages, uint64_t perm, size_t max_ranges)
{
	if (!m)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	if (npages == 0 || max_ranges == 0 || perm > VTL_PERM_MASK)
		return -EINVAL;

	/* Start small: most maps stay at a handful of ranges. */
	m->cap = max_ranges < 8 ? max_ranges : 8;
	m->r = calloc(m->cap, sizeof(*m->r));
	if (!m->r) {
		m->cap = 0;
		return -ENOMEM;
	}
	m->r[0] = (struct perm_range){.first = 0, .count = npages, .perm = (uint8_t)perm};
	m->n = 1;
	m->npages = npages;
	m->max_ranges = max_ranges;
	m->nspans = perm_slot_kind(perm) != SLOT_NONE;
	return 0;
}

void permmap_destroy(struct permmap *m)
{
	if (!m)
		return;
	free(m->r);
	memset(m, 0, sizeof(*m));
}

static int permmap_reserve(struct permmap *m, size_t need)
{
	struct perm_range *r;
	size_t cap;

	if (need <= m->cap)
		return 0;
	cap = m->cap > m->max_ranges / 2 ? m->max_ranges : m->cap * 2;
	if (cap < need)
		cap = need;
	r = reallocarray(m->r, cap, sizeof(*r));
	if (!r)
		return -ENOMEM;
	m->r = r;
	m->cap = cap;
	return 0;
}

int permmap_set(struct permmap *m, uint64_t first, uint64_t count, uint64_t perm)
{
	struct permmap_edit e;
	size_t tail;
	int err;

	err = permmap_edit_prepare(m, first, count, perm, &e);
	if (err)
		return err;
	if (e.nranges_after > m->max_ranges)
		return -ENOSPC;
	err = permmap_reserve(m, e.nranges_after);
	if (err)
		return err;

	/* Nothing can fail from here on. */
	tail = m->n - (e.whi + 1);
	memmove(&m->r[e.wlo + e.npiece], &m->r[e.whi + 1], tail * sizeof(*m->r));
	memcpy(&m->r[e.wlo], e.piece, e.npiece * sizeof(*m->r));
	m->n = e.nranges_after;
	m->nspans = e.nspans_after;
	return 0;
}

int permmap_set_dry(const struct permmap *m, uint64_t first, uint64_t count, uint64_t perm,
		    size_t *nranges_after, size_t *nspans_after)
{
	struct permmap_edit e;
	int err;

	err = permmap_edit_prepare(m, first, count, perm, &e);
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
	return m->r[permmap_find(m, page)].perm;
}

/*
 * Emits the spans that start at or after range i (i must be the first range
 * of its span, or a SLOT_NONE range) and begin at or before page stop.
 */
static size_t permmap_emit_spans(const struct permmap *m, size_t i, uint64_t stop,
				 struct slot_span *out, size_t max)
{
	size_t nout = 0;

	while (i < m->n && m->r[i].first <= stop) {
		enum slot_kind k = range_kind(m, i);
		size_t j = i;

		if (k == SLOT_NONE) {
			i++;
			continue;
		}
		while (j + 1 < m->n && range_kind(m, j + 1) == k)
			j++;
		if (out && nout < max)
			out[nout] = (struct slot_span){
			    .first = m->r[i].first,
			    .count = m->r[j].first + m->r[j].count - m->r[i].first,
			    .kind = k,
			};
		nout++;
		i = j + 1;
	}
	return nout;
}

size_t permmap_plan(const struct permmap *m, struct slot_span *out, size_t max)
{
	if (!permmap_valid(m))
		return 0;
	return permmap_emit_spans(m, 0, UINT64_MAX, out, max);
}

size_t permmap_plan_around(const struct permmap *m, uint64_t first, uint64_t count,
			   struct slot_span *out, size_t max)
{
	uint64_t wfirst, wlast;
	size_t i;

	if (!permmap_valid(m) || count == 0 || count > UINT64_MAX - first)
		return 0;
	wfirst = first > 0 ? first - 1 : 0;
	wlast = first + count; /* one past the set: it may merge with the set */
	if (wfirst >= m->npages)
		return 0;
	if (wlast >= m->npages)
		wlast = m->npages - 1;

	/* Back up to the start of the span holding wfirst. */
	i = permmap_find(m, wfirst);
	if (range_kind(m, i) != SLOT_NONE)
		while (i > 0 && range_kind(m, i - 1) == range_kind(m, i))
			i--;
	return permmap_emit_spans(m, i, wlast, out, max);
}

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
