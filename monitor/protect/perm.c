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

static int perm_slot_create(struct perm_engine *pe, const struct slot_span *s)
{
	uint32_t flags = s->kind == SLOT_RO ? KVM_MEM_READONLY : 0;
	struct perm_slot *slot;
	size_t pos;
	uint32_t id;

	if (!pe->nfree || pe->nslots == pe->cap)
		return -1;
	id = pe->free_ids[pe->nfree - 1];
	if (vm_set_slot(pe->vm, id, flags, perm_gpa(pe, s->first), s->count * VTL_PAGE_SIZE,
			(uint8_t *)pe->ram->hva.v + s->first * VTL_PAGE_SIZE))
		return -1;
	pe->nfree--;
	for (pos = pe->nslots; pos > 0 && pe->slots[pos - 1].first > s->first; pos--)
		;
	memmove(&pe->slots[pos + 1], &pe->slots[pos], (pe->nslots - pos) * sizeof(pe->slots[0]));
	slot = &pe->slots[pos];
	slot->first = s->first;
	slot->count = s->count;
	slot->kind = s->kind;
	slot->id = id;
	pe->nslots++;
	return 0;
}

static long perm_slot_find(const struct perm_engine *pe, uint64_t page)
{
	size_t lo = 0, hi = pe->nslots;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct perm_slot *s = &pe->slots[mid];

		if (page < s->first)
			hi = mid;
		else if (page - s->first >= s->count)
			lo = mid + 1;
		else
			return (long)mid;
	}
	return -1;
}

static int perm_slot_delete(struct perm_engine *pe, const struct slot_span *s)
{
	long i = perm_slot_find(pe, s->first);
	struct perm_slot *slot;

	if (i < 0)
		return -1;
	slot = &pe->slots[i];
	if (slot->first != s->first || slot->count != s->count || slot->kind != s->kind)
		return -1;
	/* A zero size deletes the slot. */
	if (vm_set_slot(pe->vm, slot->id, 0, perm_gpa(pe, slot->first), 0, NULL))
		return -1;
	pe->free_ids[pe->nfree++] = slot->id;
	memmove(slot, slot + 1, (pe->nslots - (size_t)i - 1) * sizeof(pe->slots[0]));
	pe->nslots--;
	return 0;
}

int perm_init(struct perm_engine *pe, struct vm *vm, struct guest_ram *ram, uint32_t max_slots)
{
	const struct slot_span all = {0, ram->size / VTL_PAGE_SIZE, SLOT_RW};

	memset(pe, 0, sizeof(*pe));
	pe->vm = vm;
	pe->ram = ram;
	pe->max_slots = max_slots;
	if (!max_slots || permmap_init(&pe->map, all.count, VTL_PERM_MASK, PERM_MAX_RANGES))
		goto err;
	pe->cap = max_slots;
	pe->slots = calloc(pe->cap, sizeof(*pe->slots));
	pe->free_ids = calloc(max_slots, sizeof(*pe->free_ids));
	if (!pe->slots || !pe->free_ids)
		goto err;
	/* Hand out low ids first: pop from the end. */
	for (uint32_t i = 0; i < max_slots; i++)
		pe->free_ids[i] = max_slots - 1 - i;
	pe->nfree = max_slots;
	if (perm_slot_create(pe, &all))
		goto err;
	return 0;
err:
	perm_destroy(pe);
	return -1;
}

void perm_destroy(struct perm_engine *pe)
{
	permmap_destroy(&pe->map);
	free(pe->slots);
	free(pe->free_ids);
	pe->slots = NULL;
	pe->free_ids = NULL;
	pe->nslots = pe->nfree = 0;
}

int perm_set(struct perm_engine *pe, uint64_t gpa, uint64_t pages, uint64_t perms)
{
	struct slot_span *before = NULL, *after = NULL, *del = NULL, *add = NULL;
	uint64_t first = (gpa - pe->ram->gpa_base) / VTL_PAGE_SIZE;
	size_t nranges, nspans, nb, na, ndel, nadd;
	int ret = VTL_E_INVALID, r;

	r = permmap_set_dry(&pe->map, first, pages, perms, &nranges, &nspans);
	if (r)
		return VTL_E_INVALID;
	if (nspans > pe->max_slots || nranges > PERM_MAX_RANGES)
		return VTL_E_NO_RESOURCES;
	nb = permmap_plan_around(&pe->map, first, pages, NULL, 0);
	before = calloc(nb + 1, sizeof(*before));
	if (!before)
		return VTL_E_NO_RESOURCES;
	permmap_plan_around(&pe->map, first, pages, before, nb);
	if (permmap_set(&pe->map, first, pages, perms)) {
		ret = VTL_E_NO_RESOURCES;
		goto out;
	}
	na = permmap_plan_around(&pe->map, first, pages, NULL, 0);
	after = calloc(na + 1, sizeof(*after));
	del = calloc(nb + 1, sizeof(*del));
	add = calloc(na + 1, sizeof(*add));
	ret = -1; /* from here on a failure leaves KVM and the map apart */
	if (!after || !del || !add)
		goto out;
	permmap_plan_around(&pe->map, first, pages, after, na);
	if (slot_plan_diff(before, nb, after, na, del, &ndel, add, &nadd))
		goto out;
	/* Deletions first: KVM refuses overlapping slots. */
	for (size_t i = 0; i < ndel; i++)
		if (perm_slot_delete(pe, &del[i]))
			goto out;
	for (size_t i = 0; i < nadd; i++)
		if (perm_slot_create(pe, &add[i]))
			goto out;
	ret = VTL_OK;
out:
	free(add);
	free(del);
	free(after);
	free(before);
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
	long i;

	if (!guest_ram_contains(pe->ram, gpa(addr), 1))
		return 0;
	i = perm_slot_find(pe, (addr - pe->ram->gpa_base) / VTL_PAGE_SIZE);
	if (i < 0)
		return 0;
	return pe->slots[i].kind == SLOT_RW ? VTL_PERM_MASK : VTL_PERM_R | VTL_PERM_X;
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
