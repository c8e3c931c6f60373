/* Unit tests for the VTL0 permission map, checked against a per-page brute-force model. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/protect/permmap.h"
#include "vtl1_abi.h"

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64: tiny, seedable, and good enough to shuffle test inputs. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return rng_next(s) % n;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	cr_assert_not_null(p);
	return p;
}

/* The monitor's chunk: 2 MiB of 4 KiB pages. */
#define CHUNK 512

/* Invariants checked without trusting anything the map says about itself. */
static void check_invariants(const struct permmap *m, const char *where)
{
	const struct perm_range *r, *prev = NULL;
	uint64_t next = 0;
	size_t i = 0;

	if (m->n < 1 || m->n > m->max_ranges)
		cr_assert_fail("%s: n %zu max %zu", where, m->n, m->max_ranges);
	for (r = permmap_first(m); r; prev = r, r = permmap_next(r), i++) {
		if (perm_range_first(r) != next || r->count == 0 ||
		    r->count > m->npages - perm_range_first(r))
			cr_assert_fail("%s: range %zu [%lu,+%lu) breaks the cover at %lu", where, i,
				       (unsigned long)perm_range_first(r), (unsigned long)r->count,
				       (unsigned long)next);
		if (r->perm > VTL_PERM_MASK)
			cr_assert_fail("%s: range %zu perm %u", where, i, r->perm);
		if (prev && r->perm == prev->perm)
			cr_assert_fail("%s: ranges %zu and %zu share perm %u", where, i - 1, i,
				       r->perm);
		next = perm_range_first(r) + r->count;
	}
	if (i != m->n)
		cr_assert_fail("%s: %zu ranges in the tree, n says %zu", where, i, m->n);
	if (next != m->npages)
		cr_assert_fail("%s: cover ends at %lu, not %lu", where, (unsigned long)next,
			       (unsigned long)m->npages);
	/* The trees' shape (AVL balance, links, order) and the kind tree. */
	if (!permmap_check(m))
		cr_assert_fail("%s: permmap_check", where);
}

/* Maximal runs of one slot kind, cut at every multiple of chunk. */
static size_t model_plan(const uint8_t *model, uint64_t npages, uint64_t chunk,
			 struct slot_span *out)
{
	size_t n = 0;
	uint64_t p = 0;

	while (p < npages) {
		enum slot_kind k = perm_slot_kind(model[p]);
		uint64_t q = p + 1;

		while (q < npages && q % chunk && perm_slot_kind(model[q]) == k)
			q++;
		if (k != SLOT_NONE)
			out[n++] = (struct slot_span){.first = p, .count = q - p, .kind = k};
		p = q;
	}
	return n;
}

static bool span_eq(const struct slot_span *a, const struct slot_span *b)
{
	return a->first == b->first && a->count == b->count && a->kind == b->kind;
}

static bool plans_eq(const struct slot_span *a, size_t na, const struct slot_span *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!span_eq(&a[i], &b[i]))
			return false;
	return true;
}

