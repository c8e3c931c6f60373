/* `vtlmon inspect`: sensitive-instruction sites (CR, MSR, GDT/IDT/TR writes) in an ELF. */
#include "monitor/image/inspect.h"

#include "monitor/image/elf_load.h"

#include <elf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An instruction is at most 15 bytes, so its 0f escape is within 14 bytes of its start. */
#define INSPECT_ESCAPE_REACH 14

struct inspect_ctx {
	const uint8_t *img;
	size_t len;
	Elf *elf;
	struct disasm *d;
	const struct inspect_ops *ops;
	void *arg;
	uint64_t *anchors; /* sorted, unique sweep start VAs */
	size_t nanchors;
	size_t cap;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int inspect_fail(struct inspect_ctx *c,
							      const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* True when [off, off + size) lies inside [0, len), without overflow. */
static int inspect_in_file(size_t len, uint64_t off, uint64_t size)
{
	return off <= len && size <= len - off;
}

/*
 * libelf is robust, but the checks libelf does not promise (and clear
 * messages for the common mistakes) come first, on the raw header.
 */
static int inspect_check_ehdr(struct inspect_ctx *c)
{
	Elf64_Ehdr eh;

	if (c->len < sizeof(eh))
		return inspect_fail(c, "file too small for an ELF header (%zu bytes)", c->len);
	char why[160];

	if (elf_check_header(c->img, c->len, true, why, sizeof(why)) != ELF_OK)
		return inspect_fail(c, "%s", why);
	memcpy(&eh, c->img, sizeof(eh));
	if (eh.e_phnum == PN_XNUM)
		return inspect_fail(c, "extended program header numbering is not supported");
	if (eh.e_phnum == 0)
		return inspect_fail(c, "no program headers");
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return inspect_fail(c, "bad e_phentsize %u", eh.e_phentsize);
	if (!inspect_in_file(c->len, eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr)))
		return inspect_fail(c, "program headers outside the file");
	if (eh.e_shoff) {
		if (eh.e_shentsize != sizeof(Elf64_Shdr))
			return inspect_fail(c, "bad e_shentsize %u", eh.e_shentsize);
		/* with e_shnum == 0 (extended numbering) libelf checks the real count */
		if (!inspect_in_file(c->len, eh.e_shoff,
				     (uint64_t)(eh.e_shnum ? eh.e_shnum : 1) * sizeof(Elf64_Shdr)))
			return inspect_fail(c, "section headers outside the file");
	}
	return 0;
}

static int inspect_add_anchor(struct inspect_ctx *c, uint64_t va)
{
	if (c->nanchors == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		uint64_t *n = realloc(c->anchors, ncap * sizeof(*n));

		if (!n)
			return inspect_fail(c, "out of memory");
		c->anchors = n;
		c->cap = ncap;
	}
	c->anchors[c->nanchors++] = va;
	return 0;
}

static int inspect_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Symbols only steer the "aligned" flag, so taking them at face value is safe. */
static int inspect_symbol_anchors(struct inspect_ctx *c, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = NULL;

	if (sh->sh_entsize != sizeof(Elf64_Sym))
		return inspect_fail(c, "bad symbol table entry size %lu",
				    (unsigned long)sh->sh_entsize);
	(void)elf_errno(); /* clear, so that the check after the loop sees only ours */
	while ((data = elf_getdata(scn, data)) != NULL) {
		size_t n = data->d_size / sizeof(Elf64_Sym);

		if (n > INT32_MAX)
			return inspect_fail(c, "symbol table too large");
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;

			if (!gelf_getsym(data, (int)i, &sym))
				return inspect_fail(c, "bad symbol %zu: %s", i, elf_errmsg(-1));
			if (GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_shndx != SHN_UNDEF &&
			    inspect_add_anchor(c, sym.st_value))
				return -1;
		}
	}
	if (elf_errno() != 0)
		return inspect_fail(c, "bad symbol table: %s", elf_errmsg(-1));
	return 0;
}

static int inspect_collect_anchors(struct inspect_ctx *c, const GElf_Ehdr *eh)
{
	Elf_Scn *scn = NULL;
	size_t shnum, i, j;

	if (inspect_add_anchor(c, eh->e_entry))
		return -1;
	if (elf_getshdrnum(c->elf, &shnum) != 0)
		return inspect_fail(c, "bad section header table: %s", elf_errmsg(-1));
	if (shnum > c->len / sizeof(Elf64_Shdr))
		return inspect_fail(c, "section count %zu exceeds the file", shnum);
	while ((scn = elf_nextscn(c->elf, scn)) != NULL) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			return inspect_fail(c, "bad section header: %s", elf_errmsg(-1));
		if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR) &&
		    inspect_add_anchor(c, sh.sh_addr))
			return -1;
		if ((sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) &&
		    inspect_symbol_anchors(c, scn, &sh))
			return -1;
	}
	qsort(c->anchors, c->nanchors, sizeof(*c->anchors), inspect_cmp_u64);
	for (i = j = 0; i < c->nanchors; i++) {
		if (j == 0 || c->anchors[j - 1] != c->anchors[i])
			c->anchors[j++] = c->anchors[i];
	}
	c->nanchors = j;
	return 0;
}

