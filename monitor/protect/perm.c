/* The VTL0 permission engine: VTL1's page permissions, enforced as memslots in VTL0's VM. */
#include "monitor/protect/perm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/log.h"
#include "vtl1_abi.h"
#include "vtl_layout.h"

/* Bounds the host memory a hostile VTL1 can make the interval map use. */
#define PERM_MAX_RANGES (1U << 20)

static uint64_t perm_gpa(const struct perm_engine *pe, uint64_t page)
{
	return pe->ram->gpa_base + page * VTL_PAGE_SIZE;
}

static struct perm_slot *perm_slot_find(const struct perm_engine *pe, uint64_t page)
{
	uint64_t c = page / pe->chunk;
	struct perm_slot *s;

	if (c >= pe->nchunks)
		return NULL;
	s = (struct perm_slot *)pmtree_floor(&pe->chunk_slots[c], page);
	if (!s || page - s->node.key >= s->count)
		return NULL;
	return s;
}

/*
 * A KVM slot for s: a free id, or the id of reuse, a slot of the same first
 * page that perm_slot_delete() has just taken out of KVM but left in its
 * chunk's tree.
 */
static int perm_slot_create(struct perm_engine *pe, const struct slot_span *s,
			    struct perm_slot *reuse)
{
	uint32_t flags = s->kind == SLOT_RO ? KVM_MEM_READONLY : 0;
	struct perm_slot *slot;
	uint32_t id;

	/* The plan never crosses a chunk: the per-chunk trees rely on it. */
	if (s->first / pe->chunk != (s->first + s->count - 1) / pe->chunk)
		return -1;
	if (reuse) {
		if (reuse->node.key != s->first || reuse->used)
			return -1;
		id = (uint32_t)(reuse - pe->slots);
	} else if (pe->nfree) {
		id = pe->free_ids[pe->nfree - 1];
	} else {
		return -1;
	}
	if (pe->set_slot(pe->vm, id, flags, perm_gpa(pe, s->first), s->count * VTL_PAGE_SIZE,
			 (uint8_t *)pe->ram->hva.v + s->first * VTL_PAGE_SIZE))
		return -1;
	slot = &pe->slots[id];
	slot->count = s->count;
	slot->kind = s->kind;
	slot->used = true;
	pe->nslots++;
	if (reuse)
		return 0; /* still in its chunk's tree, under the same key */
	pe->nfree--;
	slot->node.key = s->first;
	pmtree_insert(&pe->chunk_slots[s->first / pe->chunk], &slot->node);
	return 0;
}

/*
 * Takes slot out of KVM. keep: a new slot of the same first page takes it
 * over next (perm_slot_create()'s reuse), so it keeps its id and its place
 * in the chunk's tree.
 */
static int perm_slot_delete(struct perm_engine *pe, struct perm_slot *slot, bool keep)
{
	uint32_t id = (uint32_t)(slot - pe->slots);
	uint64_t first = slot->node.key;

	/* A zero size deletes the slot. */
	if (pe->set_slot(pe->vm, id, 0, perm_gpa(pe, first), 0, NULL))
		return -1;
	slot->used = false;
	pe->nslots--;
	if (keep)
		return 0;
	pmtree_remove(&pe->chunk_slots[first / pe->chunk], &slot->node);
	pe->free_ids[pe->nfree++] = id;
	return 0;
}

