/*
 * Unit tests for the memslot engine (perm.c) over a fake KVM, against a per-page model: its
 * slots are always the chunked plan of VTL1's perms, changed by the fewest slot calls, and a
 * refused set touches nothing.
 */
#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/protect/perm.h"
#include "vtl1_abi.h"
#include "vtl_layout.h"
#include "vtl_status.h"

#define NPAGES	  96 /* 12 chunks of 8, the last one cut short below */
#define CHUNK	  8
#define MAX_SLOTS 64
#define BASE	  0x100000ULL

/* KVM as the engine sees it: a slot id is free or holds one non-overlapping region. */
static struct fake_kvm {
	struct {
		bool used;
		uint64_t gpa, size;
		uint32_t flags;
	} slot[MAX_SLOTS];
	uint8_t *hva;
	unsigned calls, creates, deletes, fail_at;
	bool bad; /* a call KVM would refuse, or a wrong hva */
} kvm;

static int fake_set_slot(struct vm *vm, uint32_t id, uint32_t flags, uint64_t gpa, uint64_t size,
			 void *hva)
{
	(void)vm;
	if (id >= MAX_SLOTS) {
		kvm.bad = true;
		return -1;
	}
	kvm.calls++;
	if (kvm.fail_at && kvm.calls == kvm.fail_at)
		return -1;
	if (!size) {
		kvm.bad |= !kvm.slot[id].used;
		kvm.slot[id].used = false;
		kvm.deletes++;
		return 0;
	}
	kvm.bad |= kvm.slot[id].used || (uint8_t *)hva != kvm.hva + (gpa - BASE) ||
		   (flags != 0 && flags != KVM_MEM_READONLY);
	for (uint32_t i = 0; i < MAX_SLOTS; i++)
		kvm.bad |= kvm.slot[i].used && gpa < kvm.slot[i].gpa + kvm.slot[i].size &&
			   kvm.slot[i].gpa < gpa + size;
	kvm.slot[id].used = true;
	kvm.slot[id].gpa = gpa;
	kvm.slot[id].size = size;
	kvm.slot[id].flags = flags;
	kvm.creates++;
	return 0;
}

struct fixture {
	struct perm_engine pe;
	struct guest_ram ram;
	struct vm vm;
	uint8_t model[NPAGES];
	uint64_t npages;
};

static void fixture_init(struct fixture *f, uint64_t npages, uint32_t max_slots)
{
	memset(&kvm, 0, sizeof(kvm));
	kvm.hva = calloc(npages, VTL_PAGE_SIZE);
	cr_assert_not_null(kvm.hva);
	f->npages = npages;
	f->vm = (struct vm){.fd = -1};
	f->ram = (struct guest_ram){.name = "test",
				    .memfd = -1,
				    .hva = {(uintptr_t)kvm.hva},
				    .gpa_base = BASE,
				    .size = npages * VTL_PAGE_SIZE};
	memset(f->model, VTL_PERM_MASK, sizeof(f->model));
	cr_assert_eq(perm_init_with(&f->pe, &f->vm, &f->ram, max_slots, CHUNK, fake_set_slot), 0);
}

static void fixture_fini(struct fixture *f)
{
	perm_destroy(&f->pe);
	free(kvm.hva);
	kvm.hva = NULL;
}

/* The maximal runs of one slot kind, cut at every chunk: what KVM must hold. */
static size_t model_plan(const struct fixture *f, const uint8_t *model, struct slot_span *out)
{
	size_t n = 0;

	for (uint64_t p = 0; p < f->npages;) {
		enum slot_kind k = perm_slot_kind(model[p]);
		uint64_t q = p + 1;

		while (q < f->npages && q % CHUNK && perm_slot_kind(model[q]) == k)
			q++;
		if (k != SLOT_NONE)
			out[n++] = (struct slot_span){p, q - p, k};
		p = q;
	}
	return n;
}

/* Ranges of equal perm, cut at every chunk: what the per-chunk maps hold. */
static size_t model_ranges(const struct fixture *f)
{
	size_t n = 1;

	for (uint64_t p = 1; p < f->npages; p++)
		n += p % CHUNK == 0 || f->model[p] != f->model[p - 1];
	return n;
}

/* KVM's slots, sorted by page. */
static size_t kvm_plan(struct slot_span *out)
{
	size_t n = 0;

	for (uint64_t gpa = BASE; gpa < BASE + NPAGES * VTL_PAGE_SIZE; gpa += VTL_PAGE_SIZE)
		for (uint32_t i = 0; i < MAX_SLOTS; i++)
			if (kvm.slot[i].used && kvm.slot[i].gpa == gpa)
				out[n++] = (struct slot_span){
				    (gpa - BASE) / VTL_PAGE_SIZE, kvm.slot[i].size / VTL_PAGE_SIZE,
				    kvm.slot[i].flags ? SLOT_RO : SLOT_RW};
	return n;
}

