/* Enforcement of pins: MSR writes, CR bits (detective, at every exit) and CR-write sites
 * (breakpoints). */
#include "monitor/vm/enforce.h"

#include <string.h>

#include "monitor/vm/intercept.h"
#include "monitor/vm/vtl0_view.h"
#include "monitor/x86/insn.h"

/* ---- MSRs ---------------------------------------------------------------------- */

/*
 * What a write of `value` would really do, as the guest's own WRMSR would do
 * it: KVM_SET_MSRS is host-initiated and skips some of a guest write's checks
 * (EFER.LME with paging on, for one), so it goes through
 * pins_msr_guest_write(). Returns false when the WRMSR must #GP instead.
 */
static bool enforce_msr_as_guest(struct vcpu_pair *p, uint32_t index, uint64_t value, uint64_t *cur,
				 uint64_t *apply)
{
	const struct kvm_sregs *s = vtl0_view_sregs(p);

	if (__vcpu_get_msr(&p->vtl0, index, cur))
		return false;
	if (value == *cur) {
		*apply = value; /* writing what it holds changes nothing */
		return true;
	}
	return pins_msr_guest_write(index, *cur, value, s->cr0, s->efer, apply);
}

/* Applies a write that goes through; returns msr.error (1: #GP, precisely at the WRMSR). */
static uint8_t enforce_msr_apply(struct vcpu_pair *p, uint32_t index, bool valid, uint64_t cur,
				 uint64_t apply)
{
	if (!valid)
		return 1;
	if (apply == cur)
		return 0;
	return __vcpu_set_msr(&p->vtl0, index, apply) ? 1 : 0;
}

void enforce_msr(struct vcpu_pair *p, const struct vexit *x)
{
	struct machine *m = p->m;
	struct kvm_run *run = p->vtl0.run;
	uint32_t index = (uint32_t)x->addr;
	const struct msr_pin *pin = pins_msr_find(&m->pins, index);
	struct intercept_outcome oc;
	struct vtl1_intercept ic;
	uint64_t value, cur = 0, apply = 0;
	bool valid;
	uint32_t op;

	if (x->kind == VEXIT_MSR_READ) {
		/* Reads are never filtered; answer from the vCPU in case a range covers them. */
		run->msr.error = __vcpu_get_msr(&p->vtl0, index, &value) ? 1 : 0;
		run->msr.data = run->msr.error ? 0 : value;
		return;
	}
	/* error = 0 drops the write (KVM-HOST-NOTES): a write that goes through is applied here. */
	valid = enforce_msr_as_guest(p, index, x->value, &cur, &apply);
	if (!pin || (valid && apply == pin->value)) {
		run->msr.error = enforce_msr_apply(p, index, valid, cur, apply);
		return;
	}
	memset(&ic, 0, sizeof(ic));
	ic.kind = VTL1_INT_MSR_WRITE;
	ic.flags = VTL1_INT_F_PRECISE;
	ic.gpa = index;
	ic.rip = run->s.regs.regs.rip;
	/* What the write would make the MSR hold: VTL1 may re-pin at exactly that. */
	ic.value = valid ? apply : x->value;
	ic.aux = pin->value;
	intercept_fill_insn(p, &ic, ic.rip, sizeof(ic.insn));
	op = intercept_run(p, &ic, &oc);
	intercept_report(p, &ic, op,
			 op == VTL1_OP_ALLOW && !valid
			     ? "refused with #GP: the guest's WRMSR could not make this write"
			     : NULL);
	switch (op) {
	case VTL1_OP_ALLOW:
		run->msr.error = enforce_msr_apply(p, index, valid, cur, apply);
		if (!run->msr.error)
			return;
		p->exception_queued = true;
		/* A pin VTL1 moved to a value the MSR never took goes back to what it holds. */
		if (pins_msr_find(&m->pins, index))
			pins_msr_add(&m->pins, index, cur);
		return;
	case VTL1_OP_INJECT:
		/* error = 1: KVM raises #GP with RIP on the WRMSR, precisely. */
		run->msr.error = 1;
		p->exception_queued = true;
		return;
	default: run->msr.error = 0; return;
	}
}

