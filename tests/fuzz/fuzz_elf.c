/* libFuzzer target: elf_check/elf_load on hostile images, with VTL0 and VTL1 limits. */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz_common.h"
#include "monitor/image/elf_load.h"
#include "vtl_layout.h"

/*
 * The windows are the real ones for the smallest RAM the monitor accepts
 * (image area from VTL_IMAGE_MIN_OFFSET to the end of 4 MiB). The
 * destination extends GUARD bytes beyond the window on both sides: the
 * loader must never write there. It is kept read-only except around a
 * load that elf_check accepted, so a stray write by a rejected load faults
 * at once instead of needing a scan.
 */
#define WINDOW	 (VTL0_RAM_MIN - VTL_IMAGE_MIN_OFFSET)
#define GUARD	 0x2000ULL
#define DST_SIZE (WINDOW + 2 * GUARD)
#define POISON	 0xA5

_Static_assert(VTL0_RAM_MIN == VTL1_PRIV_MIN, "one window size for both VTLs");

struct fuzz_lim {
	const char *name;
	struct elf_limits lim;
};

/*
 * "vtl1-top" is no real layout: its VA offset puts the middle of the window
 * at virtual address 2^64, so that segments end exactly at 2^64 (allowed)
 * or wrap past it (ELF_E_VADDR). The VTL1 file size limit is low enough
 * for the fuzzer to reach it.
 */
#define TOP_MIN (VTL1_PRIV_GPA + VTL_IMAGE_MIN_OFFSET)

static const struct fuzz_lim limits[] = {
    {"vtl0",
     {.min_gpa = VTL_IMAGE_MIN_OFFSET,
      .max_gpa = VTL_IMAGE_MIN_OFFSET + WINDOW,
      .va_offset = 0,
      .max_file_size = 0}},
    {"vtl1",
     {.min_gpa = VTL1_PRIV_GPA + VTL_IMAGE_MIN_OFFSET,
      .max_gpa = VTL1_PRIV_GPA + VTL_IMAGE_MIN_OFFSET + WINDOW,
      .va_offset = VTL1_KERNEL_VA - VTL1_PRIV_GPA,
      .max_file_size = 48 * 1024}},
    {"vtl1-top",
     {.min_gpa = TOP_MIN,
      .max_gpa = TOP_MIN + WINDOW,
      .va_offset = 0 - (TOP_MIN + WINDOW / 2),
      .max_file_size = 0}},
    /* An SMP vmlinux's zero-based per-CPU segment (no entry_physical: the fuzzer's entries). */
    {"vtl0-zero-vaddr",
     {.min_gpa = VTL_IMAGE_MIN_OFFSET,
      .max_gpa = VTL_IMAGE_MIN_OFFSET + WINDOW,
      .va_offset = 0xffffffff80000000ULL,
      .max_file_size = 0,
      .zero_vaddr_ok = true}},
};

static uint8_t *dst_mem;
/* Reference patterns: memcmp against them keeps the scans cheap. */
static uint8_t poison_ref[DST_SIZE], zero_ref[DST_SIZE];

/* n <= DST_SIZE: every caller looks inside the destination. */
static bool mem_is(const uint8_t *p, uint8_t v, size_t n)
{
	return !memcmp(p, v ? poison_ref : zero_ref, n);
}

static void dst_protect(int prot)
{
	FUZZ_CHECK(!mprotect(dst_mem, DST_SIZE, prot), "mprotect: %s", strerror(errno));
}

