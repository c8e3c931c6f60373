/* Unit tests for the ELF loader: hand-built hostile images, one rejection rule per test. */
#include <criterion/criterion.h>

#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/image/elf_load.h"
#include "vtl_layout.h"

/* One segment as the builder lays it out; vaddr = paddr + the image's va_offset. */
struct tseg {
	uint32_t type, flags;
	uint64_t paddr, filesz, memsz;
};

/* A heap buffer of exactly len bytes, so ASan sees any read past the end. */
struct timg {
	uint8_t *buf;
	size_t len;
};

#define T_MIN	  0x100000ULL
#define T_MAX	  0x1000000ULL
#define T_ENTRY	  0x100010ULL
#define DEST_BASE 0x100000ULL
#define DEST_SIZE 0x10000ULL

static const struct tseg t_default[] = {
    {PT_LOAD, PF_R | PF_X, 0x100000, 0x1234, 0x1234},
    {PT_LOAD, PF_R | PF_W, 0x102000, 0x100, 0x3000},
};

static const struct elf_limits t_lim = {.min_gpa = T_MIN, .max_gpa = T_MAX};

static uint8_t t_pattern(unsigned int seg, uint64_t i)
{
	return (uint8_t)(seg * 31 + i * 7 + 1);
}

static struct timg t_build(const struct tseg *segs, unsigned int n, uint64_t entry,
			   uint64_t va_offset)
{
	size_t off = (sizeof(Elf64_Ehdr) + n * sizeof(Elf64_Phdr) + 15) & ~(size_t)15;
	size_t len = off;
	struct timg t;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	unsigned int i;
	uint64_t j;

	for (i = 0; i < n; i++)
		len += segs[i].filesz;
	t.len = len;
	t.buf = calloc(1, len);
	cr_assert_not_null(t.buf);

	eh = (Elf64_Ehdr *)t.buf;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (uint16_t)n;

	ph = (Elf64_Phdr *)(t.buf + sizeof(Elf64_Ehdr));
	for (i = 0; i < n; i++) {
		ph[i].p_type = segs[i].type;
		ph[i].p_flags = segs[i].flags;
		ph[i].p_offset = off;
		ph[i].p_paddr = segs[i].paddr;
		ph[i].p_vaddr = segs[i].paddr + va_offset;
		ph[i].p_filesz = segs[i].filesz;
		ph[i].p_memsz = segs[i].memsz;
		ph[i].p_align = 0x1000;
		for (j = 0; j < segs[i].filesz; j++)
			t.buf[off + j] = t_pattern(i, j);
		off += segs[i].filesz;
	}
	return t;
}

static struct timg t_default_img(void)
{
	return t_build(t_default, 2, T_ENTRY, 0);
}

static Elf64_Ehdr *t_eh(struct timg *t)
{
	return (Elf64_Ehdr *)t->buf;
}

static Elf64_Phdr *t_ph(struct timg *t, unsigned int i)
{
	return (Elf64_Phdr *)(t->buf + sizeof(Elf64_Ehdr)) + i;
}

static void t_free(struct timg *t)
{
	free(t->buf);
	t->buf = NULL;
}

/*
 * Every rejection is checked through both entry points: elf_check must give
 * the code and a message, and elf_load must give the same code without
 * touching a destination that would otherwise have fit.
 */
static void t_expect(struct timg *t, const struct elf_limits *lim, enum elf_err want,
		     const char *substr)
{
	struct elf_dest dst = {.base_gpa = DEST_BASE, .size = DEST_SIZE};
	struct elf_image img;
	char msg[256];
	enum elf_err e;
	uint64_t i;

	memset(&img, 0x55, sizeof(img));
	e = elf_check(t->buf, t->len, lim, &img, msg, sizeof(msg));
	cr_assert_eq(e, want, "got %d (%s): %s; want %d (%s)", e, elf_strerror(e), msg, want,
		     elf_strerror(want));
	cr_assert_neq(msg[0], '\0', "no message for %s", elf_strerror(e));
	if (substr)
		cr_assert_not_null(strstr(msg, substr), "message '%s' lacks '%s'", msg, substr);
	cr_assert_eq(img.nr_segments, 0, "out not cleared on error");
	cr_assert_eq(img.entry, 0);

	dst.hva = malloc(DEST_SIZE);
	cr_assert_not_null(dst.hva);
	memset(dst.hva, 0xAA, DEST_SIZE);
	e = elf_load(t->buf, t->len, lim, &dst, &img, msg, sizeof(msg));
	cr_assert_eq(e, want, "elf_load got %d (%s): %s", e, elf_strerror(e), msg);
	for (i = 0; i < DEST_SIZE; i++)
		cr_assert_eq(dst.hva[i], 0xAA, "byte 0x%lx written on a rejected image",
			     (unsigned long)i);
	free(dst.hva);
}

static void t_expect_ok(struct timg *t, const struct elf_limits *lim, struct elf_image *img)
{
	char msg[256] = "junk";
	enum elf_err e = elf_check(t->buf, t->len, lim, img, msg, sizeof(msg));

	cr_assert_eq(e, ELF_OK, "got %d (%s): %s", e, elf_strerror(e), msg);
	cr_assert_str_empty(msg);
}

/* ---- header rules ------------------------------------------------------ */

Test(elf_load, not_elf)
{
	static const char text[] = "#!/bin/sh\necho this is not an ELF image, not even close\n";
	struct timg t = {.buf = malloc(sizeof(text)), .len = sizeof(text)};

	memcpy(t.buf, text, sizeof(text));
	t_expect(&t, &t_lim, ELF_E_NOT_ELF, "magic");
	t_free(&t);
}

