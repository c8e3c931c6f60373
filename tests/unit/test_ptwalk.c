/* Unit tests for monitor/ptwalk: page tables built in a host buffer that stands for guest RAM. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/x86/ptwalk.h"

#define RAM_SIZE (1ULL << 20)

#define CR0_LM	(PTWALK_CR0_PE | PTWALK_CR0_PG)
#define CR4_LM	PTWALK_CR4_PAE
#define EFER_LM (PTWALK_EFER_LMA | PTWALK_EFER_NXE)

#define P  PTWALK_PTE_P
#define RW PTWALK_PTE_RW
#define US PTWALK_PTE_US
#define PS PTWALK_PTE_PS
#define NX PTWALK_PTE_NX

/* Table GPAs used by the hand-built tests. */
#define T_PML5 0x5000ULL
#define T_PML4 0x1000ULL
#define T_PDPT 0x2000ULL
#define T_PD   0x3000ULL
#define T_PT   0x4000ULL

struct ram {
	uint8_t *buf;
	size_t size;
	unsigned reads;
};

static struct ram ram;

static int ram_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	struct ram *r = ctx;

	r->reads++;
	if (gpa > r->size || len > r->size - gpa)
		return -1;
	memcpy(dst, r->buf + gpa, len);
	return 0;
}

static void ram_setup(void)
{
	ram.size = RAM_SIZE;
	ram.buf = calloc(1, ram.size);
	ram.reads = 0;
	cr_assert_not_null(ram.buf);
}

static void ram_teardown(void)
{
	free(ram.buf);
	ram.buf = NULL;
}

static void set_pte(uint64_t table, uint64_t idx, uint64_t val)
{
	memcpy(ram.buf + table + idx * 8, &val, 8);
}

static unsigned idx(uint64_t va, unsigned level)
{
	return (va >> (12 + 9 * (level - 1))) & 0x1ff;
}

static enum ptwalk_err walk(uint64_t va, struct ptwalk_result *res)
{
	return ptwalk_translate(CR0_LM, CR4_LM, EFER_LM, T_PML4, va, ram_read, &ram, res);
}

/* PML4 -> PDPT -> PD -> PT for va, with the given flags on every table entry. */
static void map_path(uint64_t va, uint64_t flags)
{
	set_pte(T_PML4, idx(va, 4), T_PDPT | flags);
	set_pte(T_PDPT, idx(va, 3), T_PD | flags);
	set_pte(T_PD, idx(va, 2), T_PT | flags);
}

TestSuite(ptwalk, .init = ram_setup, .fini = ram_teardown);

