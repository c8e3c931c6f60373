/* Guest page-table walker: translates a guest VA through hostile guest page tables. */
#include "monitor/x86/ptwalk.h"

#include <endian.h>
#include <string.h>

#define PTWALK_4K (1ULL << 12)
#define PTWALK_2M (1ULL << 21)
#define PTWALK_1G (1ULL << 30)

const char *ptwalk_strerror(enum ptwalk_err err)
{
	switch (err) {
	case PTWALK_OK: return "ok";
	case PTWALK_E_NOT_PRESENT: return "page not present";
	case PTWALK_E_BAD_READ: return "page table outside guest RAM";
	case PTWALK_E_NONCANONICAL: return "non-canonical address";
	case PTWALK_E_RESERVED: return "reserved bit set in a paging entry";
	case PTWALK_E_NOT_LONG_MODE: return "guest is not in long mode";
	default: return "unknown page walk error";
	}
}

static int ptwalk_canonical(uint64_t va, unsigned va_bits)
{
	/* Bits 63..va_bits-1 must all equal bit va_bits-1. */
	int64_t sext = (int64_t)(va << (64 - va_bits)) >> (64 - va_bits);

	return (uint64_t)sext == va;
}

enum ptwalk_err ptwalk_translate(uint64_t cr0, uint64_t cr4, uint64_t efer, uint64_t cr3,
				 uint64_t va, ptwalk_read_fn rd, void *ctx,
				 struct ptwalk_result *out)
{
	const int nxe = !!(efer & PTWALK_EFER_NXE);
	const unsigned levels = (cr4 & PTWALK_CR4_LA57) ? 5 : 4;
	uint64_t table = cr3 & PTWALK_ADDR_MASK;
	int writable = 1, user = 1, nx = 0;
	unsigned level;

	memset(out, 0, sizeof(*out));
	if (!(cr0 & PTWALK_CR0_PG) || !(cr0 & PTWALK_CR0_PE) || !(cr4 & PTWALK_CR4_PAE) ||
	    !(efer & PTWALK_EFER_LMA))
		return PTWALK_E_NOT_LONG_MODE;
	if (!ptwalk_canonical(va, levels == 5 ? 57 : 48))
		return PTWALK_E_NONCANONICAL;

	/* Level numbers follow the SDM: 5 = PML5, 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT. */
	for (level = levels; level >= 1; level--) {
		const unsigned shift = 12 + 9 * (level - 1);
		const uint64_t idx = (va >> shift) & 0x1ff;
		uint64_t raw, pte, page_size, base_mask;

		if (rd(ctx, table + idx * 8, &raw, sizeof(raw)) != 0)
			return PTWALK_E_BAD_READ;
		pte = le64toh(raw);
		if (!(pte & PTWALK_PTE_P))
			return PTWALK_E_NOT_PRESENT;
		if ((pte & PTWALK_PTE_NX) && !nxe)
			return PTWALK_E_RESERVED;
		writable &= !!(pte & PTWALK_PTE_RW);
		user &= !!(pte & PTWALK_PTE_US);
		nx |= nxe && (pte & PTWALK_PTE_NX);

		if (level == 1 || (pte & PTWALK_PTE_PS)) {
			if (level > 3)
				return PTWALK_E_RESERVED; /* no 512 GiB pages */
			page_size = 1ULL << shift;
			/*
			 * Large pages keep PAT in bit 12; bits 13..shift-1 are
			 * reserved and a CPU would fault on them.
			 */
			base_mask = PTWALK_ADDR_MASK & ~(page_size - 1);
			if (level > 1 && (pte & PTWALK_ADDR_MASK & (page_size - 1) & ~PTWALK_4K))
				return PTWALK_E_RESERVED;
			out->gpa = (pte & base_mask) | (va & (page_size - 1));
			out->page_size = page_size;
			out->writable = writable;
			out->user = user;
			out->nx = nx;
			return PTWALK_OK;
		}
		table = pte & PTWALK_ADDR_MASK;
	}
	/* Not reached: level 1 always returns above. */
	return PTWALK_E_RESERVED;
}

size_t ptwalk_fetch(uint64_t cr0, uint64_t cr4, uint64_t efer, uint64_t cr3, uint64_t va,
		    ptwalk_read_fn rd, void *ctx, uint8_t *buf, size_t len)
{
	size_t done = 0;

	if (len > PTWALK_FETCH_MAX)
		len = PTWALK_FETCH_MAX;
	while (done < len) {
		struct ptwalk_result res;
		uint64_t cur = va + done, chunk;

		/* Stop rather than wrap from the top of the address space to 0. */
		if (cur < va)
			break;
		if (ptwalk_translate(cr0, cr4, efer, cr3, cur, rd, ctx, &res) != PTWALK_OK)
			break;
		chunk = res.page_size - (cur & (res.page_size - 1));
		if (chunk > len - done)
			chunk = len - done;
		if (rd(ctx, res.gpa, buf + done, chunk) != 0)
			break;
		done += chunk;
	}
	return done;
}

void ptwalk_memo_init(struct ptwalk_memo *m, ptwalk_read_fn rd, void *ctx)
{
	memset(m, 0, sizeof(*m));
	m->rd = rd;
	m->ctx = ctx;
}

int ptwalk_memo_read(void *memo, uint64_t gpa, void *dst, size_t len)
{
	struct ptwalk_memo *m = memo;
	unsigned slot;

	if (len != sizeof(m->val[0]))
		return m->rd(m->ctx, gpa, dst, len);
	for (unsigned i = 0; i < m->n; i++)
		if (m->gpa[i] == gpa) {
			memcpy(dst, &m->val[i], len);
			return 0;
		}
	/* A failed read is not kept: the next walk asks again. */
	if (m->rd(m->ctx, gpa, dst, len))
		return -1;
	slot = m->n < PTWALK_MEMO_ENTRIES ? m->n++ : m->next++ % PTWALK_MEMO_ENTRIES;
	m->gpa[slot] = gpa;
	memcpy(&m->val[slot], dst, len);
	return 0;
}
