/* Per-page state of VTL0 RAM: the permissions VTL1 has applied and which pages are locked. */
#include "vtl1/pages.h"

#include <stddef.h>
#include <stdint.h>

#include "gl_string.h"
#include "vtl1_abi.h"
#include "vtl_layout.h"

/* The page state (pages.h says what a byte holds). */
uint8_t vtl1_pages[VTL1_PAGES_MAX];
bool vtl1_pages_have_locks;

uint64_t vtl1_ram_pages;

/* Runs emulated, once per page: keep it plain. */
void vtl1_pages_scan_range(uint64_t first, uint64_t n, uint32_t perms, struct vtl1_page_change *out)
{
	const uint8_t *p = &vtl1_pages[first], *end = p + n;
	uint32_t denied_any = 0, denied_all = VTL_PERM_MASK, locked_denied = 0;

	do {
		uint32_t d = *p;

		denied_any |= d;
		denied_all &= d;
		if (d & VTL1_PAGE_LOCKED)
			locked_denied |= d;
	} while (++p != end);
	out->gains = denied_any & perms;
	out->loses = ~denied_all & ~perms & VTL_PERM_MASK;
	out->locked_gains = locked_denied & perms;
}

void vtl1_pages_set_range(uint64_t first, uint64_t n, uint32_t perms, bool lock)
{
	uint8_t *p = &vtl1_pages[first], *end = p + n;
	uint8_t d = (uint8_t)((~perms & VTL_PERM_MASK) | (lock ? VTL1_PAGE_LOCKED : 0));

	if (lock || !vtl1_pages_have_locks) {
		memset(p, d, n);
		vtl1_pages_have_locks |= lock;
		return;
	}
	for (; p != end; p++)
		*p = (uint8_t)((*p & VTL1_PAGE_LOCKED) | d);
}

uint32_t vtl1_pages_perms(uint64_t page)
{
	return ~(uint32_t)vtl1_pages[page] & VTL_PERM_MASK;
}

/*
 * The end of the run of bytes equal to *p, p < end: one `repe scasb`, so a
 * range costs a few instructions per run, not per page (emulated, that is
 * the difference between microseconds and a second for a large image).
 */
static const uint8_t *vtl1_same_end(const uint8_t *p, const uint8_t *end)
{
	uint64_t left = (uint64_t)(end - p);
	bool all;

	__asm__("repe scasb"
		: "+D"(p), "+c"(left), "=@ccz"(all)
		: "a"(*p), "m"(*(const uint8_t(*)[VTL1_PAGES_MAX])vtl1_pages));
	/* Stopped on a different byte: scasb has already stepped past it. */
	return all ? p : p - 1;
}

void vtl1_pages_runs(uint64_t first, uint64_t n, uint32_t mask,
		     void (*emit)(uint64_t first, uint64_t n, uint32_t perms))
{
	const uint8_t *p = &vtl1_pages[first], *end = p + n;
	uint64_t run = first;
	uint32_t perms = ~(uint32_t)*p & mask & VTL_PERM_MASK;

	/* Byte runs also split on LOCKED and on masked-out bits: merge those. */
	do {
		uint32_t pp = ~(uint32_t)*p & mask & VTL_PERM_MASK;

		if (pp != perms) {
			emit(run, (uint64_t)(p - vtl1_pages) - run, perms);
			run = (uint64_t)(p - vtl1_pages);
			perms = pp;
		}
		p = vtl1_same_end(p, end);
	} while (p != end);
	emit(run, first + n - run, perms);
}

void vtl1_pages_drop_wx(uint64_t first, uint64_t n)
{
	for (uint8_t *p = &vtl1_pages[first], *end = p + n; p != end; p++)
		*p |= VTL_PERM_W | VTL_PERM_X;
}

void vtl1_pages_reset(void)
{
	/* Pages past vtl1_ram_pages were never written: VTL0 RAM keeps its size across kexec. */
	memset(vtl1_pages, 0, vtl1_ram_pages);
	vtl1_pages_have_locks = false;
}