static void check_engine(const struct fixture *f)
{
	struct slot_span want[NPAGES], have[NPAGES];
	size_t nwant = model_plan(f, f->model, want), nhave = kvm_plan(have), nranges = 0;

	cr_assert(!kvm.bad, "KVM saw a call it refuses");
	cr_assert_eq(nhave, nwant, "KVM holds %zu slots, the plan has %zu", nhave, nwant);
	for (size_t i = 0; i < nwant; i++)
		cr_assert(have[i].first == want[i].first && have[i].count == want[i].count &&
			      have[i].kind == want[i].kind,
			  "slot %zu: [%lu,+%lu) kind %d, the plan [%lu,+%lu) kind %d", i,
			  (unsigned long)have[i].first, (unsigned long)have[i].count, have[i].kind,
			  (unsigned long)want[i].first, (unsigned long)want[i].count, want[i].kind);
	cr_assert_eq(f->pe.nslots, nwant);
	cr_assert_eq(f->pe.nslots + f->pe.nfree, f->pe.max_slots);
	for (uint64_t c = 0; c < f->pe.nchunks; c++) {
		cr_assert(permmap_check(&f->pe.maps[c]), "chunk %lu's map", (unsigned long)c);
		cr_assert(pmtree_check(&f->pe.chunk_slots[c]), "chunk %lu's slots",
			  (unsigned long)c);
		nranges += f->pe.maps[c].n;
	}
	cr_assert_eq(nranges, f->pe.nranges);
	cr_assert_eq(nranges, model_ranges(f));
	for (uint64_t p = 0; p < f->npages; p++) {
		uint64_t a = BASE + p * VTL_PAGE_SIZE + 123;
		enum slot_kind k = perm_slot_kind(f->model[p]);

		cr_assert_eq(perm_intended(&f->pe, a), f->model[p], "page %lu", (unsigned long)p);
		cr_assert_eq(perm_effective(&f->pe, a),
			     k == SLOT_RW   ? VTL_PERM_MASK
			     : k == SLOT_RO ? VTL_PERM_R | VTL_PERM_X
					    : 0,
			     "page %lu", (unsigned long)p);
	}
	cr_assert_eq(perm_intended(&f->pe, BASE + f->npages * VTL_PAGE_SIZE), 0);
	cr_assert_eq(perm_intended(&f->pe, BASE - 1), 0);
}

/*
 * Sets and checks: the result, and for a set that went through exactly the
 * slot calls of the minimal diff between the whole plans before and after.
 */
static int set(struct fixture *f, uint64_t first, uint64_t count, uint64_t perm)
{
	struct slot_span before[NPAGES], after[NPAGES], del[NPAGES], add[NPAGES];
	uint8_t next[NPAGES];
	size_t nb = model_plan(f, f->model, before), na, nd, nadd;
	int r;

	memcpy(next, f->model, sizeof(next));
	memset(next + first, (int)perm, count);
	na = model_plan(f, next, after);
	cr_assert_eq(slot_plan_diff(before, nb, after, na, del, &nd, add, &nadd), 0);
	kvm.calls = kvm.creates = kvm.deletes = 0;
	r = perm_set(&f->pe, BASE + first * VTL_PAGE_SIZE, count, perm);
	if (r == VTL_OK) {
		memcpy(f->model, next, sizeof(next));
		cr_assert(kvm.deletes == nd && kvm.creates == nadd,
			  "set [%lu,+%lu) %lu: %u deletions and %u creations, the diff %zu and %zu",
			  (unsigned long)first, (unsigned long)count, (unsigned long)perm,
			  kvm.deletes, kvm.creates, nd, nadd);
	} else {
		cr_assert_eq(kvm.calls, 0, "a refused set made a slot call");
	}
	check_engine(f);
	return r;
}

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

Test(perm, random_sets_keep_kvm_on_the_plan)
{
	struct fixture f;
	uint64_t rng = 42;

	fixture_init(&f, NPAGES - 3, MAX_SLOTS);
	check_engine(&f);
	for (int i = 0; i < 3000; i++) {
		uint64_t first = rng_next(&rng) % f.npages;
		/* Mostly short sets (within a chunk, at its edges), some across many. */
		uint64_t span = rng_next(&rng) % 4 ? 4 : f.npages;
		uint64_t count = 1 + rng_next(&rng) % span;

		if (count > f.npages - first)
			count = f.npages - first;
		/* Over the budget is refused, without a slot call (checked in set()). */
		cr_assert(set(&f, first, count, rng_next(&rng) % 8) != -1);
	}
	fixture_fini(&f);
}

Test(perm, one_page_takes_over_its_slot)
{
	struct fixture f;
	uint32_t id = 0; /* ids are handed out from 0: chunk 0's */

	fixture_init(&f, NPAGES, MAX_SLOTS);
	cr_assert(f.pe.slots[id].used && f.pe.slots[id].node.key == 0);
	/* Page 3 read-only: chunk 0's slot shrinks in place, two new ones follow it. */
	cr_assert_eq(set(&f, 3, 1, VTL_PERM_R), VTL_OK);
	cr_assert_eq(kvm.deletes, 1);
	cr_assert_eq(kvm.creates, 3);
	cr_assert(f.pe.slots[id].used && f.pe.slots[id].count == 3);
	/* Back to RWX: the same slot grows back over the chunk. */
	cr_assert_eq(set(&f, 3, 1, VTL_PERM_MASK), VTL_OK);
	cr_assert_eq(kvm.deletes, 3);
	cr_assert_eq(kvm.creates, 1);
	cr_assert(f.pe.slots[id].used && f.pe.slots[id].count == CHUNK);
	/* Setting what is already there changes nothing. */
	cr_assert_eq(set(&f, 0, NPAGES, VTL_PERM_MASK), VTL_OK);
	cr_assert_eq(kvm.calls, 0);
	fixture_fini(&f);
}

