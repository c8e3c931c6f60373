/* Guest RAM regions (memfd-backed) and typed guest/host addresses. */
#ifndef MONITOR_MEM_H
#define MONITOR_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hypercalls/range.h" /* range_within(): one overflow-safe check for host and guests */

/*
 * A gpa_t is a guest-physical address and an hva_t a host-virtual one. They
 * are distinct struct types so they cannot be mixed up or dereferenced; the
 * only way from a GPA to a pointer is guest_ram_ptr(), which checks bounds.
 */
typedef struct {
	uint64_t v;
} gpa_t;
typedef struct {
	uintptr_t v;
} hva_t;

static inline gpa_t gpa(uint64_t v)
{
	return (gpa_t){v};
}

struct guest_ram {
	const char *name;
	int memfd;
	hva_t hva;
	uint64_t gpa_base;
	uint64_t size;
	bool prealloc; /* every page allocated at launch: zeroing keeps them */
};

int guest_ram_create(struct guest_ram *ram, const char *name, uint64_t gpa_base, uint64_t size);
/* Allocates every page now (--mem-prealloc): -1 (logged) when the host cannot. */
int guest_ram_prealloc(struct guest_ram *ram);
void guest_ram_destroy(struct guest_ram *ram);
/* A pointer to [g, g+len) in host memory, or NULL unless the whole range is inside `ram`. */
void *guest_ram_ptr(const struct guest_ram *ram, gpa_t g, uint64_t len);
bool guest_ram_contains(const struct guest_ram *ram, gpa_t g, uint64_t len);
/* Copy in or out; -1 (nothing copied) if the range is not entirely inside `ram`. */
int guest_ram_read(const struct guest_ram *ram, gpa_t g, void *dst, uint64_t len);
int guest_ram_write(const struct guest_ram *ram, gpa_t g, const void *src, uint64_t len);
/*
 * Read a NUL-terminated string of at most max-1 bytes. Always terminates
 * `dst`; returns the length, or -1 if the start is outside `ram`.
 */
long guest_ram_read_str(const struct guest_ram *ram, gpa_t g, char *dst, size_t max);
void guest_ram_zero(struct guest_ram *ram);

#endif
