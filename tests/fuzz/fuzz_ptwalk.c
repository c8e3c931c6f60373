/* libFuzzer target: the guest page-table walker over hostile tables in a small guest RAM image. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "monitor/x86/ptwalk.h"

/*
 * Input layout: u8 mode, then (mode bit 0) raw u64 CR0, CR4, EFER, else a
 * valid long-mode set with LA57 from bit 1 and NXE from bit 2; then u64
 * CR3, u64 VA, u64 second VA offset, u8 fetch length; every byte after that
 * is guest RAM at GPA 0, allocated at its exact size so that a read the
 * callback lets through past the end would still be caught by ASan.
 */
#define MODE_RAW_REGS 1u
#define MODE_LA57     2u
#define MODE_NXE      4u

#define PAGE_4K (1ULL << 12)
#define PAGE_2M (1ULL << 21)
#define PAGE_1G (1ULL << 30)

struct ram {
	const uint8_t *buf;
	size_t size;
	unsigned reads;
	unsigned bad_len;
};

/* The bounds-checked reader the walker relies on; it also counts reads. */
static int ram_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	struct ram *r = ctx;

	r->reads++;
	if (len == 0 || len > PTWALK_FETCH_MAX)
		r->bad_len++;
	if (!fuzz_range_inside(gpa, len, 0, r->size))
		return -1;
	memcpy(dst, r->buf + gpa, len);
	return 0;
}

/*
 * An independent walk written from the SDM and ptwalk.h: 4- or 5-level,
 * P, XD-without-NXE and PS-above-PDPT are faults, large-page frames must
 * be aligned (bit 12 is PAT). The walker may be stricter (more reserved
 * bits), never laxer.
 */
