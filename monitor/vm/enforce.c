/* Enforcement: turns VTL0 exits into intercepts for VTL1, then applies VTL1's outcome precisely. */
#include <errno.h>
#include <string.h>

#include "monitor/x86/disasm.h"
#include "monitor/x86/insn.h"
#include "monitor/base/log.h"
#include "monitor/vm/enforce.h"

#include "monitor/vm/vtl1_entry.h"
#include "monitor/x86/ptwalk.h"
#include "vtl1_abi.h"
#include "vtl_layout.h"

/*
 * Rounds of one instruction's MMIO/PIO exits that a denial may finish before
 * it gives up: a rep string op takes one round per element (KVM re-enters
 * the guest every 1024 iterations), a straddling access one per page.
 */
#define ENFORCE_ABORT_ROUNDS 4096

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

/* ---- guest memory through VTL0's own page tables, with VTL0's own rights ---------- */

static int enforce_read_gpa(void *ctx, uint64_t g, void *dst, size_t len)
{
	return perm_vtl0_read(ctx, g, dst, len);
}

static const struct kvm_sregs *enforce_sregs(struct vcpu_pair *p)
{
	return &p->vtl0.run->s.regs.sregs;
}

static enum ptwalk_err enforce_translate(struct vcpu_pair *p, uint64_t va, uint64_t *g)
{
	const struct kvm_sregs *s = enforce_sregs(p);
	struct ptwalk_result pw;
	enum ptwalk_err err = ptwalk_translate(s->cr0, s->cr4, s->efer, s->cr3, va,
					       enforce_read_gpa, &p->m->perm, &pw);

	*g = pw.gpa;
	return err;
}

