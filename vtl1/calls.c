/* CALL entries: VTL0's requests (PROTECT, pins, END_OF_BOOT, kexec) decided under the policy. */
#include "vtl1/calls.h"

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"
#include "vtl1/addr.h"
#include "vtl1/kexec.h"
#include "vtl1/oplist.h"
#include "vtl1/pages.h"
#include "vtl1/state.h"
#include "vtl1_abi.h"
#include "vtl_status.h"

static bool vtl1_end_of_boot;
/* Pins VTL0 asked for itself, the only ones it may drop: CR0 and CR4 bits, MSRs by policy slot. */
static uint64_t vtl1_cr_pins[2];
static uint32_t vtl1_msr_pins;

_Static_assert(POLICY_MAX_MSRS <= 32, "vtl1_msr_pins has a bit per policy MSR");

void vtl1_calls_reset(void)
{
	vtl1_end_of_boot = false;
	vtl1_cr_pins[0] = vtl1_cr_pins[1] = 0;
	vtl1_msr_pins = 0;
}

static bool vtl1_allowed(uint32_t req)
{
	return policy_request_allowed(&vtl1_policy, req, vtl1_end_of_boot);
}

/* [op, RETURN(VTL_OK)], kept apart so that RETURN is written once, not on every call. */
static union {
	struct vtl1_op_list list;
	uint8_t raw[sizeof(struct vtl1_op_list) + 2 * sizeof(struct vtl1_op)];
} vtl1_apply_list __attribute__((aligned(64)));

/*
 * Sends [op, RETURN(VTL_OK)]: one exit when it goes through. True then, and
 * VTL0 has its answer and the inbox already holds the next entry, so the
 * caller must not look at the call block again. Otherwise *st says why, and
 * the entry still needs an answer.
 */
/*
 * Inlined: VTL1 runs emulated at about 1 us per instruction (KVM-HOST-NOTES),
 * and a call's prologue and epilogue are a tenth of a PROTECT's instructions.
 */
static inline __attribute__((always_inline)) bool vtl1_apply(uint32_t code, uint64_t a0,
							     uint64_t a1, uint64_t a2, uint32_t *st)
{
	struct vtl1_op_list *l = &vtl1_apply_list.list;
	struct vtl1_op *op = &l->ops[0];

	if (!l->count) { /* first use: the op is filled in below */
		vtl1_list_add(l, VTL1_OP_SET_PERMS, 0, 0, 0);
		vtl1_list_add(l, VTL1_OP_RETURN, VTL_OK, 0, 0);
	}
	op->code = code;
	op->arg[0] = a0;
	op->arg[1] = a1;
	op->arg[2] = a2;
	*st = vtl1_list_send(l);
	return *st == VTL_OK;
}

static uint64_t vtl1_call_protect(uint64_t gpa, uint64_t pages, uint64_t perms)
{
	struct vtl1_page_change ch;
	uint32_t req, st;

	/* The order and statuses of the monitor's own SET_PERMS checks: malformed, then where. */
	if (perms > VTL_PERM_MASK || !pages)
		return vtl1_ret(VTL_E_INVALID);
	if (!vtl1_pages_valid(gpa, pages))
		return vtl1_ret(VTL_E_BAD_ADDRESS);
	/* A staged kexec image stays exactly as measured until it is replaced or entered. */
	if (vtl1_kexec_holds(gpa / VTL_PAGE_SIZE, pages))
		return vtl1_ret(VTL_E_DENIED);
	vtl1_pages_scan(gpa / VTL_PAGE_SIZE, pages, (uint32_t)perms, &ch);
	if (ch.locked_gains)
		return vtl1_ret(VTL_E_DENIED);
	req = (ch.gains ? POLICY_REQ_RELAX : 0) | (ch.loses ? POLICY_REQ_RESTRICT : 0);
	if (!req)
		return vtl1_ret(VTL_OK); /* already so: nothing for the monitor to do */
	if (!vtl1_allowed(req))
		return vtl1_ret(VTL_E_DENIED);
	if (!vtl1_apply(VTL1_OP_SET_PERMS, gpa, pages, perms, &st))
		return vtl1_ret(st);
	vtl1_pages_set(gpa / VTL_PAGE_SIZE, pages, (uint32_t)perms, false);
	return VTL1_ANSWERED;
}

/* CR0 or CR4 as an index into the pin state; -1 for any other CR. */
static int vtl1_cr_slot(uint64_t cr)
{
	return cr == 0 ? 0 : cr == 4 ? 1 : -1;
}

static uint64_t vtl1_call_pin_cr(uint64_t cr, uint64_t mask)
{
	int slot = vtl1_cr_slot(cr);
	uint64_t boot, pinnable, fresh;
	uint32_t st;

	if (slot < 0 || !mask)
		return vtl1_ret(VTL_E_INVALID);
	boot = slot ? vtl1_policy.cr4_pin_boot : vtl1_policy.cr0_pin_boot;
	pinnable = slot ? vtl1_policy.cr4_pinnable : vtl1_policy.cr0_pinnable;
	if (mask & ~(boot | pinnable))
		return vtl1_ret(VTL_E_DENIED);
	/* Asking for what is already in force succeeds, and re-pinning would move a pin. */
	fresh = mask & ~(boot | vtl1_cr_pins[slot]);
	if (!fresh)
		return vtl1_ret(VTL_OK);
	if (!vtl1_allowed(POLICY_REQ_PIN_CR))
		return vtl1_ret(VTL_E_DENIED);
	if (!vtl1_apply(VTL1_OP_PIN_CR, cr, fresh, VTL1_PIN_CURRENT, &st))
		return vtl1_ret(st);
	vtl1_cr_pins[slot] |= fresh;
	return VTL1_ANSWERED;
}

