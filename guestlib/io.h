/* Port and MMIO accessors: each is exactly one instruction of the stated width. */
#ifndef GL_IO_H
#define GL_IO_H

#include <stddef.h>
#include <stdint.h>

/*
 * The monitor decodes each device access from a single exit, so the width
 * must be exact and the access must never be split, merged or elided: hence
 * volatile asm with the address in a register and a "memory" clobber, which
 * also orders it against the guest's plain stores (a call block, a ucall).
 */
static inline void outb(uint16_t port, uint8_t val)
{
	__asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t val;

	__asm__ volatile("inb %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

/* One `rep outsb` is one exit for the whole buffer. */
static inline void outsb(uint16_t port, const void *buf, size_t len)
{
	__asm__ volatile("rep outsb" : "+S"(buf), "+c"(len) : "d"(port) : "memory");
}

static inline uint32_t mmio_read32(uint64_t addr)
{
	uint32_t val;

	__asm__ volatile("movl (%1), %0" : "=r"(val) : "r"(addr) : "memory");
	return val;
}

static inline uint64_t mmio_read64(uint64_t addr)
{
	uint64_t val;

	__asm__ volatile("movq (%1), %0" : "=r"(val) : "r"(addr) : "memory");
	return val;
}

static inline void mmio_write32(uint64_t addr, uint32_t val)
{
	__asm__ volatile("movl %0, (%1)" : : "r"(val), "r"(addr) : "memory");
}

static inline void mmio_write64(uint64_t addr, uint64_t val)
{
	__asm__ volatile("movq %0, (%1)" : : "r"(val), "r"(addr) : "memory");
}

#endif
