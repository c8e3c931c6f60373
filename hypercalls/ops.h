/* VTL1->monitor op table and the checks on a copied op list before anything is applied. */
#ifndef HYPERCALLS_OPS_H
#define HYPERCALLS_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "vtl1_abi.h"
#include "vtl_status.h"

/*
 * The most VTL0 bytes one MEASURE, VERIFY_SIG or KEXEC_STAGE may cover: it
 * bounds the monitor's work per op, and a kexec image is a VTL0 image, so it
 * is the image size limit too (the monitor's own limit should equal it).
 */
#define OPS_VTL0_RANGE_MAX (64ULL << 20)

struct ops_limits {
	uint64_t vtl0_ram_size;
	uint64_t priv_base;
	uint64_t priv_size;
};

/*
 * Where VTL1 says its list is: 8-byte aligned, header inside private RAM.
 * Returns VTL_E_BAD_ADDRESS otherwise (the monitor cannot even report back).
 */
enum vtl_status ops_check_header_gpa(uint64_t gpa, const struct ops_limits *lim);
/* The count read from the header, and the whole list's extent. */
enum vtl_status ops_check_count(uint64_t gpa, uint32_t count, const struct ops_limits *lim);
/*
 * Every op of the copied list: known code, arguments in range, a terminal op
 * only in last position. On failure *bad is the index of the first bad op.
 */
enum vtl_status ops_check_list(const struct vtl1_op *ops, uint32_t count,
			       const struct ops_limits *lim, uint32_t *bad);
bool op_is_terminal(uint32_t code);
/* Name for events and logs ("set_perms", or "unknown"): vtl1_op_name(), the ABI's table. */
const char *op_name(uint32_t code);

#endif