/* ---- CR0/CR4 --------------------------------------------------------------------- */

static void enforce_set_cr(struct vcpu_pair *p, int idx, uint64_t value)
{
	struct kvm_sregs *s = &p->vtl0.run->s.regs.sregs;

	if (idx)
		s->cr4 = value;
	else
		s->cr0 = value;
	p->vtl0.run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
}

static void enforce_cr_intercept(struct vcpu_pair *p, int idx, uint64_t cur,
				 struct vtl1_intercept *ic)
{
	memset(ic, 0, sizeof(*ic));
	ic->kind = VTL1_INT_CR_WRITE;
	ic->flags = VTL1_INT_F_RESTORED;
	ic->gpa = idx ? 4 : 0;
	ic->rip = p->vtl0.run->s.regs.regs.rip;
	ic->value = cur;
	ic->aux = p->m->pins.cr[idx].mask;
}

/*
 * Whether the pin on CR `idx` holds on this vCPU now. It holds from the
 * start on the vCPU it was read from (PIN_CR, the boot pins) and on a
 * secondary the monitor started (CPU_START: the entry state is the
 * monitor's). A Linux secondary starts by INIT/SIPI in real mode and runs
 * VTL0's own trampoline: the pin holds on it from the first check at which
 * its register satisfies the pin (docs/architecture.md, "SMP").
 */
static bool enforce_cr_pin_holds(struct vcpu_pair *p, int idx, uint64_t cur)
{
	const struct pins *pins = &p->m->pins;

	if (!pins->cr[idx].mask)
		return false;
	if (!p->cr_armed[idx] && !pins_cr_violated(pins, idx, cur))
		p->cr_armed[idx] = true;
	return p->cr_armed[idx];
}

bool enforce_cr_violated(struct vcpu_pair *p, struct vtl1_intercept *ic)
{
	const struct kvm_sregs *s = vtl0_view_sregs(p);

	for (int idx = 0; idx < 2; idx++) {
		uint64_t cur = idx ? s->cr4 : s->cr0;

		if (enforce_cr_pin_holds(p, idx, cur) && pins_cr_violated(&p->m->pins, idx, cur)) {
			enforce_cr_intercept(p, idx, cur, ic);
			return true;
		}
	}
	return false;
}

void enforce_report_replaced(struct vcpu_pair *p, const struct vtl1_intercept *ic)
{
	struct vtl1_intercept copy = *ic;

	copy.flags &= (uint16_t)~VTL1_INT_F_RESTORED;
	intercept_report(p, &copy, 0, "the kernel was replaced (kexec) before the check");
}

void enforce_check_cr(struct vcpu_pair *p)
{
	struct machine *m = p->m;
	struct kvm_run *run = p->vtl0.run;

	for (int idx = 0; idx < 2 && !machine_ended(m); idx++) {
		uint64_t cur = idx ? run->s.regs.sregs.cr4 : run->s.regs.sregs.cr0;
		struct intercept_outcome oc;
		struct vtl1_intercept ic;
		uint32_t op;

		if (!enforce_cr_pin_holds(p, idx, cur) || !pins_cr_violated(&m->pins, idx, cur))
			continue;
		/* Put the pinned bits back first: VTL0 must not run another instruction with them.
		 */
		enforce_set_cr(p, idx, pins_cr_restore(&m->pins, idx, cur));
		enforce_cr_intercept(p, idx, cur, &ic);
		op = intercept_decide(p, &ic, &oc);
		if (p->reset_trigger)
			continue; /* reported; the reset replaces this state anyway */
		if (op == VTL1_OP_ALLOW)
			enforce_set_cr(p, idx, cur);
		else if (op == VTL1_OP_INJECT)
			/* Detected after the fact: the #GP lands where VTL0 is now, not at the
			 * write. */
			intercept_inject_or_end(p, &oc);
		/* SKIP (`action cr restore`): the bits put back above are the whole answer. */
	}
}