/* First anchor >= va (binary search). */
static size_t inspect_anchor_lb(const struct inspect_ctx *c, uint64_t va)
{
	size_t lo = 0, hi = c->nanchors;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->anchors[mid] < va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t inspect_decode_at(struct inspect_ctx *c, const uint8_t *seg, uint64_t filesz,
				uint64_t off, uint64_t vaddr, struct disasm_insn *insn)
{
	uint64_t avail = filesz - off;

	if (avail > DISASM_MAX_BYTES)
		avail = DISASM_MAX_BYTES;
	if (disasm_decode(c->d, seg + off, (size_t)avail, vaddr + off, insn) != 0)
		return 0;
	return insn->len;
}

/* Mark the instruction starts of a linear sweep restarted at every anchor. */
static void inspect_sweep(struct inspect_ctx *c, const uint8_t *seg, uint64_t vaddr,
			  uint64_t filesz, uint8_t *bound)
{
	size_t k = inspect_anchor_lb(c, vaddr);
	uint64_t start = 0;

	for (;;) {
		uint64_t stop = filesz, off;
		struct disasm_insn insn;

		/* skip anchors at or before the current start */
		while (k < c->nanchors && c->anchors[k] - vaddr <= start &&
		       c->anchors[k] - vaddr < filesz)
			k++;
		if (k < c->nanchors && c->anchors[k] - vaddr < filesz)
			stop = c->anchors[k] - vaddr;
		for (off = start; off < stop;) {
			size_t n = inspect_decode_at(c, seg, filesz, off, vaddr, &insn);

			bound[off / 8] |= (uint8_t)(1u << (off % 8));
			/* like objdump, step over an undecodable byte */
			off += n ? n : 1;
		}
		if (stop >= filesz)
			break;
		start = stop;
	}
}

static int inspect_is_candidate(const uint8_t *p)
{
	/* 0f 00 = ltr, 0f 01 = lgdt/lidt/lmsw/xsetbv/wrmsrns, 0f 22 = mov crN, 0f 30 = wrmsr */
	return p[0] == 0x0f && (p[1] == 0x00 || p[1] == 0x01 || p[1] == 0x22 || p[1] == 0x30);
}

static int inspect_check_segment(struct inspect_ctx *c, const GElf_Phdr *ph)
{
	if (!inspect_in_file(c->len, ph->p_offset, ph->p_filesz))
		return inspect_fail(c, "segment at 0x%lx: file range outside the file",
				    (unsigned long)ph->p_vaddr);
	if (ph->p_vaddr + ph->p_filesz < ph->p_vaddr)
		return inspect_fail(c, "segment at 0x%lx wraps the address space",
				    (unsigned long)ph->p_vaddr);
	if (ph->p_filesz > ph->p_memsz)
		return inspect_fail(c, "segment at 0x%lx: filesz larger than memsz",
				    (unsigned long)ph->p_vaddr);
	return 0;
}

static int inspect_segment(struct inspect_ctx *c, const GElf_Phdr *ph)
{
	const uint8_t *seg = c->img + ph->p_offset;
	const uint64_t filesz = ph->p_filesz, vaddr = ph->p_vaddr;
	struct inspect_segment info = {
	    .vaddr = vaddr, .filesz = filesz, .memsz = ph->p_memsz, .flags = ph->p_flags};
	uint64_t p, next = 0;
	uint8_t *bound;

	if (inspect_check_segment(c, ph))
		return -1;
	info.nanchors = inspect_anchor_lb(c, vaddr + filesz) - inspect_anchor_lb(c, vaddr);
	if (c->ops->segment)
		c->ops->segment(c->arg, &info);
	if (filesz == 0)
		return 0;
	bound = calloc(1, (size_t)(filesz / 8 + 1));
	if (!bound)
		return inspect_fail(c, "out of memory");
	inspect_sweep(c, seg, vaddr, filesz, bound);

	/*
	 * Every sensitive instruction contains one of the candidate escape
	 * pairs, so only offsets up to 14 bytes before such a pair can start
	 * one; each offset is decoded once.
	 */
	for (p = 0; p + 1 < filesz; p++) {
		uint64_t off;

		if (!inspect_is_candidate(seg + p))
			continue;
		off = p > INSPECT_ESCAPE_REACH ? p - INSPECT_ESCAPE_REACH : 0;
		if (off < next)
			off = next;
		for (; off <= p; off++) {
			struct disasm_insn insn;
			struct inspect_hit hit;

			if (!inspect_decode_at(c, seg, filesz, off, vaddr, &insn) ||
			    insn.kind == DISASM_KIND_NONE)
				continue;
			memset(&hit, 0, sizeof(hit));
			hit.va = vaddr + off;
			hit.kind = insn.kind;
			hit.aligned = !!(bound[off / 8] & (1u << (off % 8)));
			hit.len = insn.len;
			memcpy(hit.bytes, insn.bytes, insn.len);
			memcpy(hit.insn, insn.text, sizeof(hit.insn));
			c->ops->hit(c->arg, &hit);
		}
		next = p + 1;
	}
	free(bound);
	return 0;
}

/* Scans an image the caller owns and lets libelf use in place. */
static int inspect_scan_owned(uint8_t *img, size_t len, const struct inspect_ops *ops, void *arg,
			      char *err, size_t errlen)
{
	struct inspect_ctx c = {
	    .img = img, .len = len, .ops = ops, .arg = arg, .err = err, .errlen = errlen};
	GElf_Ehdr eh;
	size_t phnum, i;
	int ret = -1;

	if (err && errlen)
		err[0] = '\0';
	if (inspect_check_ehdr(&c))
		return -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return inspect_fail(&c, "libelf: %s", elf_errmsg(-1));
	c.elf = elf_memory((char *)img, len);
	if (!c.elf)
		return inspect_fail(&c, "libelf: %s", elf_errmsg(-1));
	if (elf_kind(c.elf) != ELF_K_ELF || !gelf_getehdr(c.elf, &eh)) {
		inspect_fail(&c, "libelf: not a usable ELF: %s", elf_errmsg(-1));
		goto out;
	}
	if (elf_getphdrnum(c.elf, &phnum) != 0) {
		inspect_fail(&c, "bad program headers: %s", elf_errmsg(-1));
		goto out;
	}
	if (inspect_collect_anchors(&c, &eh))
		goto out;
	c.d = disasm_new();
	if (!c.d) {
		inspect_fail(&c, "cannot open Capstone");
		goto out;
	}
	/* Validate every segment first, so that a bad file produces no partial report. */
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(c.elf, (int)i, &ph)) {
			inspect_fail(&c, "bad program header %zu: %s", i, elf_errmsg(-1));
			goto out;
		}
		if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && inspect_check_segment(&c, &ph))
			goto out;
	}
	/* An image without executable segments simply has no hits. */
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(c.elf, (int)i, &ph)) {
			inspect_fail(&c, "bad program header %zu: %s", i, elf_errmsg(-1));
			goto out;
		}
		if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && inspect_segment(&c, &ph))
			goto out;
	}
	ret = 0;
