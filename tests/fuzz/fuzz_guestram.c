/* libFuzzer target: bounds-checked guest RAM access (mem.c), strings read from guest RAM above all.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "monitor/base/mem.h"

/*
 * Input layout (zero past the end):
 *   u8 mode: bit 0 places the base at a raw u64 (else 0 or a page above 4 GiB),
 *            bit 1 takes the GPA raw (else base + offset near either end),
 *            bit 2 takes the length raw (else small), bit 3 unmaps RAM (hva 0).
 *   u64 base, u16 size (1..FUZZ_RAM_MAX bytes), u64 gpa, u64 len, u16 max
 *   (the string buffer, 0..FUZZ_STR_MAX), then RAM's bytes (the rest is zero).
 * RAM and every destination are heap buffers of exactly their size, so ASan
 * sees a read or write one byte past them. The reference is exact 128-bit
 * arithmetic on the documented contract (mem.h).
 */
#define FUZZ_RAM_MAX 8192u
#define FUZZ_STR_MAX 600u

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	FUZZ_CHECK(p != NULL, "malloc");
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t mode = fuzz_u8(&in);
	uint64_t base = fuzz_u64(&in);
	uint64_t rsize = fuzz_u16(&in) % FUZZ_RAM_MAX + 1;
	uint64_t g = fuzz_u64(&in), len = fuzz_u64(&in);
	size_t max = fuzz_u16(&in) % (FUZZ_STR_MAX + 1);
	struct guest_ram ram = {.name = "fuzz", .memfd = -1};
	uint8_t *mem = xmalloc(rsize), *copy = xmalloc(rsize), *buf;
	bool inside, start_inside;
	char *dst;
	long n;

	if (!(mode & 1))
		base = base & 1 ? 0x100000000ULL : 0;
	if (!(mode & 2)) {
		/* Offsets around the start and the end of RAM, where the checks decide. */
		uint64_t off = g % 64;

		g = g & 0x100 ? base + rsize - off : base + off - (g & 0x200 ? 32 : 0);
	}
	if (!(mode & 4))
		len %= 80;
	fuzz_take(&in, mem, rsize);
	memcpy(copy, mem, rsize);
	ram.hva.v = mode & 8 ? 0 : (uintptr_t)mem;
	ram.gpa_base = base;
	ram.size = rsize;

	inside = fuzz_range_inside(g, len, base, rsize);
	start_inside = fuzz_range_inside(g, 1, base, rsize);
	FUZZ_CHECK(guest_ram_contains(&ram, gpa(g), len) == inside,
		   "contains(0x%llx, %llu) in [0x%llx, +%llu)", (unsigned long long)g,
		   (unsigned long long)len, (unsigned long long)base, (unsigned long long)rsize);
	FUZZ_CHECK(range_within(g, len, base, rsize) == inside, "range_within");

	/* A pointer only for a range inside mapped RAM, and the right one. */
	{
		void *p = guest_ram_ptr(&ram, gpa(g), len);

		if (!inside || !ram.hva.v)
			FUZZ_CHECK(p == NULL, "pointer for an unmapped or outside range");
		else
			FUZZ_CHECK(p == mem + (g - base), "pointer off by %lld",
				   (long long)((uint8_t *)p - (mem + (g - base))));
	}

	/* Copies: all or nothing, never outside [g, g + len). */
	if (len <= FUZZ_RAM_MAX) {
		buf = xmalloc(len);
		memset(buf, 0xA5, len);
		if (guest_ram_read(&ram, gpa(g), buf, len)) {
			FUZZ_CHECK(!inside || !ram.hva.v, "read of a range inside RAM failed");
		} else {
			FUZZ_CHECK(inside && ram.hva.v, "read outside RAM succeeded");
			FUZZ_CHECK(!memcmp(buf, mem + (g - base), len), "read the wrong bytes");
		}
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)(i * 7 + 1);
		if (guest_ram_write(&ram, gpa(g), buf, len)) {
			FUZZ_CHECK(!inside || !ram.hva.v, "write of a range inside RAM failed");
			FUZZ_CHECK(!memcmp(copy, mem, rsize), "a failed write changed RAM");
		} else {
			FUZZ_CHECK(inside && ram.hva.v, "write outside RAM succeeded");
			memcpy(copy + (g - base), buf, len);
			FUZZ_CHECK(!memcmp(copy, mem, rsize), "write changed other bytes");
		}
		free(buf);
	}

	/*
	 * guest_ram_read_str: -1 for max 0 or a start outside RAM (then dst[0]
	 * is NUL when there is room for it); otherwise n < max bytes of RAM with
	 * no NUL among them, NUL-terminated, stopped by a NUL, the end of RAM or
	 * the buffer.
	 */
	dst = xmalloc(max);
	memset(dst, 'Z', max ? max : 1);
	n = guest_ram_read_str(&ram, gpa(g), dst, max);
	if (!max) {
		FUZZ_CHECK(n == -1, "max 0 read %ld", n);
	} else if (!start_inside || !ram.hva.v) {
		FUZZ_CHECK(n == -1 && dst[0] == '\0', "start outside RAM: %ld", n);
	} else {
		uint64_t off = g - base, avail = rsize - off;

		FUZZ_CHECK(n >= 0 && (size_t)n < max, "read %ld into %zu", n, max);
		FUZZ_CHECK(dst[n] == '\0', "not terminated");
		FUZZ_CHECK((uint64_t)n <= avail, "read %ld of %llu bytes left in RAM", n,
			   (unsigned long long)avail);
		FUZZ_CHECK(!memchr(mem + off, 0, (size_t)n) && !memcmp(dst, mem + off, (size_t)n),
			   "the string is not RAM's bytes");
		FUZZ_CHECK((size_t)n == max - 1 || (uint64_t)n == avail || mem[off + n] == 0,
			   "stopped at %ld with room, RAM and no NUL", n);
	}
	free(dst);
	free(copy);
	free(mem);
	return 0;
}
