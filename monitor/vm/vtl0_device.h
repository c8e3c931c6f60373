/* The VTL0 device: VTL calls (copy once, VTL1 decides), ucalls, shutdown, and its read registers.
 */
#ifndef MONITOR_VM_VTL0_DEVICE_H
#define MONITOR_VM_VTL0_DEVICE_H

#include "monitor/kvm/exit.h"
#include "monitor/vm/machine.h"

/* An MMIO write or read inside VTL0_DEVICE_GPA's window (checked by the caller). */
void vtl0_device_write(struct vcpu_pair *p, const struct vexit *x);
void vtl0_device_read(struct vcpu_pair *p, const struct vexit *x);

#endif
