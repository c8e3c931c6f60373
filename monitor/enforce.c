/* Enforcement: turns VTL0 exits into intercepts for VTL1, then applies VTL1's outcome precisely. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "monitor/disasm.h"
#include "monitor/insn.h"
#include "monitor/log.h"
#include "monitor/pair.h"
#include "monitor/ptwalk.h"
#include "vtl1_abi.h"
#include "vtl_layout.h"

/* The "kind" field of violation events, by enum vtl1_intercept_kind. */
static const char *enforce_kind_name(uint32_t kind)
{
	switch (kind) {
	case VTL1_INT_MEM_READ: return "mem_read";
	case VTL1_INT_MEM_WRITE: return "mem_write";
	case VTL1_INT_MEM_EXEC: return "mem_exec";
	case VTL1_INT_MSR_WRITE: return "msr";
	case VTL1_INT_CR_WRITE: return "cr";
	}
	return "unknown";
}

/* ---- guest memory through VTL0's own page tables ------------------------------ */

static int enforce_read_gpa(void *ctx, uint64_t g, void *dst, size_t len)
{
	return guest_ram_read(ctx, gpa(g), dst, len);
}

static const struct kvm_sregs *enforce_sregs(struct vcpu_pair *p)
{
	return &p->vtl0.run->s.regs.sregs;
}

static size_t enforce_fetch(struct vcpu_pair *p, uint64_t va, uint8_t *buf, size_t len)
{
	const struct kvm_sregs *s = enforce_sregs(p);

	return ptwalk_fetch(s->cr0, s->cr4, s->efer, s->cr3, va, enforce_read_gpa, &p->m->vtl0_ram,
			    buf, len);
}

/*
 * The bytes before `rip`, as many as are mapped (up to INSN_MAX), ending at
 * buf[n - 1] = the byte at rip - 1.
 */
static size_t enforce_fetch_before(struct vcpu_pair *p, uint64_t rip, uint8_t *buf)
{
	uint64_t page_off = rip & (VTL_PAGE_SIZE - 1);
	size_t n;

	if (rip >= INSN_MAX && enforce_fetch(p, rip - INSN_MAX, buf, INSN_MAX) == INSN_MAX)
		return INSN_MAX;
	/* The previous page may be unmapped: settle for the bytes on this one. */
	n = page_off < INSN_MAX ? (size_t)page_off : INSN_MAX;
	if (!n || enforce_fetch(p, rip - n, buf, n) != n)
		return 0;
	return n;
}

static void enforce_fill_insn(struct vcpu_pair *p, struct vtl1_intercept *ic, uint64_t va)
{
	ic->insn_len = (uint8_t)enforce_fetch(p, va, ic->insn, sizeof(ic->insn));
}

struct enforce_ea_ctx {
	struct vcpu_pair *p;
	uint64_t gpa;
};

/* Does the linear address translate (through VTL0's own tables) to the faulting GPA? */
static bool enforce_ea_matches(void *ctx, uint64_t va)
{
	struct enforce_ea_ctx *c = ctx;
	const struct kvm_sregs *s = enforce_sregs(c->p);
	struct ptwalk_result pw;

	return ptwalk_translate(s->cr0, s->cr4, s->efer, s->cr3, va, enforce_read_gpa,
				&c->p->m->vtl0_ram, &pw) == PTWALK_OK &&
	       pw.gpa == c->gpa;
}

/* ---- KVM state changes ------------------------------------------------------- */

