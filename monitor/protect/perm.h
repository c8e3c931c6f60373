/* The VTL0 permission engine: VTL1's page permissions, enforced as memslots in VTL0's VM. */
#ifndef MONITOR_PERM_H
#define MONITOR_PERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/kvm/kvm.h"
#include "monitor/base/mem.h"
#include "monitor/protect/permmap.h"
#include "vtl_layout.h"
#include "vtl_status.h"

/*
 * One live KVM memslot of VTL0's VM (pages [first, first + count), first is
 * node.key). Never wider than a chunk, and never across a chunk boundary.
 */
struct perm_slot {
	struct pmtree_node node;
	uint64_t count;
	enum slot_kind kind;
	bool used;
};

/* vm_set_slot()'s signature: how the engine changes a memslot. */
typedef int perm_slot_fn(struct vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
			 void *hva);

struct perm_engine {
	struct vm *vm;
	perm_slot_fn *set_slot; /* vm_set_slot, or a unit test's fake KVM */
	struct guest_ram *ram;
	/*
	 * What VTL1 asked for, one map per chunk: maps[c] holds pages
	 * [c * chunk, c * chunk + maps[c].npages), numbered from 0. A set
	 * edits the trees of the chunks it meets, each of at most a chunk's
	 * ranges however many there are in all, as the slots already are.
	 * Ranges are cut at chunk boundaries.
	 */
	struct permmap *maps;
	size_t nranges; /* over all maps: bounded, it bounds their memory */
	uint64_t npages;
	/*
	 * What KVM enforces: slot id i is slots[i], and each chunk's live slots
	 * are a tree of their own (chunk_slots[page / chunk]), so finding the
	 * slot of a page is a search among at most one chunk's slots.
	 */
	struct perm_slot *slots;
	struct pmtree *chunk_slots;
	uint64_t nchunks, chunk;
	size_t nslots;
	uint32_t *free_ids;
	size_t nfree;
	uint32_t max_slots;
};

/*
 * Slots are cut at VTL_LARGE_PAGE_SIZE boundaries counted from the start of
 * VTL0 RAM: GPA 0, so each chunk can still be backed by one large page.
 */
#define PERM_CHUNK_PAGES (VTL_LARGE_PAGE_SIZE / VTL_PAGE_SIZE)

/*
 * All of VTL0 RAM RWX, as one slot per PERM_CHUNK_PAGES: -1 when that is
 * more than max_slots, or on any failure.
 */
int perm_init(struct perm_engine *pe, struct vm *vm, struct guest_ram *ram, uint32_t max_slots);
/* perm_init() with another chunk (pages, > 0): tests reach the cuts with little RAM. */
int perm_init_chunked(struct perm_engine *pe, struct vm *vm, struct guest_ram *ram,
		      uint32_t max_slots, uint64_t chunk);
/* perm_init_chunked() changing its memslots through set_slot: unit tests fake KVM with it. */
int perm_init_with(struct perm_engine *pe, struct vm *vm, struct guest_ram *ram, uint32_t max_slots,
		   uint64_t chunk, perm_slot_fn *set_slot);
void perm_destroy(struct perm_engine *pe);
/*
 * Set [gpa, gpa + pages * 4 KiB) to `perms`, changing only the slots that
 * must change. VTL_E_NO_RESOURCES when the memslot budget would be exceeded
 * (nothing changed). -1 if KVM refused a slot change half-way: the caller
 * must end the run, the enforced state is no longer known.
 */
int perm_set(struct perm_engine *pe, uint64_t gpa, uint64_t pages, uint64_t perms);
/* The permission VTL1 set for the page holding gpa. */
uint8_t perm_intended(const struct perm_engine *pe, uint64_t addr);
/*
 * What the memslots really enforce for that page: RW slot = R|W|X, READONLY
 * slot = R|X (exec cannot be removed upstream), no slot = 0.
 */
uint8_t perm_effective(const struct perm_engine *pe, uint64_t addr);

/*
 * The monitor's access to VTL0 RAM on VTL0's behalf (call blocks, ucalls,
 * kexec images and signatures, anything new), with VTL0's own rights: every
 * page of [addr, addr + len) must be VTL0 RAM and grant `need` (VTL_PERM_R to
 * read, VTL_PERM_W to write) both as VTL1 set it and as the memslots enforce
 * it. Without this a no-access page could be read through the monitor, or a
 * read-only one written.
 */
bool perm_vtl0_allows(const struct perm_engine *pe, uint64_t addr, uint64_t len, uint8_t need);
/* A pointer to the range when perm_vtl0_allows(), else NULL. */
const void *perm_vtl0_ptr(const struct perm_engine *pe, uint64_t addr, uint64_t len, uint8_t need);
/* Copy out / in; -1 (nothing copied) unless VTL0 may read / write the whole range. */
int perm_vtl0_read(const struct perm_engine *pe, uint64_t addr, void *dst, uint64_t len);
int perm_vtl0_write(const struct perm_engine *pe, uint64_t addr, const void *src, uint64_t len);
/*
 * A NUL-terminated string of at most max-1 bytes that stops at the first
 * byte VTL0 cannot read. Always terminates `dst`; returns the length, or -1
 * if VTL0 cannot read its first byte.
 */
long perm_vtl0_read_str(const struct perm_engine *pe, uint64_t addr, char *dst, size_t max);

#endif