static int span_cmp(const void *a, const void *b)
{
	const struct slot_span *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * Applies del/add to old_ the way the monitor would (deletions, then
 * creations) and checks that the result is new_, that every deletion names
 * an existing slot, and that no slot is deleted and then created again.
 */
static void check_diff_applies(const struct slot_span *old_, size_t nold,
			       const struct slot_span *new_, size_t nnew,
			       const struct slot_span *del, size_t ndel,
			       const struct slot_span *add, size_t nadd, const char *where)
{
	struct slot_span *res = xcalloc(nold + nadd, sizeof(*res));
	bool *gone = xcalloc(nold, sizeof(*gone));
	size_t i, j, nres = 0;

	for (i = 0; i < ndel; i++) {
		for (j = 0; j < nold; j++)
			if (!gone[j] && span_eq(&old_[j], &del[i]))
				break;
		if (j == nold)
			cr_assert_fail("%s: deletes a span that is not in the old plan", where);
		gone[j] = true;
		for (j = 0; j < nadd; j++)
			if (span_eq(&del[i], &add[j]))
				cr_assert_fail("%s: span [%lu,+%lu) deleted and re-created", where,
					       (unsigned long)del[i].first,
					       (unsigned long)del[i].count);
	}
	for (j = 0; j < nold; j++)
		if (!gone[j])
			res[nres++] = old_[j];
	for (i = 0; i < nadd; i++) {
		/* Surviving slots must not overlap a creation: KVM would refuse it. */
		for (j = 0; j < nold; j++)
			if (!gone[j] && add[i].first < old_[j].first + old_[j].count &&
			    old_[j].first < add[i].first + add[i].count)
				cr_assert_fail("%s: creation overlaps a kept slot", where);
		res[nres++] = add[i];
	}
	qsort(res, nres, sizeof(*res), span_cmp);
	if (!plans_eq(res, nres, new_, nnew))
		cr_assert_fail("%s: diff applied to the old plan is not the new plan", where);
	free(gone);
	free(res);
}

/* A copy of the ranges, to prove that a refused operation changed nothing. */
struct snap_range {
	uint64_t first, count;
	uint8_t perm;
};

struct snapshot {
	struct snap_range *r;
	size_t n, nspans;
};

static void snap_take(struct snapshot *s, const struct permmap *m)
{
	const struct perm_range *r;
	size_t i = 0;

	s->r = xcalloc(m->n, sizeof(*s->r));
	for (r = permmap_first(m); r && i < m->n; r = permmap_next(r), i++)
		s->r[i] = (struct snap_range){perm_range_first(r), r->count, r->perm};
	s->n = m->n;
	s->nspans = m->nspans;
}

static bool snap_same(const struct snapshot *s, const struct permmap *m)
{
	const struct perm_range *r;
	size_t i = 0;

	if (s->n != m->n || s->nspans != m->nspans)
		return false;
	for (r = permmap_first(m); r; r = permmap_next(r), i++)
		if (i >= s->n || s->r[i].first != perm_range_first(r) ||
		    s->r[i].count != r->count || s->r[i].perm != r->perm)
			return false;
	return i == s->n;
}

static void snap_free(struct snapshot *s)
{
	free(s->r);
	s->r = NULL;
}

/* An argument set that must be refused with -EINVAL, whatever npages is. */
static void random_invalid(uint64_t *rng, uint64_t npages, uint64_t *first, uint64_t *count,
			   uint64_t *perm)
{
	*first = rng_below(rng, npages);
	*count = 1;
	*perm = rng_below(rng, 8);
	switch (rng_below(rng, 6)) {
	case 0: *count = 0; break;
	case 1: *first = UINT64_MAX; break;
	case 2: *first = npages; break;
	case 3: *count = npages - *first + 1 + rng_below(rng, 4); break;
	case 4: *perm = 8 + rng_below(rng, 1000); break;
	default:
		*first = UINT64_MAX - rng_below(rng, 4);
		*count = 2 + rng_below(rng, 8);
		break;
	}
}

static void random_valid(uint64_t *rng, uint64_t npages, uint64_t *first, uint64_t *count,
			 uint64_t *perm)
{
	uint64_t room, r = rng_below(rng, 10);

	*first = rng_below(rng, npages);
	room = npages - *first;
	if (r < 4)
		*count = 1 + rng_below(rng, 4);
	else if (r < 8)
		*count = 1 + rng_below(rng, npages / 10 + 1);
	else
		*count = 1 + rng_below(rng, room);
	if (*count > room)
		*count = room;
	*perm = rng_below(rng, 8);
}

static void run_random_sequences(uint64_t seed, int nseq, int nops)
{
	uint64_t rng = seed;
	int seq, op;

	for (seq = 0; seq < nseq; seq++) {
		uint64_t npages = 1 + rng_below(&rng, 5000);
		uint64_t init_perm = rng_below(&rng, 8);
		/* Half the sequences run near a tight limit to exercise -ENOSPC. */
		size_t max_ranges = rng_below(&rng, 2) ? SIZE_MAX : 1 + rng_below(&rng, 40);
		/* Chunks from one page to none at all, and the monitor's. */
		uint64_t chunk = rng_below(&rng, 4) == 0   ? UINT64_MAX
				 : rng_below(&rng, 3) == 0 ? CHUNK
							   : 1 + rng_below(&rng, 700);
		uint8_t *model = xcalloc(npages, 1);
		struct slot_span *plan_old = xcalloc(npages, sizeof(*plan_old));
		struct slot_span *plan_new = xcalloc(npages, sizeof(*plan_new));
		struct slot_span *expect = xcalloc(npages, sizeof(*expect));
		struct slot_span *del = xcalloc(npages, sizeof(*del));
		struct slot_span *add = xcalloc(npages, sizeof(*add));
		struct slot_span *ar_old = xcalloc(npages, sizeof(*ar_old));
		struct slot_span *ar_new = xcalloc(npages, sizeof(*ar_new));
		struct slot_span *ldel = xcalloc(npages, sizeof(*ldel));
		struct slot_span *ladd = xcalloc(npages, sizeof(*ladd));
		struct permmap m;
		size_t nold, nnew;
		char where[96];

		cr_assert_eq(permmap_init(&m, npages, init_perm, max_ranges, chunk), 0);
		memset(model, (int)init_perm, npages);
		nold = permmap_plan(&m, plan_old, npages);

		for (op = 0; op < nops; op++) {
			uint64_t first, count, perm, p;
			size_t dry_ranges = 0, dry_spans = 0, ndel, nadd, nar_old, nar_new;
			size_t nldel, nladd, nexpect;
			struct snapshot snap;
			bool invalid = rng_below(&rng, 100) < 5;
			int dry, err;

			snprintf(where, sizeof(where), "seed %lu seq %d op %d", (unsigned long)seed,
				 seq, op);
			if (invalid)
				random_invalid(&rng, npages, &first, &count, &perm);
			else
				random_valid(&rng, npages, &first, &count, &perm);

			snap_take(&snap, &m);
			nar_old = permmap_plan_around(&m, first, count, ar_old, npages);
			dry = permmap_set_dry(&m, first, count, perm, &dry_ranges, &dry_spans);
			err = permmap_set(&m, first, count, perm);

			if (invalid) {
				if (dry != -EINVAL || err != -EINVAL)
					cr_assert_fail("%s: invalid set gave %d/%d", where, dry,
						       err);
			} else if (dry != 0) {
				cr_assert_fail("%s: valid dry run gave %d", where, dry);
			} else if (dry_ranges > max_ranges) {
				if (err != -ENOSPC)
					cr_assert_fail("%s: over the limit but set gave %d", where,
						       err);
			} else if (err != 0) {
				cr_assert_fail("%s: set gave %d", where, err);
			} else if (m.n != dry_ranges || m.nspans != dry_spans) {
				cr_assert_fail("%s: dry run predicted %zu/%zu, got %zu/%zu", where,
					       dry_ranges, dry_spans, m.n, m.nspans);
			}
			if (err) {
				if (!snap_same(&snap, &m))
					cr_assert_fail("%s: failed set (%d) changed the map", where,
						       err);
			} else {
				memset(model + first, (int)perm, count);
			}
			snap_free(&snap);

			check_invariants(&m, where);
			for (p = 0; p < npages; p++)
				if (permmap_get(&m, p) != model[p])
					cr_assert_fail("%s: page %lu is %u, model %u", where,
						       (unsigned long)p, permmap_get(&m, p),
						       model[p]);
			if (permmap_get(&m, npages) != 0 || permmap_get(&m, UINT64_MAX) != 0)
				cr_assert_fail("%s: page past the end is not 0", where);

			nnew = permmap_plan(&m, plan_new, npages);
			nexpect = model_plan(model, npages, chunk, expect);
			if (!plans_eq(plan_new, nnew, expect, nexpect) || m.nspans != nnew)
				cr_assert_fail("%s: plan differs from the model's", where);

			if (slot_plan_diff(plan_old, nold, plan_new, nnew, del, &ndel, add,
					   &nadd) != 0)
				cr_assert_fail("%s: diff refused well-formed plans", where);
			check_diff_applies(plan_old, nold, plan_new, nnew, del, ndel, add, nadd,
					   where);

			/* The local window must produce exactly the global diff. */
			nar_new = permmap_plan_around(&m, first, count, ar_new, npages);
			if (slot_plan_diff(ar_old, nar_old, ar_new, nar_new, ldel, &nldel, ladd,
					   &nladd) != 0)
				cr_assert_fail("%s: diff refused the window plans", where);
			if (!plans_eq(ldel, nldel, del, ndel) || !plans_eq(ladd, nladd, add, nadd))
				cr_assert_fail(
				    "%s: window diff %zu/%zu differs from plan diff %zu/%zu", where,
				    nldel, nladd, ndel, nadd);

			memcpy(plan_old, plan_new, nnew * sizeof(*plan_new));
			nold = nnew;
		}

		permmap_destroy(&m);
		free(ladd);
		free(ldel);
		free(ar_new);
		free(ar_old);
		free(add);
		free(del);
		free(expect);
		free(plan_new);
		free(plan_old);
		free(model);
	}
}

/* 200 sequences x 300 ops in all, over four seeds so a failure names a small rerun. */
Test(permmap, random_seed_1)
{
	run_random_sequences(1, 50, 300);
}

Test(permmap, random_seed_2)
{
	run_random_sequences(0xdeadbeef, 50, 300);
}

Test(permmap, random_seed_3)
{
	run_random_sequences(20240601, 50, 300);
}

Test(permmap, random_seed_4)
{
	run_random_sequences(0x123456789abcdefULL, 50, 300);
}

Test(permmap, init_rejects_bad_arguments)
{
	struct permmap m;

	cr_assert_eq(permmap_init(&m, 0, VTL_PERM_R, 16, CHUNK), -EINVAL);
	cr_assert_eq(permmap_init(&m, 16, VTL_PERM_R, 0, CHUNK), -EINVAL);
	cr_assert_eq(permmap_init(&m, 16, VTL_PERM_R, 16, 0), -EINVAL);
	cr_assert_eq(permmap_init(&m, 16, 8, 16, CHUNK), -EINVAL);
	cr_assert_eq(permmap_init(&m, 16, 0x101, 16, CHUNK), -EINVAL);
	cr_assert_eq(permmap_init(NULL, 16, 0, 16, CHUNK), -EINVAL);
	/* A map whose init failed is inert, not garbage. */
	cr_assert_eq(permmap_get(&m, 0), 0);
	cr_assert_eq(permmap_plan(&m, NULL, 0), 0);
	cr_assert_eq(permmap_set(&m, 0, 1, VTL_PERM_R), -EINVAL);
	permmap_destroy(&m);
	permmap_destroy(&m);
	permmap_destroy(NULL);
}

Test(permmap, whole_range)
{
	struct permmap m;
	struct slot_span s[2];

	cr_assert_eq(permmap_init(&m, 100, VTL_PERM_R | VTL_PERM_W, 16, CHUNK), 0);
	cr_assert_eq(permmap_nspans(&m), 1);
	cr_assert_eq(permmap_set(&m, 0, 100, VTL_PERM_R), 0);
	cr_assert_eq(permmap_nranges(&m), 1);
	cr_assert_eq(permmap_plan(&m, s, 2), 1);
	cr_assert(s[0].first == 0 && s[0].count == 100 && s[0].kind == SLOT_RO);
	cr_assert_eq(permmap_set(&m, 0, 100, 0), 0);
	cr_assert_eq(permmap_nranges(&m), 1);
	cr_assert_eq(permmap_plan(&m, s, 2), 0);
	cr_assert_eq(permmap_nspans(&m), 0);
	permmap_destroy(&m);
}

Test(permmap, single_page_at_both_ends)
{
	struct permmap m;
	struct slot_span s[4];

	cr_assert_eq(permmap_init(&m, 10, VTL_PERM_R | VTL_PERM_W, 16, CHUNK), 0);
	cr_assert_eq(permmap_set(&m, 0, 1, VTL_PERM_R), 0);
	cr_assert_eq(permmap_set(&m, 9, 1, 0), 0);
	cr_assert_eq(permmap_nranges(&m), 3);
	cr_assert_eq(permmap_get(&m, 0), VTL_PERM_R);
	cr_assert_eq(permmap_get(&m, 1), VTL_PERM_R | VTL_PERM_W);
	cr_assert_eq(permmap_get(&m, 8), VTL_PERM_R | VTL_PERM_W);
	cr_assert_eq(permmap_get(&m, 9), 0);
	cr_assert_eq(permmap_plan(&m, s, 4), 2);
	cr_assert(s[0].first == 0 && s[0].count == 1 && s[0].kind == SLOT_RO);
	cr_assert(s[1].first == 1 && s[1].count == 8 && s[1].kind == SLOT_RW);

	/* A one-page map: both ends at once. */
	permmap_destroy(&m);
	cr_assert_eq(permmap_init(&m, 1, 0, 1, CHUNK), 0);
	cr_assert_eq(permmap_set(&m, 0, 1, VTL_PERM_X), 0);
	cr_assert_eq(permmap_get(&m, 0), VTL_PERM_X);
	cr_assert_eq(permmap_set(&m, 0, 2, VTL_PERM_X), -EINVAL);
	cr_assert_eq(permmap_set(&m, 1, 1, VTL_PERM_X), -EINVAL);
	permmap_destroy(&m);
}

Test(permmap, rejects_bad_ranges_and_perms)
{
	struct permmap m;
	struct snapshot snap;
	size_t nr = 99, ns = 99;

	cr_assert_eq(permmap_init(&m, 64, VTL_PERM_R | VTL_PERM_W, 16, CHUNK), 0);
	cr_assert_eq(permmap_set(&m, 8, 8, VTL_PERM_R), 0);
	snap_take(&snap, &m);
	cr_assert_eq(permmap_set(&m, 0, 0, VTL_PERM_R), -EINVAL);
	cr_assert_eq(permmap_set(&m, UINT64_MAX, 1, VTL_PERM_R), -EINVAL);
	cr_assert_eq(permmap_set(&m, UINT64_MAX, UINT64_MAX, VTL_PERM_R), -EINVAL);
	cr_assert_eq(permmap_set(&m, 1, UINT64_MAX, VTL_PERM_R), -EINVAL);
	cr_assert_eq(permmap_set(&m, 64, 1, VTL_PERM_R), -EINVAL);
	cr_assert_eq(permmap_set(&m, 60, 5, VTL_PERM_R), -EINVAL);
	cr_assert_eq(permmap_set(&m, 0, 65, VTL_PERM_R), -EINVAL);
	cr_assert_eq(permmap_set(&m, 0, 1, 8), -EINVAL);
	cr_assert_eq(permmap_set(&m, 0, 1, 0x101), -EINVAL); /* would truncate to R */
	cr_assert_eq(permmap_set(&m, 0, 1, UINT64_MAX), -EINVAL);
	cr_assert_eq(permmap_set_dry(&m, 0, 0, VTL_PERM_R, &nr, &ns), -EINVAL);
	cr_assert_eq(permmap_set_dry(&m, UINT64_MAX, 2, VTL_PERM_R, &nr, &ns), -EINVAL);
	cr_assert_eq(permmap_set_dry(&m, 0, 1, 8, &nr, &ns), -EINVAL);
	cr_assert(nr == 99 && ns == 99);
	cr_assert(snap_same(&snap, &m));
	cr_assert_eq(permmap_get(&m, 64), 0);
	cr_assert_eq(permmap_get(&m, UINT64_MAX), 0);
	snap_free(&snap);
	permmap_destroy(&m);
}

Test(permmap, enospc_leaves_map_unchanged)
{
	struct permmap m;
	struct snapshot snap;
	size_t nr, ns;

	cr_assert_eq(permmap_init(&m, 100, VTL_PERM_R | VTL_PERM_W, 3, CHUNK), 0);
	cr_assert_eq(permmap_set(&m, 10, 5, VTL_PERM_R), 0);
	cr_assert_eq(permmap_nranges(&m), 3);

	snap_take(&snap, &m);
	cr_assert_eq(permmap_set_dry(&m, 50, 1, 0, &nr, &ns), 0);
	cr_assert_eq(nr, 5);
	cr_assert_eq(ns, 4);
	cr_assert_eq(permmap_set(&m, 50, 1, 0), -ENOSPC);
	cr_assert(snap_same(&snap, &m));
	/* Splitting at the end of the map needs only one more range: still too many. */
	cr_assert_eq(permmap_set(&m, 99, 1, 0), -ENOSPC);
	cr_assert(snap_same(&snap, &m));
	snap_free(&snap);

	/* At the limit, changes that do not add ranges still go through. */
	cr_assert_eq(permmap_set(&m, 10, 5, VTL_PERM_X), 0);
	cr_assert_eq(permmap_set(&m, 12, 20, VTL_PERM_X), 0);
	cr_assert_eq(permmap_nranges(&m), 3);
	cr_assert_eq(permmap_set(&m, 0, 100, VTL_PERM_R), 0);
	cr_assert_eq(permmap_nranges(&m), 1);
	cr_assert_eq(permmap_set(&m, 0, 1, 0), 0);
	cr_assert_eq(permmap_set(&m, 99, 1, 0), 0);
	cr_assert_eq(permmap_nranges(&m), 3);
	permmap_destroy(&m);
}

Test(permmap, merges_on_both_sides)
{
	struct permmap m;
	struct slot_span s[4];

	cr_assert_eq(permmap_init(&m, 100, VTL_PERM_R | VTL_PERM_W, 16, CHUNK), 0);
	cr_assert_eq(permmap_set(&m, 10, 5, VTL_PERM_R), 0);
	cr_assert_eq(permmap_set(&m, 20, 5, VTL_PERM_R), 0);
	cr_assert_eq(permmap_nranges(&m), 5);
	cr_assert_eq(permmap_set(&m, 15, 5, VTL_PERM_R), 0);
	cr_assert_eq(permmap_nranges(&m), 3);
	{
		const struct perm_range *r = permmap_next(permmap_first(&m));

		cr_assert(perm_range_first(r) == 10 && r->count == 15 && r->perm == VTL_PERM_R);
	}
	/* Back to the surrounding perm: everything merges into one range. */
	cr_assert_eq(permmap_set(&m, 10, 15, VTL_PERM_R | VTL_PERM_W), 0);
	cr_assert_eq(permmap_nranges(&m), 1);

	/* Distinct perms of the same kind stay distinct ranges but share one slot. */
	cr_assert_eq(permmap_set(&m, 10, 5, VTL_PERM_R), 0);
	cr_assert_eq(permmap_set(&m, 15, 5, VTL_PERM_R | VTL_PERM_X), 0);
	cr_assert_eq(permmap_set(&m, 20, 5, VTL_PERM_X), 0);
	cr_assert_eq(permmap_nranges(&m), 5);
	cr_assert_eq(permmap_plan(&m, s, 4), 3);
	cr_assert(s[1].first == 10 && s[1].count == 15 && s[1].kind == SLOT_RO);
	permmap_destroy(&m);
}

Test(permmap, slot_kinds)
{
	cr_assert_eq(perm_slot_kind(0), SLOT_NONE);
	cr_assert_eq(perm_slot_kind(VTL_PERM_R), SLOT_RO);
	cr_assert_eq(perm_slot_kind(VTL_PERM_X), SLOT_RO);
	cr_assert_eq(perm_slot_kind(VTL_PERM_R | VTL_PERM_X), SLOT_RO);
	cr_assert_eq(perm_slot_kind(VTL_PERM_W), SLOT_RW);
	cr_assert_eq(perm_slot_kind(VTL_PERM_R | VTL_PERM_W), SLOT_RW);
	cr_assert_eq(perm_slot_kind(VTL_PERM_MASK), SLOT_RW);
	cr_assert_eq(perm_slot_kind(8), SLOT_NONE);
	cr_assert_eq(perm_slot_kind(0x103), SLOT_NONE);
}

Test(permmap, plan_reports_size_beyond_max)
{
	struct permmap m;
	struct slot_span s[3];
	uint64_t p;

	cr_assert_eq(permmap_init(&m, 10, VTL_PERM_R, 16, CHUNK), 0);
	for (p = 0; p < 10; p += 2)
		cr_assert_eq(permmap_set(&m, p, 1, 0), 0);
	memset(s, 0xa5, sizeof(s));
	cr_assert_eq(permmap_plan(&m, s, 2), 5);
	cr_assert(s[0].first == 1 && s[1].first == 3);
	cr_assert_eq(s[2].first, 0xa5a5a5a5a5a5a5a5ULL); /* untouched */
	cr_assert_eq(permmap_plan(&m, NULL, 0), 5);
	cr_assert_eq(permmap_nspans(&m), 5);
	permmap_destroy(&m);
}

Test(permmap, plan_around_windows)
{
	struct permmap m;
	struct slot_span s[8];

	/* RW [0,10) RO [10,20) none [20,30) RW [30,40) */
	cr_assert_eq(permmap_init(&m, 40, VTL_PERM_R | VTL_PERM_W, 16, CHUNK), 0);
	cr_assert_eq(permmap_set(&m, 10, 5, VTL_PERM_R), 0);
	cr_assert_eq(permmap_set(&m, 15, 5, VTL_PERM_X), 0);
	cr_assert_eq(permmap_set(&m, 20, 10, 0), 0);

	cr_assert_eq(permmap_plan_around(&m, 0, 1, s, 8), 1);
	cr_assert(s[0].first == 0 && s[0].count == 10);
	/* Page 9 touches page 10, which may merge, so its span is in the window. */
	cr_assert_eq(permmap_plan_around(&m, 9, 1, s, 8), 2);
	cr_assert(s[1].first == 10 && s[1].count == 10 && s[1].kind == SLOT_RO);
	/* A window starting inside an RO span reports the whole span. */
	cr_assert_eq(permmap_plan_around(&m, 17, 1, s, 8), 1);
	cr_assert(s[0].first == 10 && s[0].count == 10);
	cr_assert_eq(permmap_plan_around(&m, 22, 2, s, 8), 0);
	cr_assert_eq(permmap_plan_around(&m, 39, 1, s, 8), 1);
	cr_assert(s[0].first == 30 && s[0].count == 10);
	cr_assert_eq(permmap_plan_around(&m, 0, 40, s, 8), 3);
	cr_assert_eq(permmap_plan_around(&m, 0, 0, s, 8), 0);
	cr_assert_eq(permmap_plan_around(&m, UINT64_MAX, 1, s, 8), 0);
	cr_assert_eq(permmap_plan_around(&m, 2, UINT64_MAX, s, 8), 0);
	cr_assert_eq(permmap_plan_around(&m, 41, 1, s, 8), 0);
	permmap_destroy(&m);
}

Test(permmap, diff_rejects_malformed_plans)
{
	struct slot_span good[2] = {{0, 4, SLOT_RW}, {4, 4, SLOT_RO}};
	struct slot_span overlap[2] = {{0, 5, SLOT_RW}, {4, 4, SLOT_RO}};
	struct slot_span unsorted[2] = {{4, 4, SLOT_RO}, {0, 4, SLOT_RW}};
	struct slot_span empty[1] = {{0, 0, SLOT_RW}};
	struct slot_span none[1] = {{0, 4, SLOT_NONE}};
	struct slot_span wrap[1] = {{UINT64_MAX, 2, SLOT_RO}};
	struct slot_span del[2], add[2];
	size_t nd = 7, na = 7;

	cr_assert_eq(slot_plan_diff(good, 2, overlap, 2, del, &nd, add, &na), -EINVAL);
	cr_assert(nd == 0 && na == 0);
	cr_assert_eq(slot_plan_diff(unsorted, 2, good, 2, del, &nd, add, &na), -EINVAL);
	cr_assert_eq(slot_plan_diff(good, 2, empty, 1, del, &nd, add, &na), -EINVAL);
	cr_assert_eq(slot_plan_diff(none, 1, good, 2, del, &nd, add, &na), -EINVAL);
	cr_assert_eq(slot_plan_diff(good, 2, wrap, 1, del, &nd, add, &na), -EINVAL);
	cr_assert_eq(slot_plan_diff(NULL, 1, good, 2, del, &nd, add, &na), -EINVAL);
	cr_assert_eq(slot_plan_diff(good, 2, good, 2, NULL, &nd, add, &na), -EINVAL);
	cr_assert_eq(slot_plan_diff(good, 2, good, 2, del, NULL, add, &na), -EINVAL);

	cr_assert_eq(slot_plan_diff(good, 2, good, 2, del, &nd, add, &na), 0);
	cr_assert(nd == 0 && na == 0);
	cr_assert_eq(slot_plan_diff(NULL, 0, NULL, 0, NULL, &nd, NULL, &na), 0);
	cr_assert_eq(slot_plan_diff(good, 2, NULL, 0, del, &nd, NULL, &na), 0);
	cr_assert_eq(nd, 2);
	cr_assert_eq(na, 0);
}

Test(permmap, diff_kind_change_recreates_slot)
{
	struct slot_span old_[2] = {{0, 4, SLOT_RW}, {4, 4, SLOT_RO}};
	struct slot_span new_[2] = {{0, 4, SLOT_RO}, {4, 4, SLOT_RO}};
	struct slot_span del[2], add[2];
	size_t nd, na;

	/* Same extent, other kind: READONLY cannot be toggled in place. */
	cr_assert_eq(slot_plan_diff(old_, 2, new_, 2, del, &nd, add, &na), 0);
	cr_assert_eq(nd, 1);
	cr_assert_eq(na, 1);
	cr_assert(span_eq(&del[0], &old_[0]));
	cr_assert(span_eq(&add[0], &new_[0]));
}

/*
 * Every other page of 20,000 made read-only one call at a time, then given
 * back, in both directions: 20,000 ranges at the peak, and each step must
 * cost a bounded number of slot changes when diffed locally.
 */
static void alternating(bool reverse_restore)
{
	const uint64_t npages = 20000;
	struct slot_span before[4], after[4], del[4], add[4];
	size_t nb, na, nd, nad, k;
	struct permmap m;
	uint64_t p;

	cr_assert_eq(permmap_init(&m, npages, VTL_PERM_R | VTL_PERM_W, 32764 * 2, CHUNK), 0);
	for (k = 0; k < npages / 2; k++) {
		p = 2 * k;
		nb = permmap_plan_around(&m, p, 1, before, 4);
		cr_assert_eq(permmap_set(&m, p, 1, VTL_PERM_R), 0);
		na = permmap_plan_around(&m, p, 1, after, 4);
		cr_assert(nb <= 4 && na <= 4);
		cr_assert_eq(slot_plan_diff(before, nb, after, na, del, &nd, add, &nad), 0);
		cr_assert(nd <= 1 && nad <= 3);
	}
	cr_assert_eq(permmap_nranges(&m), npages);
	cr_assert_eq(permmap_nspans(&m), npages);
	check_invariants(&m, "alternating peak");
	for (p = 0; p < npages; p++)
		cr_assert_eq(permmap_get(&m, p), p % 2 ? VTL_PERM_R | VTL_PERM_W : VTL_PERM_R);

	for (k = 0; k < npages / 2; k++) {
		p = reverse_restore ? npages - 2 - 2 * k : 2 * k;
		nb = permmap_plan_around(&m, p, 1, before, 4);
		cr_assert_eq(permmap_set(&m, p, 1, VTL_PERM_R | VTL_PERM_W), 0);
		na = permmap_plan_around(&m, p, 1, after, 4);
		cr_assert(nb <= 3 && na <= 3);
		cr_assert_eq(slot_plan_diff(before, nb, after, na, del, &nd, add, &nad), 0);
		cr_assert(nd <= 3 && nad <= 1);
	}
	check_invariants(&m, "alternating restored");
	cr_assert_eq(permmap_nranges(&m), 1);
	cr_assert_eq(permmap_nspans(&m), (npages + CHUNK - 1) / CHUNK);
	permmap_destroy(&m);
}

Test(permmap, alternating_forward, .timeout = 20)
{
	alternating(false);
}

Test(permmap, alternating_reverse, .timeout = 20)
{
	alternating(true);
}

/* ---- bounded slots: the 2 MiB chunk cuts ------------------------------------------ */

#define GIB_PAGES (1ULL << 18) /* 1 GiB of 4 KiB pages */

struct change_cost {
	size_t ndel, nadd;
	uint64_t biggest; /* pages of the largest slot deleted or created */
};

/*
 * Sets [first, first + count) to perm through prepare/apply, as the engine
 * does, and returns what the slot diff around it costs. Also proves that the
 * window diff is the whole-plan diff's size (the budget stays exact).
 */
static struct change_cost change(struct permmap *m, uint64_t first, uint64_t count, uint64_t perm)
{
	struct slot_span before[128], after[128], del[128], add[128];
	struct change_cost c = {0};
	struct permmap_edit e;
	size_t nb, na;

	cr_assert_eq(permmap_prepare(m, first, count, perm, &e), 0);
	nb = permmap_plan_edit(m, &e, before, 128);
	cr_assert_leq(nb, 128);
	cr_assert_eq(permmap_apply(m, &e), 0);
	cr_assert_eq(permmap_nspans(m), e.nspans_after);
	na = permmap_plan_edit(m, &e, after, 128);
	cr_assert_leq(na, 128);
	cr_assert_eq(slot_plan_diff(before, nb, after, na, del, &c.ndel, add, &c.nadd), 0);
	/* The spans outside the window did not change: the count moved by the diff alone. */
	for (size_t i = 0; i < c.ndel; i++)
		c.biggest = del[i].count > c.biggest ? del[i].count : c.biggest;
	for (size_t i = 0; i < c.nadd; i++)
		c.biggest = add[i].count > c.biggest ? add[i].count : c.biggest;
	return c;
}

/* Every other page R over [from, from + 2 * n): n single-page ranges and slots. */
static void many_ranges(struct permmap *m, uint64_t from, uint64_t n)
{
	for (uint64_t k = 0; k < n; k++)
		cr_assert_eq(permmap_set(m, from + 2 * k, 1, VTL_PERM_R), 0);
}

/*
 * One page protected and restored in the middle of 3 GiB of RWX RAM, with
 * and without 16,000 other ranges: every slot deleted or created is at most
 * one chunk, there are at most 1 + 3 of them, and the counts do not depend
 * on RAM size or on the other ranges.
 */
static void one_page_in_big_region(uint64_t npages, uint64_t nother)
{
	const uint64_t page = npages / 2 + 100; /* inside a chunk, far from the others */
	struct change_cost c;
	struct permmap m;
	size_t spans0;

	cr_assert_eq(permmap_init(&m, npages, VTL_PERM_MASK, 1u << 20, CHUNK), 0);
	cr_assert_eq(permmap_nspans(&m), (npages + CHUNK - 1) / CHUNK);
	many_ranges(&m, 4096, nother);
	spans0 = permmap_nspans(&m);

	c = change(&m, page, 1, VTL_PERM_R);
	cr_assert(c.ndel == 1 && c.nadd == 3, "protect: %zu deleted, %zu created", c.ndel, c.nadd);
	cr_assert_leq(c.biggest, CHUNK);
	cr_assert_eq(permmap_nspans(&m), spans0 + 2, "the budget counts the chunk cuts exactly");

	c = change(&m, page, 1, VTL_PERM_MASK);
	cr_assert(c.ndel == 3 && c.nadd == 1, "restore: %zu deleted, %zu created", c.ndel, c.nadd);
	cr_assert_leq(c.biggest, CHUNK, "restoring merges back one chunk, never large neighbours");
	cr_assert_eq(permmap_nspans(&m), spans0);

	/* On a chunk boundary: the chunk before keeps its slot. */
	c = change(&m, (page / CHUNK + 1) * CHUNK, 1, 0);
	cr_assert(c.ndel == 1 && c.nadd == 1 && c.biggest == CHUNK, "%zu/%zu", c.ndel, c.nadd);
	c = change(&m, (page / CHUNK + 1) * CHUNK, 1, VTL_PERM_MASK);
	cr_assert(c.ndel == 1 && c.nadd == 1 && c.biggest == CHUNK, "%zu/%zu", c.ndel, c.nadd);
	cr_assert_eq(permmap_nspans(&m), spans0);
	check_invariants(&m, "big region");
	permmap_destroy(&m);
}

Test(permmap_chunks, one_page_in_32mib)
{
	one_page_in_big_region(32ULL << 8, 0);
}

Test(permmap_chunks, one_page_in_3gib)
{
	one_page_in_big_region(3 * GIB_PAGES, 0);
}

Test(permmap_chunks, one_page_in_3gib_among_16000_ranges, .timeout = 20)
{
	one_page_in_big_region(3 * GIB_PAGES, 16000);
}

Test(permmap_chunks, plan_window_is_local)
{
	struct slot_span s[8];
	struct permmap m;

	/* 3 GiB in 1536 chunk slots; the window of a one-page set is one chunk's slot. */
	cr_assert_eq(permmap_init(&m, 3 * GIB_PAGES, VTL_PERM_MASK, 16, CHUNK), 0);
	cr_assert_eq(permmap_plan(&m, NULL, 0), 1536);
	cr_assert_eq(permmap_plan_around(&m, 1000, 1, s, 8), 1);
	cr_assert(s[0].first == 512 && s[0].count == 512 && s[0].kind == SLOT_RW);
	/* Its one-page neighbours reach into the next chunk: two slots, both whole. */
	cr_assert_eq(permmap_plan_around(&m, 1023, 1, s, 8), 2);
	cr_assert(s[1].first == 1024 && s[1].count == 512);
	/* A 2 MiB-aligned 2 MiB set: its own chunk and both neighbours' chunks. */
	cr_assert_eq(permmap_plan_around(&m, 1024, 512, s, 8), 3);
	permmap_destroy(&m);
}

Test(permmap_chunks, large_change_costs_its_chunks)
{
	const uint64_t npages = 3 * GIB_PAGES, first = GIB_PAGES + 7, count = 64 * CHUNK;
	struct change_cost c;
	struct permmap m;

	/* 128 MiB read-only at an odd page: one slot per chunk it meets, none larger. */
	cr_assert_eq(permmap_init(&m, npages, VTL_PERM_MASK, 16, CHUNK), 0);
	c = change(&m, first, count, VTL_PERM_R);
	cr_assert_eq(c.ndel, 65);
	cr_assert_eq(c.nadd, 65 + 2);
	cr_assert_leq(c.biggest, CHUNK);
	cr_assert_eq(permmap_nspans(&m), 1536 + 2);
	c = change(&m, first, count, VTL_PERM_MASK);
	cr_assert(c.ndel == 67 && c.nadd == 65 && c.biggest <= CHUNK);
	cr_assert_eq(permmap_nspans(&m), 1536);
	permmap_destroy(&m);
}

Test(permmap_chunks, budget_counts_cuts)
{
	struct permmap m;
	size_t nr, ns;

	/* 10 pages, chunks of 4: RW [0,4) [4,8) [8,10). */
	cr_assert_eq(permmap_init(&m, 10, VTL_PERM_R | VTL_PERM_W, 16, 4), 0);
	cr_assert_eq(permmap_nspans(&m), 3);
	/* Page 4 read-only: [4] RO and [5,8) RW in chunk 1. */
	cr_assert_eq(permmap_set_dry(&m, 4, 1, VTL_PERM_R, &nr, &ns), 0);
	cr_assert(nr == 3 && ns == 4);
	/* R and X are two ranges of one kind: pages 3..6 RO are still cut at 4. */
	cr_assert_eq(permmap_set(&m, 3, 2, VTL_PERM_R), 0);
	cr_assert_eq(permmap_set(&m, 5, 2, VTL_PERM_X), 0);
	cr_assert_eq(permmap_nranges(&m), 4);
	cr_assert_eq(permmap_nspans(&m), 5); /* [0,3) [3] [4,7) [7] [8,10) */
	check_invariants(&m, "cuts");
	cr_assert_eq(permmap_set(&m, 0, 10, 0), 0);
	cr_assert_eq(permmap_nspans(&m), 0);
	permmap_destroy(&m);
}

/* ---- the AVL tree on its own -------------------------------------------------------- */

Test(pmtree, random_inserts_and_removes_stay_balanced)
{
	enum { N = 3000 };
	static struct pmtree_node nodes[N];
	static bool in[N];
	struct pmtree t = {0};
	uint64_t rng = 42;
	size_t count = 0;

	for (int step = 0; step < 20000; step++) {
		size_t i = rng_below(&rng, N);

		if (in[i]) {
			pmtree_remove(&t, &nodes[i]);
			count--;
		} else {
			nodes[i].key = i * 3;
			/* Half by key, half right after the predecessor the caller found. */
			if (rng_below(&rng, 2))
				pmtree_insert(&t, &nodes[i]);
			else
				pmtree_insert_after(&t, pmtree_floor(&t, i * 3), &nodes[i]);
			count++;
		}
		in[i] = !in[i];
		if (step % 500 == 0 || step > 19900) {
			size_t n = 0;
			uint64_t last = 0;

			cr_assert(pmtree_check(&t), "step %d", step);
			for (struct pmtree_node *x = pmtree_first(&t); x; x = pmtree_next(x), n++) {
				cr_assert(n == 0 || x->key > last);
				last = x->key;
			}
			cr_assert_eq(n, count);
		}
	}
	/* The height of an AVL tree of n nodes is below 1.45 log2(n + 2). */
	cr_assert_leq(t.root ? t.root->height : 0, 17);
}

/* ---- a map of the perms alone (the memslot engine's, one per chunk) -------------------- */

Test(permmap_perms, matches_the_model_and_has_no_plan)
{
	const uint64_t npages = 200;
	uint8_t model[200];
	struct permmap m;
	struct slot_span s[4];
	uint64_t rng = 7;

	cr_assert_eq(permmap_init_perms(&m, 0, VTL_PERM_R, 16), -EINVAL);
	cr_assert_eq(permmap_init_perms(&m, npages, VTL_PERM_R, 0), -EINVAL);
	cr_assert_eq(permmap_init_perms(&m, npages, 8, 16), -EINVAL);
	cr_assert_eq(permmap_init_perms(NULL, npages, 0, 16), -EINVAL);
	cr_assert_eq(permmap_init_perms(&m, npages, VTL_PERM_MASK, npages), 0);
	memset(model, VTL_PERM_MASK, sizeof(model));
	for (int i = 0; i < 4000; i++) {
		uint64_t first = rng_below(&rng, npages);
		uint64_t count = 1 + rng_below(&rng, rng_below(&rng, 4) ? 5 : npages - first);
		uint64_t perm = rng_below(&rng, 8);
		struct permmap_edit e;

		if (count > npages - first)
			count = npages - first;
		cr_assert_eq(permmap_prepare(&m, first, count, perm, &e), 0);
		cr_assert_eq(e.nspans_after, 0);
		cr_assert_eq(e.kinds.nold + e.kinds.npiece, 0, "no kind side");
		/* Reserved first, applying cannot fail (perm.c relies on it). */
		cr_assert_eq(permmap_reserve(&m, &e), 0);
		cr_assert_eq(permmap_apply(&m, &e), 0);
		memset(model + first, (int)perm, count);
		check_invariants(&m, "perms alone");
		cr_assert(permmap_check(&m));
		for (uint64_t p = 0; p < npages; p++)
			cr_assert_eq(permmap_get(&m, p), model[p], "page %lu", (unsigned long)p);
		cr_assert_leq(m.nspare, 2, "spares are capped at what one set needs");
	}
	cr_assert_eq(permmap_plan(&m, s, 4), 0);
	cr_assert_eq(permmap_plan_around(&m, 0, npages, s, 4), 0);
	cr_assert_eq(permmap_nspans(&m), 0);
	cr_assert_null(m.kinds.root);
	permmap_destroy(&m);
	permmap_destroy(&m);
}

/* A set's window takes a neighbour only where the set can merge with it. */
Test(permmap_perms, window_takes_only_merging_neighbours)
{
	struct permmap_edit e;
	struct permmap m;

	cr_assert_eq(permmap_init_perms(&m, 30, VTL_PERM_MASK, 30), 0);
	cr_assert_eq(permmap_set(&m, 10, 10, VTL_PERM_R), 0); /* RWX R RWX */
	/* Inside a range: that range alone, cut in three. */
	cr_assert_eq(permmap_prepare(&m, 12, 2, 0, &e), 0);
	cr_assert(e.perms.nold == 1 && e.perms.npiece == 3);
	/* Reaching both neighbours, with their perm: all three merge into one. */
	cr_assert_eq(permmap_prepare(&m, 10, 10, VTL_PERM_MASK, &e), 0);
	cr_assert(e.perms.nold == 3 && e.perms.npiece == 1);
	/* Reaching them with another perm: they stay out of the window. */
	cr_assert_eq(permmap_prepare(&m, 10, 10, VTL_PERM_X, &e), 0);
	cr_assert(e.perms.nold == 1 && e.perms.npiece == 1);
	cr_assert_eq(permmap_apply(&m, &e), 0);
	check_invariants(&m, "window");
	permmap_destroy(&m);
}

/* ---- pmtree_insert_after2: two inserts, one rebalancing walk ---------------------------- */

Test(pmtree, insert_after2_keeps_the_tree_balanced)
{
	enum { N = 3000 };
	struct pmtree_node *nodes = xcalloc(N, sizeof(*nodes)), *n;
	bool *in = xcalloc(N, sizeof(*in));
	struct pmtree t = {NULL};
	uint64_t rng = 99, k, i, linked = 0;
	size_t used = 0;

	/* Keys spaced out, so that any node has room for two after it. */
	nodes[used].key = 1ULL << 40;
	in[used] = true;
	linked++;
	pmtree_insert(&t, &nodes[used++]);
	while (used + 2 <= N) {
		size_t j = rng_below(&rng, used);
		struct pmtree_node *at = &nodes[j], *next;
		uint64_t hi;

		if (!in[j])
			continue;
		next = pmtree_next(at);
		hi = next ? next->key : at->key + (1ULL << 20);
		if (hi - at->key < 3)
			continue;
		nodes[used].key = at->key + (hi - at->key) / 3;
		nodes[used + 1].key = at->key + 2 * (hi - at->key) / 3;
		pmtree_insert_after2(&t, at, &nodes[used], &nodes[used + 1]);
		in[used] = in[used + 1] = true;
		linked += 2;
		used += 2;
		cr_assert(pmtree_check(&t), "after %zu nodes", used);
		/* Now and then take one out again, at random (never the last one). */
		j = rng_below(&rng, used);
		if (rng_below(&rng, 4) == 0 && in[j] && linked > 1) {
			pmtree_remove(&t, &nodes[j]);
			in[j] = false;
			linked--;
			cr_assert(pmtree_check(&t));
		}
	}
	for (k = 0, n = pmtree_first(&t); n; n = pmtree_next(n))
		k++;
	cr_assert_eq(k, linked, "%lu nodes in the tree, %lu linked", (unsigned long)k,
		     (unsigned long)linked);
	/* At the ends too: after the last node, and as the first (at NULL). */
	for (i = 0; i < 2; i++) {
		struct pmtree_node *a = xcalloc(2, sizeof(*a));

		if (i == 0) {
			for (n = pmtree_first(&t); pmtree_next(n); n = pmtree_next(n))
				;
			a[0].key = n->key + 1;
			a[1].key = n->key + 2;
			pmtree_insert_after2(&t, n, &a[0], &a[1]);
		} else {
			a[0].key = 0;
			a[1].key = 1;
			pmtree_insert_after2(&t, NULL, &a[0], &a[1]);
		}
		cr_assert(pmtree_check(&t));
		pmtree_remove(&t, &a[0]);
		pmtree_remove(&t, &a[1]);
		free(a);
	}
	free(in);
	free(nodes);
}
