/* VTL0->VTL1 call table and the monitor's checks on a call block before VTL1 sees it. */
#include "hypercalls/calls.h"

#include <stddef.h>

#include "monitor/base/mem.h"
#include "vtl_layout.h"

static const struct {
	uint32_t nr;
	const char *name;
} call_table[] = {
    {VTL_CALL_NOP, "nop"},
    {VTL_CALL_ECHO, "echo"},
    {VTL_CALL_PROTECT, "protect"},
    {VTL_CALL_PIN_CR, "pin_cr"},
    {VTL_CALL_PIN_MSR, "pin_msr"},
    {VTL_CALL_END_OF_BOOT, "end_of_boot"},
    {VTL_CALL_UNPIN_CR, "unpin_cr"},
    {VTL_CALL_UNPIN_MSR, "unpin_msr"},
    {VTL_CALL_KEXEC_LOAD, "kexec_load"},
    {VTL_CALL_KEXEC_EXEC, "kexec_exec"},
};

const char *call_name(uint32_t nr)
{
	for (size_t i = 0; i < sizeof(call_table) / sizeof(call_table[0]); i++)
		if (call_table[i].nr == nr)
			return call_table[i].name;
	return "unknown";
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