int perm_init_with(struct perm_engine *pe, struct vm *vm, struct guest_ram *ram, uint32_t max_slots,
		   uint64_t chunk, perm_slot_fn *set_slot)
{
	uint64_t npages = ram->size / VTL_PAGE_SIZE;

	memset(pe, 0, sizeof(*pe));
	pe->vm = vm;
	pe->set_slot = set_slot;
	pe->ram = ram;
	pe->max_slots = max_slots;
	pe->chunk = chunk;
	pe->npages = npages;
	if (!max_slots || !chunk || !npages || !set_slot)
		goto err;
	pe->nchunks = (npages + chunk - 1) / chunk;
	/* Budget first: RAM needs one slot per chunk before VTL1 changes anything. */
	if (pe->nchunks > max_slots) {
		log_err("VTL0 RAM needs %llu memslots of %llu pages, the host has %u",
			(unsigned long long)pe->nchunks, (unsigned long long)chunk, max_slots);
		goto err;
	}
	pe->slots = calloc(max_slots, sizeof(*pe->slots));
	pe->free_ids = calloc(max_slots, sizeof(*pe->free_ids));
	pe->chunk_slots = calloc(pe->nchunks, sizeof(*pe->chunk_slots));
	pe->maps = calloc(pe->nchunks, sizeof(*pe->maps));
	if (!pe->slots || !pe->free_ids || !pe->chunk_slots || !pe->maps)
		goto err;
	/*
	 * The maps hold the perms alone: the live slots are the slot plan, so
	 * a kind tree beside the perms would be a second copy of it to keep in
	 * step on every set. A chunk's map never holds more ranges than pages.
	 */
	for (uint64_t c = 0; c < pe->nchunks; c++) {
		uint64_t n = npages - c * chunk < chunk ? npages - c * chunk : chunk;

		if (permmap_init_perms(&pe->maps[c], n, VTL_PERM_MASK, n))
			goto err;
		pe->nranges++;
	}
	/* Hand out low ids first: pop from the end. */
	for (uint32_t i = 0; i < max_slots; i++)
		pe->free_ids[i] = max_slots - 1 - i;
	pe->nfree = max_slots;
	/* All RWX: one RW slot per chunk, the last one cut at the end of RAM. */
	for (uint64_t c = 0; c < pe->nchunks; c++) {
		uint64_t cs = c * chunk;
		struct slot_span s = {.first = cs,
				      .count = npages - cs < chunk ? npages - cs : chunk,
				      .kind = SLOT_RW};

		if (perm_slot_create(pe, &s, NULL))
			goto err;
	}
	return 0;
err:
	perm_destroy(pe);
	return -1;
}

int perm_init_chunked(struct perm_engine *pe, struct vm *vm, struct guest_ram *ram,
		      uint32_t max_slots, uint64_t chunk)
{
	return perm_init_with(pe, vm, ram, max_slots, chunk, vm_set_slot);
}

int perm_init(struct perm_engine *pe, struct vm *vm, struct guest_ram *ram, uint32_t max_slots)
{
	return perm_init_chunked(pe, vm, ram, max_slots, PERM_CHUNK_PAGES);
}

void perm_destroy(struct perm_engine *pe)
{
	for (uint64_t c = 0; pe->maps && c < pe->nchunks; c++)
		permmap_destroy(&pe->maps[c]);
	free(pe->maps);
	pe->maps = NULL;
	pe->nranges = 0;
	free(pe->slots);
	free(pe->free_ids);
	free(pe->chunk_slots);
	pe->slots = NULL;
	pe->free_ids = NULL;
	pe->chunk_slots = NULL;
	pe->nslots = pe->nfree = 0;
	pe->nchunks = 0;
}

/*
 * A set's slot changes, planned whole before anything is touched: the live
 * slots to delete and the spans to create, both in page order. Most sets
 * change a handful of slots: the lists start on the stack, and only a
 * change wider than that pays for the heap.
 */
#define PERM_PLAN_STACK 16

/*
 * A span to create. When it starts where a deleted slot started, it takes
 * over that slot (reuse): its id and its place in the chunk's tree, which
 * keeps the key, so the change costs KVM's two calls and no tree edit.
 */
struct perm_new {
	struct slot_span span;
	struct perm_slot *reuse;
};

/* A live slot to take out of KVM; keep: a struct perm_new reuses it. */
struct perm_old {
	struct perm_slot *slot;
	bool keep;
};

struct perm_change {
	struct perm_old del_stack[PERM_PLAN_STACK], *del;
	struct perm_new add_stack[PERM_PLAN_STACK], *add;
	size_t ndel, nadd, del_cap, add_cap;
};

static void perm_change_init(struct perm_change *ch)
{
	ch->del = ch->del_stack;
	ch->add = ch->add_stack;
	ch->ndel = ch->nadd = 0;
	ch->del_cap = ch->add_cap = PERM_PLAN_STACK;
}

static void perm_change_free(struct perm_change *ch)
{
	if (ch->del != ch->del_stack)
		free(ch->del);
	if (ch->add != ch->add_stack)
		free(ch->add);
}

