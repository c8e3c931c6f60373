/* The VTL0 runtime in one include: device client, ucalls, console and formatter. */
#ifndef VTL0_H
#define VTL0_H

#include <stdint.h>

#include "console.h"
#include "device.h"
#include "fmt.h"
#include "gl_string.h"
#include "ucall.h"
#include "vtl_boot.h"

/* Called by _start with the monitor's boot info; its return value becomes the exit code. */
int vtl0_main(const struct vtl_boot_info *bi);

#endif
