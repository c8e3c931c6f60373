/* libFuzzer target: the permission map, slot planner and memslot engine vs a page-array model. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "monitor/kvm/kvm.h"
#include "monitor/protect/perm.h"
#include "monitor/protect/permmap.h"
#include "vtl1_abi.h"
#include "vtl_layout.h"
#include "vtl_status.h"

/*
 * Input layout (zero past the end):
 *   u8 mode: bit 0 drives the memslot engine (perm.c over a fake KVM), else
 *            the map alone (permmap.c); bit 1 starts the map at a random perm;
 *            bits 2..7 are the chunk in pages (0: the monitor's
 *            PERM_CHUNK_PAGES), so that little RAM still crosses chunks.
 *   u16 pages (1..FUZZ_PAGES_MAX), u8 budget (max_ranges for the map,
 *   max_slots for the engine), u8 initial perm,
 *   then operations, each: u8 op, u8 flags, u64 first, u64 count, u8 perm.
 *   flags bit 0 takes first/count raw instead of folding them into the map,
 *   bit 1 takes perm raw (up to 0xff) instead of & 7, bits 4..7 make the
 *   fake KVM fail its (n-1)th slot call of this op (0: never). In engine
 *   mode op % 4 == 3 is no set but an access on VTL0's behalf (perm_vtl0_*):
 *   flags bit 2 asks for W instead of R, bit 0 takes the address raw.
 *   op 0x80..0xff instead reads two arbitrary slot plans for slot_plan_diff:
 *   u8 n_old, u8 n_new, then that many (u64 first, u64 count, u8 kind).
 *
 * The model is one byte per page. After every operation the map must equal
 * it page for page; the range array must be the canonical cover; the slot
 * plan must be the maximal runs of the model's slot kinds cut at every
 * multiple of the chunk, sorted and disjoint; and the engine's slots, as the
 * fake KVM holds them, must be exactly that plan (what KVM enforces is what
 * VTL1 intended, and no slot is wider than a chunk).
 */
#define FUZZ_PAGES_MAX	      2048u
#define FUZZ_OPS_MAX	      64u
#define FUZZ_ENGINE_PAGES_MAX 512u
#define FUZZ_SPANS_MAX	      8u

struct model {
	uint8_t perm[FUZZ_PAGES_MAX];
	uint64_t npages, chunk;
};

static size_t model_ranges(const struct model *m)
{
	size_t n = 1;

	for (uint64_t p = 1; p < m->npages; p++)
		n += m->perm[p] != m->perm[p - 1];
	return n;
}

/*
 * The maximal runs of equal slot kind within a chunk, SLOT_NONE left out:
 * what permmap_plan must say.
 */
static size_t model_plan(const struct model *m, struct slot_span *out)
{
	size_t n = 0;

	for (uint64_t p = 0; p < m->npages;) {
		enum slot_kind k = perm_slot_kind(m->perm[p]);
		uint64_t q = p + 1;

		while (q < m->npages && q % m->chunk && perm_slot_kind(m->perm[q]) == k)
			q++;
		if (k != SLOT_NONE)
			out[n++] = (struct slot_span){p, q - p, k};
		p = q;
	}
	return n;
}

static bool spans_equal(const struct slot_span *a, const struct slot_span *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].first != b[i].first || a[i].count != b[i].count || a[i].kind != b[i].kind)
			return false;
	return true;
}

/* permmap.h's argument rules for a set, written out. */
static bool set_args_ok(uint64_t npages, uint64_t first, uint64_t count, uint64_t perm)
{
	return count && first < npages && count <= npages - first && perm <= VTL_PERM_MASK;
}

