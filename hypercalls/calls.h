/* VTL0->VTL1 call table and the monitor's checks on a call block before VTL1 sees it. */
#ifndef HYPERCALLS_CALLS_H
#define HYPERCALLS_CALLS_H

#include <stdint.h>

#include "vtl_call.h"
#include "vtl_status.h"

/*
 * The GPA written to VTL0_REG_CALL, by a write of `write_len` bytes: the
 * block must be 64-byte aligned (so it never crosses a page) and lie
 * entirely inside VTL0 RAM [0, ram_size), without overflow.
 */
enum vtl_status call_check_gpa(uint64_t gpa, uint32_t write_len, uint64_t ram_size);
/* The copied block's fixed fields: flags and reserved must be zero. */
enum vtl_status call_check_block(const struct vtl_call_block *blk);
/* Name for events and logs ("nop", "echo", or "unknown"): vtl_call_name(), the ABI's table. */
const char *call_name(uint32_t nr);

#endif