Test(elf_load, empty_and_null)
{
	char msg[128];

	cr_assert_eq(elf_check(NULL, 0, &t_lim, NULL, msg, sizeof(msg)), ELF_E_NOT_ELF);
	cr_assert_eq(elf_check(NULL, 10, &t_lim, NULL, msg, sizeof(msg)), ELF_E_INVAL);
}

Test(elf_load, truncated_header)
{
	struct timg t = t_default_img();

	t.len = 40;
	t.buf = realloc(t.buf, t.len);
	t_expect(&t, &t_lim, ELF_E_TRUNCATED, "ELF header");
	t.len = 10;
	t.buf = realloc(t.buf, t.len);
	t_expect(&t, &t_lim, ELF_E_TRUNCATED, "e_ident");
	t_free(&t);
}

Test(elf_load, class32)
{
	struct timg t = t_default_img();

	t_eh(&t)->e_ident[EI_CLASS] = ELFCLASS32;
	t_expect(&t, &t_lim, ELF_E_CLASS, "ELFCLASS64");
	t_free(&t);
}

Test(elf_load, big_endian)
{
	struct timg t = t_default_img();

	t_eh(&t)->e_ident[EI_DATA] = ELFDATA2MSB;
	t_expect(&t, &t_lim, ELF_E_ENDIAN, "ELFDATA2LSB");
	t_free(&t);
}

Test(elf_load, bad_version)
{
	struct timg t = t_default_img();

	t_eh(&t)->e_ident[EI_VERSION] = 2;
	t_expect(&t, &t_lim, ELF_E_VERSION, "EI_VERSION");
	t_eh(&t)->e_ident[EI_VERSION] = EV_CURRENT;
	t_eh(&t)->e_version = 0;
	t_expect(&t, &t_lim, ELF_E_VERSION, "e_version");
	t_free(&t);
}

Test(elf_load, wrong_machine)
{
	struct timg t = t_default_img();

	t_eh(&t)->e_machine = EM_AARCH64;
	t_expect(&t, &t_lim, ELF_E_MACHINE, "e_machine");
	t_free(&t);
}

Test(elf_load, et_dyn)
{
	struct timg t = t_default_img();

	t_eh(&t)->e_type = ET_DYN;
	t_expect(&t, &t_lim, ELF_E_TYPE, "e_type");
	t_free(&t);
}

Test(elf_load, phdrs_past_eof)
{
	struct timg t = t_default_img();

	t_eh(&t)->e_phoff = t.len - sizeof(Elf64_Phdr) - 8;
	t_expect(&t, &t_lim, ELF_E_TRUNCATED, "program headers");
	t_eh(&t)->e_phoff = ~0ULL;
	t_expect(&t, &t_lim, ELF_E_TRUNCATED, "program headers");
	t_eh(&t)->e_phoff = ~0ULL - 100;
	t_expect(&t, &t_lim, ELF_E_TRUNCATED, "program headers");
	t_free(&t);
}

Test(elf_load, phoff_inside_ehdr)
{
	struct timg t = t_default_img();

	t_eh(&t)->e_phoff = 0;
	t_expect(&t, &t_lim, ELF_E_PHOFF, "e_phoff");
	t_eh(&t)->e_phoff = 8;
	t_expect(&t, &t_lim, ELF_E_PHOFF, "e_phoff");
	t_free(&t);
}

Test(elf_load, bad_phentsize)
{
	struct timg t = t_default_img();

	t_eh(&t)->e_phentsize = sizeof(Elf32_Phdr);
	t_expect(&t, &t_lim, ELF_E_PHENTSIZE, "e_phentsize");
	t_free(&t);
}

Test(elf_load, phnum_bounds)
{
	struct timg t = t_default_img();

	t_eh(&t)->e_phnum = 0;
	t_expect(&t, &t_lim, ELF_E_NO_SEGMENTS, "e_phnum");
	t_eh(&t)->e_phnum = ELF_MAX_PHNUM + 1;
	t_expect(&t, &t_lim, ELF_E_TOO_MANY_SEGMENTS, "e_phnum");
	t_eh(&t)->e_phnum = PN_XNUM;
	t_expect(&t, &t_lim, ELF_E_TOO_MANY_SEGMENTS, "e_phnum");
	t_free(&t);
}

Test(elf_load, file_too_large)
{
	struct timg t = t_default_img();
	struct elf_limits lim = t_lim;
	struct elf_image img;

	lim.max_file_size = t.len - 1;
	t_expect(&t, &lim, ELF_E_TOO_LARGE, "at most");
	lim.max_file_size = t.len;
	t_expect_ok(&t, &lim, &img);
	t_free(&t);
}

/* ---- per-segment rules -------------------------------------------------- */

Test(elf_load, filesz_gt_memsz)
{
	struct timg t = t_default_img();

	t_ph(&t, 1)->p_memsz = 0x80;
	t_expect(&t, &t_lim, ELF_E_FILESZ, "segment 1: p_filesz 0x100 > p_memsz 0x80");
	t_free(&t);
}

Test(elf_load, filedata_past_eof)
{
	struct timg t = t_default_img();
	Elf64_Phdr *ph = t_ph(&t, 1);

	ph->p_filesz = t.len - ph->p_offset + 1;
	t_expect(&t, &t_lim, ELF_E_OFFSET, "segment 1: p_offset");
	ph->p_filesz = 0x100;
	ph->p_offset = t.len - 0x80;
	t_expect(&t, &t_lim, ELF_E_OFFSET, "exceeds file size");
	t_free(&t);
}