/* Doubles a list that is full, moving it off the stack: 0 or -1. */
static int perm_change_grow(void **list, void *stack, size_t *cap, size_t size)
{
	void *p = *list == stack ? malloc(*cap * 2 * size) : realloc(*list, *cap * 2 * size);

	if (!p)
		return -1;
	if (*list == stack)
		memcpy(p, stack, *cap * size);
	*list = p;
	*cap *= 2;
	return 0;
}

static int perm_change_del(struct perm_change *ch, struct perm_slot *s, bool keep)
{
	if (ch->ndel == ch->del_cap &&
	    perm_change_grow((void **)&ch->del, ch->del_stack, &ch->del_cap, sizeof(*ch->del)))
		return -1;
	ch->del[ch->ndel++] = (struct perm_old){.slot = s, .keep = keep};
	return 0;
}

static int perm_change_add(struct perm_change *ch, const struct slot_span *s,
			   struct perm_slot *reuse)
{
	if (ch->nadd == ch->add_cap &&
	    perm_change_grow((void **)&ch->add, ch->add_stack, &ch->add_cap, sizeof(*ch->add)))
		return -1;
	ch->add[ch->nadd++] = (struct perm_new){.span = *s, .reuse = reuse};
	return 0;
}

/* The first live slot of the chunk tree t that ends after page p, or NULL. */
static struct perm_slot *perm_slot_from(const struct pmtree *t, uint64_t p)
{
	struct perm_slot *s = (struct perm_slot *)pmtree_floor(t, p);

	if (!s)
		return (struct perm_slot *)pmtree_first(t);
	if (p - s->node.key >= s->count)
		return (struct perm_slot *)pmtree_next(&s->node);
	return s;
}

/*
 * The slot changes of setting pages [first, last] to kind, within chunk c.
 * Slots never cross a chunk, so the chunk's live slots are its part of the
 * plan and nothing outside the chunk changes with it: the new spans are at
 * most three, the slot l holding the page before the set cut or merged, the
 * set itself, the slot r holding the page after it cut or merged. The live
 * slots that meet the set or those two pages go, unless one of the three
 * is identical: what diffing the whole plans would give, in O(log(slots in
 * the chunk) + slots replaced).
 */
static int perm_plan_chunk(const struct perm_engine *pe, uint64_t c, uint64_t first, uint64_t last,
			   enum slot_kind kind, struct perm_change *ch)
{
	const struct pmtree *t = &pe->chunk_slots[c];
	uint64_t cs = c * pe->chunk;
	uint64_t cl = cs + pe->maps[c].npages - 1;
	uint64_t a = first > cs ? first : cs, b = last < cl ? last : cl;
	uint64_t lo = a > cs ? a - 1 : a, hi = b < cl ? b + 1 : b;
	struct perm_slot *x = perm_slot_from(t, lo), *l = NULL, *r = NULL;
	struct slot_span want[3];
	size_t nwant = 0, i = 0;

	if (a > cs && x && x->node.key < a)
		l = x; /* it ends after a - 1 and starts before a: it holds a - 1 */
	if (b < cl) {
		/* Setting part of one slot: l holds b + 1 too, no second search. */
		r = l && b + 1 - l->node.key < l->count
			? l
			: (struct perm_slot *)pmtree_floor(t, b + 1);
		if (r && b + 1 - r->node.key >= r->count)
			r = NULL;
	}
	if (l && l->kind != kind)
		want[nwant++] = (struct slot_span){
		    .first = l->node.key, .count = a - l->node.key, .kind = l->kind};
	if (kind != SLOT_NONE) {
		uint64_t s = l && l->kind == kind ? l->node.key : a;
		uint64_t e = r && r->kind == kind ? r->node.key + r->count : b + 1;

		want[nwant++] = (struct slot_span){.first = s, .count = e - s, .kind = kind};
	}
	if (r && r->kind != kind)
		want[nwant++] = (struct slot_span){
		    .first = b + 1, .count = r->node.key + r->count - (b + 1), .kind = r->kind};

