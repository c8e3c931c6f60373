/* Intercepts: VTL1 decides a violation, the monitor reports it and delivers the exception. */
#include "monitor/vm/intercept.h"

#include <string.h>

#include "monitor/base/log.h"
#include "monitor/vm/vtl0_view.h"
#include "monitor/vm/vtl1_entry.h"
#include "monitor/x86/disasm.h"

/* The "kind" field of violation events, by enum vtl1_intercept_kind. */
const char *intercept_kind_name(uint32_t kind)
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

void intercept_fill_insn(struct vcpu_pair *p, struct vtl1_intercept *ic, uint64_t va, size_t len)
{
	memset(ic->insn, 0, sizeof(ic->insn));
	ic->insn_len = (uint8_t)vtl0_view_fetch(p, va, ic->insn, len);
}

int intercept_inject(struct vcpu_pair *p, uint32_t vector, uint32_t error_code, uint64_t cr2)
{
	struct kvm_vcpu_events ev;

	/* Two exceptions at once would merge into a #DF: one denial per exit is enough. */
	if (p->exception_queued)
		return 0;
	p->exception_queued = true;
	if (vcpu_get_events(&p->vtl0, &ev))
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
	return vcpu_set_events(&p->vtl0, &ev);
}

void intercept_inject_or_end(struct vcpu_pair *p, const struct intercept_outcome *oc)
{
	if (intercept_inject(p, oc->vector, oc->error_code, oc->cr2))
		machine_end(p->m, RUN_END_MONITOR_ERROR, 0, "cannot inject into VTL0");
}

/*
 * Runs VTL1 on an INTERCEPT entry. Returns the outcome op, or 0 when the run
 * has ended (VTL1 killed VTL0, or faulted). No outcome at all is a kill.
 */
uint32_t intercept_run(struct vcpu_pair *p, const struct vtl1_intercept *ic,
		       struct intercept_outcome *oc)
{
	struct vtl1_entry *in = vtl1_entry_inbox(p, VTL1_ENTRY_INTERCEPT);
	struct vtl1_outcome res;

	in->intercept = *ic;
	memset(&p->outcome, 0, sizeof(p->outcome));
	p->in_intercept = true;
	vtl1_entry_run(p, &res);
	p->in_intercept = false;
	if (res.kind != VTL1_OUT_RETURN)
		return 0;
	if (!p->outcome.op) {
		machine_end(p->m, RUN_END_KILLED, 0,
			    "VTL1 returned from a %s intercept without an outcome",
			    intercept_kind_name(ic->kind));
		return 0;
	}
	*oc = p->outcome;
	return oc->op;
}

static const char *intercept_action_name(struct vcpu_pair *p, const struct vtl1_intercept *ic,
					 uint32_t op)
{
	switch (op) {
	case VTL1_OP_INJECT: return "deny";
	case VTL1_OP_ALLOW:
		return "log"; /* allowed, and recorded by this very event */
	/* A skipped CR write, or a clear put back: the pinned bits keep their values. */
	case VTL1_OP_SKIP: return ic->kind == VTL1_INT_CR_WRITE ? "restore" : "skip";
	}
	if (p->reset_trigger)
		return "reset";
	if (!machine_ended(p->m))
		return "none"; /* nobody decided: only recorded */
	return atomic_load(&p->m->end) == RUN_END_KILLED ? "kill" : "stop";
}

void intercept_report(struct vcpu_pair *p, const struct vtl1_intercept *ic, uint32_t op,
		      const char *note)
{
	char text[DISASM_TEXT_MAX] = "(unknown)";
	struct ev e;
	size_t len;

	if (ic->insn_len)
		disasm_one(ic->insn, ic->insn_len, ic->rip, text, sizeof(text), &len);
	/* A violation that ends or resets the run happens once: the rate limit never hides it. */
	if (op == VTL1_OP_INJECT || op == VTL1_OP_ALLOW || op == VTL1_OP_SKIP)
		ev_begin(&e, &p->m->events, "violation");
	else
		ev_begin_always(&e, &p->m->events, "violation");
	ev_u64(&e, "vcpu", p->index);
	ev_str(&e, "kind", intercept_kind_name(ic->kind));
	ev_hex(&e, "gpa", ic->gpa);
	ev_hex(&e, "rip", ic->rip);
	ev_str(&e, "insn", text);
	ev_hex(&e, "value", ic->value);
	ev_u64(&e, "len", ic->len);
	ev_str(&e, "action", intercept_action_name(p, ic, op));
	ev_bool(&e, "precise", ic->flags & VTL1_INT_F_PRECISE);
	if (note)
		ev_str(&e, "note", note);
	ev_emit(&e);
	LOG_GUEST("vtl0 %s violation at gpa %#llx rip %#llx (%s): %s",
		  intercept_kind_name(ic->kind), (unsigned long long)ic->gpa,
		  (unsigned long long)ic->rip, text, intercept_action_name(p, ic, op));
}

/* Intercept, report, and return VTL1's outcome op (0: the run ended). */
uint32_t intercept_decide(struct vcpu_pair *p, const struct vtl1_intercept *ic,
			  struct intercept_outcome *oc)
{
	uint32_t op = intercept_run(p, ic, oc);

	intercept_report(p, ic, op, NULL);
	return op;
}