static void check_map(const struct permmap *pm, const struct model *m, const char *where)
{
	static struct slot_span plan[FUZZ_PAGES_MAX], want[FUZZ_PAGES_MAX];
	const struct perm_range *r, *prev = NULL;
	uint64_t next = 0;
	size_t n, nwant, i = 0;

	/* chunk 0: one of the engine's maps of the perms alone, whose plan is its live slots. */
	FUZZ_CHECK(pm->npages == m->npages && (!pm->chunk || pm->chunk == m->chunk),
		   "%s: npages %llu chunk %llu", where, (unsigned long long)pm->npages,
		   (unsigned long long)pm->chunk);
	FUZZ_CHECK(pm->n >= 1 && pm->n <= pm->max_ranges, "%s: %zu ranges, max %zu", where, pm->n,
		   pm->max_ranges);
	/* The trees' own shape (AVL, links, order) and the kind tree against the perms. */
	FUZZ_CHECK(permmap_check(pm), "%s: permmap_check", where);
	for (r = permmap_first(pm); r; prev = r, r = permmap_next(r), i++) {
		FUZZ_CHECK(perm_range_first(r) == next && r->count &&
			       r->count <= pm->npages - perm_range_first(r),
			   "%s: range %zu [%llu, +%llu) breaks the cover at %llu", where, i,
			   (unsigned long long)perm_range_first(r), (unsigned long long)r->count,
			   (unsigned long long)next);
		FUZZ_CHECK(r->perm <= VTL_PERM_MASK, "%s: range %zu perm %u", where, i, r->perm);
		FUZZ_CHECK(!prev || r->perm != prev->perm, "%s: ranges %zu, %zu both perm %u",
			   where, i - 1, i, r->perm);
		next = perm_range_first(r) + r->count;
	}
	FUZZ_CHECK(i == pm->n, "%s: %zu ranges in the tree, n %zu", where, i, pm->n);
	FUZZ_CHECK(next == pm->npages, "%s: cover ends at %llu", where, (unsigned long long)next);
	for (uint64_t p = 0; p < m->npages; p++)
		FUZZ_CHECK(permmap_get(pm, p) == m->perm[p], "%s: page %llu is %u, model %u", where,
			   (unsigned long long)p, permmap_get(pm, p), m->perm[p]);
	FUZZ_CHECK(permmap_get(pm, m->npages) == 0 && permmap_get(pm, UINT64_MAX) == 0,
		   "%s: a page past the map is not no-access", where);
	FUZZ_CHECK(permmap_nranges(pm) == model_ranges(m), "%s: %zu ranges, model %zu", where,
		   permmap_nranges(pm), model_ranges(m));

	if (!pm->chunk) {
		FUZZ_CHECK(!permmap_plan(pm, plan, FUZZ_PAGES_MAX) && !permmap_nspans(pm) &&
			       !permmap_plan_around(pm, 0, m->npages, plan, FUZZ_PAGES_MAX),
			   "%s: a map of the perms alone has a plan", where);
		return;
	}
	nwant = model_plan(m, want);
	n = permmap_plan(pm, plan, FUZZ_PAGES_MAX);
	FUZZ_CHECK(n == nwant && permmap_nspans(pm) == n,
		   "%s: plan of %zu spans (nspans %zu), model %zu", where, n, permmap_nspans(pm),
		   nwant);
	FUZZ_CHECK(spans_equal(plan, want, n), "%s: the plan is not the model's runs", where);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(plan[i].count <= pm->chunk &&
			       plan[i].first / pm->chunk ==
				   (plan[i].first + plan[i].count - 1) / pm->chunk,
			   "%s: span %zu crosses a chunk", where, i);
	/* A short buffer: the same count, and only max spans written. */
	if (n) {
		struct slot_span one[2] = {{0}, {0xdead, 0xbeef, SLOT_RO}};

		FUZZ_CHECK(permmap_plan(pm, one, 1) == n && spans_equal(one, want, 1) &&
			       one[1].first == 0xdead,
			   "%s: a one-span buffer", where);
	}
	FUZZ_CHECK(permmap_plan(pm, NULL, 0) == n, "%s: counting plan", where);
}

/*
 * permmap_plan_around(first, count): every span of the plan that meets
 * [first - 1, first + count] clipped to the map, whole, in order.
 */
static size_t check_around(const struct permmap *pm, uint64_t first, uint64_t count,
			   struct slot_span *out, const char *where)
{
	static struct slot_span plan[FUZZ_PAGES_MAX];
	size_t n = permmap_plan(pm, plan, FUZZ_PAGES_MAX), got, want = 0, j = 0;
	uint64_t lo, hi;
	bool empty = !count || count > UINT64_MAX - first;

	got = permmap_plan_around(pm, first, count, out, FUZZ_PAGES_MAX);
	FUZZ_CHECK(permmap_plan_around(pm, first, count, NULL, 0) == got,
		   "%s: counting plan_around", where);
	lo = first ? first - 1 : 0;
	hi = empty ? 0 : first + count; /* inclusive */
	if (empty || lo >= pm->npages) {
		FUZZ_CHECK(got == 0, "%s: %zu spans around an empty window", where, got);
		return 0;
	}
	if (hi >= pm->npages)
		hi = pm->npages - 1;
	for (size_t i = 0; i < n; i++) {
		if (plan[i].first > hi || plan[i].first + plan[i].count <= lo)
			continue;
		want++;
		FUZZ_CHECK(j < got && spans_equal(&plan[i], &out[j], 1),
			   "%s: span %zu of the plan missing from the window [%llu, %llu]", where,
			   i, (unsigned long long)lo, (unsigned long long)hi);
		j++;
	}
	FUZZ_CHECK(got == want, "%s: %zu spans around [%llu, %llu], the plan has %zu", where, got,
		   (unsigned long long)lo, (unsigned long long)hi, want);
	return got;
}

/* ---- slot_plan_diff ------------------------------------------------------ */

static bool plan_valid(const struct slot_span *s, size_t n)
{
	unsigned __int128 end = 0;

	for (size_t i = 0; i < n; i++) {
		if (!s[i].count || (unsigned __int128)s[i].first + s[i].count > UINT64_MAX)
			return false;
		if (s[i].kind != SLOT_RO && s[i].kind != SLOT_RW)
			return false;
		if (i && s[i].first < end)
			return false;
		end = (unsigned __int128)s[i].first + s[i].count;
	}
	return true;
}

