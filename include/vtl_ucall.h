/* Guest ABI: ucall, the test-guest reporting channel (file:line on failure). */
#ifndef VTL_UCALL_H
#define VTL_UCALL_H

#include <stddef.h>
#include <stdint.h>

/*
 * A guest writes the GPA of a struct vtl_ucall to VTL0_REG_UCALL. The monitor
 * copies it, reads the strings (bounded, NUL-terminated, inside VTL0 RAM)
 * with VTL0's own rights (a string in a page VTL0 cannot read is cut there)
 * and records a "ucall" event. The monitor never ends the run for a ucall:
 * the VTL0 runtime's GUEST_ASSERT shuts down with VTL_UCALL_FAIL_CODE itself
 * after an ASSERT_FAIL.
 */
enum vtl_ucall_cmd {
	VTL_UCALL_DONE = 1,	   /* test finished; args[0] is a summary value */
	VTL_UCALL_ASSERT_FAIL = 2, /* file/line/msg describe the failed check */
	VTL_UCALL_PRINT = 3,	   /* msg is logged as an event */
	VTL_UCALL_CHECKPOINT = 4,  /* args[0] names a step; tests assert the order */
	VTL_UCALL_BENCH_BEGIN = 5, /* args[0] benchmark id, args[1] iterations */
	VTL_UCALL_BENCH_END = 6,   /* args[0] benchmark id */
};

#define VTL_UCALL_STR_MAX   128U
#define VTL_UCALL_FAIL_CODE 42U

struct vtl_ucall {
	uint32_t cmd;
	uint32_t line;
	uint64_t file_gpa; /* 0 or a NUL-terminated string */
	uint64_t msg_gpa;  /* 0 or a NUL-terminated string */
	uint64_t args[4];
	uint64_t reserved;
};
_Static_assert(sizeof(struct vtl_ucall) == 64, "ucall is 64 bytes");
_Static_assert(offsetof(struct vtl_ucall, file_gpa) == 8, "file offset");
_Static_assert(offsetof(struct vtl_ucall, args) == 24, "args offset");

#endif