static size_t enforce_fetch(struct vcpu_pair *p, uint64_t va, uint8_t *buf, size_t len)
{
	const struct kvm_sregs *s = enforce_sregs(p);

	return ptwalk_fetch(s->cr0, s->cr4, s->efer, s->cr3, va, enforce_read_gpa, &p->m->perm, buf,
			    len);
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

static void enforce_fill_insn(struct vcpu_pair *p, struct vtl1_intercept *ic, uint64_t va,
			      size_t len)
{
	memset(ic->insn, 0, sizeof(ic->insn));
	ic->insn_len = (uint8_t)enforce_fetch(p, va, ic->insn, len);
}

/* Registers and segment bases an address is computed from, as at this exit. */
static void enforce_cpu(struct vcpu_pair *p, const struct kvm_regs *regs, bool after,
			struct insn_cpu *cpu)
{
	const struct kvm_sregs *s = enforce_sregs(p);

	cpu->regs = regs;
	cpu->fs_base = s->fs.base;
	cpu->gs_base = s->gs.base;
	cpu->regs_after = after;
}

/* Does the linear address translate (through VTL0's own tables) to exactly `g`? */
static bool enforce_va_is_gpa(void *ctx, uint64_t va, uint64_t g)
{
	uint64_t got;

	return enforce_translate(ctx, va, &got) == PTWALK_OK && got == g;
}

/* ---- KVM state changes ------------------------------------------------------- */

static int enforce_inject(struct vcpu_pair *p, uint32_t vector, uint32_t error_code, uint64_t cr2)
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

static void enforce_inject_or_end(struct vcpu_pair *p, const struct intercept_outcome *oc)
{
	if (enforce_inject(p, oc->vector, oc->error_code, oc->cr2))
		machine_end(p->m, RUN_END_MONITOR_ERROR, 0, "cannot inject into VTL0");
}

/*
 * Finish the pending exit with no effect, however many rounds the
 * instruction needs: reads get zeros, never stale bytes, and writes are
 * dropped. Returns 0, or -1 when the run has ended (KVM failed, or the
 * instruction would not stop: failing closed beats an unbounded loop).
 */
static int enforce_abort_exit(struct vcpu_pair *p)
{
	struct kvm_run *run = p->vtl0.run;
	struct vexit x;

	for (unsigned round = 0; round < ENFORCE_ABORT_ROUNDS; round++) {
		int r;

		exit_decode(run, p->vtl0.run_size, 0, &x);
		if (x.kind == VEXIT_MMIO_READ)
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
		else if (x.kind == VEXIT_PIO_IN)
			memset((uint8_t *)run + x.data_off, 0, x.data_len);
		else if (x.kind != VEXIT_MMIO_WRITE && x.kind != VEXIT_PIO_OUT)
			break;
		r = __vcpu_complete_exit(&p->vtl0);
		if (r == -EINTR)
			return 0;
		if (r) {
			machine_end(p->m, RUN_END_MONITOR_ERROR, 0,
				    "cannot stop a denied access: %s", strerror(-r));
			return -1;
		}
		/* r == 0: the same instruction needs another round (next element or page). */
	}
	machine_end(p->m, RUN_END_VTL0_FAULT, 0,
		    "a denied access at %#llx did not stop (%s exit after %u rounds)",
		    (unsigned long long)p->vtl0.run->s.regs.regs.rip, exit_kind_name(x.kind),
		    ENFORCE_ABORT_ROUNDS);
	return -1;
}

/* Abort the pending access, put the registers back as in `regs`, inject VTL1's exception. */
static void enforce_deny_access(struct vcpu_pair *p, const struct kvm_regs *regs,
				const struct intercept_outcome *oc)
{
	if (enforce_abort_exit(p))
		return;
	if (vcpu_set_regs(&p->vtl0, regs)) {
		machine_end(p->m, RUN_END_MONITOR_ERROR, 0, "cannot rewind VTL0");
		return;
	}
	enforce_inject_or_end(p, oc);
}

/* ---- intercepts ---------------------------------------------------------------- */

/*
 * Runs VTL1 on an INTERCEPT entry. Returns the outcome op, or 0 when the run
 * has ended (VTL1 killed VTL0, or faulted). No outcome at all is a kill.
 */
static uint32_t enforce_intercept(struct vcpu_pair *p, const struct vtl1_intercept *ic,
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
	if (!machine_ended(p->m))
		return "none"; /* nobody decided: only recorded */
	return atomic_load(&p->m->end) == RUN_END_KILLED ? "kill" : "stop";
}

static void enforce_report(struct vcpu_pair *p, const struct vtl1_intercept *ic, uint32_t op,
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
	ev_str(&e, "kind", enforce_kind_name(ic->kind));
	ev_hex(&e, "gpa", ic->gpa);
	ev_hex(&e, "rip", ic->rip);
	ev_str(&e, "insn", text);
	ev_hex(&e, "value", ic->value);
	ev_u64(&e, "len", ic->len);
	ev_str(&e, "action", enforce_action_name(p, op));
	ev_bool(&e, "precise", ic->flags & VTL1_INT_F_PRECISE);
	if (note)
		ev_str(&e, "note", note);
	ev_emit(&e);
	LOG_GUEST("vtl0 %s violation at gpa %#llx rip %#llx (%s): %s", enforce_kind_name(ic->kind),
		  (unsigned long long)ic->gpa, (unsigned long long)ic->rip, text,
		  enforce_action_name(p, op));
}

/* Intercept, report, and return VTL1's outcome op (0: the run ended). */
static uint32_t enforce_decide(struct vcpu_pair *p, const struct vtl1_intercept *ic,
			       struct intercept_outcome *oc)
{
	uint32_t op = enforce_intercept(p, ic, oc);

	enforce_report(p, ic, op, NULL);
	return op;
}

/* ---- memory -------------------------------------------------------------------- */

/*
 * A write exit: which instruction made it. RIP is past the store (except for
 * a rep string op mid-way), so the candidates are the instructions that end
 * at RIP; the denial is precise only when exactly one can have made this
 * write and its only effect is the store (insn_write_origin).
 */
static void enforce_write_origin(struct vcpu_pair *p, const struct vexit *x,
				 const struct kvm_regs *snap, struct insn_write_origin *o)
{
	uint8_t before[INSN_MAX], at[INSN_MAX];
	struct insn_cpu cpu;
	size_t n = enforce_fetch_before(p, snap->rip, before);
	size_t at_n = enforce_fetch(p, snap->rip, at, sizeof(at));
	const struct insn_write_exit wx = {
	    .rip = snap->rip,
	    .gpa = x->addr,
	    .len = x->len,
	    .cpu = &cpu,
	    .va_is_gpa = enforce_va_is_gpa,
	    .ctx = p,
	};

	enforce_cpu(p, snap, true, &cpu);
	insn_write_origin(before, n, at, at_n, &wx, o);
}

/*
 * A read exit: RIP is on the load. Precise when the instruction's only
 * effects are on GPRs and flags, which the exit's register snapshot puts
 * back; anything else (a memory, vector or stack destination, a string op)
 * may have been handed zeros before it stopped.
 */
static bool enforce_read_precise(struct vcpu_pair *p, const struct vexit *x,
				 const struct kvm_regs *snap)
{
	uint8_t bytes[INSN_MAX];
	size_t n = enforce_fetch(p, snap->rip, bytes, sizeof(bytes));
	struct insn_info in;
	struct insn_cpu cpu;

	enforce_cpu(p, snap, false, &cpu);
	if (!n || insn_decode(bytes, n, snap->rip, &cpu, &in) || !in.pure_load)
		return false;
	return in.mem[0].ea_known && in.mem[0].size == x->len &&
	       enforce_va_is_gpa(p, in.mem[0].ea, x->addr);
}

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
	struct insn_write_origin org = {0};
	struct intercept_outcome oc;
	struct kvm_regs regs = snap;
	uint32_t op;

	/* An access the page allows now raced with an update: finish it, it is no violation. */
	if (perms & (write ? VTL_PERM_W : VTL_PERM_R)) {
		if (write)
			guest_ram_write(&m->vtl0_ram, gpa(x->addr), &x->value, x->len);
		else if (guest_ram_read(&m->vtl0_ram, gpa(x->addr), run->mmio.data, x->len))
			memset(run->mmio.data, 0xFF, x->len);
		return;
	}
	if (write) {
		enforce_write_origin(p, x, &snap, &org);
		ic.rip = org.rip;
		if (org.precise)
			ic.flags |= VTL1_INT_F_PRECISE;
		/* Unknown origin: the bytes at RIP are the next instruction, not the culprit. */
		if (org.known)
			enforce_fill_insn(p, &ic, org.rip, org.len);
	} else {
		if (enforce_read_precise(p, x, &snap))
			ic.flags |= VTL1_INT_F_PRECISE;
		enforce_fill_insn(p, &ic, snap.rip, sizeof(ic.insn));
	}
	op = enforce_decide(p, &ic, &oc);
	switch (op) {
	case VTL1_OP_ALLOW:
		/* VTL1 allowed exactly this access: the monitor performs it for VTL0. */
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
		/*
		 * Reads: back onto the load with the GPRs as before it. Writes: onto
		 * the store when it was the only effect; otherwise the exception
		 * lands where VTL0 is now, after the instruction (imprecise).
		 */
		if (write && org.precise)
			regs.rip = org.rip;
		enforce_deny_access(p, &regs, &oc);
		return;
	default: return;
	}
}