static void dst_init(void)
{
	dst_mem = mmap(NULL, DST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FUZZ_CHECK(dst_mem != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(poison_ref, POISON, sizeof(poison_ref));
	memset(dst_mem, POISON, DST_SIZE);
	dst_protect(PROT_READ);
}

static void check_msg(const char *msg, size_t cap, enum elf_err err)
{
	FUZZ_CHECK(fuzz_printable_str(msg, cap), "message not terminated printable ASCII");
	FUZZ_CHECK((err == ELF_OK) == (msg[0] == '\0'), "error %u with message '%s'", err, msg);
}

/* Everything elf_load.h promises about an accepted image, checked without libelf. */
static void check_image(const struct fuzz_lim *fl, const struct elf_image *img, const uint8_t *data,
			size_t size)
{
	const struct elf_limits *lim = &fl->lim;
	Elf64_Ehdr eh;
	uint64_t low = UINT64_MAX, high = 0;
	uint32_t k = 0;
	bool entry_ok = false;

	FUZZ_CHECK(img->nr_segments >= 1 && img->nr_segments <= VTL_BOOT_MAX_SEGMENTS,
		   "%s: %u segments", fl->name, img->nr_segments);
	for (uint32_t i = 0; i < img->nr_segments; i++) {
		const struct vtl_segment *s = &img->segments[i];

		FUZZ_CHECK(!(s->gpa % VTL_PAGE_SIZE) && s->size && !(s->size % VTL_PAGE_SIZE),
			   "%s: segment %u [0x%llx, +0x%llx) not whole pages", fl->name, i,
			   (unsigned long long)s->gpa, (unsigned long long)s->size);
		FUZZ_CHECK(
		    fuzz_range_inside(s->gpa, s->size, lim->min_gpa, lim->max_gpa - lim->min_gpa),
		    "%s: segment %u [0x%llx, +0x%llx) outside the window", fl->name, i,
		    (unsigned long long)s->gpa, (unsigned long long)s->size);
		FUZZ_CHECK(!(s->flags & ~7u) && !s->reserved, "%s: segment %u flags 0x%x", fl->name,
			   i, s->flags);
		for (uint32_t j = 0; j < i; j++) {
			const struct vtl_segment *t = &img->segments[j];

			FUZZ_CHECK(s->gpa >= t->gpa + t->size || t->gpa >= s->gpa + s->size,
				   "%s: segments %u and %u share a page", fl->name, j, i);
		}
		low = s->gpa < low ? s->gpa : low;
		high = s->gpa + s->size > high ? s->gpa + s->size : high;
	}
	FUZZ_CHECK(img->low_gpa == low && img->high_gpa == high, "%s: span [0x%llx, 0x%llx)",
		   fl->name, (unsigned long long)img->low_gpa, (unsigned long long)img->high_gpa);

	/* The program headers again, read by hand: accepted means they are all in the file. */
	memcpy(&eh, data, sizeof(eh));
	FUZZ_CHECK(img->entry == eh.e_entry, "%s: entry", fl->name);
	for (uint32_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		const struct vtl_segment *s;

		FUZZ_CHECK(fuzz_range_inside(eh.e_phoff, (uint64_t)(i + 1) * sizeof(ph), 0, size),
			   "%s: phdr %u outside the file", fl->name, i);
		memcpy(&ph, data + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		FUZZ_CHECK(k < img->nr_segments, "%s: more PT_LOADs than segments", fl->name);
		s = &img->segments[k++];
		FUZZ_CHECK(s->gpa == (ph.p_paddr & ~(VTL_PAGE_SIZE - 1)) &&
			       ph.p_paddr + ph.p_memsz <= s->gpa + s->size &&
			       ph.p_filesz <= ph.p_memsz &&
			       fuzz_range_inside(ph.p_offset, ph.p_filesz, 0, size),
			   "%s: phdr %u does not match its segment", fl->name, i);
		FUZZ_CHECK(ph.p_vaddr == ph.p_paddr + lim->va_offset ||
			       (lim->zero_vaddr_ok && ph.p_vaddr == 0 && !(ph.p_flags & PF_X)),
			   "%s: phdr %u vaddr", fl->name, i);
		if ((ph.p_flags & PF_X) && eh.e_entry - ph.p_vaddr < ph.p_memsz)
			entry_ok = true;
	}
	FUZZ_CHECK(k == img->nr_segments, "%s: %u PT_LOADs, %u segments", fl->name, k,
		   img->nr_segments);
	FUZZ_CHECK(entry_ok, "%s: entry 0x%llx not in an executable PT_LOAD", fl->name,
		   (unsigned long long)eh.e_entry);
}

/* After a load: file bytes at p_paddr, zeros in the rest of each span, nothing else touched. */
static void check_loaded(const struct fuzz_lim *fl, const struct elf_dest *dst,
			 const struct elf_image *img, const uint8_t *data)
{
	Elf64_Ehdr eh;
	uint64_t cursor = dst->base_gpa;
	uint32_t k = 0;

	memcpy(&eh, data, sizeof(eh));
	for (uint32_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		const struct vtl_segment *s;
		const uint8_t *p;

		memcpy(&ph, data + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		s = &img->segments[k++];
		p = dst->hva + (s->gpa - dst->base_gpa);
		FUZZ_CHECK(mem_is(p, 0, ph.p_paddr - s->gpa), "%s: lead of phdr %u not zeroed",
			   fl->name, i);
		p += ph.p_paddr - s->gpa;
		FUZZ_CHECK(!memcmp(p, data + ph.p_offset, ph.p_filesz),
			   "%s: phdr %u file bytes not copied", fl->name, i);
		p += ph.p_filesz;
		FUZZ_CHECK(mem_is(p, 0, s->gpa + s->size - ph.p_paddr - ph.p_filesz),
			   "%s: bss/tail of phdr %u not zeroed", fl->name, i);
	}
	/* Walk the destination in address order: gaps between segments keep the poison. */
	while (cursor < dst->base_gpa + dst->size) {
		uint64_t next = dst->base_gpa + dst->size, skip_to = next;

		for (uint32_t i = 0; i < img->nr_segments; i++) {
			const struct vtl_segment *s = &img->segments[i];

			if (s->gpa >= cursor && s->gpa < next) {
				next = s->gpa;
				skip_to = s->gpa + s->size;
			}
		}
		FUZZ_CHECK(mem_is(dst->hva + (cursor - dst->base_gpa), POISON, next - cursor),
			   "%s: bytes in [0x%llx, 0x%llx) outside every segment were written",
			   fl->name, (unsigned long long)cursor, (unsigned long long)next);
		cursor = skip_to;
	}
}

static void run_one(const struct fuzz_lim *fl, const uint8_t *data, size_t size)
{
	struct elf_image img, img2;
	struct elf_dest dst = {
	    .base_gpa = fl->lim.min_gpa - GUARD, .size = DST_SIZE, .hva = dst_mem};
	char msg[256], msg2[256];
	enum elf_err err, err2;

	memset(msg, 0x55, sizeof(msg));
	memset(&img, 0x55, sizeof(img));
	err = elf_check(data, size, &fl->lim, &img, msg, sizeof(msg));
	FUZZ_CHECK(err < ELF_E__COUNT, "%s: error %u", fl->name, err);
	FUZZ_CHECK(elf_strerror(err) != NULL, "no strerror");
	check_msg(msg, sizeof(msg), err);
	if (err != ELF_OK) {
		static const struct elf_image zero;

		FUZZ_CHECK(!memcmp(&img, &zero, sizeof(img)), "%s: out not zeroed on error",
			   fl->name);
		FUZZ_CHECK(err != ELF_E_INVAL && err != ELF_E_NOMEM && err != ELF_E_DEST,
			   "%s: caller-side error %u for a bad image: %s", fl->name, err, msg);
	} else {
		check_image(fl, &img, data, size);
	}

	/* elf_load agrees with elf_check, and writes nothing unless the image is accepted. */
	if (err == ELF_OK)
		dst_protect(PROT_READ | PROT_WRITE);
	memset(&img2, 0x55, sizeof(img2));
	err2 = elf_load(data, size, &fl->lim, &dst, &img2, msg2, sizeof(msg2));
	FUZZ_CHECK(err2 == err, "%s: elf_check %u but elf_load %u (%s)", fl->name, err, err2, msg2);
	check_msg(msg2, sizeof(msg2), err2);
	if (err2 != ELF_OK)
		return;
	FUZZ_CHECK(!memcmp(&img, &img2, sizeof(img)), "%s: elf_check and elf_load images differ",
		   fl->name);
	check_loaded(fl, &dst, &img2, data);
	memset(dst_mem, POISON, DST_SIZE);
	dst_protect(PROT_READ);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dst_mem)
		dst_init();
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		run_one(&limits[i], data, size);
	return 0;
}