static int enforce_inject(struct vcpu_pair *p, uint32_t vector, uint32_t error_code, uint64_t cr2)
{
	struct kvm_vcpu_events ev;

	/* Two exceptions at once would merge into a #DF: one denial per exit is enough. */
	if (p->exception_queued)
		return 0;
	p->exception_queued = true;
	if (ioctl(p->vtl0.fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -1;
	/* Pending (not injected) plus a payload: KVM sets CR2 itself (KVM_CAP_EXCEPTION_PAYLOAD).
	 */
	ev.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	ev.exception.pending = 1;
	ev.exception.injected = 0;
	ev.exception.nr = (uint8_t)vector;
	ev.exception.has_error_code = 1;
	ev.exception.error_code = error_code;
	ev.exception_has_payload = vector == VTL_VECTOR_PF;
	ev.exception_payload = vector == VTL_VECTOR_PF ? cr2 : 0;
	return ioctl(p->vtl0.fd, KVM_SET_VCPU_EVENTS, &ev) < 0 ? -1 : 0;
}

/*
 * Finish the pending MMIO exit, then put RIP and the GPRs back as in `snap`
 * with `rip`. For a read this undoes the load into the destination register.
 */
static int enforce_complete_at(struct vcpu_pair *p, const struct kvm_regs *snap, uint64_t rip)
{
	struct kvm_regs regs = *snap;

	if (vcpu_complete_exit(&p->vtl0))
		return -1;
	regs.rip = rip;
	return vcpu_set_regs(&p->vtl0, &regs);
}

/* ---- intercepts ---------------------------------------------------------------- */

/*
 * Runs VTL1 on an INTERCEPT entry. Returns the outcome op, or 0 when the run
 * has ended (VTL1 killed VTL0, or faulted). No outcome at all is a kill.
 */
static uint32_t enforce_intercept(struct vcpu_pair *p, const struct vtl1_intercept *ic,
				  struct intercept_outcome *oc)
{
	struct vtl1_entry *in = pair_inbox(p, VTL1_ENTRY_INTERCEPT);
	struct vtl1_outcome res;

	in->intercept = *ic;
	memset(&p->outcome, 0, sizeof(p->outcome));
	p->in_intercept = true;
	pair_enter_vtl1(p, &res);
	p->in_intercept = false;
	if (res.kind != VTL1_OUT_RETURN)
		return 0;
	if (!p->outcome.op) {
		machine_end(p->m, RUN_END_KILLED, 0,
			    "VTL1 returned from a %s intercept without an outcome",
			    enforce_kind_name(ic->kind));
		return 0;
	}
	*oc = p->outcome;
	return oc->op;
}

static const char *enforce_action_name(struct vcpu_pair *p, uint32_t op)
{
	switch (op) {
	case VTL1_OP_INJECT: return "deny";
	case VTL1_OP_ALLOW: return "log"; /* allowed, and recorded by this very event */
	case VTL1_OP_SKIP: return "skip";
	}
	if (p->reset_trigger)
		return "reset";
	return atomic_load(&p->m->end) == RUN_END_KILLED ? "kill" : "stop";
}

static void enforce_report(struct vcpu_pair *p, const struct vtl1_intercept *ic, uint32_t op)
{
	char text[DISASM_TEXT_MAX] = "(unknown)";
	struct ev e;
	size_t len;

	if (ic->insn_len)
		disasm_one(ic->insn, ic->insn_len, ic->rip, text, sizeof(text), &len);
	ev_begin(&e, &p->m->events, "violation");
	ev_u64(&e, "vcpu", p->index);
	ev_str(&e, "kind", enforce_kind_name(ic->kind));
	ev_hex(&e, "gpa", ic->gpa);
	ev_hex(&e, "rip", ic->rip);
	ev_str(&e, "insn", text);
	ev_hex(&e, "value", ic->value);
	ev_str(&e, "action", enforce_action_name(p, op));
	ev_bool(&e, "precise", ic->flags & VTL1_INT_F_PRECISE);
	ev_emit(&e);
	LOG_GUEST("vtl0 %s violation at gpa %#llx rip %#llx (%s): %s", enforce_kind_name(ic->kind),
		  (unsigned long long)ic->gpa, (unsigned long long)ic->rip, text,
		  enforce_action_name(p, op));
}

/* ---- memory -------------------------------------------------------------------- */

void enforce_mem_access(struct vcpu_pair *p, const struct vexit *x)
{
	struct machine *m = p->m;
	struct kvm_run *run = p->vtl0.run;
	const struct kvm_regs snap = run->s.regs.regs;
	bool write = x->kind == VEXIT_MMIO_WRITE;
	uint8_t perms = perm_intended(&m->perm, x->addr);
	struct vtl1_intercept ic = {
	    .kind = write ? VTL1_INT_MEM_WRITE : VTL1_INT_MEM_READ,
	    .len = (uint8_t)x->len,
	    .perms = perms,
	    .gpa = x->addr,
	    .rip = snap.rip,
	    .value = x->value,
	    .aux = x->addr, /* linear address unknown to KVM's exit; VTL0 maps RAM 1:1 */
	};
	struct intercept_outcome oc;
	uint8_t before[INSN_MAX];
	size_t n, back = 0;
	uint32_t op;

	/* An access the page allows now raced with an update: finish it, it is no violation. */
	if (write ? (perms & VTL_PERM_W) : perms != 0) {
		if (write)
			guest_ram_write(&m->vtl0_ram, gpa(x->addr), &x->value, x->len);
		else if (guest_ram_read(&m->vtl0_ram, gpa(x->addr), run->mmio.data, x->len))
			memset(run->mmio.data, 0xFF, x->len);
		return;
	}
	if (write) {
		struct enforce_ea_ctx ea = {p, x->addr};
		const struct insn_write_ctx wc = {
		    .rip = snap.rip,
		    .len = x->len,
		    .regs = &snap,
		    .ea_matches = enforce_ea_matches,
		    .ctx = &ea,
		};

		/* RIP is past the store: find where it began, or admit we cannot. */
		n = enforce_fetch_before(p, snap.rip, before);
		back = insn_write_start(before, n, &wc);
		if (back) {
			ic.rip = snap.rip - back;
			ic.flags |= VTL1_INT_F_PRECISE;
		}
	} else {
		ic.flags |= VTL1_INT_F_PRECISE;
	}
	enforce_fill_insn(p, &ic, ic.rip);
	if (write && !back)
		ic.insn_len = 0; /* the bytes at RIP are the next instruction, not the culprit */
	op = enforce_intercept(p, &ic, &oc);
	enforce_report(p, &ic, op);
	switch (op) {
	case VTL1_OP_ALLOW:
		if (write)
			guest_ram_write(&m->vtl0_ram, gpa(x->addr), &x->value, x->len);
		else
			guest_ram_read(&m->vtl0_ram, gpa(x->addr), run->mmio.data, x->len);
		return;
	case VTL1_OP_SKIP:
		if (!write)
			memset(run->mmio.data, 0, x->len);
		return;
	case VTL1_OP_INJECT:
		/* Reads: back onto the load. Writes: onto the store when its start is known. */
		if (enforce_complete_at(p, &snap, ic.rip) ||
		    enforce_inject(p, oc.vector, oc.error_code, oc.cr2))
			machine_end(m, RUN_END_MONITOR_ERROR, 0, "cannot inject into VTL0");
		return;
	default: return;
	}
}

void enforce_internal_error(struct vcpu_pair *p, const struct vexit *x)
{
	struct machine *m = p->m;
	const struct kvm_sregs *s = enforce_sregs(p);
	uint64_t rip = p->vtl0.run->s.regs.regs.rip;
	struct intercept_outcome oc;
	struct ptwalk_result pw;
	struct vtl1_intercept ic;
	uint32_t op;

	/* A fetch from a GPA with no memslot surfaces as an emulation failure (KVM-HOST-NOTES). */
	if (x->suberror != KVM_INTERNAL_ERROR_EMULATION ||
	    ptwalk_translate(s->cr0, s->cr4, s->efer, s->cr3, rip, enforce_read_gpa, &m->vtl0_ram,
			     &pw) != PTWALK_OK ||
	    !guest_ram_contains(&m->vtl0_ram, gpa(pw.gpa), 1) || perm_effective(&m->perm, pw.gpa)) {
		machine_end(m, RUN_END_VTL0_FAULT, 0, "VTL0 internal error (suberror %u) at %#llx",
			    x->suberror, (unsigned long long)rip);
		return;
	}
	if (perm_intended(&m->perm, pw.gpa))
		return; /* raced with a relaxation: fetch again */
	memset(&ic, 0, sizeof(ic));
	ic.kind = VTL1_INT_MEM_EXEC;
	ic.flags = VTL1_INT_F_PRECISE;
	ic.gpa = pw.gpa;
	ic.rip = rip;
	ic.aux = rip;
	/* VTL0 cannot read the page, but the monitor can: report what it tried to run. */
	guest_ram_read(&m->vtl0_ram, gpa(pw.gpa), ic.insn,
		       VTL_PAGE_SIZE - (pw.gpa & (VTL_PAGE_SIZE - 1)) < sizeof(ic.insn)
			   ? VTL_PAGE_SIZE - (pw.gpa & (VTL_PAGE_SIZE - 1))
			   : sizeof(ic.insn));
	ic.insn_len = sizeof(ic.insn);
	op = enforce_intercept(p, &ic, &oc);
	enforce_report(p, &ic, op);
	if (op == VTL1_OP_INJECT) {
		if (enforce_inject(p, oc.vector, oc.error_code, oc.cr2))
			machine_end(m, RUN_END_MONITOR_ERROR, 0, "cannot inject into VTL0");
	} else if (op) {
		/* Nothing can execute a page with no memslot: allowing it is impossible upstream.
		 */
		machine_end(m, RUN_END_KILLED, 0,
			    "VTL1 allowed an exec from a no-access page, which KVM cannot do");
	}
}

/* ---- MSRs ---------------------------------------------------------------------- */

void enforce_msr(struct vcpu_pair *p, const struct vexit *x)
{
	struct machine *m = p->m;
	struct kvm_run *run = p->vtl0.run;
	const struct msr_pin *pin = pins_msr_find(&m->pins, (uint32_t)x->addr);
	struct intercept_outcome oc;
	struct vtl1_intercept ic;
	uint64_t value;
	uint32_t op;

	if (x->kind == VEXIT_MSR_READ) {
		/* Reads are never filtered; answer from the vCPU in case a range covers them. */
		run->msr.error = vcpu_get_msr(&p->vtl0, (uint32_t)x->addr, &value) ? 1 : 0;
		run->msr.data = run->msr.error ? 0 : value;
		return;
	}
	/* error = 0 drops the write (KVM-HOST-NOTES): an allowed write is applied by hand. */
	if (!pin || x->value == pin->value) {
		run->msr.error = vcpu_set_msr(&p->vtl0, (uint32_t)x->addr, x->value) ? 1 : 0;
		return;
	}
	memset(&ic, 0, sizeof(ic));
	ic.kind = VTL1_INT_MSR_WRITE;
	ic.flags = VTL1_INT_F_PRECISE;
	ic.gpa = x->addr;
	ic.rip = run->s.regs.regs.rip;
	ic.value = x->value;
	ic.aux = pin->value;
	enforce_fill_insn(p, &ic, ic.rip);
	op = enforce_intercept(p, &ic, &oc);
	enforce_report(p, &ic, op);
	switch (op) {
	case VTL1_OP_ALLOW:
		run->msr.error = vcpu_set_msr(&p->vtl0, (uint32_t)x->addr, x->value) ? 1 : 0;
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

void enforce_check_cr(struct vcpu_pair *p)
{
	struct machine *m = p->m;
	struct kvm_run *run = p->vtl0.run;

	for (int idx = 0; idx < 2 && !machine_ended(m); idx++) {
		uint64_t cur = idx ? run->s.regs.sregs.cr4 : run->s.regs.sregs.cr0;
		struct intercept_outcome oc;
		struct vtl1_intercept ic;
		uint32_t op;

		if (!m->pins.cr[idx].mask || !pins_cr_violated(&m->pins, idx, cur))
			continue;
		/* Put the pinned bits back first: VTL0 must not run another instruction with them.
		 */
		enforce_set_cr(p, idx, pins_cr_restore(&m->pins, idx, cur));
		memset(&ic, 0, sizeof(ic));
		ic.kind = VTL1_INT_CR_WRITE;
		ic.flags = VTL1_INT_F_RESTORED;
		ic.gpa = idx ? 4 : 0;
		ic.rip = run->s.regs.regs.rip;
		ic.value = cur;
		ic.aux = m->pins.cr[idx].mask;
		op = enforce_intercept(p, &ic, &oc);
		enforce_report(p, &ic, op);
		if (op == VTL1_OP_ALLOW) {
			enforce_set_cr(p, idx, cur);
		} else if (op == VTL1_OP_INJECT) {
			/* Detected after the fact: the #GP lands where VTL0 is now, not at the
			 * write. */
			if (enforce_inject(p, oc.vector, oc.error_code, oc.cr2))
				machine_end(m, RUN_END_MONITOR_ERROR, 0, "cannot inject into VTL0");
		}
	}
}

static void enforce_step_over(struct vcpu_pair *p)
{
	p->stepping = true;
	if (pins_apply_sites(&p->vtl0, &p->m->pins, true))
		machine_end(p->m, RUN_END_MONITOR_ERROR, 0, "cannot single-step VTL0");
}

void enforce_debug(struct vcpu_pair *p, const struct vexit *x)
{
	struct machine *m = p->m;
	struct kvm_run *run = p->vtl0.run;
	struct kvm_regs *regs = &run->s.regs.regs;
	struct intercept_outcome oc;
	struct vtl1_intercept ic;
	unsigned cr, gpr;
	size_t len;
	uint8_t bytes[INSN_MAX];
	uint64_t value;
	uint32_t op;
	int idx;

	if (p->stepping) {
		/* One instruction past the site: arm the breakpoints again. */
		p->stepping = false;
		if (pins_apply_sites(&p->vtl0, &m->pins, false))
			machine_end(m, RUN_END_MONITOR_ERROR, 0, "cannot re-arm CR-write sites");
		return;
	}
	memset(bytes, 0, sizeof(bytes));
	len = enforce_fetch(p, regs->rip, bytes, sizeof(bytes));
	if (insn_mov_to_cr(bytes, len, &cr, &gpr, &len) || (idx = pins_cr_index(cr)) < 0 ||
	    !m->pins.cr[idx].mask) {
		enforce_step_over(p);
		return;
	}
	value = *insn_gpr(regs, gpr);
	if (!pins_cr_violated(&m->pins, idx, value)) {
		enforce_step_over(p);
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
	op = enforce_intercept(p, &ic, &oc);
	enforce_report(p, &ic, op);
	switch (op) {
	case VTL1_OP_INJECT:
		if (enforce_inject(p, oc.vector, oc.error_code, oc.cr2))
			machine_end(m, RUN_END_MONITOR_ERROR, 0, "cannot inject into VTL0");
		return;
	case VTL1_OP_SKIP:
		regs->rip += len;
		run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return;
	case VTL1_OP_ALLOW: enforce_step_over(p); return;
	default: (void)x; return;
	}
}
