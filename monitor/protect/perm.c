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

static int perm_slot_create(struct perm_engine *pe, const struct slot_span *s)
{
	uint32_t flags = s->kind == SLOT_RO ? KVM_MEM_READONLY : 0;
	struct perm_slot *slot;
	uint32_t id;

	/* The plan never crosses a chunk: the per-chunk trees rely on it. */
	if (!pe->nfree || s->first / pe->chunk != (s->first + s->count - 1) / pe->chunk)
		return -1;
	id = pe->free_ids[pe->nfree - 1];
	if (vm_set_slot(pe->vm, id, flags, perm_gpa(pe, s->first), s->count * VTL_PAGE_SIZE,
			(uint8_t *)pe->ram->hva.v + s->first * VTL_PAGE_SIZE))
		return -1;
	pe->nfree--;
	slot = &pe->slots[id];
	slot->node.key = s->first;
	slot->count = s->count;
	slot->kind = s->kind;
	slot->used = true;
	pmtree_insert(&pe->chunk_slots[s->first / pe->chunk], &slot->node);
	pe->nslots++;
	return 0;
}

static int perm_slot_delete(struct perm_engine *pe, const struct slot_span *s)
{
	struct perm_slot *slot = perm_slot_find(pe, s->first);
	uint32_t id;

	if (!slot || slot->node.key != s->first || slot->count != s->count || slot->kind != s->kind)
		return -1;
	id = (uint32_t)(slot - pe->slots);
	/* A zero size deletes the slot. */
	if (vm_set_slot(pe->vm, id, 0, perm_gpa(pe, s->first), 0, NULL))
		return -1;
	pmtree_remove(&pe->chunk_slots[s->first / pe->chunk], &slot->node);
	slot->used = false;
	pe->free_ids[pe->nfree++] = id;
	pe->nslots--;
	return 0;
}

int perm_init_chunked(struct perm_engine *pe, struct vm *vm, struct guest_ram *ram,
		      uint32_t max_slots, uint64_t chunk)
{
	uint64_t npages = ram->size / VTL_PAGE_SIZE;
	struct slot_span *plan = NULL;
	size_t n;

	memset(pe, 0, sizeof(*pe));
	pe->vm = vm;
	pe->ram = ram;
	pe->max_slots = max_slots;
	pe->chunk = chunk;
	if (!max_slots || !chunk ||
	    permmap_init(&pe->map, npages, VTL_PERM_MASK, PERM_MAX_RANGES, chunk))
		goto err;
	/* Budget first: RAM needs one slot per chunk before VTL1 changes anything. */
	n = permmap_nspans(&pe->map);
	if (n > max_slots) {
		log_err("VTL0 RAM needs %zu memslots of %llu pages, the host has %u", n,
			(unsigned long long)chunk, max_slots);
		goto err;
	}
	pe->nchunks = (npages + chunk - 1) / chunk;
	pe->slots = calloc(max_slots, sizeof(*pe->slots));
	pe->free_ids = calloc(max_slots, sizeof(*pe->free_ids));
	pe->chunk_slots = calloc(pe->nchunks, sizeof(*pe->chunk_slots));
	plan = calloc(n, sizeof(*plan));
	if (!pe->slots || !pe->free_ids || !pe->chunk_slots || !plan)
		goto err;
	/* Hand out low ids first: pop from the end. */
	for (uint32_t i = 0; i < max_slots; i++)
		pe->free_ids[i] = max_slots - 1 - i;
	pe->nfree = max_slots;
	permmap_plan(&pe->map, plan, n);
	for (size_t i = 0; i < n; i++)
		if (perm_slot_create(pe, &plan[i]))
			goto err;
	free(plan);
	return 0;
err:
	free(plan);
	perm_destroy(pe);
	return -1;
}

int perm_init(struct perm_engine *pe, struct vm *vm, struct guest_ram *ram, uint32_t max_slots)
{
	return perm_init_chunked(pe, vm, ram, max_slots, PERM_CHUNK_PAGES);
}