static bool span_in(const struct slot_span *s, const struct slot_span *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (spans_equal(s, &set[i], 1))
			return true;
	return false;
}

/*
 * Minimal diff: del is exactly the old spans not in new, add exactly the new
 * spans not in old, both in plan order.
 */
static void check_diff(const struct slot_span *o, size_t no, const struct slot_span *nw, size_t nn,
		       const char *where)
{
	static struct slot_span del[FUZZ_PAGES_MAX + 1], add[FUZZ_PAGES_MAX + 1];
	size_t nd = 77, na = 77, k;
	bool valid = plan_valid(o, no) && plan_valid(nw, nn);
	int r = slot_plan_diff(o, no, nw, nn, del, &nd, add, &na);

	FUZZ_CHECK(r == 0 || r == -EINVAL, "%s: slot_plan_diff = %d", where, r);
	FUZZ_CHECK((r == 0) == valid, "%s: slot_plan_diff = %d for %s plans", where, r,
		   valid ? "valid" : "malformed");
	if (r) {
		FUZZ_CHECK(!nd && !na, "%s: failed diff left %zu/%zu", where, nd, na);
		return;
	}
	k = 0;
	for (size_t i = 0; i < no; i++)
		if (!span_in(&o[i], nw, nn))
			FUZZ_CHECK(k < nd && spans_equal(&del[k++], &o[i], 1),
				   "%s: old span %zu should be deleted, in order", where, i);
	FUZZ_CHECK(k == nd, "%s: %zu deletions, %zu needed", where, nd, k);
	k = 0;
	for (size_t i = 0; i < nn; i++)
		if (!span_in(&nw[i], o, no))
			FUZZ_CHECK(k < na && spans_equal(&add[k++], &nw[i], 1),
				   "%s: new span %zu should be created, in order", where, i);
	FUZZ_CHECK(k == na, "%s: %zu creations, %zu needed", where, na, k);
}

static void fuzz_raw_diff(struct fuzz_in *in)
{
	struct slot_span o[FUZZ_SPANS_MAX], nw[FUZZ_SPANS_MAX];
	size_t no = fuzz_u8(in) % (FUZZ_SPANS_MAX + 1), nn = fuzz_u8(in) % (FUZZ_SPANS_MAX + 1);
	size_t nd, na;

	for (size_t i = 0; i < no + nn; i++) {
		struct slot_span *s = i < no ? &o[i] : &nw[i - no];

		s->first = fuzz_u64(in);
		s->count = fuzz_u64(in);
		s->kind = (enum slot_kind)(fuzz_u8(in) % 4);
	}
	check_diff(o, no, nw, nn, "raw diff");
	/* NULL outputs with something to write are refused, never dereferenced. */
	FUZZ_CHECK(slot_plan_diff(o, no, nw, nn, NULL, &nd, NULL, &na) == (no || nn ? -EINVAL : 0),
		   "NULL del/add");
	FUZZ_CHECK(slot_plan_diff(o, no, nw, nn, o, NULL, nw, &na) == -EINVAL, "NULL ndel");
}

/* ---- one operation's arguments --------------------------------------------- */

struct op_args {
	uint8_t op, flags;
	uint64_t first, count, perm;
};

static void take_op(struct fuzz_in *in, uint64_t npages, struct op_args *a)
{
	a->op = fuzz_u8(in);
	a->flags = fuzz_u8(in);
	a->first = fuzz_u64(in);
	a->count = fuzz_u64(in);
	a->perm = fuzz_u8(in);
	if (!(a->flags & 1)) {
		/* Mostly inside the map, with its edges and one past them reachable. */
		a->first %= npages + 1;
		a->count %= npages + 2;
	}
	if (!(a->flags & 2))
		a->perm &= VTL_PERM_MASK;
}

/* ---- the map alone --------------------------------------------------------- */