	/*
	 * Both lists sorted by first page: identical spans stay, the rest
	 * changes. r holds hi, so no slot after it meets the window: the walk
	 * stops there without stepping past it.
	 */
	for (; x && x->node.key <= hi;
	     x = x == r ? NULL : (struct perm_slot *)pmtree_next(&x->node)) {
		struct perm_slot *reuse = NULL;

		for (; i < nwant && want[i].first < x->node.key; i++)
			if (perm_change_add(ch, &want[i], NULL))
				return -1;
		if (i < nwant && want[i].first == x->node.key) {
			if (want[i].count == x->count && want[i].kind == x->kind) {
				i++;
				continue;
			}
			reuse = x;
		}
		if (perm_change_del(ch, x, reuse != NULL) ||
		    (reuse && perm_change_add(ch, &want[i++], reuse)))
			return -1;
	}
	for (; i < nwant; i++)
		if (perm_change_add(ch, &want[i], NULL))
			return -1;
	return 0;
}

/*
 * The edit of setting [first, last] within chunk c, in the chunk map's own
 * page numbers.
 */
static int perm_prepare_chunk(const struct perm_engine *pe, uint64_t c, uint64_t first,
			      uint64_t last, uint64_t perms, struct permmap_edit *e)
{
	const struct permmap *m = &pe->maps[c];
	uint64_t cs = c * pe->chunk, a = first > cs ? first : cs;
	uint64_t b = last - cs < m->npages ? last : cs + m->npages - 1;

	return permmap_prepare(m, a - cs, b - a + 1, perms, e);
}

int perm_set(struct perm_engine *pe, uint64_t gpa, uint64_t pages, uint64_t perms)
{
	uint64_t first = (gpa - pe->ram->gpa_base) / VTL_PAGE_SIZE, last, c0, c1;
	enum slot_kind kind = perm_slot_kind(perms);
	size_t nranges = pe->nranges;
	struct perm_change ch;
	struct permmap_edit e;
	int ret = VTL_E_NO_RESOURCES;

	if (first >= pe->npages || !pages || pages > pe->npages - first || perms > VTL_PERM_MASK)
		return VTL_E_INVALID;
	last = first + pages - 1;
	c0 = first / pe->chunk;
	c1 = last / pe->chunk;
	perm_change_init(&ch);
	/*
	 * Everything is computed, and every node the maps will need
	 * allocated, before anything changes: a refused protection must not
	 * half-apply.
	 */
	for (uint64_t c = c0; c <= c1; c++) {
		if (perm_prepare_chunk(pe, c, first, last, perms, &e)) {
			ret = VTL_E_INVALID; /* not reached: the range was checked above */
			goto out;
		}
		if (permmap_reserve(&pe->maps[c], &e) ||
		    perm_plan_chunk(pe, c, first, last, kind, &ch))
			goto out;
		nranges = nranges - pe->maps[c].n + e.nranges_after;
	}
	/* The budgets, exact with the chunk cuts. */
	if (nranges > PERM_MAX_RANGES || pe->nslots - ch.ndel + ch.nadd > pe->max_slots)
		goto out;
	ret = -1; /* from here on a failure leaves KVM and the maps apart */
	for (uint64_t c = c0; c <= c1; c++) {
		/* One chunk (the usual set): its edit is the one just prepared. */
		if (c0 != c1 && perm_prepare_chunk(pe, c, first, last, perms, &e))
			goto out;
		/* Cannot fail: its nodes are reserved, and no chunk has more ranges than pages. */
		if (permmap_apply(&pe->maps[c], &e))
			goto out;
	}
	pe->nranges = nranges;
	/* Deletions first: KVM refuses overlapping slots. */
	for (size_t i = 0; i < ch.ndel; i++)
		if (perm_slot_delete(pe, ch.del[i].slot, ch.del[i].keep))
			goto out;
	for (size_t i = 0; i < ch.nadd; i++)
		if (perm_slot_create(pe, &ch.add[i].span, ch.add[i].reuse))
			goto out;
	ret = VTL_OK;
out:
	perm_change_free(&ch);
	return ret;
}

/* What VTL1 asked for page `page` (an index into VTL0 RAM) to be; 0 outside the chunks. */
static uint8_t perm_page_intended(const struct perm_engine *pe, uint64_t page)
{
	uint64_t c = page / pe->chunk;

	if (c >= pe->nchunks)
		return 0;
	return permmap_get(&pe->maps[c], page - c * pe->chunk);
}

