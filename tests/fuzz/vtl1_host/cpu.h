/* Host shim for guestlib/cpu.h: hlt() ends the fuzz run instead of parking the vCPU. */
#ifndef GL_CPU_H
#define GL_CPU_H

#include <stdint.h>

/* Never returns: the harness longjmps back to the start of the run. */
__attribute__((noreturn)) void vtl1_host_halt(void);

static inline void hlt(void)
{
	vtl1_host_halt();
}

#endif