/*
 * A memory operand of the instruction at RIP that VTL0 may not access as it
 * does: the first page of [ea, ea + size) whose permissions forbid it.
 */
static bool enforce_operand_denied(struct vcpu_pair *p, const struct insn_mem *mem, uint64_t *g,
				   uint8_t *perms)
{
	uint64_t last = mem->ea + mem->size - 1;
	uint8_t need = mem->write ? VTL_PERM_W : VTL_PERM_R;

	for (uint64_t va = mem->ea;; va = (va | (VTL_PAGE_SIZE - 1)) + 1) {
		uint64_t page_gpa;

		if (enforce_translate(p, va, &page_gpa) == PTWALK_OK &&
		    guest_ram_contains(&p->m->vtl0_ram, gpa(page_gpa), 1)) {
			*perms = perm_intended(&p->m->perm, page_gpa);
			if (!(*perms & need)) {
				*g = page_gpa;
				return true;
			}
		}
		if ((va | (VTL_PAGE_SIZE - 1)) >= last || va > last)
			return false;
	}
}

/* Does the instruction at rip end within the `room` bytes left on its page? */
static bool enforce_fits_in_page(struct vcpu_pair *p, uint64_t rip, uint64_t room)
{
	uint8_t bytes[INSN_MAX];
	struct insn_info in;
	struct insn_cpu cpu;
	size_t n;

	if (room >= INSN_MAX)
		return true;
	n = enforce_fetch(p, rip, bytes, (size_t)room);
	enforce_cpu(p, &p->vtl0.run->s.regs.regs, false, &cpu);
	return n == room && !insn_decode(bytes, n, rip, &cpu, &in) && in.len <= room;
}

