/* Enforcement of VTL0 page permissions: permission exits, wide accesses and fetches, precisely or
 * honestly. */
#include "monitor/vm/enforce_mem.h"

#include <errno.h>
#include <string.h>

#include "monitor/vm/intercept.h"
#include "monitor/vm/vtl0_view.h"
#include "monitor/x86/insn.h"
#include "vtl_layout.h"

/*
 * Rounds of one instruction's MMIO/PIO exits that a denial may finish before
 * it gives up: a rep string op takes one round per element (KVM re-enters
 * the guest every 1024 iterations), a straddling access one per page.
 */
#define ENFORCE_ABORT_ROUNDS 4096

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
	intercept_inject_or_end(p, oc);
}

/*
 * A write exit: which instruction made it. RIP is past the store (except for
 * a rep string op mid-way), so the candidates are the instructions that end
 * at RIP; the denial is precise only when exactly one can have made this
 * write and its only effect is the store (insn_write_origin). A known
 * origin's bytes go into the report as they were decoded.
 */
static void enforce_write_origin(struct vcpu_pair *p, const struct vexit *x,
				 const struct kvm_regs *snap, struct insn_write_origin *o,
				 struct vtl1_intercept *ic)
{
	uint8_t buf[2 * INSN_MAX], *before = buf, *at = buf + INSN_MAX;
	struct vtl0_walks walks;
	struct insn_cpu cpu;
	size_t n, at_n;
	const struct insn_write_exit wx = {
	    .rip = snap->rip,
	    .gpa = x->addr,
	    .len = x->len,
	    .cpu = &cpu,
	    .va_is_gpa = vtl0_walks_va_is_gpa,
	    .ctx = &walks,
	};

	/* RIP's page and the store's address: usually under the same upper-level entries. */
	vtl0_walks_init(&walks, p);
	/* Both sides of RIP in one fetch (one page walk when they share a page). */
	at_n = snap->rip >= INSN_MAX
		   ? vtl0_walks_fetch(&walks, snap->rip - INSN_MAX, buf, sizeof(buf))
		   : 0;
	if (at_n >= INSN_MAX) {
		n = INSN_MAX;
		at_n -= INSN_MAX;
	} else {
		n = vtl0_view_fetch_before(p, snap->rip, before);
		at_n = vtl0_view_fetch(p, snap->rip, at, INSN_MAX);
	}
	vtl0_view_cpu(p, snap, true, &cpu);
	insn_write_origin(before, n, at, at_n, &wx, o);
	/* Unknown origin: the bytes at RIP are the next instruction, not the culprit. */
	if (!o->known)
		return;
	memset(ic->insn, 0, sizeof(ic->insn));
	memcpy(ic->insn, o->at_rip ? at : before + n - o->len, o->len);
	ic->insn_len = (uint8_t)o->len;
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
	size_t n = vtl0_view_fetch(p, snap->rip, bytes, sizeof(bytes));
	struct insn_info in;
	struct insn_cpu cpu;

	vtl0_view_cpu(p, snap, false, &cpu);
	if (!n || insn_decode(bytes, n, snap->rip, &cpu, &in) || !in.pure_load)
		return false;
	return in.mem[0].ea_known && in.mem[0].size == x->len &&
	       vtl0_view_va_is_gpa(p, in.mem[0].ea, x->addr);
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
		enforce_write_origin(p, x, &snap, &org, &ic);
		ic.rip = org.rip;
		if (org.precise)
			ic.flags |= VTL1_INT_F_PRECISE;
	} else {
		if (enforce_read_precise(p, x, &snap))
			ic.flags |= VTL1_INT_F_PRECISE;
		intercept_fill_insn(p, &ic, snap.rip, sizeof(ic.insn));
	}
	op = intercept_decide(p, &ic, &oc);
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

		if (vtl0_view_translate(p, va, &page_gpa) == PTWALK_OK &&
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
	n = vtl0_view_fetch(p, rip, bytes, (size_t)room);
	vtl0_view_cpu(p, &p->vtl0.run->s.regs.regs, false, &cpu);
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
		if (vtl0_view_translate(p, ends[i], g) != PTWALK_OK ||
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
		intercept_fill_insn(p, &ic, rip, sizeof(ic.insn));
		found = true;
	} else {
		n = vtl0_view_fetch(p, rip, bytes, sizeof(bytes));
		vtl0_view_cpu(p, &run->s.regs.regs, false, &cpu);
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
	op = intercept_decide(p, &ic, &oc);
	switch (op) {
	case VTL1_OP_INJECT: intercept_inject_or_end(p, &oc); return;
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
			    intercept_kind_name(ic.kind), (unsigned long long)rip);
		return;
	default: return;
	}
crash:
	machine_end(m, RUN_END_VTL0_FAULT, 0, "VTL0 internal error (suberror %u) at %#llx",
		    x->suberror, (unsigned long long)rip);
}