Test(ptwalk, map_4k)
{
	const uint64_t va = 0x00007f1234567abcULL;
	struct ptwalk_result res;

	map_path(va, P | RW | US);
	set_pte(T_PT, idx(va, 1), 0x80000 | P | RW | US);
	cr_assert_eq(walk(va, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, 0x80abcULL);
	cr_assert_eq(res.page_size, 0x1000ULL);
	cr_assert(res.writable);
	cr_assert(res.user);
	cr_assert(!res.nx);
	cr_assert_eq(ram.reads, 4);
}

Test(ptwalk, permissions_accumulate)
{
	const uint64_t va = 0x400000ULL;
	struct ptwalk_result res;

	map_path(va, P | RW | US);
	/* read-only, supervisor-only at the PDPT, NX at the leaf */
	set_pte(T_PDPT, idx(va, 3), T_PD | P);
	set_pte(T_PT, idx(va, 1), 0x9000 | P | RW | US | NX);
	cr_assert_eq(walk(va, &res), PTWALK_OK);
	cr_assert(!res.writable);
	cr_assert(!res.user);
	cr_assert(res.nx);
}

Test(ptwalk, nx_without_nxe_is_reserved)
{
	const uint64_t va = 0x400000ULL;
	struct ptwalk_result res;

	map_path(va, P | RW);
	set_pte(T_PT, idx(va, 1), 0x9000 | P | NX);
	cr_assert_eq(
	    ptwalk_translate(CR0_LM, CR4_LM, PTWALK_EFER_LMA, T_PML4, va, ram_read, &ram, &res),
	    PTWALK_E_RESERVED);
}

Test(ptwalk, map_2m)
{
	const uint64_t va = 0xffff800000345678ULL;
	struct ptwalk_result res;

	map_path(va, P | RW);
	/* PAT (bit 12) is legal in a large-page entry */
	set_pte(T_PD, idx(va, 2), 0x40200000ULL | (1ULL << 12) | P | PS);
	cr_assert_eq(walk(va, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, 0x40345678ULL);
	cr_assert_eq(res.page_size, 0x200000ULL);
	cr_assert(!res.writable);
	cr_assert_eq(ram.reads, 3);
}

Test(ptwalk, map_2m_reserved_bits)
{
	const uint64_t va = 0x600000ULL;
	struct ptwalk_result res;

	map_path(va, P | RW);
	set_pte(T_PD, idx(va, 2), 0x600000ULL | (1ULL << 13) | P | PS);
	cr_assert_eq(walk(va, &res), PTWALK_E_RESERVED);
}

Test(ptwalk, map_1g)
{
	const uint64_t va = 0x00000040deadbeefULL;
	struct ptwalk_result res;

	set_pte(T_PML4, idx(va, 4), T_PDPT | P | RW | US);
	set_pte(T_PDPT, idx(va, 3), 0x000fffffc0000000ULL | P | RW | US | PS);
	cr_assert_eq(walk(va, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, 0x000fffffc0000000ULL | (va & 0x3fffffff));
	cr_assert_eq(res.page_size, 0x40000000ULL);
	cr_assert(res.user);
	cr_assert_eq(ram.reads, 2);

	/* bits 13..29 of a 1 GiB entry are reserved */
	set_pte(T_PDPT, idx(va, 3), 0x40000000ULL | (1ULL << 20) | P | PS);
	cr_assert_eq(walk(va, &res), PTWALK_E_RESERVED);
}

Test(ptwalk, ps_in_pml4_is_reserved)
{
	struct ptwalk_result res;

	set_pte(T_PML4, 0, 0 | P | RW | PS);
	cr_assert_eq(walk(0x1234, &res), PTWALK_E_RESERVED);
}

Test(ptwalk, ignored_high_bits_do_not_leak_into_address)
{
	const uint64_t va = 0x200000ULL;
	struct ptwalk_result res;

	/* bits 52..62 are available to software / protection keys */
	map_path(va, P | RW | (0x7ffULL << 52));
	set_pte(T_PT, idx(va, 1), 0x7000 | P | (0x7ffULL << 52));
	cr_assert_eq(walk(va + 0x10, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, 0x7010ULL);
}

Test(ptwalk, not_present_at_each_level)
{
	const uint64_t va = 0x00000012345ff000ULL;
	struct ptwalk_result res;
	const uint64_t tables[] = {T_PML4, T_PDPT, T_PD, T_PT};

	for (unsigned lvl = 4; lvl >= 1; lvl--) {
		map_path(va, P | RW);
		set_pte(T_PT, idx(va, 1), 0x9000 | P | RW);
		cr_assert_eq(walk(va, &res), PTWALK_OK);
		/* clear only P: the rest of the entry stays plausible */
		set_pte(tables[4 - lvl], idx(va, lvl), (lvl == 1 ? 0x9000 : tables[5 - lvl]) | RW);
		cr_assert_eq(walk(va, &res), PTWALK_E_NOT_PRESENT, "level %u", lvl);
		cr_assert_eq(res.gpa, 0);
	}
}

Test(ptwalk, table_outside_ram_is_bad_read)
{
	const uint64_t va = 0x1000ULL;
	struct ptwalk_result res;

	cr_assert_eq(ptwalk_translate(CR0_LM, CR4_LM, EFER_LM, RAM_SIZE, va, ram_read, &ram, &res),
		     PTWALK_E_BAD_READ);
	cr_assert_eq(ptwalk_translate(CR0_LM, CR4_LM, EFER_LM, 0x000ffffffffff000ULL, va, ram_read,
				      &ram, &res),
		     PTWALK_E_BAD_READ);

	map_path(va, P | RW);
	set_pte(T_PDPT, idx(va, 3), 0x000ffffffffff000ULL | P | RW);
	cr_assert_eq(walk(va, &res), PTWALK_E_BAD_READ);
	map_path(va, P | RW);
	set_pte(T_PD, idx(va, 2), RAM_SIZE | P | RW);
	cr_assert_eq(walk(va, &res), PTWALK_E_BAD_READ);
	map_path(va, P | RW);
	set_pte(T_PML4, idx(va, 4), (RAM_SIZE + 0x1000) | P | RW);
	cr_assert_eq(walk(va, &res), PTWALK_E_BAD_READ);
}

Test(ptwalk, cr3_low_bits_are_ignored)
{
	const uint64_t va = 0x3000ULL;
	struct ptwalk_result res;

	map_path(va, P | RW);
	set_pte(T_PT, idx(va, 1), 0xa000 | P);
	/* PCID in bits 0..11 and the no-flush bit 63 */
	cr_assert_eq(ptwalk_translate(CR0_LM, CR4_LM, EFER_LM, T_PML4 | 0xabc | (1ULL << 63), va,
				      ram_read, &ram, &res),
		     PTWALK_OK);
	cr_assert_eq(res.gpa, 0xa000ULL);
}

Test(ptwalk, noncanonical)
{
	static const uint64_t bad[] = {0x0000800000000000ULL, 0xffff7fffffffffffULL,
				       0x8000000000000000ULL, 0x00ff000000000000ULL};
	struct ptwalk_result res;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(walk(bad[i], &res), PTWALK_E_NONCANONICAL, "va %#lx",
			     (unsigned long)bad[i]);
	}
	cr_assert_eq(ram.reads, 0);
	/* the first canonical addresses on each side reach the tables */
	cr_assert_eq(walk(0x00007fffffffffffULL, &res), PTWALK_E_NOT_PRESENT);
	cr_assert_eq(walk(0xffff800000000000ULL, &res), PTWALK_E_NOT_PRESENT);
}

Test(ptwalk, not_long_mode)
{
	struct ptwalk_result res;

	cr_assert_eq(
	    ptwalk_translate(PTWALK_CR0_PE, CR4_LM, EFER_LM, T_PML4, 0, ram_read, &ram, &res),
	    PTWALK_E_NOT_LONG_MODE);
	cr_assert_eq(ptwalk_translate(CR0_LM, 0, EFER_LM, T_PML4, 0, ram_read, &ram, &res),
		     PTWALK_E_NOT_LONG_MODE);
	cr_assert_eq(
	    ptwalk_translate(CR0_LM, CR4_LM, PTWALK_EFER_NXE, T_PML4, 0, ram_read, &ram, &res),
	    PTWALK_E_NOT_LONG_MODE);
	cr_assert_eq(ram.reads, 0);
}

Test(ptwalk, five_level)
{
	const uint64_t cr4 = CR4_LM | PTWALK_CR4_LA57;
	const uint64_t va = 0x00ab123456789123ULL; /* canonical only with 57 bits */
	struct ptwalk_result res;

	cr_assert_eq(walk(va, &res), PTWALK_E_NONCANONICAL);
	set_pte(T_PML5, (va >> 48) & 0x1ff, T_PML4 | P | RW);
	map_path(va, P | RW);
	set_pte(T_PT, idx(va, 1), 0xb000 | P | RW);
	cr_assert_eq(ptwalk_translate(CR0_LM, cr4, EFER_LM, T_PML5, va, ram_read, &ram, &res),
		     PTWALK_OK);
	cr_assert_eq(res.gpa, 0xb123ULL);
	cr_assert_eq(ptwalk_translate(CR0_LM, cr4, EFER_LM, T_PML5, 0x0100000000000000ULL, ram_read,
				      &ram, &res),
		     PTWALK_E_NONCANONICAL);
	/* no 256 TiB pages either */
	set_pte(T_PML5, (va >> 48) & 0x1ff, T_PML4 | P | RW | PS);
	cr_assert_eq(ptwalk_translate(CR0_LM, cr4, EFER_LM, T_PML5, va, ram_read, &ram, &res),
		     PTWALK_E_RESERVED);
}

Test(ptwalk, self_referencing_tables_terminate)
{
	struct ptwalk_result res;

	/* PML4[0] points to itself: every level reads the same page, then stops */
	set_pte(T_PML4, 0, T_PML4 | P | RW);
	ram.reads = 0;
	cr_assert_eq(walk(0x8, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, T_PML4 + 0x8);
	cr_assert_eq(ram.reads, 4);

	/* a two-table cycle at every level */
	set_pte(T_PML4, 0, T_PDPT | P | RW);
	set_pte(T_PDPT, 0, T_PML4 | P | RW);
	ram.reads = 0;
	cr_assert_eq(walk(0x10, &res), PTWALK_OK);
	cr_assert_eq(res.gpa, T_PML4 + 0x10);
	cr_assert_eq(ram.reads, 4);

	/* self-reference with PS at the PML4 is still reserved */
	set_pte(T_PML4, 0, T_PML4 | P | PS);
	cr_assert_eq(walk(0, &res), PTWALK_E_RESERVED);
}

static size_t fetch(uint64_t va, uint8_t *buf, size_t len)
{
	return ptwalk_fetch(CR0_LM, CR4_LM, EFER_LM, T_PML4, va, ram_read, &ram, buf, len);
}

Test(ptwalk, fetch_across_pages)
{
	const uint64_t va = 0x10000ULL; /* pages 0x10000 and 0x11000 share one PT */
	uint8_t buf[PTWALK_FETCH_MAX + 8];

	map_path(va, P | RW);
	/* deliberately non-contiguous backing pages */
	set_pte(T_PT, idx(va, 1), 0x20000 | P);
	set_pte(T_PT, idx(va + 0x1000, 1), 0x30000 | P);
	for (int i = 0; i < 8; i++) {
		ram.buf[0x20ff8 + i] = (uint8_t)(0xa0 + i);
		ram.buf[0x30000 + i] = (uint8_t)(0xb0 + i);
	}
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(fetch(va + 0xffb, buf, 10), 10);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(buf[i], 0xa3 + i);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(buf[5 + i], 0xb0 + i);

	/* len is clamped to two instructions' worth (the bytes before and at RIP) */
	cr_assert_eq(fetch(va, buf, sizeof(buf)), PTWALK_FETCH_MAX);

	/* second page not present: only the first page's bytes */
	set_pte(T_PT, idx(va + 0x1000, 1), 0x30000);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(fetch(va + 0xffb, buf, 16), 5);
	cr_assert_eq(buf[0], 0xa3);
	cr_assert_eq(buf[4], 0xa7);

	/* second page backed outside RAM */
	set_pte(T_PT, idx(va + 0x1000, 1), RAM_SIZE | P);
	cr_assert_eq(fetch(va + 0xff0, buf, 16), 16);
	cr_assert_eq(fetch(va + 0xff1, buf, 16), 15);

	/* first byte unreadable */
	cr_assert_eq(fetch(va + 0x2000, buf, 16), 0);
	cr_assert_eq(fetch(va, buf, 0), 0);
}

Test(ptwalk, fetch_large_page_and_top_of_address_space)
{
	const uint64_t va = 0xfffffffffffffff8ULL;
	uint8_t buf[16];

	/* last 2 MiB of the address space, backed at GPA 0 */
	set_pte(T_PML4, 511, T_PDPT | P | RW);
	set_pte(T_PDPT, 511, T_PD | P | RW);
	set_pte(T_PD, 511, 0 | P | RW | PS);
	/* GPA 0x1ffff8 is outside the 1 MiB RAM: the read must fail */
	cr_assert_eq(fetch(va, buf, 16), 0);

	ram.size = 0x200000; /* grow the RAM view */
	ram.buf = realloc(ram.buf, ram.size);
	cr_assert_not_null(ram.buf);
	memset(ram.buf + RAM_SIZE, 0x5a, RAM_SIZE);
	/* 8 bytes up to 2^64, then no wrap to VA 0 */
	cr_assert_eq(fetch(va, buf, 16), 8);
	cr_assert_eq(buf[7], 0x5a);
}

/* xorshift64*, so that failures reproduce from the seed */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

Test(ptwalk, fuzz_garbage_tables)
{
	uint64_t seed = 0x5eed1234abcdULL;
	const size_t fuzz_ram = 64 * 1024;
	unsigned ok = 0;

	ram.size = fuzz_ram;
	for (unsigned iter = 0; iter < 20000; iter++) {
		struct ptwalk_result res;
		uint64_t cr4 = CR4_LM, efer = PTWALK_EFER_LMA, cr3, va, r;
		uint8_t buf[PTWALK_FETCH_MAX];
		enum ptwalk_err err;
		size_t n;

		/* refill some tables; bias entries towards "present, points into RAM" */
		if (iter % 64 == 0) {
			for (size_t off = 0; off < fuzz_ram; off += 8) {
				uint64_t e = rng_next(&seed);

				if (e & 1) {
					uint64_t f = rng_next(&seed);

					e = (e & 0x7ff0000000000f7fULL) |
					    (e % fuzz_ram & ~0xfffULL);
					if ((f & 7) == 0)
						e |= PS;
					if ((f & 0x18) == 0)
						e |= NX;
				}
				memcpy(ram.buf + off, &e, 8);
			}
		}
		r = rng_next(&seed);
		if (r & 1)
			cr4 |= PTWALK_CR4_LA57;
		if (r & 2)
			efer |= PTWALK_EFER_NXE;
		cr3 = rng_next(&seed) % (fuzz_ram + 0x2000);
		va = rng_next(&seed);
		if (r & 4) /* make it canonical most of the time */
			va = (uint64_t)((int64_t)(va << 16) >> 16);

		ram.reads = 0;
		err = ptwalk_translate(CR0_LM, cr4, efer, cr3, va, ram_read, &ram, &res);
		cr_assert_leq(ram.reads, 5);
		cr_assert_str_neq(ptwalk_strerror(err), "unknown page walk error");
		if (err == PTWALK_OK) {
			ok++;
			cr_assert(res.page_size == 0x1000 || res.page_size == 0x200000 ||
				  res.page_size == 0x40000000);
			cr_assert_eq(res.gpa & (res.page_size - 1), va & (res.page_size - 1));
			cr_assert_eq(res.gpa >> 52, 0);
		} else {
			cr_assert_eq(res.gpa, 0);
		}
		n = ptwalk_fetch(CR0_LM, cr4, efer, cr3, va, ram_read, &ram, buf, sizeof(buf));
		cr_assert_leq(n, sizeof(buf));
		if (err != PTWALK_OK)
			cr_assert_eq(n, 0);
	}
	/* the bias must actually exercise successful walks too */
	cr_assert_gt(ok, 100, "only %u successful walks", ok);
}

Test(ptwalk, strerror_covers_all)
{
	for (int e = PTWALK_OK; e <= PTWALK_E_NOT_LONG_MODE; e++)
		cr_assert_str_neq(ptwalk_strerror((enum ptwalk_err)e), "unknown page walk error");
	cr_assert_str_eq(ptwalk_strerror((enum ptwalk_err)42), "unknown page walk error");
}

/* ---- ptwalk_memo: the walks of one exit share the entries they read ---------------- */

static enum ptwalk_err memo_walk(struct ptwalk_memo *m, uint64_t va, struct ptwalk_result *res)
{
	return ptwalk_translate(CR0_LM, CR4_LM, EFER_LM, T_PML4, va, ptwalk_memo_read, m, res);
}

Test(ptwalk, memo_shares_upper_levels_between_walks)
{
	const uint64_t code = 0x100000ULL, data = 0x104000ULL; /* one PT, two PTEs */
	struct ptwalk_result a, b, plain;
	struct ptwalk_memo m;

	map_path(code, P | RW);
	set_pte(T_PT, idx(code, 1), 0x80000 | P);
	set_pte(T_PT, idx(data, 1), 0x90000 | P | RW);
	ptwalk_memo_init(&m, ram_read, &ram);
	cr_assert_eq(memo_walk(&m, code, &a), PTWALK_OK);
	cr_assert_eq(ram.reads, 4);
	cr_assert_eq(memo_walk(&m, data, &b), PTWALK_OK);
	cr_assert_eq(ram.reads, 5, "the second walk reads only its own PTE");
	cr_assert_eq(walk(data, &plain), PTWALK_OK);
	cr_assert_eq(b.gpa, plain.gpa);
	cr_assert_eq(b.writable, plain.writable);
	cr_assert_eq(a.gpa, 0x80000ULL);
	/* The memo's view is the one of its first reads: a later change is not seen through it. */
	set_pte(T_PT, idx(data, 1), 0xa0000 | P);
	cr_assert_eq(memo_walk(&m, data, &b), PTWALK_OK);
	cr_assert_eq(b.gpa, 0x90000ULL);
}

Test(ptwalk, memo_keeps_no_failure_and_passes_other_reads_through)
{
	const uint64_t va = 0x100000ULL;
	struct ptwalk_result res;
	struct ptwalk_memo m;
	uint8_t buf[16];
	uint64_t v;

	ptwalk_memo_init(&m, ram_read, &ram);
	/* Outside RAM: the read fails, and fails again (nothing kept). */
	cr_assert_eq(ptwalk_memo_read(&m, RAM_SIZE, &v, sizeof(v)), -1);
	cr_assert_eq(ptwalk_memo_read(&m, RAM_SIZE, &v, sizeof(v)), -1);
	cr_assert_eq(ram.reads, 2);
	/* Instruction bytes (not 8 at a time) are read every time. */
	cr_assert_eq(ptwalk_memo_read(&m, 0x100, buf, sizeof(buf)), 0);
	cr_assert_eq(ptwalk_memo_read(&m, 0x100, buf, sizeof(buf)), 0);
	cr_assert_eq(ram.reads, 4);
	/* A not-present entry is an answer like any other: the walk fails the same way twice. */
	cr_assert_eq(memo_walk(&m, va, &res), PTWALK_E_NOT_PRESENT);
	cr_assert_eq(memo_walk(&m, va, &res), PTWALK_E_NOT_PRESENT);
}

Test(ptwalk, memo_full_replaces_and_stays_right)
{
	struct ptwalk_memo m;
	uint64_t v;

	for (uint64_t i = 0; i < 2 * PTWALK_MEMO_ENTRIES + 3; i++)
		set_pte(0x8000, i, 0x1000 * i + 7);
	ptwalk_memo_init(&m, ram_read, &ram);
	for (unsigned round = 0; round < 3; round++)
		for (uint64_t i = 0; i < 2 * PTWALK_MEMO_ENTRIES + 3; i++) {
			cr_assert_eq(ptwalk_memo_read(&m, 0x8000 + i * 8, &v, sizeof(v)), 0);
			cr_assert_eq(v, 0x1000 * i + 7);
		}
	cr_assert_leq(m.n, PTWALK_MEMO_ENTRIES);
}
