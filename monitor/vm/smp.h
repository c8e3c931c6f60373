/* SMP: one exit handled at a time across the pairs, quiesce of VTL0's vCPUs, secondary start. */
#ifndef MONITOR_SMP_H
#define MONITOR_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "monitor/vm/machine.h"

/*
 * The model (docs/design.md, "SMP"). Guest code runs in parallel, one host
 * thread per pair; the monitor handles one exit at a time. A pair thread
 * takes the machine's exit lock when its VTL0 vCPU returns from KVM_RUN
 * and keeps it through the whole exit, VTL1 entries included, until it
 * runs VTL0 again. So VTL1 makes one decision at a time (a single decision
 * point: VTL1 needs no locks of its own), and everything the monitor
 * enforces (memslots, pins, the MSR filter, the kexec stage) changes only
 * under the lock. A thread waiting for the lock has read nothing yet: it
 * decides its exit on the state it finds once it holds the lock (an access
 * that the permissions now allow is completed, never reported).
 *
 * Before a change to what VTL0's vCPUs run under (memslots, MSR filter, CR
 * sites, kexec, reset), the owner also quiesces: it kicks every other VTL0
 * vCPU out of KVM_RUN and waits until each thread is parked. None runs
 * guest code until the owner lets go of the lock.
 *
 * With one pair (cfg.cpus == 1) all of this is skipped: nothing to share.
 */

/*
 * Takes the exit lock for an exit of `p`'s VTL0 vCPU whose KVM_RUN began
 * when p->vcpu_gen was `gen`. Returns false when that vCPU was replaced by
 * a reset or kexec meanwhile: the exit is stale and must be dropped (the
 * lock is held either way).
 */
bool smp_exit_begin(struct vcpu_pair *p, uint64_t gen);

/* Lets go of the exit lock (and of a quiesce), before `p` runs VTL0 again. */
void smp_exit_end(struct vcpu_pair *p);

/*
 * Held lock only: stops every other VTL0 vCPU (kick, then wait until its
 * thread is parked). Once per hold; they stay stopped until smp_exit_end().
 */
void smp_quiesce(struct vcpu_pair *p);

/*
 * Held lock only: waits (parked, lock released meanwhile) until `p` may
 * run VTL0. Returns false when the run ended first.
 */
bool smp_wait_started(struct vcpu_pair *p);

/*
 * VTL0_REG_CPU_START from `p`: start the secondary named by the block at
 * `block_gpa` (vtl_device.h). Held lock only. Returns the status for
 * CALL_STATUS: VTL_OK, VTL_E_INVALID (bad cpu, reserved bits, non-canonical
 * address), VTL_E_BAD_STATE (already started, or a Linux VTL0, which starts
 * its CPUs by INIT/SIPI), VTL_E_BAD_ADDRESS (unreadable block),
 * VTL_E_NO_RESOURCES (KVM refused the register state).
 */
uint32_t smp_cpu_start(struct vcpu_pair *p, uint64_t block_gpa, uint32_t len);

/*
 * Whether pair `index` runs from the launch, a reset or a kexec: vCPU 0,
 * and a Linux VTL0's secondaries (they wait for INIT/SIPI inside KVM). An
 * own-ABI secondary waits for CPU_START.
 */
static inline bool smp_starts_at_power_on(const struct machine *m, uint32_t index)
{
	return index == 0 || m->cfg.kernel;
}

/* After a reset or kexec rebuilt the vCPUs: which pairs may run (smp_starts_at_power_on). */
void smp_after_rebuild(struct machine *m);

/* A pair thread ends: it will never park again. */
void smp_thread_exit(struct vcpu_pair *p);

#endif