/* What the memslots let VTL0 do on page `page` (an index into VTL0 RAM). */
static uint8_t perm_page_effective(const struct perm_engine *pe, uint64_t page)
{
	const struct perm_slot *s = perm_slot_find(pe, page);

	if (!s)
		return 0;
	return s->kind == SLOT_RW ? VTL_PERM_MASK : VTL_PERM_R | VTL_PERM_X;
}

uint8_t perm_intended(const struct perm_engine *pe, uint64_t addr)
{
	if (!guest_ram_contains(pe->ram, gpa(addr), 1))
		return 0;
	return perm_page_intended(pe, (addr - pe->ram->gpa_base) / VTL_PAGE_SIZE);
}

uint8_t perm_effective(const struct perm_engine *pe, uint64_t addr)
{
	if (!guest_ram_contains(pe->ram, gpa(addr), 1))
		return 0;
	return perm_page_effective(pe, (addr - pe->ram->gpa_base) / VTL_PAGE_SIZE);
}

/* ---- VTL0 memory with VTL0's rights ------------------------------------------------ */

/*
 * Every read of a VTL0 page-table entry and instruction byte comes here (a
 * write exit makes ~10), so the range is checked against RAM once and each
 * page by its index, not through perm_intended() and perm_effective().
 */
bool perm_vtl0_allows(const struct perm_engine *pe, uint64_t addr, uint64_t len, uint8_t need)
{
	uint64_t first, last;

	if (!len || !guest_ram_contains(pe->ram, gpa(addr), len))
		return false;
	first = ((addr & ~(uint64_t)(VTL_PAGE_SIZE - 1)) - pe->ram->gpa_base) / VTL_PAGE_SIZE;
	last = (((addr + len - 1) & ~(uint64_t)(VTL_PAGE_SIZE - 1)) - pe->ram->gpa_base) /
	       VTL_PAGE_SIZE;
	for (uint64_t page = first;; page++) {
		/* What VTL1 asked for and what the slots enforce: both must grant it. */
		if ((perm_page_intended(pe, page) & need) != need ||
		    (perm_page_effective(pe, page) & need) != need)
			return false;
		if (page == last)
			return true;
	}
}

const void *perm_vtl0_ptr(const struct perm_engine *pe, uint64_t addr, uint64_t len, uint8_t need)
{
	if (!perm_vtl0_allows(pe, addr, len, need))
		return NULL;
	return guest_ram_ptr(pe->ram, gpa(addr), len);
}

int perm_vtl0_read(const struct perm_engine *pe, uint64_t addr, void *dst, uint64_t len)
{
	if (!perm_vtl0_allows(pe, addr, len, VTL_PERM_R))
		return -1;
	return guest_ram_read(pe->ram, gpa(addr), dst, len);
}

int perm_vtl0_write(const struct perm_engine *pe, uint64_t addr, const void *src, uint64_t len)
{
	if (!perm_vtl0_allows(pe, addr, len, VTL_PERM_W))
		return -1;
	return guest_ram_write(pe->ram, gpa(addr), src, len);
}

long perm_vtl0_read_str(const struct perm_engine *pe, uint64_t addr, char *dst, size_t max)
{
	size_t n = 0;

	if (!max)
		return -1;
	dst[0] = '\0';
	if (!perm_vtl0_allows(pe, addr, 1, VTL_PERM_R))
		return -1;
	/* Page by page: the string stops where VTL0 could no longer read it. */
	while (n + 1 < max) {
		uint64_t at = addr + n, room = VTL_PAGE_SIZE - (at & (VTL_PAGE_SIZE - 1));
		long got;

		if (at < addr || !perm_vtl0_allows(pe, at, 1, VTL_PERM_R))
			break;
		if (room > max - 1 - n)
			room = max - 1 - n;
		/* Straight into dst: room + 1 bytes from dst + n stay inside dst's max. */
		got = guest_ram_read_str(pe->ram, gpa(at), dst + n, room + 1);
		if (got < 0)
			break;
		n += (size_t)got;
		if ((uint64_t)got < room)
			break; /* hit the NUL (or the end of RAM) */
	}
	dst[n] = '\0';
	return (long)n;
}