/* ---- CR-write sites ------------------------------------------------------------- */

void enforce_rearm_sites(struct vcpu_pair *p)
{
	p->stepping = false;
	if (pins_apply_sites(&p->vtl0, &p->m->pins))
		machine_end(p->m, RUN_END_MONITOR_ERROR, 0, "cannot re-arm CR-write sites");
}

/*
 * Let the instruction at a site run once. The breakpoint fires before every
 * execution (RF is ignored here: KVM-HOST-NOTES), so it moves to the next
 * instruction and the pair loop re-arms the sites at the next exit, whatever
 * it is. No trap flag: if the instruction faulted, TF would be pushed in the
 * guest's exception frame and raise a #DB after its IRET.
 */
static void enforce_step_over(struct vcpu_pair *p, uint64_t rip, size_t len)
{
	struct pins step = p->m->pins;

	for (unsigned i = 0; i < VTL1_CR_SITES; i++)
		if (step.cr_site[i] == rip)
			step.cr_site[i] = len ? rip + len : 0;
	p->stepping = true;
	if (pins_apply_sites(&p->vtl0, &step))
		machine_end(p->m, RUN_END_MONITOR_ERROR, 0, "cannot step over a CR-write site");
}

static bool enforce_is_site(const struct pins *pins, uint64_t rip)
{
	for (unsigned i = 0; i < VTL1_CR_SITES; i++)
		if (pins->cr_site[i] && pins->cr_site[i] == rip)
			return true;
	return false;
}

void enforce_debug(struct vcpu_pair *p, const struct vexit *x)
{
	struct machine *m = p->m;
	struct kvm_run *run = p->vtl0.run;
	struct kvm_regs *regs = &run->s.regs.regs;
	struct intercept_outcome oc;
	struct vtl1_intercept ic;
	struct insn_info in;
	struct insn_cpu cpu;
	unsigned cr, gpr;
	size_t len, n;
	uint8_t bytes[INSN_MAX];
	uint64_t value;
	uint32_t op;
	int idx;

	(void)x;
	/* The step breakpoint after a site (the loop has re-armed the sites already). */
	if (!enforce_is_site(&m->pins, regs->rip))
		return;
	memset(bytes, 0, sizeof(bytes));
	n = vtl0_view_fetch(p, regs->rip, bytes, sizeof(bytes));
	vtl0_view_cpu(p, regs, false, &cpu);
	len = n && !insn_decode(bytes, n, regs->rip, &cpu, &in) ? in.len : 0;
	if (insn_mov_to_cr(bytes, n, &cr, &gpr, &len) || (idx = pins_cr_index(cr)) < 0 ||
	    !m->pins.cr[idx].mask) {
		enforce_step_over(p, regs->rip, len);
		return;
	}
	value = *insn_gpr(regs, gpr);
	if (!pins_cr_violated(&m->pins, idx, value)) {
		enforce_step_over(p, regs->rip, len);
		return;
	}
	/* Caught before the write: this one can be denied precisely. */
	memset(&ic, 0, sizeof(ic));
	ic.kind = VTL1_INT_CR_WRITE;
	ic.flags = VTL1_INT_F_PRECISE | VTL1_INT_F_SITE;
	ic.gpa = cr;
	ic.rip = regs->rip;
	ic.value = value;
	ic.aux = m->pins.cr[idx].mask;
	memcpy(ic.insn, bytes, len);
	ic.insn_len = (uint8_t)len;
	op = intercept_decide(p, &ic, &oc);
	switch (op) {
	case VTL1_OP_INJECT: intercept_inject_or_end(p, &oc); return;
	case VTL1_OP_SKIP:
		regs->rip += len;
		run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return;
	case VTL1_OP_ALLOW: enforce_step_over(p, regs->rip, len); return;
	default: return;
	}
}
