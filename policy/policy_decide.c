/* VTL1's decision helpers: what a compiled policy allows, so the language's meaning lives here. */
#include "policy/policy_internal.h"

#include "vtl_boot.h"

uint32_t policy_msr_flags(const struct policy *p, uint32_t index)
{
	/* The parser never lists such an MSR; a struct built some other way gets nothing either. */
	if (!policy_msr_pinnable(index))
		return 0;
	for (uint32_t i = 0; i < p->nr_msrs && i < POLICY_MAX_MSRS; i++)
		if (p->msrs[i].index == index)
			return p->msrs[i].flags;
	return 0;
}

bool policy_region_matches(enum policy_region region, uint32_t seg_flags)
{
	bool w = seg_flags & VTL_SEG_W, x = seg_flags & VTL_SEG_X;

	switch (region) {
	case POLICY_REGION_TEXT: return x;
	case POLICY_REGION_RODATA: return !w && !x;
	case POLICY_REGION_DATA: return w && !x;
	case POLICY_REGION_IMAGE: return true;
	case POLICY_REGION_RANGE:
	case POLICY_REGION_COUNT: break;
	}
	return false;
}