static enum ptwalk_err ref_walk(uint64_t cr0, uint64_t cr4, uint64_t efer, uint64_t cr3,
				uint64_t va, struct ram *r, struct ptwalk_result *res)
{
	bool nxe = efer & PTWALK_EFER_NXE;
	int levels = (cr4 & PTWALK_CR4_LA57) ? 5 : 4;
	int va_bits = levels == 5 ? 57 : 48;
	uint64_t top = va >> (va_bits - 1), table = cr3 & PTWALK_ADDR_MASK;

	memset(res, 0, sizeof(*res));
	res->writable = res->user = 1;
	if ((cr0 & (PTWALK_CR0_PE | PTWALK_CR0_PG)) != (PTWALK_CR0_PE | PTWALK_CR0_PG) ||
	    !(cr4 & PTWALK_CR4_PAE) || !(efer & PTWALK_EFER_LMA))
		return PTWALK_E_NOT_LONG_MODE;
	if (top != 0 && top != (UINT64_MAX >> (va_bits - 1)))
		return PTWALK_E_NONCANONICAL;
	for (int level = levels; level >= 1; level--) {
		int shift = 12 + 9 * (level - 1);
		uint64_t e, size = 1ULL << shift;

		if (ram_read(r, table + ((va >> shift) & 511) * 8, &e, 8))
			return PTWALK_E_BAD_READ;
		if (!(e & PTWALK_PTE_P))
			return PTWALK_E_NOT_PRESENT;
		if ((e & PTWALK_PTE_NX) && !nxe)
			return PTWALK_E_RESERVED;
		res->writable &= !!(e & PTWALK_PTE_RW);
		res->user &= !!(e & PTWALK_PTE_US);
		res->nx |= nxe && (e & PTWALK_PTE_NX);
		if (level > 1 && !(e & PTWALK_PTE_PS)) {
			table = e & PTWALK_ADDR_MASK;
			continue;
		}
		if (level > 3)
			return PTWALK_E_RESERVED;
		if (level > 1 && (e & PTWALK_ADDR_MASK & (size - 1) & ~PAGE_4K))
			return PTWALK_E_RESERVED;
		res->page_size = size;
		res->gpa = (e & PTWALK_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
		return PTWALK_OK;
	}
	return PTWALK_E_RESERVED;
}

struct regs {
	uint64_t cr0, cr4, efer, cr3;
};

static enum ptwalk_err walk(const struct regs *g, uint64_t va, struct ram *r,
			    struct ptwalk_result *res)
{
	return ptwalk_translate(g->cr0, g->cr4, g->efer, g->cr3, va, ram_read, r, res);
}

static void check_translate(const struct regs *g, uint64_t va, uint64_t va_off, struct ram *r)
{
	unsigned levels = (g->cr4 & PTWALK_CR4_LA57) ? 5 : 4;
	struct ptwalk_result res, ref, res2;
	enum ptwalk_err err, ref_err;
	uint64_t va2;

	r->reads = 0;
	err = walk(g, va, r, &res);
	FUZZ_CHECK(err <= PTWALK_E_NOT_LONG_MODE, "error %u", err);
	/*
	 * Through a memo (the walks of one exit), before and after a walk of
	 * another address has filled it: the same answers as without.
	 */
	{
		struct ptwalk_memo m;
		struct ptwalk_result mres;
		unsigned reads = r->reads;

		ptwalk_memo_init(&m, ram_read, r);
		for (int k = 0; k < 3; k++) {
			enum ptwalk_err merr =
			    ptwalk_translate(g->cr0, g->cr4, g->efer, g->cr3, k == 1 ? va_off : va,
					     ptwalk_memo_read, &m, &mres);

			if (k == 1)
				continue;
			FUZZ_CHECK(merr == err &&
				       (err != PTWALK_OK ||
					(mres.gpa == res.gpa && mres.page_size == res.page_size &&
					 mres.writable == res.writable && mres.user == res.user &&
					 mres.nx == res.nx)),
				   "va 0x%llx: through a memo %s gpa 0x%llx, without %s gpa 0x%llx",
				   (unsigned long long)va, ptwalk_strerror(merr),
				   (unsigned long long)mres.gpa, ptwalk_strerror(err),
				   (unsigned long long)res.gpa);
		}
		r->reads = reads;
	}
	FUZZ_CHECK(ptwalk_strerror(err) != NULL, "no strerror");
	/* One read per level at most, so self-referencing tables cannot make it loop. */
	FUZZ_CHECK(r->reads <= levels, "%u reads for %u levels", r->reads, levels);
	ref_err = ref_walk(g->cr0, g->cr4, g->efer, g->cr3, va, r, &ref);
	if (err != PTWALK_OK) {
		FUZZ_CHECK(ref_err != PTWALK_OK || err == PTWALK_E_RESERVED,
			   "va 0x%llx: walker says %s, the SDM walk gives gpa 0x%llx",
			   (unsigned long long)va, ptwalk_strerror(err),
			   (unsigned long long)ref.gpa);
		return;
	}
	FUZZ_CHECK(ref_err == PTWALK_OK, "va 0x%llx: walker OK (gpa 0x%llx), the SDM walk: %s",
		   (unsigned long long)va, (unsigned long long)res.gpa, ptwalk_strerror(ref_err));
	FUZZ_CHECK(res.gpa == ref.gpa && res.page_size == ref.page_size &&
		       res.writable == ref.writable && res.user == ref.user && res.nx == ref.nx,
		   "va 0x%llx: walker gpa 0x%llx size 0x%llx w%d u%d nx%d, SDM gpa 0x%llx size "
		   "0x%llx w%d u%d nx%d",
		   (unsigned long long)va, (unsigned long long)res.gpa,
		   (unsigned long long)res.page_size, res.writable, res.user, res.nx,
		   (unsigned long long)ref.gpa, (unsigned long long)ref.page_size, ref.writable,
		   ref.user, ref.nx);
	FUZZ_CHECK(res.page_size == PAGE_4K || res.page_size == PAGE_2M || res.page_size == PAGE_1G,
		   "page size 0x%llx", (unsigned long long)res.page_size);
	FUZZ_CHECK(((res.gpa ^ va) & (res.page_size - 1)) == 0, "page offset not preserved");
	FUZZ_CHECK(res.gpa <= (PTWALK_ADDR_MASK | (PAGE_4K - 1)), "gpa 0x%llx beyond 52 bits",
		   (unsigned long long)res.gpa);
	FUZZ_CHECK(!res.nx || (g->efer & PTWALK_EFER_NXE), "nx without EFER.NXE");

	/* Any other address in the same page maps into the same frame. */
	va2 = (va & ~(res.page_size - 1)) | (va_off & (res.page_size - 1));
	FUZZ_CHECK(walk(g, va2, r, &res2) == PTWALK_OK &&
		       res2.gpa ==
			   ((res.gpa & ~(res.page_size - 1)) | (va2 & (res.page_size - 1))) &&
		       res2.page_size == res.page_size,
		   "va 0x%llx and 0x%llx share a page but translate differently",
		   (unsigned long long)va, (unsigned long long)va2);
}

static void check_fetch(const struct regs *g, uint64_t va, size_t len, struct ram *r)
{
	uint8_t buf[PTWALK_FETCH_MAX + 8];
	size_t want = len < PTWALK_FETCH_MAX ? len : PTWALK_FETCH_MAX, n;
	struct ptwalk_result res;

	memset(buf, 0x55, sizeof(buf));
	r->reads = 0;
	r->bad_len = 0;
	n = ptwalk_fetch(g->cr0, g->cr4, g->efer, g->cr3, va, ram_read, r, buf, len);
	FUZZ_CHECK(n <= want, "fetched %zu of %zu", n, len);
	FUZZ_CHECK(!r->bad_len, "a read of 0 or more than %d bytes", PTWALK_FETCH_MAX);
	for (size_t i = want; i < sizeof(buf); i++)
		FUZZ_CHECK(buf[i] == 0x55, "fetch wrote byte %zu past the clamped length", i);

	/* Every byte fetched is the RAM byte its own translation points at. */
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(walk(g, va + i, r, &res) == PTWALK_OK,
			   "fetched byte %zu at va 0x%llx does not translate", i,
			   (unsigned long long)(va + i));
		FUZZ_CHECK(res.gpa < r->size && r->buf[res.gpa] == buf[i],
			   "fetched byte %zu differs from RAM at gpa 0x%llx", i,
			   (unsigned long long)res.gpa);
	}
	/* A short fetch stops at a byte that cannot be read (or at the top of the address space).
	 */
	if (n < want && va + n >= va && walk(g, va + n, r, &res) == PTWALK_OK) {
		uint64_t chunk = res.page_size - ((va + n) & (res.page_size - 1));

		if (chunk > want - n)
			chunk = want - n;
		FUZZ_CHECK(!fuzz_range_inside(res.gpa, chunk, 0, r->size),
			   "fetch stopped at %zu of %zu though va 0x%llx maps to RAM at 0x%llx", n,
			   want, (unsigned long long)(va + n), (unsigned long long)res.gpa);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t mode = fuzz_u8(&in);
	struct regs g;
	struct ram r = {0};
	uint64_t va, va_off;
	uint8_t *ram;
	size_t len;

	if (mode & MODE_RAW_REGS) {
		g.cr0 = fuzz_u64(&in);
		g.cr4 = fuzz_u64(&in);
		g.efer = fuzz_u64(&in);
	} else {
		g.cr0 = PTWALK_CR0_PE | PTWALK_CR0_PG;
		g.cr4 = PTWALK_CR4_PAE | ((mode & MODE_LA57) ? PTWALK_CR4_LA57 : 0);
		g.efer = PTWALK_EFER_LMA | ((mode & MODE_NXE) ? PTWALK_EFER_NXE : 0);
	}
	g.cr3 = fuzz_u64(&in);
	va = fuzz_u64(&in);
	va_off = fuzz_u64(&in);
	len = fuzz_u8(&in) % (PTWALK_FETCH_MAX + 8);

	/* malloc(0) may return NULL; the reader never touches a 0-byte RAM. */
	ram = malloc(in.n ? in.n : 1);
	FUZZ_CHECK(ram != NULL, "malloc");
	if (in.n)
		memcpy(ram, in.p, in.n);
	r.buf = ram;
	r.size = in.n;

	check_translate(&g, va, va_off, &r);
	check_fetch(&g, va, len, &r);
	free(ram);
	return 0;
}