void perm_destroy(struct perm_engine *pe)
{
	permmap_destroy(&pe->map);
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
 * Most changes touch a handful of slots: their plans live on the stack, and
 * only a change wider than this many spans pays for the heap.
 */
#define PERM_PLAN_STACK 16

struct perm_plan_buf {
	struct slot_span stack[PERM_PLAN_STACK];
	struct slot_span *s;
	size_t n;
};

/* The plan around the change into b, from the heap when it is big: 0 or -1. */
static int perm_plan_take(const struct perm_engine *pe, const struct permmap_edit *e,
			  struct perm_plan_buf *b)
{
	b->s = b->stack;
	b->n = permmap_plan_edit(&pe->map, e, b->s, PERM_PLAN_STACK);
	if (b->n <= PERM_PLAN_STACK)
		return 0;
	b->s = calloc(b->n, sizeof(*b->s));
	if (!b->s)
		return -1;
	permmap_plan_edit(&pe->map, e, b->s, b->n);
	return 0;
}

/* Room for n spans in b (its contents undefined): 0 or -1. */
static int perm_plan_room(struct perm_plan_buf *b, size_t n)
{
	b->s = n <= PERM_PLAN_STACK ? b->stack : calloc(n, sizeof(*b->s));
	b->n = 0;
	return b->s ? 0 : -1;
}

static void perm_plan_free(struct perm_plan_buf *b)
{
	if (b->s != b->stack)
		free(b->s);
	b->s = b->stack;
}

int perm_set(struct perm_engine *pe, uint64_t gpa, uint64_t pages, uint64_t perms)
{
	struct perm_plan_buf before, after, del, add;
	uint64_t first = (gpa - pe->ram->gpa_base) / VTL_PAGE_SIZE;
	struct permmap_edit e;
	int ret = VTL_E_NO_RESOURCES;

	before.s = after.s = del.s = add.s = NULL;
	if (permmap_prepare(&pe->map, first, pages, perms, &e))
		return VTL_E_INVALID;
	/* The budget, exact with the chunk cuts, before anything is touched. */
	if (e.nspans_after > pe->max_slots || e.nranges_after > PERM_MAX_RANGES)
		return VTL_E_NO_RESOURCES;
	if (perm_plan_take(pe, &e, &before) || permmap_apply(&pe->map, &e))
		goto out;
	ret = -1; /* from here on a failure leaves KVM and the map apart */
	if (perm_plan_take(pe, &e, &after) || perm_plan_room(&del, before.n) ||
	    perm_plan_room(&add, after.n))
		goto out;
	if (slot_plan_diff(before.s, before.n, after.s, after.n, del.s, &del.n, add.s, &add.n))
		goto out;
	/* Deletions first: KVM refuses overlapping slots. */
	for (size_t i = 0; i < del.n; i++)
		if (perm_slot_delete(pe, &del.s[i]))
			goto out;
	for (size_t i = 0; i < add.n; i++)
		if (perm_slot_create(pe, &add.s[i]))
			goto out;
	ret = VTL_OK;
out:
	if (add.s)
		perm_plan_free(&add);
	if (del.s)
		perm_plan_free(&del);
	if (after.s)
		perm_plan_free(&after);
	if (before.s)
		perm_plan_free(&before);
	return ret;
}

uint8_t perm_intended(const struct perm_engine *pe, uint64_t addr)
{
	if (!guest_ram_contains(pe->ram, gpa(addr), 1))
		return 0;
	return permmap_get(&pe->map, (addr - pe->ram->gpa_base) / VTL_PAGE_SIZE);
}

uint8_t perm_effective(const struct perm_engine *pe, uint64_t addr)
{
	const struct perm_slot *s;

	if (!guest_ram_contains(pe->ram, gpa(addr), 1))
		return 0;
	s = perm_slot_find(pe, (addr - pe->ram->gpa_base) / VTL_PAGE_SIZE);
	if (!s)
		return 0;
	return s->kind == SLOT_RW ? VTL_PERM_MASK : VTL_PERM_R | VTL_PERM_X;
}

/* ---- VTL0 memory with VTL0's rights ------------------------------------------------ */

bool perm_vtl0_allows(const struct perm_engine *pe, uint64_t addr, uint64_t len, uint8_t need)
{
	uint64_t first, last;

	if (!len || !guest_ram_contains(pe->ram, gpa(addr), len))
		return false;
	first = addr & ~(uint64_t)(VTL_PAGE_SIZE - 1);
	last = (addr + len - 1) & ~(uint64_t)(VTL_PAGE_SIZE - 1);
	for (uint64_t page = first;; page += VTL_PAGE_SIZE) {
		/* What VTL1 asked for and what the slots enforce: both must grant it. */
		if ((perm_intended(pe, page) & perm_effective(pe, page) & need) != need)
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
