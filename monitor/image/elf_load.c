/* ELF64 image loader: every field of a hostile image is checked before a byte reaches guest RAM. */
#include "monitor/image/elf_load.h"

#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vtl_layout.h"

#define ELF_PAGE_MASK (VTL_PAGE_SIZE - 1)

/* File offsets (size_t) and ELF fields (uint64_t) are compared directly below. */
_Static_assert(sizeof(size_t) == sizeof(uint64_t), "64-bit host only");

/* What the copy step needs from one validated PT_LOAD, snapshotted once. */
struct elf_seg {
	unsigned int phdr_idx;
	uint64_t offset, filesz, paddr, vaddr, memsz;
	uint32_t flags;
};

static const char *const elf_err_names[ELF_E__COUNT] = {
    [ELF_OK] = "success",
    [ELF_E_LIBELF] = "libelf error",
    [ELF_E_NOT_ELF] = "not an ELF file",
    [ELF_E_CLASS] = "not a 64-bit ELF file",
    [ELF_E_ENDIAN] = "not a little-endian ELF file",
    [ELF_E_VERSION] = "unsupported ELF version",
    [ELF_E_MACHINE] = "not an x86-64 ELF file",
    [ELF_E_TYPE] = "not an ET_EXEC ELF file",
    [ELF_E_TRUNCATED] = "ELF file truncated",
    [ELF_E_PHOFF] = "program header table overlaps the ELF header",
    [ELF_E_PHENTSIZE] = "bad program header entry size",
    [ELF_E_NO_SEGMENTS] = "no loadable segments",
    [ELF_E_TOO_MANY_SEGMENTS] = "too many segments",
    [ELF_E_OFFSET] = "segment file data outside the file",
    [ELF_E_FILESZ] = "segment p_filesz larger than p_memsz",
    [ELF_E_MEMSZ] = "bad segment p_memsz",
    [ELF_E_OVERFLOW] = "segment address arithmetic overflows",
    [ELF_E_RANGE] = "segment outside the allowed guest-physical window",
    [ELF_E_VADDR] = "segment virtual address does not match its physical address",
    [ELF_E_OVERLAP] = "segments overlap",
    [ELF_E_ENTRY] = "entry point not in an executable segment",
    [ELF_E_TOO_LARGE] = "ELF file too large",
    [ELF_E_DEST] = "image does not fit the destination memory",
    [ELF_E_INVAL] = "invalid arguments",
    [ELF_E_NOMEM] = "out of memory",
};

const char *elf_strerror(enum elf_err err)
{
	if ((unsigned int)err >= ELF_E__COUNT || !elf_err_names[err])
		return "unknown ELF loader error";
	return elf_err_names[err];
}

