/* Overflow-safe range containment, for every check on a guest-supplied address and length. */
#ifndef HYPERCALLS_RANGE_H
#define HYPERCALLS_RANGE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * True if [addr, addr+len) lies inside [base, base+size), with no overflow
 * anywhere. Here, below the monitor, so that the pure checks of hypercalls/
 * depend on nothing in monitor/ (tests/check-layers.sh).
 */
static inline bool range_within(uint64_t addr, uint64_t len, uint64_t base, uint64_t size)
{
	return addr >= base && addr - base <= size && len <= size - (addr - base);
}

#endif
