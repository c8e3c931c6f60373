/* Guest ABI: register maps of the VTL0 synthetic device and the VTL1 control device. */
#ifndef VTL_DEVICE_H
#define VTL_DEVICE_H

#include <stdint.h>

/*
 * VTL0 device at VTL0_DEVICE_GPA. Every access is one MMIO exit. Registers
 * are naturally aligned and must be accessed at their exact width; other
 * accesses read as all-ones and are ignored on write.
 */
#define VTL0_REG_ID	     0x00 /* R32: VTL0_DEVICE_ID */
#define VTL0_REG_VERSION     0x04 /* R32: VTL_ABI_VERSION */
#define VTL0_REG_FEATURES    0x08 /* R64: VTL_FEAT_* this host enforces */
#define VTL0_REG_CALL	     0x10 /* W64: GPA of a struct vtl_call_block; runs the call */
#define VTL0_REG_CALL_STATUS 0x18 /* R32: status of this vCPU's last CALL write */
#define VTL0_REG_SHUTDOWN    0x20 /* W32: end the run with this exit code (0..63) */
#define VTL0_REG_UCALL	     0x28 /* W64: GPA of a struct vtl_ucall (test reporting) */
#define VTL0_REG_NULL	     0x30 /* W64: ignored; measures the bare exit cost */
#define VTL0_REG_CPU_START   0x38 /* W64: GPA of a struct vtl_cpu_start; status in CALL_STATUS */
#define VTL0_REG_VCPU	     0x40 /* R32: index of the vCPU that reads it (0 = the boot vCPU) */

/*
 * CPU_START (own-ABI guests; a Linux VTL0 starts its CPUs by INIT/SIPI
 * through the in-kernel LAPIC): vCPU `cpu`, which has not run since the
 * launch, a reset or a kexec, starts in the boot entry state (vtl_boot.h:
 * long mode, the monitor's page tables, GDT and TSS, interrupts off) with
 * RIP = rip, RSP = rsp, RDI = arg. The block is read once, with VTL0's own
 * rights. CALL_STATUS: VTL_OK; VTL_E_INVALID for cpu 0, a cpu past
 * nr_vcpus, reserved bits or a non-canonical rip/rsp; VTL_E_BAD_STATE for
 * a cpu that already runs; VTL_E_BAD_ADDRESS for a block VTL0 cannot read.
 */
struct vtl_cpu_start {
	uint32_t cpu;
	uint32_t reserved; /* 0 */
	uint64_t rip;
	uint64_t rsp;
	uint64_t arg;
};
_Static_assert(sizeof(struct vtl_cpu_start) == 32, "cpu start block is 32 bytes");

#define VTL0_DEVICE_ID	0x4D4C5456U /* "VTLM" */
#define VTL1_DEVICE_ID	0x314C5456U /* "VTL1" */
#define VTL_ABI_VERSION 1U

/* Exit codes a guest may request through SHUTDOWN; larger values become 63. */
#define VTL_SHUTDOWN_CODE_MAX 63U

/* VTL1 control device at VTL1_DEVICE_GPA (only in VTL1's VM). */
#define VTL1_REG_ID	  0x00 /* R32: VTL1_DEVICE_ID */
#define VTL1_REG_VERSION  0x04 /* R32: VTL_ABI_VERSION */
#define VTL1_REG_FEATURES 0x08 /* R64: VTL_FEAT_* */
#define VTL1_REG_OPS	  0x10 /* W64: GPA (in VTL1 private RAM) of a struct vtl1_op_list */

/*
 * FEATURES: what the monitor enforces on this host. A bit is set only when
 * the protection is really enforced; see docs/abi.md and `vtlmon caps`.
 */
#define VTL_FEAT_VTL1_ISOLATION (1ULL << 0) /* VTL1 RAM unmapped in VTL0's VM: exact */
#define VTL_FEAT_PERM_READONLY	(1ULL << 1) /* read-only VTL0 pages: exact */
#define VTL_FEAT_PERM_NOACCESS	(1ULL << 2) /* no-access VTL0 pages: exact */
#define VTL_FEAT_PERM_NOEXEC	(1ULL << 3) /* non-executable pages: needs MBEC, absent upstream */
#define VTL_FEAT_MSR_PIN	(1ULL << 4) /* MSR pinning through the MSR filter: exact */
#define VTL_FEAT_CR_PIN_DETECT	(1ULL << 5) /* CR0/CR4 pins checked at exits: bounded latency */
#define VTL_FEAT_CR_PIN_SYNC	(1ULL << 6) /* CR writes intercepted before they happen */
#define VTL_FEAT_CR_SITE_BP	(1ULL << 7) /* declared CR-write sites trapped by breakpoints */

#endif