static enum elf_err __attribute__((format(printf, 4, 5)))
elf_fail(char *msg, size_t msglen, enum elf_err err, const char *fmt, ...)
{
	va_list ap;

	if (msg && msglen) {
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return err;
}

/*
 * e_ident is checked by hand before libelf sees the file: libelf would
 * byte-swap a big-endian file or call a bad class ELF_K_NONE, and the
 * caller deserves to be told which rule failed.
 */
static enum elf_err elf_check_ident(const uint8_t *img, size_t len, char *msg, size_t msglen)
{
	if (len < SELFMAG || memcmp(img, ELFMAG, SELFMAG) != 0)
		return elf_fail(msg, msglen, ELF_E_NOT_ELF, "bad ELF magic (file is %zu bytes)",
				len);
	if (len < EI_NIDENT)
		return elf_fail(msg, msglen, ELF_E_TRUNCATED,
				"file is %zu bytes, shorter than e_ident (%u)", len, EI_NIDENT);
	if (img[EI_CLASS] != ELFCLASS64)
		return elf_fail(msg, msglen, ELF_E_CLASS, "EI_CLASS is %u, need ELFCLASS64",
				img[EI_CLASS]);
	if (img[EI_DATA] != ELFDATA2LSB)
		return elf_fail(msg, msglen, ELF_E_ENDIAN, "EI_DATA is %u, need ELFDATA2LSB",
				img[EI_DATA]);
	if (img[EI_VERSION] != EV_CURRENT)
		return elf_fail(msg, msglen, ELF_E_VERSION, "EI_VERSION is %u, need EV_CURRENT",
				img[EI_VERSION]);
	if (len < sizeof(Elf64_Ehdr))
		return elf_fail(msg, msglen, ELF_E_TRUNCATED,
				"file is %zu bytes, shorter than the ELF header (%zu)", len,
				sizeof(Elf64_Ehdr));
	return ELF_OK;
}

enum elf_err elf_check_header(const void *buf, size_t len, bool allow_dyn, char *msg, size_t msglen)
{
	enum elf_err err = elf_check_ident(buf, len, msg, msglen);
	Elf64_Ehdr eh;

	if (err != ELF_OK)
		return err;
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_version != EV_CURRENT)
		return elf_fail(msg, msglen, ELF_E_VERSION, "e_version is %u, need EV_CURRENT",
				eh.e_version);
	if (eh.e_machine != EM_X86_64)
		return elf_fail(msg, msglen, ELF_E_MACHINE,
				"not x86-64: e_machine is %u, need EM_X86_64 (%u)", eh.e_machine,
				EM_X86_64);
	if (eh.e_type != ET_EXEC && !(allow_dyn && eh.e_type == ET_DYN))
		return elf_fail(msg, msglen, ELF_E_TYPE, "e_type is %u, need ET_EXEC (%u)",
				eh.e_type, ET_EXEC);
	return ELF_OK;
}

