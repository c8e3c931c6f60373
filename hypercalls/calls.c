/* VTL0->VTL1 call table and the monitor's checks on a call block before VTL1 sees it. */
#include "hypercalls/calls.h"

#include "hypercalls/range.h"
#include "vtl_layout.h"

const char *call_name(uint32_t nr)
{
	return vtl_call_name(nr);
}

enum vtl_status call_check_gpa(uint64_t gpa, uint32_t write_len, uint64_t ram_size)
{
	/* A narrower store would leave the GPA's upper half to chance. */
	if (write_len != sizeof(uint64_t))
		return VTL_E_INVALID;
	if (gpa & (VTL_CALL_BLOCK_ALIGN - 1))
		return VTL_E_BAD_ADDRESS;
	if (!range_within(gpa, VTL_CALL_BLOCK_SIZE, 0, ram_size))
		return VTL_E_BAD_ADDRESS;
	/* Implied by the alignment today; kept so a future size change cannot break it. */
	if ((gpa & (VTL_PAGE_SIZE - 1)) + VTL_CALL_BLOCK_SIZE > VTL_PAGE_SIZE)
		return VTL_E_BAD_ADDRESS;
	return VTL_OK;
}

enum vtl_status call_check_block(const struct vtl_call_block *blk)
{
	if (blk->flags || blk->reserved)
		return VTL_E_INVALID;
	return VTL_OK;
}