Test(elf_load, offset_overflow)
{
	struct timg t = t_default_img();
	Elf64_Phdr *ph = t_ph(&t, 0);

	/* p_offset + p_filesz would wrap to a small in-file value. */
	ph->p_offset = ~0ULL;
	t_expect(&t, &t_lim, ELF_E_OFFSET, "segment 0");
	ph->p_offset = ~0ULL - 0x100;
	t_expect(&t, &t_lim, ELF_E_OFFSET, "segment 0");
	ph->p_offset = 0x10;
	ph->p_filesz = ~0ULL;
	ph->p_memsz = ~0ULL;
	t_expect(&t, &t_lim, ELF_E_OFFSET, "segment 0");
	t_free(&t);
}

Test(elf_load, memsz_zero_rejected)
{
	struct timg t = t_default_img();

	t_ph(&t, 1)->p_filesz = 0;
	t_ph(&t, 1)->p_memsz = 0;
	t_expect(&t, &t_lim, ELF_E_MEMSZ, "segment 1: p_memsz is 0");
	t_free(&t);
}

Test(elf_load, memsz_larger_than_window)
{
	struct timg t = t_default_img();

	t_ph(&t, 1)->p_memsz = T_MAX - T_MIN + 1;
	t_expect(&t, &t_lim, ELF_E_MEMSZ, "larger than the window");
	t_free(&t);
}

Test(elf_load, paddr_memsz_overflow)
{
	struct timg t = t_default_img();
	struct elf_limits lim = {.min_gpa = T_MIN, .max_gpa = UINT64_MAX};
	Elf64_Phdr *ph = t_ph(&t, 1);

	ph->p_paddr = 0xFFFFFFFFFFFFF000ULL;
	ph->p_vaddr = ph->p_paddr;
	ph->p_memsz = 0x2000;
	t_expect(&t, &lim, ELF_E_OVERFLOW,
		 "segment 1: p_paddr 0xfffffffffffff000 + p_memsz 0x2000");
	/* No overflow in the sum, only when the end is rounded up to a page. */
	ph->p_memsz = 0xFF0;
	t_expect(&t, &lim, ELF_E_OVERFLOW, "rounded up");
	t_free(&t);
}

Test(elf_load, below_min_gpa)
{
	struct timg t = t_default_img();
	struct elf_limits lim = t_lim;

	t_ph(&t, 0)->p_paddr = T_MIN - 0x1000;
	t_ph(&t, 0)->p_vaddr = T_MIN - 0x1000;
	t_expect(&t, &t_lim, ELF_E_RANGE, "segment 0: pages [0xff000");
	t_free(&t);

	/* Inside the window byte-wise, but its first page starts below it. */
	t = t_default_img();
	lim.min_gpa = T_MIN + 0x800;
	t_ph(&t, 0)->p_paddr = T_MIN + 0x800;
	t_ph(&t, 0)->p_vaddr = T_MIN + 0x800;
	t_expect(&t, &lim, ELF_E_RANGE, "outside the window");
	t_free(&t);
}

Test(elf_load, above_max_gpa)
{
	struct timg t = t_default_img();
	struct elf_limits lim = t_lim;
	struct elf_image img;
	Elf64_Phdr *ph = t_ph(&t, 1);

	ph->p_paddr = T_MAX - 0x1000;
	ph->p_vaddr = ph->p_paddr;
	t_expect(&t, &t_lim, ELF_E_RANGE, "segment 1");
	ph->p_paddr = T_MAX;
	ph->p_vaddr = ph->p_paddr;
	t_expect(&t, &t_lim, ELF_E_RANGE, "segment 1");

	/* Ending exactly at max_gpa is fine. */
	ph->p_paddr = T_MAX - 0x3000;
	ph->p_vaddr = ph->p_paddr;
	t_expect_ok(&t, &t_lim, &img);
	cr_assert_eq(img.high_gpa, T_MAX);

	/* Byte-wise inside, but the rounded-up last page is not. */
	lim.max_gpa = T_MAX + 0x800;
	ph->p_paddr = T_MAX - 0x2c00;
	ph->p_vaddr = ph->p_paddr;
	t_expect(&t, &lim, ELF_E_RANGE, "outside the window");
	t_free(&t);
}

Test(elf_load, vaddr_mismatch)
{
	struct timg t = t_default_img();

	t_ph(&t, 1)->p_vaddr += 0x1000;
	t_expect(&t, &t_lim, ELF_E_VADDR, "segment 1: p_vaddr 0x103000 != p_paddr 0x102000");
	t_free(&t);

	/* A VTL1-style image against VTL0 limits. */
	t = t_build(t_default, 2, T_ENTRY, 0xFFFFFFFF00000000ULL);
	t_expect(&t, &t_lim, ELF_E_VADDR, "va_offset 0x0");
	t_free(&t);
}

/* An SMP vmlinux's zero-based per-CPU section: only with zero_vaddr_ok, only not executable. */
Test(elf_load, zero_vaddr_only_where_allowed_and_never_for_code)
{
	struct elf_limits lim = t_lim;
	struct elf_image img;
	struct timg t = t_default_img();

	lim.zero_vaddr_ok = true;
	t_ph(&t, 1)->p_vaddr = 0;
	t_ph(&t, 1)->p_flags &= ~(uint32_t)PF_X;
	t_expect(&t, &t_lim, ELF_E_VADDR, "segment 1: p_vaddr 0x0 != p_paddr 0x102000");
	t_expect_ok(&t, &lim, &img);
	cr_assert_eq(img.segments[1].gpa, 0x102000, "it still loads at p_paddr");
	t_ph(&t, 1)->p_flags |= PF_X;
	t_expect(&t, &lim, ELF_E_VADDR, "segment 1: p_vaddr 0x0");
	t_free(&t);
}

