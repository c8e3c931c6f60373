/* Building the machine: both VMs over shared VTL0 RAM, the vCPU pairs, the images, boot state. */
#ifndef MONITOR_VM_BUILD_H
#define MONITOR_VM_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/vm/machine.h"

/* The KVM capabilities vtlmon cannot work without; -1 (logged) if one is missing. */
int machine_check_caps(struct machine *m);
/* --mem, --vtl1-mem, --cpus, --module counts within their limits; -1 (logged) if not. */
int machine_check_config(const struct machine_config *cfg);
/* No --policy: the built-in default (policy/examples/default.policy). */
void machine_default_policy(struct machine *m);
/*
 * The monitor's own compile of the policy (the one VTL1 parses decides):
 * errors as FILE:LINE:COL, reset settings, and a refusal of what this host
 * cannot honour. -1 (logged) if refused.
 */
int machine_check_policy(struct machine *m);
/* One VM: VTL0's (RAM through the permission engine) or VTL1's (VTL0 RAM + its private RAM). */
int machine_create_vm(struct machine *m, int vtl);
int machine_create_vms(struct machine *m);
/* A new vCPU of that VTL for the pair, with KVM's power-on state and sync regs on. */
int machine_create_vcpu(struct machine *m, struct vcpu_pair *p, int vtl);
int machine_create_vcpus(struct machine *m, struct vcpu_pair *p);
int machine_create_pairs(struct machine *m);
/* Boot info for a VTL (VTL1's describes the VTL0 image it protects). */
void machine_fill_boot_info(struct machine *m, int vtl);
/* Page tables, GDT/TSS/IDT and the long-mode entry state of a VTL at its image's entry. */
int machine_boot_vtl(struct machine *m, int vtl);
/*
 * A Linux kernel to boot as VTL0: the --kernel file at launch and reset
 * (kernel NULL: streamed from file, see struct file_input), a staged copy at
 * kexec (all len bytes in kernel).
 */
struct linux_source {
	const uint8_t *kernel;
	size_t len;
	const struct file_input *file;
	const char *name; /* for messages, the boot event and VTL0's image name */
	bool kexec;	  /* the command line gets LINUX_KEXEC_CMDLINE */
};

/*
 * Whether machine_load_linux() would take src: the kernel, its command line
 * and the launch's initrd all fit this VTL0 (nothing is written). -1 with the
 * reason in why (not logged: at kexec the image is VTL0's) if not.
 */
int machine_check_linux(struct machine *m, const struct linux_source *src, char *why,
			size_t whylen);
/*
 * Loads a Linux kernel into VTL0 RAM by the 64-bit boot protocol, with the
 * launch's command line and initrd: kernel, zero page, command line, initrd,
 * MP table; resets the UART. The vCPU is programmed by linux_boot_vcpu(). -1
 * (logged) if src is refused.
 */
int machine_load_linux(struct machine *m, const struct linux_source *src);
/* Images, modules, policy and boot state: at launch and after every reset. 0 or a status. */
int machine_load_guests(struct machine *m);

#endif
