/* Building the machine: both VMs over shared VTL0 RAM, the vCPU pairs, the images, boot state. */
#ifndef MONITOR_VM_BUILD_H
#define MONITOR_VM_BUILD_H

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
void machine_fill_boot_info(struct machine *m, int vtl, uint32_t vcpu_index);
/* Page tables, GDT/TSS/IDT and the long-mode entry state of a VTL at its image's entry. */
int machine_boot_vtl(struct machine *m, int vtl);
/* Images, modules, policy and boot state: at launch and after every reset. 0 or a status. */
int machine_load_guests(struct machine *m);

#endif