Test(elf_load, vaddr_wraps)
{
	/* va_offset puts segment 0 at the top page of the address space; 0x1234 bytes wrap. */
	uint64_t va_offset = 0 - T_MIN - 0x1000;
	struct elf_limits lim = {.min_gpa = T_MIN, .max_gpa = T_MAX, .va_offset = va_offset};
	struct timg t = t_build(t_default, 2, T_ENTRY + va_offset, va_offset);

	t_expect(&t, &lim, ELF_E_VADDR,
		 "segment 0: p_vaddr 0xfffffffffffff000 + p_memsz 0x1234 wraps");
	t_free(&t);
}

/* ---- whole-image rules -------------------------------------------------- */

Test(elf_load, overlapping_segments)
{
	struct timg t = t_default_img();

	t_ph(&t, 1)->p_paddr = 0x101000;
	t_ph(&t, 1)->p_vaddr = 0x101000;
	t_expect(&t, &t_lim, ELF_E_OVERLAP, "segments 0 and 1 overlap");
	t_free(&t);
}

Test(elf_load, overlap_after_rounding)
{
	/* Segment 0 ends at 0x101234, segment 1 starts at 0x101800: disjoint bytes, shared page. */
	static const struct tseg segs[] = {
	    {PT_LOAD, PF_R | PF_X, 0x100000, 0x1234, 0x1234},
	    {PT_LOAD, PF_R | PF_W, 0x101800, 0x100, 0x800},
	};
	struct timg t = t_build(segs, 2, T_ENTRY, 0);

	t_expect(&t, &t_lim, ELF_E_OVERLAP, "pages [0x100000, 0x102000) and [0x101000, 0x102000)");
	t_free(&t);
}

Test(elf_load, overlap_not_adjacent_index)
{
	/* The overlapping pair is 0 and 2, with an unrelated header between. */
	static const struct tseg segs[] = {
	    {PT_LOAD, PF_R | PF_X, 0x100000, 0x10, 0x1000},
	    {PT_NOTE, PF_R, 0, 0, 0},
	    {PT_LOAD, PF_R | PF_W, 0x105000, 0x10, 0x1000},
	    {PT_LOAD, PF_R | PF_W, 0x100ff0, 0x10, 0x10},
	};
	struct timg t = t_build(segs, 4, T_ENTRY, 0);

	t_expect(&t, &t_lim, ELF_E_OVERLAP, "segments 0 and 3");
	t_free(&t);
}

static struct timg t_many(unsigned int n)
{
	struct tseg segs[VTL_BOOT_MAX_SEGMENTS + 1];
	unsigned int i;

	cr_assert_leq(n, VTL_BOOT_MAX_SEGMENTS + 1);
	for (i = 0; i < n; i++) {
		segs[i] = (struct tseg){PT_LOAD, PF_R | PF_X, T_MIN + i * 0x1000ULL, 0x20, 0x1000};
	}
	return t_build(segs, n, T_ENTRY, 0);
}

Test(elf_load, too_many_segments)
{
	struct timg t = t_many(VTL_BOOT_MAX_SEGMENTS + 1);

	t_expect(&t, &t_lim, ELF_E_TOO_MANY_SEGMENTS, "segment 16: more than 16");
	t_free(&t);
}

Test(elf_load, max_segments_ok)
{
	struct timg t = t_many(VTL_BOOT_MAX_SEGMENTS);
	struct elf_image img;

	t_expect_ok(&t, &t_lim, &img);
	cr_assert_eq(img.nr_segments, VTL_BOOT_MAX_SEGMENTS);
	cr_assert_eq(img.low_gpa, T_MIN);
	cr_assert_eq(img.high_gpa, T_MIN + VTL_BOOT_MAX_SEGMENTS * 0x1000ULL);
	t_free(&t);
}

Test(elf_load, no_pt_load)
{
	struct timg t = t_default_img();

	t_ph(&t, 0)->p_type = PT_NOTE;
	t_ph(&t, 1)->p_type = PT_GNU_STACK;
	t_expect(&t, &t_lim, ELF_E_NO_SEGMENTS, "no PT_LOAD");
	t_free(&t);
}

Test(elf_load, entry_outside_exec_segment)
{
	struct timg t = t_default_img();
	struct elf_image img;

	t_eh(&t)->e_entry = 0x102010; /* inside the RW data segment */
	t_expect(&t, &t_lim, ELF_E_ENTRY, "e_entry 0x102010");
	t_eh(&t)->e_entry = 0x200000; /* nowhere */
	t_expect(&t, &t_lim, ELF_E_ENTRY, NULL);
	t_eh(&t)->e_entry = 0x101234; /* one past the end of text, in its rounding slack */
	t_expect(&t, &t_lim, ELF_E_ENTRY, NULL);
	t_eh(&t)->e_entry = 0xFFFFF; /* one before */
	t_expect(&t, &t_lim, ELF_E_ENTRY, NULL);
	t_eh(&t)->e_entry = 0x101233; /* last text byte */
	t_expect_ok(&t, &t_lim, &img);
	cr_assert_eq(img.entry, 0x101233);
	t_free(&t);
}

