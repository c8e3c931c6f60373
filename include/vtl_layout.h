/* Guest ABI: fixed guest-physical and virtual layout shared by the monitor, VTL0 and VTL1. */
#ifndef VTL_LAYOUT_H
#define VTL_LAYOUT_H

#include <stdint.h>

#define VTL_PAGE_SIZE	    0x1000ULL
#define VTL_LARGE_PAGE_SIZE 0x200000ULL

/*
 * VTL0 RAM is GPA [0, ram_size) in both VMs. Its upper bound stays below the
 * MMIO hole so that the synthetic devices never alias RAM.
 */
#define VTL0_RAM_MIN	    (4ULL << 20)
#define VTL0_RAM_MAX	    (3ULL << 30)
#define VTL_MMIO_HOLE_START 0xC0000000ULL

/* One page of synthetic MMIO per VM (outside RAM, inside the identity map). */
#define VTL0_DEVICE_GPA 0xFEB00000ULL
#define VTL1_DEVICE_GPA 0xFEB01000ULL
#define VTL_DEVICE_SIZE VTL_PAGE_SIZE

/* Each VTL writes its console bytes to this port; `rep outsb` is one exit. */
#define VTL_CONSOLE_PORT 0x3F8

/* PC reset control register: a VTL0 write with RST_CPU set resets the guest. */
#define VTL_RESET_PORT	       0xCF9
#define VTL_RESET_PORT_RST_CPU 0x04

/*
 * VTL1 private RAM: mapped only in VTL1's VM, at 4 GiB, so no VTL0 memslot
 * can ever cover it. VTL1 code is linked with -mcmodel=kernel and sees this
 * RAM at VTL1_KERNEL_VA; VTL0 RAM is identity-mapped (and non-executable)
 * in VTL1's page tables.
 */
#define VTL1_PRIV_GPA  0x100000000ULL
#define VTL1_KERNEL_VA 0xFFFFFFFF80000000ULL
#define VTL1_PRIV_MIN  (4ULL << 20)
#define VTL1_PRIV_MAX  (1ULL << 30)

/*
 * Boot area: the first 1 MiB of each VTL's base region (GPA 0 for VTL0,
 * VTL1_PRIV_GPA for VTL1) is built by the monitor. Offsets are relative to
 * that base. Images must load at or above VTL_IMAGE_MIN_OFFSET.
 */
#define VTL_BOOT_PML4	    0x1000ULL
#define VTL_BOOT_PDPT_LOW   0x2000ULL /* identity map of GPA [0, 4 GiB) */
#define VTL_BOOT_PD_LOW	    0x3000ULL /* four pages: 0x3000..0x6fff, 2 MiB pages */
#define VTL_BOOT_GDT	    0x7000ULL
#define VTL_BOOT_TSS	    0x8000ULL
#define VTL_BOOT_IDT	    0x9000ULL  /* all gates not present until the guest loads its own */
#define VTL_BOOT_INFO	    0xA000ULL  /* struct vtl_boot_info */
#define VTL_BOOT_PDPT_HIGH  0xB000ULL  /* VTL1 only: maps VTL1_KERNEL_VA */
#define VTL_BOOT_PD_HIGH    0xC000ULL  /* VTL1 only: 2 MiB pages over private RAM */
#define VTL_BOOT_INBOX	    0xD000ULL  /* VTL1 only: struct vtl1_entry */
#define VTL_BOOT_POLICY	    0x10000ULL /* VTL1 only: policy bytes */
#define VTL_BOOT_POLICY_MAX 0x10000ULL
/* VTL1 only: the stacks of its secondary vCPUs (1..VTL_MAX_CPUS-1), 16 KiB each. */
#define VTL_BOOT_AP_STACKS	   0x20000ULL
#define VTL_BOOT_AP_STACK_SIZE	   0x4000ULL
#define VTL_BOOT_AP_STACK_TOP(cpu) (VTL_BOOT_AP_STACKS + (uint64_t)(cpu)*VTL_BOOT_AP_STACK_SIZE)
/* The most vCPUs a machine has (`--cpus`). */
#define VTL_MAX_CPUS	      8
#define VTL_BOOT_STACK_BOTTOM 0x40000ULL
#define VTL_BOOT_STACK_TOP    0x80000ULL
#define VTL_IMAGE_MIN_OFFSET  0x100000ULL
_Static_assert(VTL_BOOT_POLICY + VTL_BOOT_POLICY_MAX <= VTL_BOOT_STACK_BOTTOM,
	       "the largest policy ends below VTL1's boot stack");
_Static_assert(VTL_BOOT_STACK_TOP <= VTL_IMAGE_MIN_OFFSET, "the boot area ends below any image");
_Static_assert(VTL_BOOT_POLICY + VTL_BOOT_POLICY_MAX <= VTL_BOOT_AP_STACKS &&
		   VTL_BOOT_AP_STACK_TOP(VTL_MAX_CPUS - 1) <= VTL_BOOT_STACK_BOTTOM,
	       "VTL1's secondary stacks lie between the policy and the boot stack");

/* GDT selectors the monitor installs (flat 64-bit code, data, busy TSS). */
#define VTL_SEL_CODE 0x08
#define VTL_SEL_DATA 0x10
#define VTL_SEL_TSS  0x18

#endif
