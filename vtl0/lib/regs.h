/* CR4 and MSR reads, and the bits and indices the VTL0 test guests pin, then attack. */
#ifndef VTL0_REGS_H
#define VTL0_REGS_H

#include <stdint.h>

/* OSXMMEXCPT is set at boot, and harmless to lose for a general-regs-only guest. */
#define CR4_OSXMMEXCPT (1ULL << 10)
#define CR4_SMEP       (1ULL << 20)

#define MSR_STAR  0xC0000081U
#define MSR_LSTAR 0xC0000082U
#define MSR_CSTAR 0xC0000083U

static inline uint64_t read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return (uint64_t)hi << 32 | lo;
}

#endif
