/* Architectural x86-64 page-table entry bits (SDM vol. 3, 4.5), for the boot tables and the walker.
 */
#ifndef MONITOR_X86_PTE_H
#define MONITOR_X86_PTE_H

#define X86_PTE_P  (1ULL << 0)	/* present */
#define X86_PTE_RW (1ULL << 1)	/* writable */
#define X86_PTE_US (1ULL << 2)	/* user */
#define X86_PTE_PS (1ULL << 7)	/* large page (PDE, PDPTE) */
#define X86_PTE_NX (1ULL << 63) /* execute-disable (with EFER.NXE) */

#endif