static void fuzz_map(struct fuzz_in *in, struct model *m, uint64_t init, size_t max_ranges)
{
	static struct slot_span wb[FUZZ_PAGES_MAX], wa[FUZZ_PAGES_MAX];
	static struct slot_span pb[FUZZ_PAGES_MAX], pa[FUZZ_PAGES_MAX], we[FUZZ_PAGES_MAX];
	static struct model after;
	struct permmap_edit e;
	struct permmap pm;
	int r;

	/* permmap.h's refusals, each leaving a zeroed map that destroy accepts. */
	FUZZ_CHECK(permmap_init(&pm, 0, init, max_ranges, m->chunk) == -EINVAL && !pm.perms.root,
		   "0 pages");
	FUZZ_CHECK(permmap_init(&pm, m->npages, init, 0, m->chunk) == -EINVAL && !pm.perms.root,
		   "0 ranges");
	FUZZ_CHECK(permmap_init(&pm, m->npages, init, max_ranges, 0) == -EINVAL && !pm.perms.root,
		   "chunk 0");
	FUZZ_CHECK(permmap_init(&pm, m->npages, init | 8, max_ranges, m->chunk) == -EINVAL &&
		       !pm.perms.root,
		   "perm 0x%llx", (unsigned long long)(init | 8));
	FUZZ_CHECK(permmap_init(NULL, m->npages, init, max_ranges, m->chunk) == -EINVAL,
		   "NULL map");
	permmap_destroy(&pm);
	permmap_destroy(NULL);
	r = permmap_init(&pm, m->npages, init, max_ranges, m->chunk);
	FUZZ_CHECK(r == 0, "permmap_init(%llu, %llu, %zu) = %d", (unsigned long long)m->npages,
		   (unsigned long long)init, max_ranges, r);
	memset(m->perm, (int)init, m->npages);
	check_map(&pm, m, "init");

	for (unsigned n = 0; n < FUZZ_OPS_MAX && in->n; n++) {
		struct op_args a;
		size_t nr = 0, ns = 0, nb, na, npb, npa;
		bool ok;

		if (in->p[0] & 0x80) {
			fuzz_u8(in);
			fuzz_raw_diff(in);
			continue;
		}
		take_op(in, m->npages, &a);
		ok = set_args_ok(m->npages, a.first, a.count, a.perm);
		after = *m;
		if (ok)
			memset(after.perm + a.first, (int)a.perm, a.count);

		switch (a.op % 3) {
		case 0: /* set */
			nb = check_around(&pm, a.first, a.count, wb, "before set");
			npb = permmap_plan(&pm, pb, FUZZ_PAGES_MAX);
			if (ok && a.op & 4) {
				/* In two steps, as the engine does: the edit's plan is the
				 * window's. */
				FUZZ_CHECK(permmap_prepare(&pm, a.first, a.count, a.perm, &e) == 0,
					   "prepare of a valid set");
				FUZZ_CHECK(permmap_plan_edit(&pm, &e, we, FUZZ_PAGES_MAX) == nb &&
					       spans_equal(we, wb, nb),
					   "plan_edit before the set is not the window");
				r = permmap_apply(&pm, &e);
			} else {
				r = permmap_set(&pm, a.first, a.count, a.perm);
			}
			if (!ok) {
				FUZZ_CHECK(r == -EINVAL,
					   "set(%llu, %llu, %llu) of a bad range = %d",
					   (unsigned long long)a.first, (unsigned long long)a.count,
					   (unsigned long long)a.perm, r);
			} else if (model_ranges(&after) > max_ranges) {
				FUZZ_CHECK(r == -ENOSPC, "set needing %zu > %zu ranges = %d",
					   model_ranges(&after), max_ranges, r);
			} else {
				FUZZ_CHECK(r == 0, "set(%llu, %llu, %llu) = %d",
					   (unsigned long long)a.first, (unsigned long long)a.count,
					   (unsigned long long)a.perm, r);
				*m = after;
			}
			check_map(&pm, m, r ? "refused set" : "set");
			if (r)
				break;
			/* Diffing the windows gives what diffing the whole plans gives. */
			na = check_around(&pm, a.first, a.count, wa, "after set");
			if (a.op & 4)
				FUZZ_CHECK(permmap_plan_edit(&pm, &e, we, FUZZ_PAGES_MAX) == na &&
					       spans_equal(we, wa, na),
					   "plan_edit after the set is not the window");
			npa = permmap_plan(&pm, pa, FUZZ_PAGES_MAX);
			check_diff(wb, nb, wa, na, "window diff");
			check_diff(pb, npb, pa, npa, "whole diff");
			{
				static struct slot_span d1[FUZZ_PAGES_MAX], a1[FUZZ_PAGES_MAX];
				static struct slot_span d2[FUZZ_PAGES_MAX], a2[FUZZ_PAGES_MAX];
				size_t nd1, na1, nd2, na2;

				slot_plan_diff(wb, nb, wa, na, d1, &nd1, a1, &na1);
				slot_plan_diff(pb, npb, pa, npa, d2, &nd2, a2, &na2);
				FUZZ_CHECK(nd1 == nd2 && na1 == na2 && spans_equal(d1, d2, nd1) &&
					       spans_equal(a1, a2, na1),
					   "window diff %zu/%zu, whole diff %zu/%zu", nd1, na1, nd2,
					   na2);
			}
			break;
		case 1: /* dry run: the same checks and the counts a set would leave */
			r = permmap_set_dry(&pm, a.first, a.count, a.perm, &nr, &ns);
			FUZZ_CHECK(r == (ok ? 0 : -EINVAL), "set_dry = %d", r);
			if (ok)
				FUZZ_CHECK(nr == model_ranges(&after) &&
					       ns == model_plan(&after, pa),
					   "set_dry says %zu ranges %zu spans, the model %zu, %zu",
					   nr, ns, model_ranges(&after), model_plan(&after, pa));
			FUZZ_CHECK(permmap_set_dry(&pm, a.first, a.count, a.perm, NULL, NULL) == r,
				   "set_dry with NULL outputs");
			check_map(&pm, m, "dry run");
			break;
		default: /* plan_around on any window, in or out of the map */
			check_around(&pm, a.first, a.count, wb, "around");
			break;
		}
	}
	permmap_destroy(&pm);
	FUZZ_CHECK(!pm.perms.root && !pm.kinds.root && !pm.spare && !pm.n, "destroy left the map");
	permmap_destroy(&pm); /* safe twice */
}