out:
	disasm_free(c.d);
	free(c.anchors);
	elf_end(c.elf);
	return ret;
}

int inspect_scan(const void *buf, size_t len, const struct inspect_ops *ops, void *arg, char *err,
		 size_t errlen)
{
	uint8_t *copy;
	int ret;

	if (!buf || !ops || !ops->hit) {
		if (err && errlen)
			snprintf(err, errlen, "invalid arguments");
		return -1;
	}
	/* libelf wants a writable image; never hand it the caller's const buffer. */
	copy = malloc(len ? len : 1);
	if (!copy) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(copy, buf, len);
	ret = inspect_scan_owned(copy, len, ops, arg, err, errlen);
	free(copy);
	return ret;
}

struct inspect_array {
	struct inspect_hit *hits;
	size_t max;
	size_t n;
};

static void inspect_array_hit(void *arg, const struct inspect_hit *hit)
{
	struct inspect_array *a = arg;

	if (a->n < a->max)
		a->hits[a->n] = *hit;
	a->n++;
}

int inspect_image(const void *buf, size_t len, struct inspect_hit *hits, size_t max, size_t *nhits,
		  char *err, size_t errlen)
{
	const struct inspect_ops ops = {.hit = inspect_array_hit};
	struct inspect_array a = {.hits = hits, .max = hits ? max : 0};
	int ret;

	ret = inspect_scan(buf, len, &ops, &a, err, errlen);
	if (nhits)
		*nhits = ret == 0 ? a.n : 0;
	return ret;
}

/* ---- command line ------------------------------------------------------ */