Test(elf_load, other_phdr_types_ignored)
{
	/* Garbage in non-PT_LOAD headers must neither be used nor rejected. */
	static const struct tseg segs[] = {
	    {PT_NOTE, PF_R, 0, 0, 0},
	    {PT_LOAD, PF_R | PF_X, 0x100000, 0x1234, 0x1234},
	    {PT_GNU_STACK, PF_R | PF_W, 0, 0, 0},
	    {PT_LOAD, PF_R | PF_W, 0x102000, 0x100, 0x3000},
	};
	struct timg t = t_build(segs, 4, T_ENTRY, 0);
	struct elf_image img;

	t_ph(&t, 0)->p_offset = ~0ULL;
	t_ph(&t, 0)->p_filesz = ~0ULL;
	t_ph(&t, 0)->p_paddr = ~0ULL;
	t_ph(&t, 2)->p_memsz = ~0ULL;
	t_expect_ok(&t, &t_lim, &img);
	cr_assert_eq(img.nr_segments, 2);
	cr_assert_eq(img.segments[1].gpa, 0x102000);
	t_free(&t);
}

Test(elf_load, garbage_section_headers)
{
	/* The loader ignores sections, but libelf looks at them: it may refuse, never crash. */
	struct timg t = t_default_img();
	char msg[256];
	enum elf_err e;

	t_eh(&t)->e_shoff = ~0ULL - 10;
	t_eh(&t)->e_shnum = 7;
	t_eh(&t)->e_shentsize = sizeof(Elf64_Shdr);
	t_eh(&t)->e_shstrndx = 3;
	e = elf_check(t.buf, t.len, &t_lim, NULL, msg, sizeof(msg));
	cr_assert(e == ELF_OK || e == ELF_E_LIBELF, "got %s: %s", elf_strerror(e), msg);
	t_eh(&t)->e_shoff = sizeof(Elf64_Ehdr);
	t_eh(&t)->e_shnum = 0xffff;
	e = elf_check(t.buf, t.len, &t_lim, NULL, msg, sizeof(msg));
	cr_assert(e == ELF_OK || e == ELF_E_LIBELF, "got %s: %s", elf_strerror(e), msg);
	t_free(&t);
}

/* ---- arguments ---------------------------------------------------------- */

Test(elf_load, bad_limits_and_args)
{
	struct timg t = t_default_img();
	struct elf_limits lim = {.min_gpa = T_MAX, .max_gpa = T_MAX};
	struct elf_image img;
	char msg[128];

	t_expect(&t, &lim, ELF_E_INVAL, "empty window");
	cr_assert_eq(elf_check(t.buf, t.len, NULL, &img, msg, sizeof(msg)), ELF_E_INVAL);
	cr_assert_eq(elf_load(t.buf, t.len, &t_lim, NULL, &img, msg, sizeof(msg)), ELF_E_INVAL);
	cr_assert_str_eq(msg, "missing destination");
	t_free(&t);
}

Test(elf_load, msg_optional_and_truncated)
{
	struct timg t = t_default_img();
	char msg[8];

	t_eh(&t)->e_machine = EM_386;
	cr_assert_eq(elf_check(t.buf, t.len, &t_lim, NULL, NULL, 0), ELF_E_MACHINE);
	memset(msg, 'x', sizeof(msg));
	cr_assert_eq(elf_check(t.buf, t.len, &t_lim, NULL, msg, 0), ELF_E_MACHINE);
	cr_assert_eq(msg[0], 'x');
	cr_assert_eq(elf_check(t.buf, t.len, &t_lim, NULL, msg, sizeof(msg)), ELF_E_MACHINE);
	cr_assert_eq(msg[sizeof(msg) - 1], '\0');
	cr_assert_str_eq(msg, "not x86"); /* "not x86-64: e_machine is ..." */
	t_free(&t);
}

Test(elf_load, strerror_covers_every_code)
{
	int i, j;

	for (i = 0; i < ELF_E__COUNT; i++) {
		cr_assert_not_null(elf_strerror(i));
		cr_assert_str_neq(elf_strerror(i), "unknown ELF loader error", "code %d", i);
		for (j = 0; j < i; j++)
			cr_assert_str_neq(elf_strerror(i), elf_strerror(j));
	}
	cr_assert_str_eq(elf_strerror(ELF_E__COUNT), "unknown ELF loader error");
	cr_assert_str_eq(elf_strerror((enum elf_err) - 1), "unknown ELF loader error");
}

/* ---- loading ------------------------------------------------------------ */

Test(elf_load, two_segments_load)
{
	struct timg t = t_default_img();
	struct elf_dest dst = {.base_gpa = DEST_BASE, .size = DEST_SIZE, .hva = malloc(DEST_SIZE)};
	struct elf_image img, chk;
	char msg[256] = "junk";
	enum elf_err e;
	uint64_t i;

	cr_assert_not_null(dst.hva);
	memset(dst.hva, 0xAA, DEST_SIZE);
	e = elf_load(t.buf, t.len, &t_lim, &dst, &img, msg, sizeof(msg));
	cr_assert_eq(e, ELF_OK, "%s: %s", elf_strerror(e), msg);
	cr_assert_str_empty(msg);

	cr_assert_eq(img.entry, T_ENTRY);
	cr_assert_eq(img.nr_segments, 2);
	cr_assert_eq(img.segments[0].gpa, 0x100000);
	cr_assert_eq(img.segments[0].size, 0x2000);
	cr_assert_eq(img.segments[0].flags, VTL_SEG_R | VTL_SEG_X);
	cr_assert_eq(img.segments[1].gpa, 0x102000);
	cr_assert_eq(img.segments[1].size, 0x3000);
	cr_assert_eq(img.segments[1].flags, VTL_SEG_R | VTL_SEG_W);
	cr_assert_eq(img.low_gpa, 0x100000);
	cr_assert_eq(img.high_gpa, 0x105000);

	for (i = 0; i < 0x1234; i++)
		cr_assert_eq(dst.hva[i], t_pattern(0, i), "text byte 0x%lx", (unsigned long)i);
	for (; i < 0x2000; i++)
		cr_assert_eq(dst.hva[i], 0, "text slack byte 0x%lx", (unsigned long)i);
	for (; i < 0x2100; i++)
		cr_assert_eq(dst.hva[i], t_pattern(1, i - 0x2000), "data byte 0x%lx",
			     (unsigned long)i);
	for (; i < 0x5000; i++)
		cr_assert_eq(dst.hva[i], 0, "bss byte 0x%lx", (unsigned long)i);
	for (; i < DEST_SIZE; i++)
		cr_assert_eq(dst.hva[i], 0xAA, "byte 0x%lx past the image", (unsigned long)i);

	/* elf_check agrees with elf_load. */
	t_expect_ok(&t, &t_lim, &chk);
	cr_assert_eq(memcmp(&img, &chk, sizeof(img)), 0);
	free(dst.hva);
	t_free(&t);
}