/* ---- the memslot engine over a fake KVM ------------------------------------ */

/*
 * vm_set_slot as KVM does it: a size of 0 deletes the slot, a new slot may
 * not overlap another one, and a slot id is either free or in use. The
 * engine's calls are checked here; a failure can also be injected.
 */
static struct fake_kvm {
	struct {
		bool used;
		uint64_t gpa, size;
		uint32_t flags;
	} slot[256];
	uint32_t max_slots;
	uint64_t gpa_base;
	uint8_t *hva;
	unsigned calls, fail_at, creates, deletes;
} kvm;

int vm_set_slot(struct vm *vm, uint32_t id, uint32_t flags, uint64_t gpa, uint64_t size, void *hva)
{
	typeof(kvm.slot[0]) *s;

	FUZZ_CHECK(id < kvm.max_slots, "slot id %u of %u", id, kvm.max_slots);
	s = &kvm.slot[id];
	if (kvm.fail_at && ++kvm.calls == kvm.fail_at)
		return -1;
	if (!size) {
		FUZZ_CHECK(s->used, "deleting free slot %u", id);
		s->used = false;
		kvm.deletes++;
		return 0;
	}
	FUZZ_CHECK(!s->used, "slot %u created twice", id);
	FUZZ_CHECK(!(gpa % VTL_PAGE_SIZE) && !(size % VTL_PAGE_SIZE) && gpa >= kvm.gpa_base,
		   "slot %u at 0x%llx size 0x%llx", id, (unsigned long long)gpa,
		   (unsigned long long)size);
	FUZZ_CHECK(flags == 0 || flags == KVM_MEM_READONLY, "slot %u flags 0x%x", id, flags);
	FUZZ_CHECK((uint8_t *)hva == kvm.hva + (gpa - kvm.gpa_base),
		   "slot %u hva does not match its gpa", id);
	for (uint32_t i = 0; i < kvm.max_slots; i++)
		FUZZ_CHECK(!kvm.slot[i].used || gpa + size <= kvm.slot[i].gpa ||
			       kvm.slot[i].gpa + kvm.slot[i].size <= gpa,
			   "slot %u overlaps slot %u: KVM refuses that", id, i);
	*s = (typeof(*s)){true, gpa, size, flags};
	kvm.creates++;
	return 0;
}

/* KVM's slots, sorted by GPA, are exactly the model's chunked plan. */
static void check_engine_plan(const struct perm_engine *pe, const struct model *m,
			      const char *where)
{
	static struct slot_span want[FUZZ_PAGES_MAX], have[FUZZ_PAGES_MAX];
	size_t nwant = model_plan(m, want), nhave = 0;

	for (uint64_t p = 0; p < m->npages; p++) {
		uint64_t gpa = pe->ram->gpa_base + p * VTL_PAGE_SIZE;

		for (uint32_t i = 0; i < kvm.max_slots; i++)
			if (kvm.slot[i].used && kvm.slot[i].gpa == gpa) {
				FUZZ_CHECK(nhave < FUZZ_PAGES_MAX, "%s: too many slots", where);
				have[nhave++] =
				    (struct slot_span){p, kvm.slot[i].size / VTL_PAGE_SIZE,
						       kvm.slot[i].flags ? SLOT_RO : SLOT_RW};
			}
	}
	FUZZ_CHECK(nhave == nwant && spans_equal(have, want, nwant),
		   "%s: KVM holds %zu slots, the chunked plan %zu, or they differ", where, nhave,
		   nwant);
}

