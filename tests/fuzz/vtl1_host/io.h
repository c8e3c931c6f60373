/* Host shim for guestlib/io.h: VTL1's port and MMIO accesses become calls into the fuzz harness. */
#ifndef GL_IO_H
#define GL_IO_H

#include <stddef.h>
#include <stdint.h>

/*
 * Built with -Itests/fuzz/vtl1_host ahead of -Iguestlib, so VTL1's sources
 * get this file instead of the real one: each access the guest would make
 * with one instruction is one call, with the same address, width and value.
 */
void vtl1_host_mmio_write(uint64_t addr, uint64_t val, unsigned len);
uint64_t vtl1_host_mmio_read(uint64_t addr, unsigned len);
void vtl1_host_port_write(uint16_t port, const void *buf, size_t len);

static inline void outb(uint16_t port, uint8_t val)
{
	vtl1_host_port_write(port, &val, 1);
}

static inline uint8_t inb(uint16_t port)
{
	(void)port;
	return 0xFF;
}

static inline void outsb(uint16_t port, const void *buf, size_t len)
{
	vtl1_host_port_write(port, buf, len);
}

static inline uint32_t mmio_read32(uint64_t addr)
{
	return (uint32_t)vtl1_host_mmio_read(addr, 4);
}

static inline uint64_t mmio_read64(uint64_t addr)
{
	return vtl1_host_mmio_read(addr, 8);
}

static inline void mmio_write32(uint64_t addr, uint32_t val)
{
	vtl1_host_mmio_write(addr, val, 4);
}

static inline void mmio_write64(uint64_t addr, uint64_t val)
{
	vtl1_host_mmio_write(addr, val, 8);
}

#endif