/* A destination known to be zero gets the file bytes only: no write to bss or slack pages. */
Test(elf_load, zeroed_destination_gets_no_zeros)
{
	struct timg t = t_default_img();
	struct elf_dest dst = {
	    .base_gpa = DEST_BASE, .size = DEST_SIZE, .hva = malloc(DEST_SIZE), .zeroed = true};
	struct elf_image img;
	char msg[256];
	uint64_t i;

	cr_assert_not_null(dst.hva);
	/* Not zero, so that any zero the loader writes shows. */
	memset(dst.hva, 0xAA, DEST_SIZE);
	cr_assert_eq(elf_load(t.buf, t.len, &t_lim, &dst, &img, msg, sizeof(msg)), ELF_OK, "%s",
		     msg);
	for (i = 0; i < 0x1234; i++)
		cr_assert_eq(dst.hva[i], t_pattern(0, i));
	for (; i < 0x2000; i++)
		cr_assert_eq(dst.hva[i], 0xAA, "text slack byte 0x%lx written", (unsigned long)i);
	for (; i < 0x2100; i++)
		cr_assert_eq(dst.hva[i], t_pattern(1, i - 0x2000));
	for (; i < DEST_SIZE; i++)
		cr_assert_eq(dst.hva[i], 0xAA, "bss byte 0x%lx written", (unsigned long)i);
	free(dst.hva);
	t_free(&t);
}

Test(elf_load, unaligned_paddr_zeroes_lead)
{
	/* A segment starting mid-page: the bytes before it in its first page are zeroed too. */
	static const struct tseg segs[] = {
	    {PT_LOAD, PF_R | PF_X, 0x101100, 0x10, 0x20},
	};
	struct timg t = t_build(segs, 1, 0x101100, 0);
	struct elf_dest dst = {.base_gpa = DEST_BASE, .size = DEST_SIZE, .hva = malloc(DEST_SIZE)};
	struct elf_image img;
	uint64_t i;

	cr_assert_not_null(dst.hva);
	memset(dst.hva, 0xAA, DEST_SIZE);
	cr_assert_eq(elf_load(t.buf, t.len, &t_lim, &dst, &img, NULL, 0), ELF_OK);
	cr_assert_eq(img.segments[0].gpa, 0x101000);
	cr_assert_eq(img.segments[0].size, 0x1000);
	for (i = 0; i < 0x1000; i++)
		cr_assert_eq(dst.hva[i], 0xAA);
	for (; i < 0x1100; i++)
		cr_assert_eq(dst.hva[i], 0);
	for (; i < 0x1110; i++)
		cr_assert_eq(dst.hva[i], t_pattern(0, i - 0x1100));
	for (; i < 0x2000; i++)
		cr_assert_eq(dst.hva[i], 0);
	for (; i < DEST_SIZE; i++)
		cr_assert_eq(dst.hva[i], 0xAA);
	free(dst.hva);
	t_free(&t);
}

Test(elf_load, vtl1_image_loads)
{
	const uint64_t va_offset = VTL1_KERNEL_VA - VTL1_PRIV_GPA;
	const uint64_t base = VTL1_PRIV_GPA + VTL_IMAGE_MIN_OFFSET;
	const struct tseg segs[] = {
	    {PT_LOAD, PF_R | PF_X, base, 0x1800, 0x1800},
	    {PT_LOAD, PF_R, base + 0x2000, 0x40, 0x40},
	    {PT_LOAD, PF_R | PF_W, base + 0x3000, 0x10, 0x2000},
	};
	struct elf_limits lim = {
	    .min_gpa = base, .max_gpa = VTL1_PRIV_GPA + VTL1_PRIV_MIN, .va_offset = va_offset};
	struct timg t = t_build(segs, 3, VTL1_KERNEL_VA + VTL_IMAGE_MIN_OFFSET + 0x40, va_offset);
	struct elf_dest dst = {.base_gpa = VTL1_PRIV_GPA, .size = VTL1_PRIV_MIN};
	struct elf_image img;
	char msg[256];
	enum elf_err e;
	uint64_t i;

	cr_assert_eq(va_offset, 0xFFFFFFFE80000000ULL);
	cr_assert_eq(t_ph(&t, 0)->p_vaddr, 0xFFFFFFFF80100000ULL);
	dst.hva = malloc(dst.size);
	cr_assert_not_null(dst.hva);
	memset(dst.hva, 0xAA, dst.size);
	e = elf_load(t.buf, t.len, &lim, &dst, &img, msg, sizeof(msg));
	cr_assert_eq(e, ELF_OK, "%s: %s", elf_strerror(e), msg);
	cr_assert_eq(img.entry, 0xFFFFFFFF80100040ULL);
	cr_assert_eq(img.nr_segments, 3);
	cr_assert_eq(img.low_gpa, base);
	cr_assert_eq(img.high_gpa, base + 0x5000);
	cr_assert_eq(img.segments[1].flags, VTL_SEG_R);
	for (i = 0; i < 0x1800; i++)
		cr_assert_eq(dst.hva[VTL_IMAGE_MIN_OFFSET + i], t_pattern(0, i));
	for (i = 0x10; i < 0x2000; i++)
		cr_assert_eq(dst.hva[VTL_IMAGE_MIN_OFFSET + 0x3000 + i], 0);
	for (i = 0; i < VTL_IMAGE_MIN_OFFSET; i++)
		cr_assert_eq(dst.hva[i], 0xAA, "boot area byte 0x%lx touched", (unsigned long)i);
	free(dst.hva);
	t_free(&t);
}

