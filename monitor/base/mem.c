/* Guest RAM regions: memfd-backed, shared mappings, bounds-checked access. */
#include "monitor/base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "monitor/base/log.h"

int guest_ram_create(struct guest_ram *ram, const char *name, uint64_t gpa_base, uint64_t size)
{
	void *p;

	memset(ram, 0, sizeof(*ram));
	ram->name = name;
	ram->gpa_base = gpa_base;
	ram->size = size;
	ram->memfd = memfd_create(name, MFD_CLOEXEC);
	if (ram->memfd < 0) {
		log_err("memfd_create %s: %s", name, strerror(errno));
		goto err;
	}
	if (ftruncate(ram->memfd, (off_t)size) < 0) {
		log_err("ftruncate %s to %llu bytes: %s", name, (unsigned long long)size,
			strerror(errno));
		goto err_close;
	}
	/* MAP_SHARED: both VMs map the same pages (measured: each sees the other's writes). */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, ram->memfd, 0);
	if (p == MAP_FAILED) {
		log_err("mmap %s: %s", name, strerror(errno));
		goto err_close;
	}
	/* Guest memory (VTL1 secrets) has no business in a core dump. */
	madvise(p, size, MADV_DONTDUMP);
	ram->hva.v = (uintptr_t)p;
	return 0;

err_close:
	close(ram->memfd);
err:
	ram->memfd = -1;
	return -1;
}

int guest_ram_prealloc(struct guest_ram *ram)
{
	/*
	 * Without this, pages are allocated when first touched, so a host short of
	 * memory (a memory cgroup, say) lets a large VM launch and then kills it
	 * mid-run with no `exit` event. fallocate() asks for every page now and
	 * fails with ENOMEM or ENOSPC instead (QEMU's -mem-prealloc touches them).
	 */
	if (fallocate(ram->memfd, 0, 0, (off_t)ram->size)) {
		log_err("cannot preallocate %llu MiB of %s (--mem-prealloc): %s",
			(unsigned long long)(ram->size >> 20), ram->name, strerror(errno));
		return -1;
	}
	ram->prealloc = true;
	return 0;
}

void guest_ram_destroy(struct guest_ram *ram)
{
	if (ram->hva.v)
		munmap((void *)ram->hva.v, ram->size);
	ram->hva.v = 0;
	if (ram->memfd >= 0)
		close(ram->memfd);
	ram->memfd = -1;
}

bool guest_ram_contains(const struct guest_ram *ram, gpa_t g, uint64_t len)
{
	return range_within(g.v, len, ram->gpa_base, ram->size);
}

void *guest_ram_ptr(const struct guest_ram *ram, gpa_t g, uint64_t len)
{
	if (!ram->hva.v || !guest_ram_contains(ram, g, len))
		return NULL;
	return (uint8_t *)ram->hva.v + (g.v - ram->gpa_base);
}

int guest_ram_read(const struct guest_ram *ram, gpa_t g, void *dst, uint64_t len)
{
	const void *p = guest_ram_ptr(ram, g, len);

	if (!p)
		return -1;
	memcpy(dst, p, len);
	return 0;
}

int guest_ram_write(const struct guest_ram *ram, gpa_t g, const void *src, uint64_t len)
{
	void *p = guest_ram_ptr(ram, g, len);

	if (!p)
		return -1;
	memcpy(p, src, len);
	return 0;
}

long guest_ram_read_str(const struct guest_ram *ram, gpa_t g, char *dst, size_t max)
{
	const char *p;
	uint64_t avail;
	size_t n;

	if (!max)
		return -1;
	dst[0] = '\0';
	p = guest_ram_ptr(ram, g, 1);
	if (!p)
		return -1;
	avail = ram->size - (g.v - ram->gpa_base);
	/* The guest may change the bytes while we read: copy once, bounded, then terminate. */
	for (n = 0; n + 1 < max && n < avail; n++) {
		char c = p[n];

		if (!c)
			break;
		dst[n] = c;
	}
	dst[n] = '\0';
	return (long)n;
}

void guest_ram_zero(struct guest_ram *ram)
{
	/*
	 * Punching the whole file returns the pages to the kernel: cheaper than
	 * memset, but preallocated RAM keeps its pages (the shortage must not come
	 * back at the next touch).
	 */
	if (ram->prealloc ||
	    fallocate(ram->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t)ram->size))
		memset((void *)ram->hva.v, 0, ram->size);
}