Test(perm, hostile_arguments_are_refused)
{
	struct fixture f;

	fixture_init(&f, NPAGES, MAX_SLOTS);
	kvm.calls = 0;
	cr_assert_eq(perm_set(&f.pe, BASE - VTL_PAGE_SIZE, 1, VTL_PERM_R), VTL_E_INVALID);
	cr_assert_eq(perm_set(&f.pe, 0, 1, VTL_PERM_R), VTL_E_INVALID);
	cr_assert_eq(perm_set(&f.pe, BASE, 0, VTL_PERM_R), VTL_E_INVALID);
	cr_assert_eq(perm_set(&f.pe, BASE, NPAGES + 1, VTL_PERM_R), VTL_E_INVALID);
	cr_assert_eq(perm_set(&f.pe, BASE + VTL_PAGE_SIZE, UINT64_MAX, VTL_PERM_R), VTL_E_INVALID);
	cr_assert_eq(perm_set(&f.pe, BASE + NPAGES * VTL_PAGE_SIZE, 1, VTL_PERM_R), VTL_E_INVALID);
	cr_assert_eq(perm_set(&f.pe, UINT64_MAX & ~0xfffULL, 1, VTL_PERM_R), VTL_E_INVALID);
	/* A bit past the mask is not truncated into a valid perm. */
	cr_assert_eq(perm_set(&f.pe, BASE, 1, VTL_PERM_R | 0x100), VTL_E_INVALID);
	cr_assert_eq(perm_set(&f.pe, BASE, 1, VTL_PERM_MASK + 1), VTL_E_INVALID);
	cr_assert_eq(kvm.calls, 0);
	check_engine(&f);
	fixture_fini(&f);
}

Test(perm, over_budget_changes_nothing)
{
	struct fixture f;
	uint64_t p;

	/* 12 chunks in 15 slots. */
	fixture_init(&f, NPAGES, NPAGES / CHUNK + 3);
	cr_assert_eq(set(&f, 3, 1, VTL_PERM_R), VTL_OK); /* one slot in three: 14 */
	cr_assert_eq(set(&f, 19, 1, 0), VTL_OK);	 /* no-access: one slot in two, 15 */
	cr_assert_eq(set(&f, 35, 1, VTL_PERM_R), VTL_E_NO_RESOURCES);
	cr_assert_eq(set(&f, 40, 9, VTL_PERM_R | VTL_PERM_W), VTL_OK); /* same kind: no change */
	/* Across chunks: every chunk's part counted before any slot changes. */
	cr_assert_eq(set(&f, 5, 30, VTL_PERM_X), VTL_E_NO_RESOURCES); /* 16 */
	cr_assert_eq(set(&f, 8, 24, VTL_PERM_X), VTL_OK);	      /* 14 */
	cr_assert_eq(set(&f, 1, 70, 0), VTL_OK);
	for (p = 1; p < 71; p++)
		cr_assert_eq(perm_effective(&f.pe, BASE + p * VTL_PAGE_SIZE), 0);
	fixture_fini(&f);
}

Test(perm, a_kvm_failure_is_reported)
{
	struct fixture f;

	fixture_init(&f, NPAGES, MAX_SLOTS);
	kvm.calls = 0;
	kvm.fail_at = 2; /* the first creation, after the one deletion */
	cr_assert_eq(perm_set(&f.pe, BASE + 3 * VTL_PAGE_SIZE, 1, VTL_PERM_R), -1);
	fixture_fini(&f);
}

Test(perm, init_refuses_what_it_cannot_hold)
{
	struct fixture f;

	memset(&kvm, 0, sizeof(kvm));
	f.ram = (struct guest_ram){.memfd = -1, .gpa_base = BASE, .size = NPAGES * VTL_PAGE_SIZE};
	f.vm = (struct vm){.fd = -1};
	/* One slot per chunk is needed before VTL1 changes anything. */
	cr_assert_eq(perm_init_with(&f.pe, &f.vm, &f.ram, NPAGES / CHUNK - 1, CHUNK, fake_set_slot),
		     -1);
	cr_assert_eq(kvm.creates, 0);
	cr_assert_eq(perm_init_with(&f.pe, &f.vm, &f.ram, MAX_SLOTS, 0, fake_set_slot), -1);
	cr_assert_eq(perm_init_with(&f.pe, &f.vm, &f.ram, MAX_SLOTS, CHUNK, NULL), -1);
	perm_destroy(&f.pe); /* safe after a refused init */
}
