/* Runs one vCPU of a pair to its next exit, decoded; kicks come back as VEXIT_INTR. */
#ifndef MONITOR_VM_VCPU_EXIT_H
#define MONITOR_VM_VCPU_EXIT_H

#include "monitor/kvm/exit.h"
#include "monitor/vm/machine.h"

/*
 * KVM_RUN of `v` and exit_decode() of its kvm_run. Returns 0 with the exit in
 * *x (VEXIT_INTR after a kick, which is consumed), or -1 when KVM_RUN failed:
 * then the run has ended (monitor error).
 */
int vcpu_exit_next(struct vcpu_pair *p, struct vcpu *v, struct vexit *x);

#endif
