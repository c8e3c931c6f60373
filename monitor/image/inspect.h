/* `vtlmon inspect`: sensitive-instruction sites (CR, MSR, GDT/IDT/TR writes) in an ELF. */
#ifndef MONITOR_INSPECT_H
#define MONITOR_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "monitor/x86/disasm.h"

/* Larger files are refused rather than read into memory. */
#define INSPECT_MAX_FILE (1ULL << 30)

struct inspect_hit {
	uint64_t va;	       /* guest virtual address of the first byte */
	enum disasm_kind kind; /* never DISASM_KIND_NONE */
	int aligned;	       /* on a linear-sweep boundary (see inspect_scan) */
	size_t len;
	uint8_t bytes[DISASM_MAX_BYTES];
	char insn[DISASM_TEXT_MAX];
};

/* One executable PT_LOAD segment, reported before its hits. */
struct inspect_segment {
	uint64_t vaddr;
	uint64_t filesz;
	uint64_t memsz;
	uint32_t flags;	 /* PF_R | PF_W | PF_X */
	size_t nanchors; /* linear-sweep start points inside the segment */
};

struct inspect_ops {
	void (*segment)(void *arg, const struct inspect_segment *seg); /* may be NULL */
	void (*hit)(void *arg, const struct inspect_hit *hit);
};

/*
 * Scan every executable PT_LOAD segment of an ELF64 x86-64 image (EXEC or
 * DYN). Instructions are decoded at every byte offset, because a jump can
 * land in the middle of another instruction; a hit is "aligned" when it
 * starts on the linear-sweep boundary, where the sweep restarts at the
 * segment start, at every SHF_EXECINSTR section, at the entry point and at
 * every STT_FUNC symbol. Hits come in segment order, then address order.
 * Bytes past p_filesz are zero at run time and hold no instructions.
 * Returns 0, or -1 with a message in err for a malformed or unsupported
 * file; nothing in the file can make it read out of bounds.
 */
int inspect_scan(const void *buf, size_t len, const struct inspect_ops *ops, void *arg, char *err,
		 size_t errlen);

/*
 * inspect_scan into an array: stores the first max hits and sets *nhits to
 * the total found, which may be larger than max (hits may be NULL if max is 0).
 */
int inspect_image(const void *buf, size_t len, struct inspect_hit *hits, size_t max, size_t *nhits,
		  char *err, size_t errlen);

#endif
