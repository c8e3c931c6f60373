/* INTERCEPT entries: VTL0 broke a protection; answer with the policy's action for its class. */
#include "vtl1/intercept.h"

#include <stdint.h>

#include "policy/policy.h"
#include "vtl1/addr.h"
#include "vtl1/kexec.h"
#include "vtl1/oplist.h"
#include "vtl1/pages.h"
#include "vtl1/state.h"
#include "vtl_layout.h"
#include "vtl_status.h"

_Static_assert(VTL1_REASON_CLASS(POLICY_CLASS_MEM_WRITE) == VTL1_REASON_MEM_WRITE &&
		   VTL1_REASON_CLASS(POLICY_CLASS_MEM_READ) == VTL1_REASON_MEM_READ &&
		   VTL1_REASON_CLASS(POLICY_CLASS_MEM_EXEC) == VTL1_REASON_MEM_EXEC &&
		   VTL1_REASON_CLASS(POLICY_CLASS_MSR) == VTL1_REASON_MSR &&
		   VTL1_REASON_CLASS(POLICY_CLASS_CR) == VTL1_REASON_CR && POLICY_CLASS_COUNT == 5,
	       "the ABI's reasons name the policy classes in their order");

/* #PF error code bits. P is set: the page is mapped, the access broke its protection. */
#define VTL1_PF_P (1U << 0)
#define VTL1_PF_W (1U << 1)
#define VTL1_PF_I (1U << 4)

/* Policy class and #PF error code by intercept kind; class + 1, so that 0 marks an unknown kind. */
static const struct {
	uint8_t class1;
	uint8_t pf_error;
} vtl1_kinds[] = {
    [VTL1_INT_MEM_READ] = {POLICY_CLASS_MEM_READ + 1, VTL1_PF_P},
    [VTL1_INT_MEM_WRITE] = {POLICY_CLASS_MEM_WRITE + 1, VTL1_PF_P | VTL1_PF_W},
    [VTL1_INT_MEM_EXEC] = {POLICY_CLASS_MEM_EXEC + 1, VTL1_PF_P | VTL1_PF_I},
    [VTL1_INT_MSR_WRITE] = {POLICY_CLASS_MSR + 1, 0},
    [VTL1_INT_CR_WRITE] = {POLICY_CLASS_CR + 1, 0},
};

uint64_t vtl1_on_intercept(const struct vtl1_intercept *ic)
{
	struct vtl1_op_list *l;
	uint32_t class, reason, action;

	if (ic->kind >= sizeof(vtl1_kinds) / sizeof(vtl1_kinds[0]) || !vtl1_kinds[ic->kind].class1)
		return vtl1_kill(VTL1_REASON_BAD_KIND);
	class = vtl1_kinds[ic->kind].class1 - 1U;
	reason = VTL1_REASON_CLASS(class);
	/* If the monitor cannot carry out this answer (a RESET, say), VTL0 dies for this reason. */
	vtl1_fail_reason = reason;
	l = vtl1_list_begin();
	action = vtl1_policy.action[class];
	/*
	 * A write the policy itself would let through, to a page only the kexec
	 * hold makes read-only: not a policy violation, but the staged bytes
	 * must not change. Deny it, whatever the policy's action.
	 */
	if (ic->kind == VTL1_INT_MEM_WRITE && vtl1_kexec_holds(ic->gpa / VTL_PAGE_SIZE, 1) &&
	    vtl1_pages_perms(ic->gpa / VTL_PAGE_SIZE) & VTL_PERM_W) {
		vtl1_list_log(l, "kexec: write to the staged image at gpa 0x%lx rip 0x%lx denied",
			      ic->gpa, ic->rip);
		action = POLICY_ACT_DENY;
	}
	switch (action) {
	case POLICY_ACT_DENY:
		if (class < POLICY_CLASS_MSR)
			vtl1_list_add(l, VTL1_OP_INJECT, VTL_VECTOR_PF,
				      vtl1_kinds[ic->kind].pf_error, ic->aux);
		else
			vtl1_list_add(l, VTL1_OP_INJECT, VTL_VECTOR_GP, 0, 0);
		break;
	case POLICY_ACT_LOG:
		/* gpa is the MSR index or CR number for those classes. */
		vtl1_list_log(l, "violation: %s %s 0x%lx value 0x%lx rip 0x%lx allowed",
			      policy_class_name(class), class < POLICY_CLASS_MSR ? "gpa" : "reg",
			      ic->gpa, ic->value, ic->rip);
		vtl1_list_add(l, VTL1_OP_ALLOW, 0, 0, 0);
		/*
		 * A pin left at its old value would flag every later exit (CR) or
		 * write (MSR) again: it moves to the value just allowed. ~0 would
		 * read as VTL1_PIN_CURRENT, the old value: then it stays.
		 */
		if (ic->value == VTL1_PIN_CURRENT)
			break;
		if (ic->kind == VTL1_INT_CR_WRITE)
			vtl1_list_add(l, VTL1_OP_PIN_CR, ic->gpa, ic->aux, ic->value);
		else if (ic->kind == VTL1_INT_MSR_WRITE)
			vtl1_list_add(l, VTL1_OP_PIN_MSR, ic->gpa, ic->value, 0);
		break;
	case POLICY_ACT_RESTORE:
		/*
		 * The policy allows restore for cr only; anything else is a policy
		 * this code does not understand: fail closed. For a clear seen at a
		 * later exit, the monitor put the pinned bits back before asking; for
		 * a write caught at its site, SKIP steps over it. Either way the bits
		 * keep their pinned values and nothing is injected.
		 */
		if (ic->kind != VTL1_INT_CR_WRITE)
			return vtl1_kill(reason);
		vtl1_list_add(l, VTL1_OP_SKIP, 0, 0, 0);
		break;
	case POLICY_ACT_RESET: vtl1_list_add(l, VTL1_OP_RESET, reason, 0, 0); return vtl1_gpa(l);
	default: return vtl1_kill(reason);
	}
	vtl1_list_add(l, VTL1_OP_RETURN, VTL_OK, 0, 0);
	return vtl1_gpa(l);
}
