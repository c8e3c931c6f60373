/* Guest ABI: the boot-info struct each VTL receives in RDI at its first instruction. */
#ifndef VTL_BOOT_H
#define VTL_BOOT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Entry state (both VTLs): 64-bit long mode, CPL0, interrupts off, paging on
 * with the monitor's tables at VTL_BOOT_PML4, RSP = base VA + VTL_BOOT_STACK_TOP,
 * RDI = VA of this struct. VTL0's VA equals its GPA. VTL1's own RAM is at
 * VTL1_KERNEL_VA + (gpa - VTL1_PRIV_GPA); VTL0 RAM is identity-mapped for it.
 * All addresses below are GPAs.
 *
 * SMP (`--cpus N`): only vCPU 0 of each VTL starts at launch. A VTL1
 * secondary starts at the same entry the first time the monitor enters it,
 * with RSI = its vCPU index (1..N-1) and RSP = VTL1 base VA +
 * VTL_BOOT_AP_STACK_TOP(index); the monitor enters one VTL1 vCPU at a time.
 * A VTL0 secondary starts when VTL0 asks (VTL0_REG_CPU_START, vtl_device.h).
 * vcpu_index below is always 0: this struct describes the machine.
 */
#define VTL_BOOT_MAGIC	      0x544F4F424C5456ULL /* "VTLBOOT" */
#define VTL_BOOT_MAX_MEM      8
#define VTL_BOOT_MAX_SEGMENTS 16

enum vtl_mem_type {
	VTL_MEM_RAM = 1,	  /* VTL0 RAM, free for the kernel */
	VTL_MEM_BOOT = 2,	  /* monitor-built boot area (tables, boot info, stack) */
	VTL_MEM_DEVICE = 3,	  /* this VM's synthetic MMIO page */
	VTL_MEM_VTL1_PRIVATE = 4, /* VTL1 private RAM (VTL1 only) */
	VTL_MEM_IMAGE = 5,	  /* the loaded image of this VTL */
	VTL_MEM_MODULE = 6,	  /* a file given with `vtlmon run --module`, in order */
};

struct vtl_mem_range {
	uint64_t base;
	uint64_t size;
	uint32_t type; /* enum vtl_mem_type */
	uint32_t reserved;
};
_Static_assert(sizeof(struct vtl_mem_range) == 24, "mem range is 24 bytes");

/* ELF PT_LOAD flags, as in the ELF spec. */
#define VTL_SEG_X 1U
#define VTL_SEG_W 2U
#define VTL_SEG_R 4U

struct vtl_segment {
	uint64_t gpa;
	uint64_t size;	/* memory size, page-rounded outward */
	uint32_t flags; /* VTL_SEG_* */
	uint32_t reserved;
};
_Static_assert(sizeof(struct vtl_segment) == 24, "segment is 24 bytes");

struct vtl_boot_info {
	uint64_t magic; /* VTL_BOOT_MAGIC */
	uint32_t abi_version;
	uint32_t vtl; /* 0 or 1 */
	uint32_t vcpu_index;
	uint32_t nr_vcpus;
	uint64_t device_gpa;
	uint16_t console_port;
	uint16_t reserved0;
	uint32_t nr_mem;
	struct vtl_mem_range mem[VTL_BOOT_MAX_MEM];
	uint64_t vtl0_ram_size;
	uint64_t vtl0_entry;
	/* The VTL0 image's PT_LOAD segments (what VTL1 protects at boot). */
	uint32_t nr_vtl0_segments;
	uint32_t reserved1;
	struct vtl_segment vtl0_segments[VTL_BOOT_MAX_SEGMENTS];
	/* VTL1 only (zero for VTL0). */
	uint64_t vtl1_priv_gpa;
	uint64_t vtl1_priv_size;
	uint64_t vtl1_free_gpa; /* first private page after VTL1's image */
	uint64_t inbox_gpa;	/* struct vtl1_entry */
	uint64_t policy_gpa;
	uint64_t policy_size;
};

_Static_assert(offsetof(struct vtl_boot_info, abi_version) == 8, "abi_version offset");
_Static_assert(offsetof(struct vtl_boot_info, device_gpa) == 24, "device_gpa offset");
_Static_assert(offsetof(struct vtl_boot_info, console_port) == 32, "console_port offset");
_Static_assert(offsetof(struct vtl_boot_info, nr_mem) == 36, "nr_mem offset");
_Static_assert(offsetof(struct vtl_boot_info, mem) == 40, "mem offset");
_Static_assert(offsetof(struct vtl_boot_info, vtl0_ram_size) == 232, "vtl0_ram_size offset");
_Static_assert(offsetof(struct vtl_boot_info, nr_vtl0_segments) == 248, "segments count offset");
_Static_assert(offsetof(struct vtl_boot_info, vtl0_segments) == 256, "segments offset");
_Static_assert(offsetof(struct vtl_boot_info, vtl1_priv_gpa) == 640, "vtl1 fields offset");
_Static_assert(sizeof(struct vtl_boot_info) == 688, "boot info is 688 bytes");

#endif
