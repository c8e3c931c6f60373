/* Scenario guest: prints one line, then spins without ever exiting to the monitor. */
#include "vtl0.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	console_puts("timeout: spinning\n");
	for (;;)
		__asm__ volatile("pause" : : : "memory");
}