/* What KVM enforces for a page (its slot's kind), and that the engine's own table agrees. */
static void check_engine(const struct perm_engine *pe, const struct model *m, const char *where)
{
	static enum slot_kind kind[FUZZ_PAGES_MAX];
	static struct model sub;
	uint64_t base = pe->ram->gpa_base, used = 0;
	size_t nranges = 0;

	/* One map per chunk, each the model's pages of its chunk, numbered from 0. */
	FUZZ_CHECK(pe->npages == m->npages && pe->nchunks == (m->npages + m->chunk - 1) / m->chunk,
		   "%s: %llu pages in %llu chunks", where, (unsigned long long)pe->npages,
		   (unsigned long long)pe->nchunks);
	for (uint64_t c = 0; c < pe->nchunks; c++) {
		uint64_t cs = c * m->chunk;

		sub.npages = m->npages - cs < m->chunk ? m->npages - cs : m->chunk;
		sub.chunk = m->chunk;
		memcpy(sub.perm, m->perm + cs, sub.npages);
		FUZZ_CHECK(!pe->maps[c].chunk, "%s: chunk %llu's map keeps a plan of its own",
			   where, (unsigned long long)c);
		check_map(&pe->maps[c], &sub, where);
		nranges += pe->maps[c].n;
	}
	FUZZ_CHECK(nranges == pe->nranges, "%s: %zu ranges in the maps, the engine counts %zu",
		   where, nranges, pe->nranges);
	memset(kind, 0, sizeof(kind));
	for (uint32_t i = 0; i < kvm.max_slots; i++) {
		if (!kvm.slot[i].used)
			continue;
		used++;
		for (uint64_t p = (kvm.slot[i].gpa - base) / VTL_PAGE_SIZE;
		     p < (kvm.slot[i].gpa - base + kvm.slot[i].size) / VTL_PAGE_SIZE; p++) {
			FUZZ_CHECK(p < m->npages, "%s: slot %u maps page %llu past RAM", where, i,
				   (unsigned long long)p);
			kind[p] = kvm.slot[i].flags ? SLOT_RO : SLOT_RW;
		}
	}
	FUZZ_CHECK(used == pe->nslots && pe->nslots <= pe->max_slots &&
		       pe->nfree + pe->nslots == pe->max_slots,
		   "%s: KVM has %llu slots, the engine %zu (free %zu, max %u)", where,
		   (unsigned long long)used, pe->nslots, pe->nfree, pe->max_slots);
	for (uint32_t id = 0; id < pe->max_slots; id++) {
		const struct perm_slot *s = &pe->slots[id];

		FUZZ_CHECK(s->used == kvm.slot[id].used, "%s: slot %u used by KVM %d, engine %d",
			   where, id, kvm.slot[id].used, s->used);
		if (!s->used)
			continue;
		FUZZ_CHECK(kvm.slot[id].gpa == base + s->node.key * VTL_PAGE_SIZE &&
			       kvm.slot[id].size == s->count * VTL_PAGE_SIZE &&
			       (kvm.slot[id].flags != 0) == (s->kind == SLOT_RO),
			   "%s: engine slot %u is not what KVM holds", where, id);
	}
	check_engine_plan(pe, m, where);
	/* The per-chunk trees: well formed, and each holds exactly its chunk's slots. */
	for (uint64_t c = 0, n = 0; c < pe->nchunks; c++) {
		FUZZ_CHECK(pmtree_check(&pe->chunk_slots[c]), "%s: chunk %llu's tree", where,
			   (unsigned long long)c);
		for (const struct pmtree_node *x = pmtree_first(&pe->chunk_slots[c]); x;
		     x = pmtree_next(x), n++)
			FUZZ_CHECK(x->key / pe->chunk == c && ((const struct perm_slot *)x)->used,
				   "%s: slot at page %llu in chunk %llu's tree", where,
				   (unsigned long long)x->key, (unsigned long long)c);
		if (c + 1 == pe->nchunks)
			FUZZ_CHECK(n == pe->nslots, "%s: %llu slots in the trees, %zu live", where,
				   (unsigned long long)n, pe->nslots);
	}
	for (uint64_t p = 0; p < m->npages; p++) {
		uint64_t a = base + p * VTL_PAGE_SIZE + (p * 0x123 % VTL_PAGE_SIZE);
		enum slot_kind k = perm_slot_kind(m->perm[p]);
		uint8_t eff = k == SLOT_RW   ? VTL_PERM_MASK
			      : k == SLOT_RO ? VTL_PERM_R | VTL_PERM_X
					     : 0;

		FUZZ_CHECK(kind[p] == k, "%s: page %llu: KVM enforces kind %u, intended perm %u",
			   where, (unsigned long long)p, kind[p], m->perm[p]);
		FUZZ_CHECK(perm_intended(pe, a) == m->perm[p],
			   "%s: perm_intended(page %llu) = %u, model %u", where,
			   (unsigned long long)p, perm_intended(pe, a), m->perm[p]);
		FUZZ_CHECK(perm_effective(pe, a) == eff,
			   "%s: perm_effective(page %llu) = %u, not %u", where,
			   (unsigned long long)p, perm_effective(pe, a), eff);
	}
	/* Outside RAM: nothing, on both sides. */
	FUZZ_CHECK(perm_intended(pe, base + m->npages * VTL_PAGE_SIZE) == 0 &&
		       perm_effective(pe, base + m->npages * VTL_PAGE_SIZE) == 0,
		   "%s: the page past RAM is accessible", where);
	if (base)
		FUZZ_CHECK(perm_intended(pe, base - 1) == 0 && perm_effective(pe, base - 1) == 0,
			   "%s: the byte below RAM is accessible", where);
}

/* What VTL0 may do to a page: its intended perms, as far as the slots enforce them (perm.h). */
static uint8_t vtl0_rights(const struct model *m, uint64_t page)
{
	enum slot_kind k = perm_slot_kind(m->perm[page]);
	uint8_t eff = k == SLOT_RW ? VTL_PERM_MASK : k == SLOT_RO ? VTL_PERM_R | VTL_PERM_X : 0;

	return m->perm[page] & eff;
}

