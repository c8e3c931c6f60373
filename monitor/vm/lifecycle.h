/* Reset and kexec: rebuilding VTL0 (and for a reset VTL1) so that nothing of the old state
 * survives. */
#ifndef MONITOR_VM_LIFECYCLE_H
#define MONITOR_VM_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "monitor/vm/machine.h"

/*
 * Reset (pair thread only, with every other pair stopped): drops every VTL0
 * restriction, scrubs and reloads VTL1, zeroes VTL0 RAM if the policy says
 * so, reloads VTL0. The caller then repeats the secure launch. Returns 0, or
 * -1 when the run has ended (reset limit, or a host error).
 */
int machine_reset(struct machine *m, const char *trigger);
/*
 * KEXEC_STAGE and KEXEC_COMMIT: whether an image (hostile bytes, the caller's
 * own copy) is one this VTL0 can boot. With the own ABI an ELF64 image; on the
 * Linux platform (--kernel) a Linux kernel, vmlinux or bzImage, that fits VTL0
 * with the launch's command line and initrd. 0, or -1 with the reason in why.
 */
int machine_kexec_check(struct machine *m, const void *img, size_t len, char *why, size_t whylen);
/*
 * KEXEC_COMMIT: re-measure the staged image against `digest`, drop VTL0's
 * protections and pins, load the image and reset VTL0's vCPU. Returns a
 * vtl_status; on anything but VTL_OK nothing has changed.
 */
uint32_t machine_kexec_commit(struct machine *m, struct vcpu_pair *p, const uint8_t digest[32]);

/*
 * From a pair thread: ask the main thread (machine_wait) for a rebuild and
 * wait until it is done. The pair's vCPUs are stopped meanwhile (this thread
 * runs them). Returns what machine_reset() or the VTL0 rebuild returned.
 */
int machine_request_rebuild(struct machine *m, enum machine_rebuild what, const char *trigger);
/* On the main thread, without m->lock: does the requested rebuild and wakes the pair. */
void machine_do_rebuild(struct machine *m);

#endif
