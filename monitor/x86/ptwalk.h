/* Guest page-table walker: translates a guest VA through hostile guest page tables. */
#ifndef MONITOR_PTWALK_H
#define MONITOR_PTWALK_H

#include <stddef.h>
#include <stdint.h>

#include "monitor/x86/pte.h"

/* Architectural bits the walker looks at. */
#define PTWALK_CR0_PE	(1ULL << 0)
#define PTWALK_CR0_PG	(1ULL << 31)
#define PTWALK_CR4_PAE	(1ULL << 5)
#define PTWALK_CR4_LA57 (1ULL << 12)
#define PTWALK_EFER_LMA (1ULL << 10)
#define PTWALK_EFER_NXE (1ULL << 11)

#define PTWALK_PTE_P  X86_PTE_P
#define PTWALK_PTE_RW X86_PTE_RW
#define PTWALK_PTE_US X86_PTE_US
#define PTWALK_PTE_PS X86_PTE_PS
#define PTWALK_PTE_NX X86_PTE_NX
/* Physical address bits 12..51 of a table pointer or 4 KiB page. */
#define PTWALK_ADDR_MASK 0x000FFFFFFFFFF000ULL

/* Longest fetch: two x86 instructions (15 bytes each, the ones before and at RIP) rounded up. */
#define PTWALK_FETCH_MAX 32

/*
 * Reads guest physical memory [gpa, gpa + len). Must return 0 and fill dst,
 * or -1 when any part of the range is not guest RAM. The walker trusts
 * nothing else about guest memory.
 */
typedef int (*ptwalk_read_fn)(void *ctx, uint64_t gpa, void *dst, size_t len);

/*
 * The page-table entries one exit's walks have read, so that a second walk
 * through the same tables (a write exit walks RIP's page, then the store's
 * address, usually under the same PML4, PDPT and PD entries) does not read
 * them, nor check VTL0's right to read them, again. A memo lives for one
 * exit on its handler's stack: the walks it serves see the tables as they
 * were at its first read of each entry, one consistent view, as if they had
 * all run at once. ptwalk_memo_read() is a ptwalk_read_fn (ctx = the memo)
 * that keeps 8-byte reads (entries) and passes every other read through.
 */
#define PTWALK_MEMO_ENTRIES 8

struct ptwalk_memo {
	ptwalk_read_fn rd; /* the reads it stands for */
	void *ctx;
	unsigned n, next; /* entries kept; the one to replace when full */
	uint64_t gpa[PTWALK_MEMO_ENTRIES];
	uint64_t val[PTWALK_MEMO_ENTRIES];
};

/* An empty memo in front of rd(ctx, ...). */
void ptwalk_memo_init(struct ptwalk_memo *m, ptwalk_read_fn rd, void *ctx);
/*
 * A ptwalk_read_fn through the memo `memo`: 0 with dst filled (an 8-byte
 * entry from the memo when it was read before), or -1 when rd fails (a
 * failure is not kept: the next walk asks rd again).
 */
int ptwalk_memo_read(void *memo, uint64_t gpa, void *dst, size_t len);

struct ptwalk_result {
	uint64_t gpa;	    /* translation of va */
	uint64_t page_size; /* 4 KiB, 2 MiB or 1 GiB */
	int writable;	    /* R/W set at every level */
	int user;	    /* U/S set at every level */
	int nx;		    /* XD set at some level (only with EFER.NXE) */
};

enum ptwalk_err {
	PTWALK_OK = 0,
	PTWALK_E_NOT_PRESENT,  /* an entry on the path has P = 0 */
	PTWALK_E_BAD_READ,     /* a table lies outside guest RAM */
	PTWALK_E_NONCANONICAL, /* va is not canonical for the paging mode */
	PTWALK_E_RESERVED,     /* a reserved bit is set (PS in PML4/PML5, XD without NXE, ...) */
	PTWALK_E_NOT_LONG_MODE /* paging is off or not 4/5-level */
};

/*
 * Walk the guest's 4-level (or, with CR4.LA57, 5-level) tables rooted at cr3.
 * Never writes guest memory (no A/D updates) and does at most one read per
 * level, so self-referencing tables cannot make it loop.
 */
enum ptwalk_err ptwalk_translate(uint64_t cr0, uint64_t cr4, uint64_t efer, uint64_t cr3,
				 uint64_t va, ptwalk_read_fn rd, void *ctx,
				 struct ptwalk_result *out);
const char *ptwalk_strerror(enum ptwalk_err err);

/*
 * Fetch up to len (clamped to PTWALK_FETCH_MAX) instruction bytes at va,
 * translating each page separately. Returns how many bytes were read: fewer
 * than len when the walk fails part-way (for example the next page is not
 * present), 0 when the first byte cannot be read.
 */
size_t ptwalk_fetch(uint64_t cr0, uint64_t cr4, uint64_t efer, uint64_t cr3, uint64_t va,
		    ptwalk_read_fn rd, void *ctx, uint8_t *buf, size_t len);

#endif