/* A Linux vmlinux: e_entry is physical (startup_64), the PT_LOADs' p_vaddr virtual. */
Test(elf_load, physical_entry)
{
	const uint64_t va = 0xFFFFFFFF80000000ULL;
	const struct tseg segs[] = {{PT_LOAD, PF_R | PF_X, 0x100000, 0x100, 0x100}};
	struct elf_limits lim = {.min_gpa = 0x100000, .max_gpa = 0x200000, .va_offset = va};
	struct timg t = t_build(segs, 1, 0x100040, va);
	struct elf_image img;
	char msg[256];
	enum elf_err e;

	/* Without the flag a physical entry lies in no segment's virtual range. */
	cr_assert_eq(elf_check(t.buf, t.len, &lim, &img, msg, sizeof(msg)), ELF_E_ENTRY);
	lim.entry_physical = true;
	e = elf_check(t.buf, t.len, &lim, &img, msg, sizeof(msg));
	cr_assert_eq(e, ELF_OK, "%s: %s", elf_strerror(e), msg);
	cr_assert_eq(img.entry, 0x100040, "the entry stays physical");
	t_free(&t);
	/* An entry that is already virtual wraps when made virtual again: refused. */
	t = t_build(segs, 1, va + 0x100040, va);
	cr_assert_eq(elf_check(t.buf, t.len, &lim, &img, msg, sizeof(msg)), ELF_E_ENTRY);
	cr_assert(strstr(msg, "not physical"), "%s", msg);
	t_free(&t);
	/* Physical, but outside the executable segment. */
	t = t_build(segs, 1, 0x180000, va);
	cr_assert_eq(elf_check(t.buf, t.len, &lim, &img, msg, sizeof(msg)), ELF_E_ENTRY);
	t_free(&t);
}

Test(elf_load, vtl1_segment_ending_at_top_of_va)
{
	/* With the real VTL1 offset, a segment may end exactly at 2^64 in VA space. */
	const uint64_t va_offset = VTL1_KERNEL_VA - VTL1_PRIV_GPA;
	const uint64_t top = VTL1_PRIV_GPA + (0 - VTL1_KERNEL_VA);
	const struct tseg segs[] = {
	    {PT_LOAD, PF_R | PF_X, VTL1_PRIV_GPA + 0x100000, 0x10, 0x10},
	    {PT_LOAD, PF_R | PF_W, top - 0x1000, 0x10, 0x1000},
	};
	struct elf_limits lim = {.min_gpa = VTL1_PRIV_GPA, .max_gpa = top, .va_offset = va_offset};
	struct timg t = t_build(segs, 2, VTL1_KERNEL_VA + 0x100000, va_offset);
	struct elf_image img;

	cr_assert_eq(t_ph(&t, 1)->p_vaddr, 0xFFFFFFFFFFFFF000ULL);
	t_expect_ok(&t, &lim, &img);
	cr_assert_eq(img.high_gpa, top);
	t_free(&t);
}

Test(elf_load, dest_must_contain_image)
{
	struct timg t = t_default_img();
	struct elf_dest dst = {.base_gpa = DEST_BASE, .size = 0x4fff, .hva = malloc(DEST_SIZE)};
	struct elf_image img;
	char msg[256];
	uint64_t i;

	cr_assert_not_null(dst.hva);
	memset(dst.hva, 0xAA, DEST_SIZE);
	cr_assert_eq(elf_load(t.buf, t.len, &t_lim, &dst, &img, msg, sizeof(msg)), ELF_E_DEST);
	cr_assert_not_null(strstr(msg, "does not fit"), "%s", msg);
	cr_assert_eq(img.nr_segments, 0);
	dst.base_gpa = DEST_BASE + 0x1000;
	dst.size = DEST_SIZE - 0x1000;
	cr_assert_eq(elf_load(t.buf, t.len, &t_lim, &dst, &img, msg, sizeof(msg)), ELF_E_DEST);
	for (i = 0; i < DEST_SIZE; i++)
		cr_assert_eq(dst.hva[i], 0xAA);
	dst.base_gpa = DEST_BASE;
	dst.size = 0x5000;
	cr_assert_eq(elf_load(t.buf, t.len, &t_lim, &dst, &img, msg, sizeof(msg)), ELF_OK, "%s",
		     msg);
	free(dst.hva);
	dst.hva = NULL;
	cr_assert_eq(elf_load(t.buf, t.len, &t_lim, &dst, &img, msg, sizeof(msg)), ELF_E_INVAL);
	t_free(&t);
}

/* ---- robustness --------------------------------------------------------- */