/*
 * The monitor's accesses on VTL0's behalf (perm_vtl0_*): every page of the
 * range inside RAM and granting the access; copies all or nothing; strings
 * stop at the first byte VTL0 cannot read.
 */
static void check_vtl0_access(const struct perm_engine *pe, const struct model *m,
			      const struct op_args *a, uint8_t *ram)
{
	const uint64_t base = pe->ram->gpa_base, size = m->npages * VTL_PAGE_SIZE;
	const uint8_t need = a->flags & 4 ? VTL_PERM_W : VTL_PERM_R;
	uint64_t addr = a->flags & 1 ? a->first : base + a->first * VTL_PAGE_SIZE + a->perm * 61;
	uint64_t len = a->flags & 1 ? a->count : a->count % (3 * VTL_PAGE_SIZE);
	bool want = len && fuzz_range_inside(addr, len, base, size);
	size_t max = (size_t)(a->count % 700), n = 0;
	uint8_t *buf, *copy;
	const void *p;
	char *dst;
	long got;

	for (uint64_t pg = want ? (addr - base) / VTL_PAGE_SIZE : 0;
	     want && pg <= (addr - base + len - 1) / VTL_PAGE_SIZE; pg++)
		want = (vtl0_rights(m, pg) & need) == need;
	FUZZ_CHECK(perm_vtl0_allows(pe, addr, len, need) == want,
		   "perm_vtl0_allows(0x%llx, %llu, %u) should be %d", (unsigned long long)addr,
		   (unsigned long long)len, need, want);
	p = perm_vtl0_ptr(pe, addr, len, need);
	FUZZ_CHECK(p == (want ? ram + (addr - base) : NULL), "perm_vtl0_ptr");
	if (len <= 3 * VTL_PAGE_SIZE) {
		buf = malloc(len ? len : 1);
		copy = malloc(size);
		FUZZ_CHECK(buf && copy, "malloc");
		memcpy(copy, ram, size);
		memset(buf, 0xA5, len);
		if (need == VTL_PERM_R) {
			FUZZ_CHECK(!perm_vtl0_read(pe, addr, buf, len) == want,
				   "perm_vtl0_read should %s", want ? "copy" : "refuse");
			for (size_t i = 0; i < len; i++)
				FUZZ_CHECK(buf[i] == (want ? ram[addr - base + i] : 0xA5),
					   "read byte %zu", i);
		} else {
			FUZZ_CHECK(!perm_vtl0_write(pe, addr, buf, len) == want,
				   "perm_vtl0_write should %s", want ? "copy" : "refuse");
			if (want)
				memcpy(copy + (addr - base), buf, len);
			FUZZ_CHECK(!memcmp(copy, ram, size), "write changed the wrong bytes");
		}
		free(copy);
		free(buf);
	}

	/* The string: -1 unless VTL0 may read its first byte; then up to max - 1 bytes. */
	dst = malloc(max ? max : 1);
	FUZZ_CHECK(dst != NULL, "malloc");
	got = perm_vtl0_read_str(pe, addr, dst, max);
	if (!max) {
		FUZZ_CHECK(got == -1, "max 0 read %ld", got);
	} else if (!fuzz_range_inside(addr, 1, base, size) ||
		   !(vtl0_rights(m, (addr - base) / VTL_PAGE_SIZE) & VTL_PERM_R)) {
		FUZZ_CHECK(got == -1 && dst[0] == '\0', "string at an unreadable byte: %ld", got);
	} else {
		uint64_t off = addr - base;

		while (n + 1 < max && off + n < size &&
		       vtl0_rights(m, (off + n) / VTL_PAGE_SIZE) & VTL_PERM_R && ram[off + n])
			n++;
		FUZZ_CHECK(got == (long)n && !memcmp(dst, ram + off, n) && dst[n] == '\0',
			   "perm_vtl0_read_str(0x%llx, max %zu) = %ld, the model says %zu",
			   (unsigned long long)addr, max, got, n);
	}
	free(dst);
}

