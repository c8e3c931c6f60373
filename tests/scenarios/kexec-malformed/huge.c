/* Scenario kexec image: a well-formed ELF whose 64 MiB .bss cannot fit in 32 MiB of VTL0 RAM. */
#include "vtl0.h"

static uint8_t huge[64U << 20];

int vtl0_main(const struct vtl_boot_info *bi)
{
	huge[0] = 1;
	console_puts("kexec-malformed: the huge kernel ran\n");
	vtl_shutdown(huge[0]);
}
