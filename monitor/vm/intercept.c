/* Intercepts: VTL1 decides a violation, the monitor reports it and delivers the exception. */
#include "monitor/vm/intercept.h"

#include <stdarg.h>
#include <stdio.h>
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

static const char *const intercept_decision_names[DECISION_COUNT] = {
    [DECISION_DENY] = "deny",	    [DECISION_LOG] = "log",	[DECISION_SKIP] = "skip",
    [DECISION_RESTORE] = "restore", [DECISION_RESET] = "reset", [DECISION_KILL] = "kill",
    [DECISION_STOP] = "stop",	    [DECISION_NONE] = "none",
};

static enum violation_decision intercept_decision(struct vcpu_pair *p,
						  const struct vtl1_intercept *ic, uint32_t op)
{
	switch (op) {
	case VTL1_OP_INJECT: return DECISION_DENY;
	case VTL1_OP_ALLOW:
		return DECISION_LOG; /* allowed, and recorded by this very event */
	/* A skipped CR write, or a clear put back: the pinned bits keep their values. */
	case VTL1_OP_SKIP: return ic->kind == VTL1_INT_CR_WRITE ? DECISION_RESTORE : DECISION_SKIP;
	}
	if (p->reset_trigger)
		return DECISION_RESET;
	if (!machine_ended(p->m))
		return DECISION_NONE;
	return atomic_load(&p->m->end) == RUN_END_KILLED ? DECISION_KILL : DECISION_STOP;
}

/* Appends to buf (cap bytes, NUL-terminated) at *n; a summary that does not fit is cut. */
static void intercept_append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n + 1 >= cap)
		return;
	va_start(ap, fmt);
	r = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (r > 0)
		*n = *n + (size_t)r < cap ? *n + (size_t)r : cap - 1;
}

bool intercept_summary(struct machine *m, char *buf, size_t cap)
{
	size_t n = 0;

	if (!cap)
		return false;
	buf[0] = '\0';
	for (uint32_t k = 0; k < VIOLATION_KINDS; k++) {
		const char *sep = n ? "; " : "";

		for (int d = 0; d < DECISION_COUNT; d++) {
			uint64_t c = atomic_load(&m->violations[k][d]);

			if (!c)
				continue;
			intercept_append(buf, cap, &n, "%s%s%s %s %llu", sep,
					 sep[0] != ',' ? intercept_kind_name(k) : "",
					 sep[0] != ',' ? ":" : "", intercept_decision_names[d],
					 (unsigned long long)c);
			sep = ",";
		}
	}
	return n > 0;
}

/*
 * The violation's line on stderr, in the operator's terms: the GPA of a
 * memory access, the MSR of a WRMSR, the CR whose pinned bits changed (the
 * ABI puts the index or number in `gpa`, include/vtl1_abi.h), and the
 * instruction when VTL0's exit decoded one (a CR change seen at a later exit
 * has none).
 */
static void intercept_log_line(const struct vtl1_intercept *ic, const char *insn,
			       const char *decision, const char *note)
{
	char what[64];

	if (ic->kind == VTL1_INT_MSR_WRITE)
		snprintf(what, sizeof(what), "write of msr %#llx", (unsigned long long)ic->gpa);
	else if (ic->kind == VTL1_INT_CR_WRITE)
		snprintf(what, sizeof(what), "cr%llu = %#llx (pinned bits %#llx)",
			 (unsigned long long)ic->gpa, (unsigned long long)ic->value,
			 (unsigned long long)ic->aux);
	else
		snprintf(what, sizeof(what), "%s at gpa %#llx", intercept_kind_name(ic->kind),
			 (unsigned long long)ic->gpa);
	log_notice("vtl0 %s, rip %#llx%s%s%s: %s%s%s", what, (unsigned long long)ic->rip,
		   insn ? " (" : "", insn ? insn : "", insn ? ")" : "", decision, note ? ": " : "",
		   note ? note : "");
}

void intercept_report(struct vcpu_pair *p, const struct vtl1_intercept *ic, uint32_t op,
		      const char *note)
{
	/* The operator sees each one (rate-limited: a guest decides how many there are). */
	static __thread struct log_ratelimit line_rl;
	enum violation_decision decision = intercept_decision(p, ic, op);
	char text[DISASM_TEXT_MAX] = "(unknown)";
	bool line;
	struct ev e;
	size_t len;

	atomic_fetch_add(&p->m->violations[ic->kind < VIOLATION_KINDS ? ic->kind : 0][decision], 1);
	/* A violation that ends or resets the run happens once: the rate limit never hides it. */
	if (op == VTL1_OP_INJECT || op == VTL1_OP_ALLOW || op == VTL1_OP_SKIP)
		ev_begin(&e, &p->m->events, "violation");
	else
		ev_begin_always(&e, &p->m->events, "violation");
	line = !p->m->cfg.no_violation_lines && log_guest_notice_due(&line_rl);
	/* The text costs a decoder round trip: only for a line or an event that is written. */
	if (ic->insn_len && (line || ev_wanted(&e)))
		disasm_one(ic->insn, ic->insn_len, ic->rip, text, sizeof(text), &len);
	ev_u64(&e, "vcpu", p->index);
	ev_str(&e, "kind", intercept_kind_name(ic->kind));
	ev_hex(&e, "gpa", ic->gpa);
	ev_hex(&e, "rip", ic->rip);
	ev_str(&e, "insn", text);
	ev_hex(&e, "value", ic->value);
	ev_u64(&e, "len", ic->len);
	ev_str(&e, "action", intercept_decision_names[decision]);
	ev_bool(&e, "precise", ic->flags & VTL1_INT_F_PRECISE);
	if (note)
		ev_str(&e, "note", note);
	ev_emit(&e);
	if (line)
		intercept_log_line(ic, ic->insn_len ? text : NULL,
				   intercept_decision_names[decision], note);
}

/* Intercept, report, and return VTL1's outcome op (0: the run ended). */
uint32_t intercept_decide(struct vcpu_pair *p, const struct vtl1_intercept *ic,
			  struct intercept_outcome *oc)
{
	uint32_t op = intercept_run(p, ic, oc);

	intercept_report(p, ic, op, NULL);
	return op;
}