/*
 * The page VTL0 cannot fetch from: RIP's, or the next one for an instruction
 * that straddles into it. *va is the first linear address it could not
 * fetch (the #PF's CR2).
 */
static bool enforce_fetch_denied(struct vcpu_pair *p, uint64_t rip, uint64_t *g, uint64_t *va,
				 bool *race)
{
	uint64_t ends[2] = {rip, (rip | (VTL_PAGE_SIZE - 1)) + 1};

	*race = false;
	for (int i = 0; i < 2; i++) {
		if (i && enforce_fits_in_page(p, rip, ends[1] - rip))
			break; /* the instruction ends before the next page */
		*va = ends[i];
		if (enforce_translate(p, ends[i], g) != PTWALK_OK ||
		    !guest_ram_contains(&p->m->vtl0_ram, gpa(*g), 1))
			return false; /* the guest's own #PF, not ours */
		*g &= ~(uint64_t)(VTL_PAGE_SIZE - 1);
		if (perm_effective(&p->m->perm, *g))
			continue;
		/* No slot: a fetch from it cannot work. Raced with a relaxation? Fetch again. */
		*race = perm_intended(&p->m->perm, *g) != 0;
		return true;
	}
	return false;
}

/*
 * KVM_EXIT_INTERNAL_ERROR: KVM could not run or emulate the instruction at
 * RIP. On this host that is a fetch from a page with no memslot (no-access),
 * and any access KVM's emulator cannot do to a protected page (16-byte and
 * wider SSE moves, cmpxchg16b, fxsave/xsave: KVM-HOST-NOTES). Those are
 * violations VTL1 decides; nothing of the instruction has happened. Anything
 * else is VTL0's own crash.
 */
