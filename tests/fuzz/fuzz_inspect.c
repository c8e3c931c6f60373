/* libFuzzer target: `vtlmon inspect`'s scanner (inspect_scan, inspect_image) on hostile ELFs. */
#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "monitor/base/file.h"
#include "monitor/cmd/cli.h"
#include "monitor/cmd/inspect_cmd.h"
#include "monitor/image/inspect.h"

#define FUZZ_HITS 8

/*
 * inspect.c also holds `vtlmon inspect`, whose file reading lives in cli.c,
 * which would drag in the whole monitor. The harness never calls
 * inspect_main, so these weak stand-ins only satisfy the linker (the real
 * ones win if cli.c is ever linked in).
 */
__attribute__((weak)) int file_read_all(const char *path, size_t max, void **buf, size_t *len)
{
	FUZZ_CHECK(0, "file_read_all called from the harness");
	return -1;
}

__attribute__((weak)) const char *file_read_strerror(int err)
{
	FUZZ_CHECK(0, "file_read_strerror called from the harness");
	return "";
}

/*
 * The executable PT_LOADs, read by hand in program header order, to check the
 * callbacks against. Gathered at the first segment callback: by then
 * inspect_scan has validated the header and the program header table.
 */
struct scan {
	const uint8_t *data;
	size_t size;
	Elf64_Phdr segs[64];
	size_t nsegs, cur;
	bool collected, in_seg, too_many;
	uint64_t last_va;
	bool any_hit;
	size_t nhits;
};

static void collect_segments(struct scan *s)
{
	Elf64_Ehdr eh;

	memcpy(&eh, s->data, sizeof(eh));
	FUZZ_CHECK(
	    fuzz_range_inside(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), 0, s->size),
	    "accepted file has its program headers outside");
	for (size_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, s->data + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (s->nsegs == sizeof(s->segs) / sizeof(s->segs[0])) {
			s->too_many = true; /* inspect has no such limit; stop checking */
			break;
		}
		s->segs[s->nsegs++] = ph;
	}
	s->collected = true;
}

static void on_segment(void *arg, const struct inspect_segment *seg)
{
	struct scan *s = arg;
	const Elf64_Phdr *ph;

	if (!s->collected)
		collect_segments(s);
	if (s->too_many)
		return;
	FUZZ_CHECK(s->cur < s->nsegs, "segment callback %zu of %zu executable PT_LOADs", s->cur,
		   s->nsegs);
	ph = &s->segs[s->cur++];
	FUZZ_CHECK(seg->vaddr == ph->p_vaddr && seg->filesz == ph->p_filesz &&
		       seg->memsz == ph->p_memsz && seg->flags == ph->p_flags,
		   "segment %zu reported as 0x%llx +0x%llx", s->cur - 1,
		   (unsigned long long)seg->vaddr, (unsigned long long)seg->filesz);
	s->in_seg = true;
	s->any_hit = false;
}

static void on_hit(void *arg, const struct inspect_hit *hit)
{
	struct scan *s = arg;
	const Elf64_Phdr *ph;
	uint64_t off;

	s->nhits++;
	FUZZ_CHECK(hit->kind > DISASM_KIND_NONE && hit->kind < DISASM_KIND_COUNT, "hit kind %u",
		   hit->kind);
	FUZZ_CHECK(hit->aligned == 0 || hit->aligned == 1, "aligned %d", hit->aligned);
	FUZZ_CHECK(hit->len >= 1 && hit->len <= 15, "hit length %zu", hit->len);
	FUZZ_CHECK(fuzz_printable_str(hit->insn, sizeof(hit->insn)), "insn text not terminated");
	if (s->too_many)
		return;
	FUZZ_CHECK(s->in_seg, "hit before any segment");
	ph = &s->segs[s->cur - 1];
	/* Hits lie in the segment's file bytes (bytes past p_filesz hold no code) and are in order.
	 */
	off = hit->va - ph->p_vaddr;
	FUZZ_CHECK(hit->va >= ph->p_vaddr && off < ph->p_filesz && hit->len <= ph->p_filesz - off,
		   "hit at 0x%llx (+%zu) outside segment [0x%llx, +0x%llx)",
		   (unsigned long long)hit->va, hit->len, (unsigned long long)ph->p_vaddr,
		   (unsigned long long)ph->p_filesz);
	FUZZ_CHECK(!memcmp(hit->bytes, s->data + ph->p_offset + off, hit->len),
		   "hit bytes at 0x%llx are not the file's", (unsigned long long)hit->va);
	FUZZ_CHECK(!s->any_hit || hit->va > s->last_va, "hits out of address order");
	s->any_hit = true;
	s->last_va = hit->va;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct inspect_ops ops = {.segment = on_segment, .hit = on_hit};
	struct inspect_hit hits[FUZZ_HITS];
	struct scan s = {.data = data, .size = size};
	char err[256];
	size_t nhits = 99;
	int ret;

	memset(err, 0x55, sizeof(err));
	ret = inspect_scan(data, size, &ops, &s, err, sizeof(err));
	FUZZ_CHECK(ret == 0 || ret == -1, "result %d", ret);
	FUZZ_CHECK(fuzz_printable_str(err, sizeof(err)), "error text not terminated");
	if (ret) {
		FUZZ_CHECK(err[0] != '\0', "failure without a message");
		/* "a bad file produces no partial report" */
		FUZZ_CHECK(s.cur == 0 && s.nhits == 0, "failure after %zu segments, %zu hits",
			   s.cur, s.nhits);
		return 0;
	}
	FUZZ_CHECK(err[0] == '\0', "success with message '%s'", err);
	FUZZ_CHECK(s.too_many || s.cur == s.nsegs,
		   "%zu segment callbacks for %zu executable PT_LOADs", s.cur, s.nsegs);

	/* The array API agrees (scanning is slow, so only for small files). */
	if (size > 4096)
		return 0;
	ret = inspect_image(data, size, hits, FUZZ_HITS, &nhits, err, sizeof(err));
	FUZZ_CHECK(ret == 0 && nhits == s.nhits, "inspect_image: %d, %zu hits; inspect_scan %zu",
		   ret, nhits, s.nhits);
	return 0;
}