static enum elf_err elf_check_ehdr(Elf *elf, size_t len, uint64_t *entry, size_t *phnum, char *msg,
				   size_t msglen)
{
	const Elf64_Ehdr *eh = elf64_getehdr(elf);
	size_t n;

	if (!eh)
		return elf_fail(msg, msglen, ELF_E_LIBELF, "elf64_getehdr: %s", elf_errmsg(-1));
	/* e_ident, e_version, e_machine and e_type: elf_check_header() already, before libelf. */
	/* The raw e_phnum: PN_XNUM (0xffff) is far above the cap, so no extended numbering. */
	if (eh->e_phnum == 0)
		return elf_fail(msg, msglen, ELF_E_NO_SEGMENTS, "e_phnum is 0");
	if (eh->e_phnum > ELF_MAX_PHNUM)
		return elf_fail(msg, msglen, ELF_E_TOO_MANY_SEGMENTS, "e_phnum is %u, at most %u",
				eh->e_phnum, ELF_MAX_PHNUM);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return elf_fail(msg, msglen, ELF_E_PHENTSIZE, "e_phentsize is %u, need %zu",
				eh->e_phentsize, sizeof(Elf64_Phdr));
	/* libelf treats e_phoff 0 as "no table"; anything below the header is nonsense. */
	if (eh->e_phoff < sizeof(Elf64_Ehdr))
		return elf_fail(msg, msglen, ELF_E_PHOFF,
				"e_phoff 0x%" PRIx64 " is inside the ELF header", eh->e_phoff);
	/* libelf silently clamps a table that runs past EOF, so bound it here. */
	if (eh->e_phoff > len || (size_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return elf_fail(msg, msglen, ELF_E_TRUNCATED,
				"program headers at 0x%" PRIx64
				" (%u x %zu bytes) exceed file size 0x%zx",
				eh->e_phoff, eh->e_phnum, sizeof(Elf64_Phdr), len);
	if (elf_getphdrnum(elf, &n) != 0)
		return elf_fail(msg, msglen, ELF_E_LIBELF, "elf_getphdrnum: %s", elf_errmsg(-1));
	if (n != eh->e_phnum)
		return elf_fail(msg, msglen, ELF_E_LIBELF,
				"libelf counts %zu program headers, e_phnum is %u", n, eh->e_phnum);
	*entry = eh->e_entry;
	*phnum = n;
	return ELF_OK;
}

/* Where the program header table ends; elf_check_ehdr() has bounded it (no overflow). */
static size_t elf_phdrs_end(Elf *elf)
{
	const Elf64_Ehdr *eh = elf64_getehdr(elf);

	return (size_t)eh->e_phoff + (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
}

/* One PT_LOAD. The order of the checks makes every later subtraction and addition safe. */
static enum elf_err elf_check_load(const GElf_Phdr *ph, unsigned int idx, size_t len,
				   const struct elf_limits *lim, struct elf_seg *seg,
				   struct vtl_segment *vseg, char *msg, size_t msglen)
{
	uint64_t window = lim->max_gpa - lim->min_gpa;
	uint64_t end, pg_start, pg_end;

	if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
		return elf_fail(msg, msglen, ELF_E_OFFSET,
				"segment %u: p_offset 0x%" PRIx64 " + p_filesz 0x%" PRIx64
				" exceeds file size 0x%zx",
				idx, ph->p_offset, ph->p_filesz, len);
	if (ph->p_filesz > ph->p_memsz)
		return elf_fail(msg, msglen, ELF_E_FILESZ,
				"segment %u: p_filesz 0x%" PRIx64 " > p_memsz 0x%" PRIx64, idx,
				ph->p_filesz, ph->p_memsz);
	if (ph->p_memsz == 0)
		return elf_fail(msg, msglen, ELF_E_MEMSZ, "segment %u: p_memsz is 0", idx);
	if (ph->p_memsz > window)
		return elf_fail(msg, msglen, ELF_E_MEMSZ,
				"segment %u: p_memsz 0x%" PRIx64
				" larger than the window (0x%" PRIx64 ")",
				idx, ph->p_memsz, window);
	if (ph->p_paddr > UINT64_MAX - ph->p_memsz)
		return elf_fail(msg, msglen, ELF_E_OVERFLOW,
				"segment %u: p_paddr 0x%" PRIx64 " + p_memsz 0x%" PRIx64
				" overflows",
				idx, ph->p_paddr, ph->p_memsz);
	end = ph->p_paddr + ph->p_memsz;
	if (end > UINT64_MAX - ELF_PAGE_MASK)
		return elf_fail(msg, msglen, ELF_E_OVERFLOW,
				"segment %u: end 0x%" PRIx64 " overflows when rounded up to a page",
				idx, end);
	pg_start = ph->p_paddr & ~ELF_PAGE_MASK;
	pg_end = (end + ELF_PAGE_MASK) & ~ELF_PAGE_MASK;
	if (pg_start < lim->min_gpa || pg_end > lim->max_gpa)
		return elf_fail(msg, msglen, ELF_E_RANGE,
				"segment %u: pages [0x%" PRIx64 ", 0x%" PRIx64
				") outside the window [0x%" PRIx64 ", 0x%" PRIx64 ")",
				idx, pg_start, pg_end, lim->min_gpa, lim->max_gpa);
	if (ph->p_vaddr != ph->p_paddr + lim->va_offset &&
	    !(lim->zero_vaddr_ok && ph->p_vaddr == 0 && !(ph->p_flags & PF_X)))
		return elf_fail(msg, msglen, ELF_E_VADDR,
				"segment %u: p_vaddr 0x%" PRIx64 " != p_paddr 0x%" PRIx64
				" + va_offset 0x%" PRIx64,
				idx, ph->p_vaddr, ph->p_paddr, lim->va_offset);
	/* Ending exactly at 2^64 is fine (the VTL1 kernel map does); wrapping past it is not. */
	if (ph->p_memsz - 1 > UINT64_MAX - ph->p_vaddr)
		return elf_fail(msg, msglen, ELF_E_VADDR,
				"segment %u: p_vaddr 0x%" PRIx64 " + p_memsz 0x%" PRIx64 " wraps",
				idx, ph->p_vaddr, ph->p_memsz);

	seg->phdr_idx = idx;
	seg->offset = ph->p_offset;
	seg->filesz = ph->p_filesz;
	seg->paddr = ph->p_paddr;
	seg->vaddr = ph->p_vaddr;
	seg->memsz = ph->p_memsz;
	seg->flags = ph->p_flags & (VTL_SEG_R | VTL_SEG_W | VTL_SEG_X);
	vseg->gpa = pg_start;
	vseg->size = pg_end - pg_start;
	vseg->flags = seg->flags;
	vseg->reserved = 0;
	return ELF_OK;
}

/* Checks that span all PT_LOADs: overlap (per page, as the permission engine works), entry. */
static enum elf_err elf_check_image(struct elf_image *img, const struct elf_seg *segs, char *msg,
				    size_t msglen)
{
	uint32_t i, j;

	for (i = 0; i < img->nr_segments; i++) {
		const struct vtl_segment *a = &img->segments[i];

		for (j = i + 1; j < img->nr_segments; j++) {
			const struct vtl_segment *b = &img->segments[j];

			if (a->gpa < b->gpa + b->size && b->gpa < a->gpa + a->size)
				return elf_fail(msg, msglen, ELF_E_OVERLAP,
						"segments %u and %u overlap: pages [0x%" PRIx64
						", 0x%" PRIx64 ") and [0x%" PRIx64 ", 0x%" PRIx64
						")",
						segs[i].phdr_idx, segs[j].phdr_idx, a->gpa,
						a->gpa + a->size, b->gpa, b->gpa + b->size);
		}
	}

	for (i = 0; i < img->nr_segments; i++) {
		/* Subtraction, not vaddr + memsz, which may be exactly 2^64. */
		if ((segs[i].flags & VTL_SEG_X) && img->entry - segs[i].vaddr < segs[i].memsz)
			break;
	}
	if (i == img->nr_segments)
		return elf_fail(msg, msglen, ELF_E_ENTRY,
				"e_entry 0x%" PRIx64 " is not inside an executable PT_LOAD",
				img->entry);

	img->low_gpa = UINT64_MAX;
	img->high_gpa = 0;
	for (i = 0; i < img->nr_segments; i++) {
		const struct vtl_segment *s = &img->segments[i];

		if (s->gpa < img->low_gpa)
			img->low_gpa = s->gpa;
		if (s->gpa + s->size > img->high_gpa)
			img->high_gpa = s->gpa + s->size;
	}
	return ELF_OK;
}

static enum elf_err elf_check_dest(const struct elf_image *img, const struct elf_dest *dst,
				   char *msg, size_t msglen)
{
	if (!dst->hva)
		return elf_fail(msg, msglen, ELF_E_INVAL, "destination has no host mapping");
	/* high_gpa >= low_gpa >= base_gpa once the first test passes, so no underflow. */
	if (img->low_gpa < dst->base_gpa || img->high_gpa - dst->base_gpa > dst->size)
		return elf_fail(msg, msglen, ELF_E_DEST,
				"image [0x%" PRIx64 ", 0x%" PRIx64
				") does not fit destination [0x%" PRIx64 ", +0x%" PRIx64 ")",
				img->low_gpa, img->high_gpa, dst->base_gpa, dst->size);
	return ELF_OK;
}

/* Segments never share a page, so zeroing one segment's slack cannot clobber another. */
static void elf_copy(const struct elf_image *img, const struct elf_seg *segs, const uint8_t *file,
		     const struct elf_dest *dst)
{
	uint32_t i;

	for (i = 0; i < img->nr_segments; i++) {
		const struct vtl_segment *s = &img->segments[i];
		uint8_t *p = dst->hva + (s->gpa - dst->base_gpa);
		uint64_t lead = segs[i].paddr - s->gpa;

		if (!dst->zeroed)
			memset(p, 0, lead);
		memcpy(p + lead, file + segs[i].offset, segs[i].filesz);
		if (!dst->zeroed)
			memset(p + lead + segs[i].filesz, 0, s->size - lead - segs[i].filesz);
	}
}

/*
 * libelf's view of the image: a file-sized anonymous mapping in which only
 * the ELF header and the program header table are copied (libelf wants a
 * non-const buffer of the file's size, and reads nothing else that the checks
 * use). Pages never written stay unbacked, so a 12 MiB vmlinux costs a page
 * or two of RSS, not a second copy of itself. NULL if it cannot be made;
 * elf_check_header() has run, so len >= sizeof(Elf64_Ehdr).
 */
static uint8_t *elf_headers_copy(const uint8_t *buf, size_t avail, size_t len, size_t *maplen)
{
	Elf64_Ehdr eh;
	uint8_t *copy;

	*maplen = len;
	copy = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (copy == MAP_FAILED)
		return NULL;
	memcpy(&eh, buf, sizeof(eh));
	memcpy(copy, &eh, sizeof(eh));
	/*
	 * Bounded here as elf_check_ehdr() bounds it, and by what the caller read
	 * (avail); a table out of range stays absent and elf_process refuses it.
	 */
	if (eh.e_phoff >= sizeof(eh) && eh.e_phoff <= avail && eh.e_phnum <= ELF_MAX_PHNUM &&
	    (size_t)eh.e_phnum * sizeof(Elf64_Phdr) <= avail - eh.e_phoff)
		memcpy(copy + eh.e_phoff, buf + eh.e_phoff,
		       (size_t)eh.e_phnum * sizeof(Elf64_Phdr));
	return copy;
}

/*
 * The one path behind elf_check, elf_check_head (dst == NULL) and elf_load.
 * buf holds the first avail bytes of a len-byte file (avail == len but for
 * elf_check_head). libelf parses the headers' own copy (elf_headers_copy), so
 * a header that changes under us cannot confuse it; the segment bytes are
 * copied from buf, which the callers own (a file they read, or their own
 * copy of guest RAM). runs (may be NULL) gets each PT_LOAD's file bytes.
 */
static enum elf_err elf_process(const void *buf, size_t avail, size_t len,
				const struct elf_limits *lim, const struct elf_dest *dst,
				struct elf_image *out, struct elf_file_run *runs, char *msg,
				size_t msglen)
{
	struct elf_seg segs[VTL_BOOT_MAX_SEGMENTS];
	struct elf_image img;
	uint8_t *copy = NULL;
	size_t copy_len = 0;
	Elf *elf = NULL;
	enum elf_err err;
	size_t phnum = 0, i;

	memset(&img, 0, sizeof(img));
	if (out)
		memset(out, 0, sizeof(*out));
	if (msg && msglen)
		msg[0] = '\0';

	if (!lim || (!buf && len)) {
		err = elf_fail(msg, msglen, ELF_E_INVAL, "missing image or limits");
		goto out;
	}
	if (lim->min_gpa >= lim->max_gpa) {
		err = elf_fail(msg, msglen, ELF_E_INVAL,
			       "empty window [0x%" PRIx64 ", 0x%" PRIx64 ")", lim->min_gpa,
			       lim->max_gpa);
		goto out;
	}
	if (lim->max_file_size && len > lim->max_file_size) {
		err = elf_fail(msg, msglen, ELF_E_TOO_LARGE,
			       "file is 0x%zx bytes, at most 0x%" PRIx64, len, lim->max_file_size);
		goto out;
	}

	if (avail > len || (dst && avail != len)) {
		err = elf_fail(msg, msglen, ELF_E_INVAL, "0x%zx bytes read of a 0x%zx-byte file",
			       avail, len);
		goto out;
	}
	err = elf_check_header(buf, avail, false, msg, msglen);
	if (err)
		goto out;
	copy = elf_headers_copy(buf, avail, len, &copy_len);
	if (!copy) {
		err = elf_fail(msg, msglen, ELF_E_NOMEM, "cannot map a 0x%zx-byte image", len);
		goto out;
	}
	/* The header as libelf sees it must be the one just checked. */
	err = elf_check_header(copy, len, false, msg, msglen);
	if (err)
		goto out;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		err = elf_fail(msg, msglen, ELF_E_LIBELF, "elf_version: %s", elf_errmsg(-1));
		goto out;
	}
	elf = elf_memory((char *)copy, len);
	if (!elf) {
		err = elf_fail(msg, msglen, ELF_E_LIBELF, "elf_memory: %s", elf_errmsg(-1));
		goto out;
	}
	if (elf_kind(elf) != ELF_K_ELF) {
		err = elf_fail(msg, msglen, ELF_E_NOT_ELF, "libelf does not see an ELF object");
		goto out;
	}

	err = elf_check_ehdr(elf, len, &img.entry, &phnum, msg, msglen);
	if (err)
		goto out;
	/* elf_check_ehdr bounded the table by the file; it must also lie in what was read. */
	if (elf_phdrs_end(elf) > avail) {
		err = elf_fail(msg, msglen, ELF_E_TRUNCATED,
			       "program headers end at 0x%zx, past the first 0x%zx bytes read",
			       elf_phdrs_end(elf), avail);
		goto out;
	}
	/* A physical e_entry (a vmlinux): checked where it runs, at its virtual address. */
	if (lim->entry_physical) {
		if (img.entry + lim->va_offset < img.entry) {
			err = elf_fail(msg, msglen, ELF_E_ENTRY,
				       "e_entry 0x%" PRIx64 " is not physical", img.entry);
			goto out;
		}
		img.entry += lim->va_offset;
	}

	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph)) {
			err = elf_fail(msg, msglen, ELF_E_LIBELF, "gelf_getphdr(%zu): %s", i,
				       elf_errmsg(-1));
			goto out;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		if (img.nr_segments == VTL_BOOT_MAX_SEGMENTS) {
			err = elf_fail(msg, msglen, ELF_E_TOO_MANY_SEGMENTS,
				       "segment %zu: more than %u PT_LOAD segments", i,
				       VTL_BOOT_MAX_SEGMENTS);
			goto out;
		}
		err = elf_check_load(&ph, (unsigned int)i, len, lim, &segs[img.nr_segments],
				     &img.segments[img.nr_segments], msg, msglen);
		if (err)
			goto out;
		img.nr_segments++;
	}
	if (img.nr_segments == 0) {
		err = elf_fail(msg, msglen, ELF_E_NO_SEGMENTS,
			       "no PT_LOAD among %zu program headers", phnum);
		goto out;
	}

	err = elf_check_image(&img, segs, msg, msglen);
	if (err)
		goto out;

	if (dst) {
		err = elf_check_dest(&img, dst, msg, msglen);
		if (err)
			goto out;
		elf_copy(&img, segs, buf, dst);
	}

	if (lim->entry_physical)
		img.entry -= lim->va_offset;
	if (out)
		*out = img;
	for (i = 0; runs && i < img.nr_segments; i++)
		runs[i] = (struct elf_file_run){segs[i].offset, segs[i].filesz, segs[i].paddr};
out:
	if (elf)
		elf_end(elf);
	if (copy)
		munmap(copy, copy_len);
	return err;
}

enum elf_err elf_check(const void *buf, size_t len, const struct elf_limits *lim,
		       struct elf_image *out, char *msg, size_t msglen)
{
	return elf_process(buf, len, len, lim, NULL, out, NULL, msg, msglen);
}

enum elf_err elf_check_head(const void *head, size_t head_len, size_t file_len,
			    const struct elf_limits *lim, struct elf_image *out,
			    struct elf_file_run runs[VTL_BOOT_MAX_SEGMENTS], char *msg,
			    size_t msglen)
{
	return elf_process(head, head_len, file_len, lim, NULL, out, runs, msg, msglen);
}

enum elf_err elf_load(const void *buf, size_t len, const struct elf_limits *lim,
		      const struct elf_dest *dst, struct elf_image *out, char *msg, size_t msglen)
{
	if (!dst) {
		if (out)
			memset(out, 0, sizeof(*out));
		return elf_fail(msg, msglen, ELF_E_INVAL, "missing destination");
	}
	return elf_process(buf, len, len, lim, dst, out, NULL, msg, msglen);
}
