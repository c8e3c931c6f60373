/* ELF64 image loader (libelf): validates hostile x86-64 images, copies PT_LOADs into guest RAM. */
#ifndef VTLMON_ELF_LOAD_H
#define VTLMON_ELF_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtl_boot.h"

/* Every rejection has its own code so that callers and tests can tell them apart. */
enum elf_err {
	ELF_OK = 0,
	ELF_E_LIBELF,		 /* libelf failed (includes malformed section headers) */
	ELF_E_NOT_ELF,		 /* bad magic or not an ELF object */
	ELF_E_CLASS,		 /* not ELFCLASS64 */
	ELF_E_ENDIAN,		 /* not ELFDATA2LSB */
	ELF_E_VERSION,		 /* e_ident[EI_VERSION] or e_version is not EV_CURRENT */
	ELF_E_MACHINE,		 /* not EM_X86_64 */
	ELF_E_TYPE,		 /* not ET_EXEC */
	ELF_E_TRUNCATED,	 /* ELF header or program header table past the end of the file */
	ELF_E_PHOFF,		 /* program header table overlaps the ELF header */
	ELF_E_PHENTSIZE,	 /* e_phentsize != sizeof(Elf64_Phdr) */
	ELF_E_NO_SEGMENTS,	 /* e_phnum == 0, or no PT_LOAD */
	ELF_E_TOO_MANY_SEGMENTS, /* e_phnum > ELF_MAX_PHNUM or > VTL_BOOT_MAX_SEGMENTS PT_LOADs */
	ELF_E_OFFSET,		 /* [p_offset, p_offset + p_filesz) not inside the file */
	ELF_E_FILESZ,		 /* p_filesz > p_memsz */
	ELF_E_MEMSZ,		 /* p_memsz == 0, or larger than the GPA window */
	ELF_E_OVERFLOW,		 /* p_paddr + p_memsz (or its page round-up) wraps */
	ELF_E_RANGE,		 /* page-rounded segment not inside [min_gpa, max_gpa) */
	ELF_E_VADDR,		 /* p_vaddr != p_paddr + va_offset, or the virtual range wraps */
	ELF_E_OVERLAP,		 /* two PT_LOADs share a page */
	ELF_E_ENTRY,		 /* e_entry not inside an executable PT_LOAD */
	ELF_E_TOO_LARGE,	 /* len > max_file_size */
	ELF_E_DEST,		 /* the destination does not contain [low_gpa, high_gpa) */
	ELF_E_INVAL,		 /* bad arguments or limits (a caller bug, not a bad image) */
	ELF_E_NOMEM,		 /* could not allocate the private copy */
	ELF_E__COUNT,
};

/* Largest e_phnum accepted; real kernels have a handful. */
#define ELF_MAX_PHNUM 64U

/* Never NULL; unknown codes get a generic string. */
const char *elf_strerror(enum elf_err err);

/*
 * The ELF header rules every vtlmon reader shares (the loader, kexec staging,
 * `vtlmon inspect`): magic, ELF64, little-endian, EV_CURRENT, x86-64, and
 * ET_EXEC (or ET_DYN with allow_dyn, for inspection only). Works on the raw
 * bytes, before libelf sees them. ELF_OK, or why not (with a message).
 */
enum elf_err elf_check_header(const void *buf, size_t len, bool allow_dyn, char *msg,
			      size_t msglen);

/*
 * Where an image may load. GPA window [min_gpa, max_gpa), min_gpa < max_gpa.
 * va_offset: p_vaddr must equal p_paddr + va_offset (wrapping) for every
 * PT_LOAD: 0 for VTL0 (identity), VTL1_KERNEL_VA - VTL1_PRIV_GPA for VTL1.
 * The caller keeps the boot area out of the window (min_gpa >= base +
 * VTL_IMAGE_MIN_OFFSET). max_file_size == 0 means no limit.
 * entry_physical: e_entry is a physical address (a Linux vmlinux's
 * startup_64); it must lie in an executable PT_LOAD once va_offset is added,
 * and elf_image.entry is then physical too.
 * zero_vaddr_ok: a non-executable PT_LOAD may have p_vaddr 0 instead (an SMP
 * x86-64 vmlinux links its per-CPU section zero-based: PERCPU_VADDR(..., 0,
 * :percpu) in arch/x86/kernel/vmlinux.lds.S); it still loads at p_paddr.
 */
