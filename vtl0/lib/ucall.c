/* ucall: fills one static struct vtl_ucall and hands its GPA to the device. */
#include "ucall.h"

#include <stdarg.h>

#include "device.h"
#include "fmt.h"
#include "smp.h"

/* One per vCPU, so that secondaries may report at once (smp.h). */
static struct vtl_ucall vtl_ucall_bufs[VTL_MAX_CPUS] __attribute__((aligned(64)));
static char vtl_ucall_msgs[VTL_MAX_CPUS][VTL_UCALL_STR_MAX];

void vtl_ucall4(uint32_t cmd, const char *file, uint32_t line, const char *msg, uint64_t a0,
		uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct vtl_ucall *u = &vtl_ucall_bufs[vtl0_cpu()];

	/* VTL0 VA == GPA, so string pointers are already GPAs. */
	u->cmd = cmd;
	u->line = line;
	u->file_gpa = (uintptr_t)file;
	u->msg_gpa = (uintptr_t)msg;
	u->args[0] = a0;
	u->args[1] = a1;
	u->args[2] = a2;
	u->args[3] = a3;
	u->reserved = 0;
	vtl_device_write64(VTL0_REG_UCALL, (uintptr_t)u);
}

void vtl_ucall(uint32_t cmd, const char *file, uint32_t line, const char *msg, uint64_t a0,
	       uint64_t a1)
{
	vtl_ucall4(cmd, file, line, msg, a0, a1, 0, 0);
}

void vtl_ucall_fail(const char *file, uint32_t line, const char *msg, uint64_t a0, uint64_t a1)
{
	vtl_ucall(VTL_UCALL_ASSERT_FAIL, file, line, msg, a0, a1);
	vtl_shutdown(VTL_UCALL_FAIL_CODE);
}

void vtl_ucall_printf(const char *file, uint32_t line, const char *fmt, ...)
{
	char *msg = vtl_ucall_msgs[vtl0_cpu()];
	va_list ap;

	va_start(ap, fmt);
	gl_vsnprintf(msg, VTL_UCALL_STR_MAX, fmt, ap);
	va_end(ap);
	vtl_ucall(VTL_UCALL_PRINT, file, line, msg, 0, 0);
}

void vtl_ucall_done(const char *file, uint32_t line)
{
	vtl_ucall(VTL_UCALL_DONE, file, line, 0, 0, 0);
	vtl_shutdown(0);
}