Test(elf_load, every_truncation_rejected)
{
	/* The last segment's data ends at EOF, so every proper prefix is invalid. */
	struct timg full = t_default_img();
	char msg[256];
	size_t len;

	for (len = 0; len <= full.len; len++) {
		uint8_t *p = malloc(len ? len : 1);
		struct elf_image img;
		enum elf_err e;

		cr_assert_not_null(p);
		memcpy(p, full.buf, len);
		e = elf_check(p, len, &t_lim, &img, msg, sizeof(msg));
		if (len < full.len)
			cr_assert_neq(e, ELF_OK, "prefix of %zu bytes accepted", len);
		else
			cr_assert_eq(e, ELF_OK, "%s", msg);
		free(p);
	}
	t_free(&full);
}

/* A small deterministic PRNG: the mutation run must be reproducible. */
static uint64_t t_rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

Test(elf_load, random_header_mutations)
{
	/*
	 * Flip bytes in the headers (where all the parsing happens) and check
	 * that whatever is accepted still obeys every invariant.
	 */
	struct timg base = t_default_img();
	size_t hdr = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
	struct elf_dest dst = {.base_gpa = 0, .size = T_MAX};
	uint64_t s = 0x9E3779B97F4A7C15ULL;
	unsigned int iter, k, ok = 0;

	dst.hva = malloc(T_MAX);
	cr_assert_not_null(dst.hva);
	for (iter = 0; iter < 20000; iter++) {
		struct timg t = {.buf = malloc(base.len), .len = base.len};
		unsigned int flips = 1 + t_rng(&s) % 4;
		struct elf_image img;
		enum elf_err e;
		uint32_t i, j;

		memcpy(t.buf, base.buf, base.len);
		for (k = 0; k < flips; k++)
			t.buf[t_rng(&s) % hdr] ^= (uint8_t)(1u << (t_rng(&s) % 8));
		e = elf_load(t.buf, t.len, &t_lim, &dst, &img, NULL, 0);
		if (e == ELF_OK) {
			ok++;
			cr_assert_geq(img.nr_segments, 1);
			cr_assert_leq(img.nr_segments, VTL_BOOT_MAX_SEGMENTS);
			for (i = 0; i < img.nr_segments; i++) {
				const struct vtl_segment *a = &img.segments[i];

				cr_assert_geq(a->gpa, T_MIN);
				cr_assert_leq(a->gpa + a->size, T_MAX);
				cr_assert_eq(a->gpa % VTL_PAGE_SIZE, 0);
				cr_assert_eq(a->size % VTL_PAGE_SIZE, 0);
				for (j = 0; j < i; j++) {
					const struct vtl_segment *b = &img.segments[j];

					cr_assert(a->gpa >= b->gpa + b->size ||
						  b->gpa >= a->gpa + a->size);
				}
			}
		} else {
			cr_assert_eq(img.nr_segments, 0);
		}
		t_free(&t);
	}
	/* Some flips (p_align, flags, reserved bytes) are harmless: the run must see both outcomes.
	 */
	cr_assert_gt(ok, 0);
	cr_assert_lt(ok, 20000);
	free(dst.hva);
	t_free(&base);
}

/* ---- elf_check_head: a streamed file's first bytes ---------------------- */

/* The same verdict and image as elf_check, and each PT_LOAD's bytes in the file. */
Test(elf_load, head_gives_the_runs_of_the_whole_file)
{
	struct timg t = t_default_img();
	struct elf_file_run runs[VTL_BOOT_MAX_SEGMENTS];
	struct elf_image whole, head;
	size_t hlen = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
	char msg[128];

	cr_assert_eq(elf_check(t.buf, t.len, &t_lim, &whole, msg, sizeof(msg)), ELF_OK, "%s", msg);
	cr_assert_eq(elf_check_head(t.buf, hlen, t.len, &t_lim, &head, runs, msg, sizeof(msg)),
		     ELF_OK, "%s", msg);
	cr_assert_eq(memcmp(&whole, &head, sizeof(head)), 0);
	for (unsigned int i = 0; i < 2; i++) {
		cr_assert_eq(runs[i].offset, t_ph(&t, i)->p_offset);
		cr_assert_eq(runs[i].filesz, t_default[i].filesz);
		cr_assert_eq(runs[i].paddr, t_default[i].paddr);
	}
	t_free(&t);
}

/* Headers past what was read are refused (never read), and offsets are checked on the file. */
Test(elf_load, head_must_hold_the_headers)
{
	struct timg t = t_default_img();
	size_t hlen = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
	uint8_t *head = malloc(hlen - 1);
	struct elf_image img;
	char msg[128];

	cr_assert_not_null(head);
	memcpy(head, t.buf, hlen - 1); /* exactly hlen - 1 bytes: ASan sees any read past them */
	cr_assert_eq(elf_check_head(head, hlen - 1, t.len, &t_lim, &img, NULL, msg, sizeof(msg)),
		     ELF_E_TRUNCATED);
	cr_assert_not_null(strstr(msg, "past the first"), "%s", msg);
	cr_assert_eq(elf_check_head(t.buf, hlen, t.len - 1, &t_lim, &img, NULL, msg, sizeof(msg)),
		     ELF_E_OFFSET, "the last segment ends past a file one byte shorter: %s", msg);
	cr_assert_eq(elf_check_head(t.buf, t.len, t.len - 1, &t_lim, &img, NULL, msg, sizeof(msg)),
		     ELF_E_INVAL);
	cr_assert_eq(elf_check_head(t.buf, 10, t.len, &t_lim, &img, NULL, msg, sizeof(msg)),
		     ELF_E_TRUNCATED);
	free(head);
	t_free(&t);
}