struct elf_limits {
	uint64_t min_gpa, max_gpa, va_offset;
	uint64_t max_file_size;
	bool entry_physical;
	bool zero_vaddr_ok;
};

/*
 * The destination: a host mapping of guest RAM [base_gpa, base_gpa + size) at
 * hva. zeroed: the caller knows all of it reads as zero (a new or punched
 * memfd), so the loader writes no zeros for bss and page slack: writing them
 * would make every bss page resident (VTL1's 768 KiB page table, most of it
 * never touched).
 */
struct elf_dest {
	uint64_t base_gpa;
	uint64_t size;
	uint8_t *hva;
	bool zeroed;
};

struct elf_image {
	uint64_t entry; /* e_entry: virtual, or physical with elf_limits.entry_physical */
	uint32_t nr_segments;
	/* In program header order. gpa = p_paddr rounded down to 4 KiB, size
	 * rounded out to whole pages, flags = p_flags & 7 (VTL_SEG_*). */
	struct vtl_segment segments[VTL_BOOT_MAX_SEGMENTS];
	uint64_t low_gpa, high_gpa; /* page-rounded span of all segments [low, high) */
};

/*
 * Parse and validate only. Segment numbers in messages are program header
 * indexes. PT_LOADs with p_memsz == 0 are rejected (ELF_E_MEMSZ): nothing
 * legitimate needs them and skipping would leave their other fields
 * unchecked. Non-PT_LOAD headers are ignored. The ELF and program headers
 * are copied privately first and parsed from that copy, so a buffer that
 * changes under us cannot confuse the parser; the rest of buf is not copied
 * (a vmlinux is 12 MiB). out (may be NULL) is zeroed on error; msg (may be NULL) gets a
 * one-line reason, or "" on success.
 */
enum elf_err elf_check(const void *buf, size_t len, const struct elf_limits *lim,
		       struct elf_image *out, char *msg, size_t msglen);

/* A PT_LOAD's bytes in the file: [offset, offset + filesz) go to paddr. */
struct elf_file_run {
	uint64_t offset, filesz, paddr;
};

/*
 * elf_check on the first head_len bytes of a file_len-byte file, for a loader
 * that streams the file instead of holding it (a Linux --kernel): every
 * offset is checked against file_len, and the ELF and program headers must
 * lie in the head (ELF_E_TRUNCATED if they do not). runs (may be NULL) gets
 * each PT_LOAD's file bytes, in out->segments' order. ELF_E_INVAL if
 * head_len > file_len.
 */
enum elf_err elf_check_head(const void *head, size_t head_len, size_t file_len,
			    const struct elf_limits *lim, struct elf_image *out,
			    struct elf_file_run runs[VTL_BOOT_MAX_SEGMENTS], char *msg,
			    size_t msglen);

/*
 * elf_check, then [low_gpa, high_gpa) must lie inside dst. Copies p_filesz
 * bytes of each PT_LOAD to p_paddr and zeroes the rest of its page-rounded
 * span (bss and rounding slack). Nothing is written unless the whole image
 * validates. The segment bytes are read from buf once, at the offsets the
 * checked headers give: buf must be the caller's own (a file it read, or
 * its private copy of guest RAM), or what is loaded is not what it measured.
 */
enum elf_err elf_load(const void *buf, size_t len, const struct elf_limits *lim,
		      const struct elf_dest *dst, struct elf_image *out, char *msg, size_t msglen);

#endif