static uint64_t vtl1_call_unpin_cr(uint64_t cr, uint64_t mask)
{
	int slot = vtl1_cr_slot(cr);
	uint32_t st;

	if (slot < 0 || !mask)
		return vtl1_ret(VTL_E_INVALID);
	/* Boot pins are permanent, and a bit nobody pinned is not VTL0's to drop either. */
	if (mask & ~vtl1_cr_pins[slot] || !vtl1_allowed(POLICY_REQ_UNPIN))
		return vtl1_ret(VTL_E_DENIED);
	if (!vtl1_apply(VTL1_OP_UNPIN_CR, cr, mask, 0, &st))
		return vtl1_ret(st);
	vtl1_cr_pins[slot] &= ~mask;
	return VTL1_ANSWERED;
}

/* The policy's slot for an MSR, or -1 when the policy does not name it. */
static int vtl1_msr_slot(uint64_t index)
{
	for (uint32_t i = 0; i < vtl1_policy.nr_msrs; i++)
		if (vtl1_policy.msrs[i].index == index)
			return (int)i;
	return -1;
}

static uint64_t vtl1_call_pin_msr(uint64_t index)
{
	int slot;
	uint32_t st;

	/*
	 * An MSR that changes without WRMSR (FS_BASE, x2APIC, ...) cannot be
	 * guarded by a write filter: no policy can make it pinnable, so the
	 * answer is NOT_SUPPORTED, not DENIED. The parser refuses such a policy
	 * already; this holds whatever the compiled policy says.
	 */
	if (index > UINT32_MAX || !policy_msr_pinnable((uint32_t)index))
		return vtl1_ret(VTL_E_NOT_SUPPORTED);
	slot = vtl1_msr_slot(index);
	if (slot < 0)
		return vtl1_ret(VTL_E_DENIED);
	/* As for CR bits, asking for a pin already in force succeeds. */
	if (vtl1_policy.msrs[slot].flags & POLICY_PIN_BOOT || vtl1_msr_pins & (1U << slot))
		return vtl1_ret(VTL_OK);
	if (!(vtl1_policy.msrs[slot].flags & POLICY_PINNABLE) || !vtl1_allowed(POLICY_REQ_PIN_MSR))
		return vtl1_ret(VTL_E_DENIED);
	if (!vtl1_apply(VTL1_OP_PIN_MSR, index, VTL1_PIN_CURRENT, 0, &st))
		return vtl1_ret(st);
	vtl1_msr_pins |= 1U << slot;
	return VTL1_ANSWERED;
}

static uint64_t vtl1_call_unpin_msr(uint64_t index)
{
	int slot = vtl1_msr_slot(index);
	uint32_t st;

	if (slot < 0 || !(vtl1_msr_pins & (1U << slot)) || !vtl1_allowed(POLICY_REQ_UNPIN))
		return vtl1_ret(VTL_E_DENIED);
	if (!vtl1_apply(VTL1_OP_UNPIN_MSR, index, 0, 0, &st))
		return vtl1_ret(st);
	vtl1_msr_pins &= ~(1U << slot);
	return VTL1_ANSWERED;
}

static uint64_t vtl1_call_end_of_boot(void)
{
	struct vtl1_op_list *l;

	if (vtl1_end_of_boot)
		return vtl1_ret(VTL_E_BAD_STATE);
	vtl1_end_of_boot = true;
	l = vtl1_list_begin();
	vtl1_list_log(l, "end of boot: after-end-of-boot rules apply");
	vtl1_list_add(l, VTL1_OP_RETURN, VTL_OK, 0, 0);
	return vtl1_gpa(l);
}

uint64_t vtl1_on_call(const struct vtl_call_block *c)
{
	const uint64_t *a = c->args;
	struct vtl1_op_list *l;

	switch (c->nr) {
	case VTL_CALL_NOP: return vtl1_ret(VTL_OK);
	case VTL_CALL_ECHO:
		l = vtl1_list_begin();
		vtl1_list_add(l, VTL1_OP_RETURN, VTL_OK, a[0], a[1]);
		return vtl1_gpa(l);
	case VTL_CALL_PROTECT: return vtl1_call_protect(a[0], a[1], a[2]);
	case VTL_CALL_PIN_CR: return vtl1_call_pin_cr(a[0], a[1]);
	case VTL_CALL_PIN_MSR: return vtl1_call_pin_msr(a[0]);
	case VTL_CALL_END_OF_BOOT: return vtl1_call_end_of_boot();
	case VTL_CALL_UNPIN_CR: return vtl1_call_unpin_cr(a[0], a[1]);
	case VTL_CALL_UNPIN_MSR: return vtl1_call_unpin_msr(a[0]);
	case VTL_CALL_KEXEC_LOAD: return vtl1_kexec_load(a[0], a[1], a[2]);
	case VTL_CALL_KEXEC_EXEC: return vtl1_kexec_exec();
	default: return vtl1_ret(VTL_E_UNKNOWN_CALL);
	}
}
