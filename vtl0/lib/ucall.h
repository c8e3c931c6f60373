/* Test reporting through VTL0_REG_UCALL, in the style of the KVM selftests' ucalls. */
#ifndef VTL0_UCALL_H
#define VTL0_UCALL_H

#include <stdint.h>

#include "vtl_ucall.h"

void vtl_ucall(uint32_t cmd, const char *file, uint32_t line, const char *msg, uint64_t a0,
	       uint64_t a1);
void vtl_ucall4(uint32_t cmd, const char *file, uint32_t line, const char *msg, uint64_t a0,
		uint64_t a1, uint64_t a2, uint64_t a3);
/* Reports ASSERT_FAIL (the monitor prints it) and shuts down with VTL_UCALL_FAIL_CODE. */
__attribute__((noreturn)) void vtl_ucall_fail(const char *file, uint32_t line, const char *msg,
					      uint64_t a0, uint64_t a1);
/* Formats into a static buffer and reports it as PRINT. */
void vtl_ucall_printf(const char *file, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports DONE and shuts down with exit code 0. */
__attribute__((noreturn)) void vtl_ucall_done(const char *file, uint32_t line);

#define GUEST_ASSERT(cond)                                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			vtl_ucall_fail(__FILE__, __LINE__, "assert: " #cond, 0, 0);                \
	} while (0)

/* args[0] and args[1] carry the two values. */
#define GUEST_ASSERT_EQ(a, b)                                                                      \
	do {                                                                                       \
		uint64_t __ga = (uint64_t)(a), __gb = (uint64_t)(b);                               \
		if (__ga != __gb)                                                                  \
			vtl_ucall_fail(__FILE__, __LINE__, "assert: " #a " == " #b, __ga, __gb);   \
	} while (0)

#define GUEST_FAIL(msg)	    vtl_ucall_fail(__FILE__, __LINE__, (msg), 0, 0)
#define GUEST_PRINT(msg)    vtl_ucall(VTL_UCALL_PRINT, __FILE__, __LINE__, (msg), 0, 0)
#define GUEST_PRINTF(...)   vtl_ucall_printf(__FILE__, __LINE__, __VA_ARGS__)
#define GUEST_CHECKPOINT(n) GUEST_CHECKPOINT_VAL((n), 0)

/* arg0 = step n, arg1 = v: a value (often an address) the host test reads back. */
#define GUEST_CHECKPOINT_VAL(n, v) vtl_ucall(VTL_UCALL_CHECKPOINT, __FILE__, __LINE__, 0, (n), (v))

#define GUEST_BENCH_BEGIN(id, nr)                                                                  \
	vtl_ucall(VTL_UCALL_BENCH_BEGIN, __FILE__, __LINE__, 0, (id), (nr))
#define GUEST_BENCH_END(id) vtl_ucall(VTL_UCALL_BENCH_END, __FILE__, __LINE__, 0, (id), 0)
#define GUEST_DONE()	    vtl_ucall_done(__FILE__, __LINE__)

#endif
