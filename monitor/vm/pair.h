/* The per-pair switch loop: runs a VTL0 vCPU and its VTL1 partner on one host thread. */
#ifndef MONITOR_VM_PAIR_H
#define MONITOR_VM_PAIR_H

#include "monitor/vm/machine.h"

/*
 * The pair thread (pthread start routine, arg = struct vcpu_pair *): enters
 * its sandbox, runs the secure launch (pair 0), then VTL0 exits until the
 * run ends.
 */
void *pair_thread(void *arg);

#endif
