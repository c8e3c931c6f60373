/* The pair's I/O ports: the console (one line per VTL, sanitised) and the PC reset register 0xCF9.
 */
#ifndef MONITOR_VM_PORTS_H
#define MONITOR_VM_PORTS_H

#include <stdint.h>

#include "monitor/kvm/exit.h"
#include "monitor/vm/machine.h"

/* Ends the VTL's current console line: printed with its [vtlN] prefix and a `console` event. */
void ports_console_flush(struct vcpu_pair *p, int vtl);
/* Guest bytes into the VTL's console line; non-printable bytes become '?'. */
void ports_console_bytes(struct vcpu_pair *p, int vtl, const uint8_t *b, uint32_t len);
/* A PIO exit of either VTL: console, 0xCF9 (VTL0 only), else reads float high. */
void ports_pio(struct vcpu_pair *p, struct vcpu *v, const struct vexit *x);

#endif
