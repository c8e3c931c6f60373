/* Privileged x86-64 helpers shared by both guest kernels (control registers, IDTR, hlt). */
#ifndef GL_CPU_H
#define GL_CPU_H

#include <stdint.h>

struct gl_dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static inline uint64_t read_cr2(void)
{
	uint64_t val;

	__asm__ volatile("mov %%cr2, %0" : "=r"(val));
	return val;
}

static inline uint64_t read_cr3(void)
{
	uint64_t val;

	__asm__ volatile("mov %%cr3, %0" : "=r"(val));
	return val;
}

/* Also flushes non-global TLB entries: the way to publish page-table edits. */
static inline void write_cr3(uint64_t val)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(val) : "memory");
}

static inline void lidt(const void *base, uint16_t limit)
{
	struct gl_dtr dtr = {.limit = limit, .base = (uint64_t)(uintptr_t)base};

	__asm__ volatile("lidt %0" : : "m"(dtr) : "memory");
}

static inline void hlt(void)
{
	__asm__ volatile("hlt" : : : "memory");
}

#endif
