/* The VTL0 permission engine: VTL1's page permissions, enforced as memslots in VTL0's VM. */
#ifndef MONITOR_PERM_H
#define MONITOR_PERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/kvm/kvm.h"
#include "monitor/base/mem.h"
#include "monitor/protect/permmap.h"
#include "vtl_status.h"

/* One live KVM memslot of VTL0's VM (pages [first, first + count)). */
struct perm_slot {
	uint64_t first;
	uint64_t count;
	enum slot_kind kind;
	uint32_t id;
};

struct perm_engine {
	struct vm *vm;
	struct guest_ram *ram;
	struct permmap map;	 /* what VTL1 asked for */
	struct perm_slot *slots; /* what KVM enforces, sorted by first */
	size_t nslots;
	size_t cap;
	uint32_t *free_ids;
	size_t nfree;
	uint32_t max_slots;
};

/* All of VTL0 RAM RWX, as one slot. */
int perm_init(struct perm_engine *pe, struct vm *vm, struct guest_ram *ram, uint32_t max_slots);
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
