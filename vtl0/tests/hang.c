/* Test guest: prints one line, then spins forever without exits (for --timeout). */
#include "vtl0.h"

int vtl0_main(const struct vtl_boot_info *bi)
{
	console_puts("hang: spinning forever\n");
	for (;;)
		__asm__ volatile("" : : : "memory");
}
