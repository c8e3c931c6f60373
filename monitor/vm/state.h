/* --state-out: the enforcement state at the end of a run (permission map, pins), as JSON. */
#ifndef MONITOR_VM_STATE_H
#define MONITOR_VM_STATE_H

#include <stdio.h>

#include "monitor/vm/machine.h"

/*
 * Opens cfg.state_path at start-up (before any sandbox: the main thread may
 * not open files later). -1 (logged) when it cannot be created.
 */
int machine_state_open(struct machine *m);
/*
 * Writes the state as one JSON object: VTL0's page permissions as VTL1 set
 * them and as the memslots enforce them (ranges of equal pages), the CR and
 * MSR pins, the CR-write sites and the watchdog period, and how the run
 * ended. Called once the pairs have stopped. A failure is logged (the
 * events log, not this file, is the audit trail).
 */
void machine_state_write(struct machine *m, const char *end, int status);
/* The same JSON on f: pure over the machine's state (unit-tested). */
void machine_state_print(FILE *f, const struct machine *m, const char *end, int status);
void machine_state_close(struct machine *m);

#endif
