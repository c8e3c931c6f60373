/* The Intel MultiProcessor Specification 1.4 table that tells Linux where its CPU and IOAPIC are.
 */
#ifndef MONITOR_X86_MPTABLE_H
#define MONITOR_X86_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#define MPTABLE_LAPIC_ADDR  0xFEE00000U
#define MPTABLE_IOAPIC_ADDR 0xFEC00000U
#define MPTABLE_ISA_IRQS    16U /* ISA IRQ n -> IOAPIC pin n, as KVM's in-kernel IOAPIC wires them */
#define MPTABLE_MAX_CPUS    16U

/*
 * Bytes the table needs for cpus processors: the floating pointer (16), the
 * configuration table header (44), one processor entry per CPU (20 each), the
 * ISA bus, the IOAPIC, one I/O interrupt entry per ISA IRQ and the two local
 * interrupt entries (8 each).
 */
size_t mptable_size(uint32_t cpus);

/*
 * Writes the floating pointer and the configuration table right after it,
 * both with valid checksums, for a table placed at guest physical address
 * gpa (the pointer names the configuration table by its address). Returns
 * the bytes written, or 0 when cpus is 0 or above MPTABLE_MAX_CPUS, or when
 * the table does not fit in len.
 */
size_t mptable_write(uint8_t *buf, size_t len, uint32_t gpa, uint32_t cpus);

/* The 8-bit sum of len bytes: 0 for a valid MP structure. */
uint8_t mptable_checksum(const uint8_t *p, size_t len);

#endif