void enforce_internal_error(struct vcpu_pair *p, const struct vexit *x)
{
	struct machine *m = p->m;
	struct kvm_run *run = p->vtl0.run;
	uint64_t rip = run->s.regs.regs.rip;
	struct intercept_outcome oc;
	struct vtl1_intercept ic;
	struct insn_info in = {0};
	struct insn_cpu cpu;
	uint8_t bytes[INSN_MAX];
	uint64_t g = 0, fetch_va = rip;
	uint8_t perms = 0;
	bool race, found = false;
	uint32_t op;
	size_t n;

	memset(&ic, 0, sizeof(ic));
	if (x->suberror != KVM_INTERNAL_ERROR_EMULATION)
		goto crash;
	if (enforce_fetch_denied(p, rip, &g, &fetch_va, &race)) {
		if (race)
			return;
		ic.kind = VTL1_INT_MEM_EXEC;
		ic.gpa = g;
		/*
		 * VTL0 cannot read the page, and the monitor reads for it only
		 * with its rights: the report carries the bytes VTL0 could read.
		 */
		enforce_fill_insn(p, &ic, rip, sizeof(ic.insn));
		found = true;
	} else {
		n = enforce_fetch(p, rip, bytes, sizeof(bytes));
		enforce_cpu(p, &run->s.regs.regs, false, &cpu);
		if (n && !insn_decode(bytes, n, rip, &cpu, &in)) {
			for (unsigned i = 0; i < in.nmem && !found; i++) {
				if (!in.mem[i].ea_known ||
				    !enforce_operand_denied(p, &in.mem[i], &g, &perms))
					continue;
				ic.kind = in.mem[i].write ? VTL1_INT_MEM_WRITE : VTL1_INT_MEM_READ;
				ic.len = (uint8_t)(in.mem[i].size > 255 ? 255 : in.mem[i].size);
				ic.perms = perms;
				ic.gpa = g;
				ic.aux = in.mem[i].ea;
				found = true;
			}
			memcpy(ic.insn, bytes, n);
			ic.insn_len = (uint8_t)n;
		}
	}
	if (!found)
		goto crash;
	/* KVM stopped before the instruction did anything: RIP is on it. */
	ic.flags = VTL1_INT_F_PRECISE;
	ic.rip = rip;
	if (ic.kind == VTL1_INT_MEM_EXEC)
		ic.aux = fetch_va; /* the first byte it could not fetch: CR2 of a #PF */
	op = enforce_decide(p, &ic, &oc);
	switch (op) {
	case VTL1_OP_INJECT: enforce_inject_or_end(p, &oc); return;
	case VTL1_OP_SKIP:
		if (ic.kind != VTL1_INT_MEM_EXEC && in.len) {
			/* Without effect: the instruction is stepped over, its destination
			 * untouched. */
			run->s.regs.regs.rip += in.len;
			run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
			return;
		}
		/* A fetch cannot be skipped. */
		__attribute__((fallthrough));
	case VTL1_OP_ALLOW:
		/* KVM cannot perform it: neither run code with no memslot nor emulate this access.
		 */
		machine_end(m, RUN_END_KILLED, 0,
			    "VTL1 let a %s through that KVM cannot perform (at %#llx)",
			    enforce_kind_name(ic.kind), (unsigned long long)rip);
		return;
	default: return;
	}
crash:
	machine_end(m, RUN_END_VTL0_FAULT, 0, "VTL0 internal error (suberror %u) at %#llx",
		    x->suberror, (unsigned long long)rip);
}

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
	const struct kvm_sregs *s = enforce_sregs(p);

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
	enforce_fill_insn(p, &ic, ic.rip, sizeof(ic.insn));
	op = enforce_intercept(p, &ic, &oc);
	enforce_report(p, &ic, op,
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

bool enforce_cr_violated(struct vcpu_pair *p, struct vtl1_intercept *ic)
{
	const struct kvm_sregs *s = enforce_sregs(p);

	for (int idx = 0; idx < 2; idx++) {
		uint64_t cur = idx ? s->cr4 : s->cr0;

		if (p->m->pins.cr[idx].mask && pins_cr_violated(&p->m->pins, idx, cur)) {
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
	enforce_report(p, &copy, 0, "the kernel was replaced (kexec) before the check");
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
		enforce_cr_intercept(p, idx, cur, &ic);
		op = enforce_decide(p, &ic, &oc);
		if (p->reset_trigger)
			continue; /* reported; the reset replaces this state anyway */
		if (op == VTL1_OP_ALLOW)
			enforce_set_cr(p, idx, cur);
		else if (op == VTL1_OP_INJECT)
			/* Detected after the fact: the #GP lands where VTL0 is now, not at the
			 * write. */
			enforce_inject_or_end(p, &oc);
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
	n = enforce_fetch(p, regs->rip, bytes, sizeof(bytes));
	enforce_cpu(p, regs, false, &cpu);
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
	op = enforce_decide(p, &ic, &oc);
	switch (op) {
	case VTL1_OP_INJECT: enforce_inject_or_end(p, &oc); return;
	case VTL1_OP_SKIP:
		regs->rip += len;
		run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return;
	case VTL1_OP_ALLOW: enforce_step_over(p, regs->rip, len); return;
	default: return;
	}
}
