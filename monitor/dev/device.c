/* Guest-visible MMIO devices: one window check, and the ID registers every vtlmon device has. */
#include "monitor/dev/device.h"

#include "hypercalls/range.h"
#include "vtl_device.h"

bool device_offset(uint64_t base, uint64_t size, uint64_t addr, uint32_t len, uint64_t *off)
{
	if (!range_within(addr, len, base, size))
		return false;
	*off = addr - base;
	return true;
}

uint64_t device_read_id_regs(uint32_t id, uint64_t features, uint64_t off, uint32_t len, bool *ok)
{
	*ok = true;
	if (off == VTL0_REG_ID && len == 4)
		return id;
	if (off == VTL0_REG_VERSION && len == 4)
		return VTL_ABI_VERSION;
	if (off == VTL0_REG_FEATURES && len == 8)
		return features;
	*ok = false;
	return ~0ULL;
}