static void fuzz_engine(struct fuzz_in *in, struct model *m, uint32_t max_slots, uint64_t base)
{
	static struct slot_span pb[FUZZ_PAGES_MAX], pa[FUZZ_PAGES_MAX], del[FUZZ_PAGES_MAX],
	    add[FUZZ_PAGES_MAX];
	static struct model after;
	uint8_t *mem = malloc(m->npages * VTL_PAGE_SIZE);
	struct guest_ram ram = {.name = "fuzz",
				.memfd = -1,
				.hva = {(uintptr_t)mem},
				.gpa_base = base,
				.size = m->npages * VTL_PAGE_SIZE};
	struct perm_engine pe;
	struct vm vm = {.fd = -1, .vtl = 0};
	uint64_t nchunks;
	int r;

	FUZZ_CHECK(mem != NULL, "malloc");
	/* Text with a NUL every few dozen bytes, so strings end inside pages and across them. */
	for (uint64_t i = 0; i < ram.size; i++)
		mem[i] = i % 97 == 96 ? 0 : (uint8_t)('a' + i % 26);
	memset(&kvm, 0, sizeof(kvm));
	kvm.max_slots = max_slots;
	kvm.gpa_base = base;
	kvm.hva = mem;
	r = m->chunk == PERM_CHUNK_PAGES ? perm_init(&pe, &vm, &ram, max_slots)
					 : perm_init_chunked(&pe, &vm, &ram, max_slots, m->chunk);
	nchunks = (m->npages + m->chunk - 1) / m->chunk;
	/* One slot per chunk to start with: refused exactly when that is over budget. */
	if (nchunks > max_slots) {
		FUZZ_CHECK(r == -1, "perm_init of %llu chunks in %u slots = %d",
			   (unsigned long long)nchunks, max_slots, r);
		for (uint32_t i = 0; i < max_slots; i++)
			FUZZ_CHECK(!kvm.slot[i].used, "a refused perm_init left slot %u", i);
		free(mem);
		return;
	}
	FUZZ_CHECK(r == 0, "perm_init(%u slots)", max_slots);
	memset(m->perm, VTL_PERM_MASK, m->npages);
	check_engine(&pe, m, "init");

	for (unsigned n = 0; n < FUZZ_OPS_MAX && in->n; n++) {
		struct op_args a;
		uint64_t gpa;
		size_t npb, npa, nd, na;
		bool ok;

		take_op(in, m->npages, &a);
		if (a.op % 4 == 3) {
			check_vtl0_access(&pe, m, &a, mem);
			continue;
		}
		/* The GPA is base + first pages; raw first values are taken as the GPA itself. */
		gpa = a.flags & 1 ? a.first & ~(VTL_PAGE_SIZE - 1) : base + a.first * VTL_PAGE_SIZE;
		ok = gpa >= base &&
		     set_args_ok(m->npages, (gpa - base) / VTL_PAGE_SIZE, a.count, a.perm);
		after = *m;
		if (ok)
			memset(after.perm + (gpa - base) / VTL_PAGE_SIZE, (int)a.perm, a.count);
		npb = model_plan(m, pb); /* KVM holds it (check_engine_plan) */
		npa = model_plan(&after, pa);
		kvm.calls = kvm.creates = kvm.deletes = 0;
		kvm.fail_at = a.flags >> 4;

		r = perm_set(&pe, gpa, a.count, a.perm);
		if (!ok) {
			FUZZ_CHECK(r == VTL_E_INVALID,
				   "perm_set(0x%llx, %llu, %llu) out of RAM = %d",
				   (unsigned long long)gpa, (unsigned long long)a.count,
				   (unsigned long long)a.perm, r);
			FUZZ_CHECK(!kvm.creates && !kvm.deletes, "a refused set changed a slot");
			check_engine(&pe, m, "refused set");
			continue;
		}
		if (npa > max_slots) {
			FUZZ_CHECK(r == VTL_E_NO_RESOURCES, "a plan of %zu > %u slots: %d", npa,
				   max_slots, r);
			FUZZ_CHECK(!kvm.calls && !kvm.creates && !kvm.deletes,
				   "a set over budget touched a slot");
			check_engine(&pe, m, "set over budget");
			continue;
		}
		slot_plan_diff(pb, npb, pa, npa, del, &nd, add, &na);
		if (r == -1) {
			/* KVM refused half-way: only allowed when we made it fail; the run ends. */
			FUZZ_CHECK(kvm.fail_at && kvm.calls == kvm.fail_at,
				   "perm_set failed with no KVM failure");
			break;
		}
		FUZZ_CHECK(r == VTL_OK, "perm_set(0x%llx, %llu, %llu) = %d",
			   (unsigned long long)gpa, (unsigned long long)a.count,
			   (unsigned long long)a.perm, r);
		/* Only the slots that must change: exactly the whole-plan diff. */
		FUZZ_CHECK(kvm.deletes == nd && kvm.creates == na,
			   "%u deletions and %u creations for a diff of %zu and %zu", kvm.deletes,
			   kvm.creates, nd, na);
		*m = after;
		check_engine(&pe, m, "set");
	}
	perm_destroy(&pe);
	free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct fuzz_in in = {data, size};
	uint8_t mode = fuzz_u8(&in);
	uint16_t pages = fuzz_u16(&in);
	uint8_t budget = fuzz_u8(&in), init = fuzz_u8(&in);

	m.npages = pages % FUZZ_PAGES_MAX + 1;
	m.chunk = mode >> 2 ? mode >> 2 : PERM_CHUNK_PAGES;
	if (mode & 1) {
		/* A small budget reaches NO_RESOURCES; the base is VTL0's 0 or any page. */
		uint64_t base = mode & 2 ? (uint64_t)init << 20 : 0;

		m.npages = pages % FUZZ_ENGINE_PAGES_MAX + 1; /* RAM is real here */
		fuzz_engine(&in, &m, budget % 40 + 1, base);
	} else {
		fuzz_map(&in, &m, mode & 2 ? init & VTL_PERM_MASK : VTL_PERM_MASK, budget % 64 + 1);
	}
	return 0;
}
