/* The per-pair switch loop: runs a VTL0 vCPU and its VTL1 partner on one host thread. */
#include "monitor/vm/pair.h"

#include <string.h>

#include "monitor/base/log.h"
#include "monitor/dev/device.h"
#include "monitor/vm/enforce.h"
#include "monitor/vm/enforce_mem.h"
#include "monitor/vm/lifecycle.h"
#include "monitor/vm/ports.h"
#include "monitor/vm/sandbox.h"
#include "monitor/vm/smp.h"
#include "monitor/vm/vcpu_exit.h"
#include "monitor/vm/vtl0_device.h"
#include "monitor/vm/vtl1_entry.h"
#include "monitor/x86/decoder.h"
#include "vtl_device.h"
#include "vtl_layout.h"

static void pair_event_unmapped(struct vcpu_pair *p, int vtl, const struct vexit *x)
{
	struct ev e;

	ev_begin(&e, &p->m->events, "unmapped_access");
	ev_i64(&e, "vtl", vtl);
	ev_u64(&e, "vcpu", p->index);
	ev_hex(&e, "gpa", x->addr);
	ev_bool(&e, "write", x->kind == VEXIT_MMIO_WRITE);
	ev_u64(&e, "len", x->len);
	ev_emit(&e);
}

static void pair_vtl0_exit(struct vcpu_pair *p, const struct vexit *x)
{
	struct machine *m = p->m;
	uint64_t rip = p->vtl0.run->s.regs.regs.rip;
	uint64_t off;

	switch (x->kind) {
	case VEXIT_INTR: return;
	case VEXIT_PIO_OUT:
	case VEXIT_PIO_IN: ports_pio(p, &p->vtl0, x); return;
	case VEXIT_MMIO_WRITE:
		if (device_offset(VTL0_DEVICE_GPA, VTL_DEVICE_SIZE, x->addr, x->len, &off))
			vtl0_device_write(p, x);
		else if (guest_ram_contains(&m->vtl0_ram, gpa(x->addr), 1))
			enforce_mem_access(p, x);
		else
			pair_event_unmapped(p, 0, x); /* dropped, like a master abort */
		return;
	case VEXIT_MMIO_READ:
		if (device_offset(VTL0_DEVICE_GPA, VTL_DEVICE_SIZE, x->addr, x->len, &off)) {
			vtl0_device_read(p, x);
		} else if (guest_ram_contains(&m->vtl0_ram, gpa(x->addr), 1)) {
			enforce_mem_access(p, x);
		} else {
			/* Unbacked GPAs (VTL1 RAM among them) read as all-ones. */
			memset(p->vtl0.run->mmio.data, 0xFF, sizeof(p->vtl0.run->mmio.data));
			pair_event_unmapped(p, 0, x);
		}
		return;
	case VEXIT_HLT:
		machine_end(m, RUN_END_VTL0_FAULT, 0, "VTL0 halted with no wake-up source at %#llx",
			    (unsigned long long)rip);
		return;
	case VEXIT_SHUTDOWN:
		/* A triple fault resets a PC; the policy's reset limit bounds the loop. */
		LOG_GUEST("vtl0 triple fault at %#llx", (unsigned long long)rip);
		p->reset_trigger = "triple_fault";
		return;
	case VEXIT_INTERNAL_ERROR: enforce_internal_error(p, x); return;
	case VEXIT_MSR_READ:
	case VEXIT_MSR_WRITE: enforce_msr(p, x); return;
	case VEXIT_DEBUG: enforce_debug(p, x); return;
	case VEXIT_FAIL_ENTRY:
		machine_end(m, RUN_END_MONITOR_ERROR, 0, "VTL0 entry failed (reason %#llx)",
			    (unsigned long long)x->value);
		return;
	default:
		machine_end(m, RUN_END_MONITOR_ERROR, 0, "unexpected VTL0 exit %s (reason %u)",
			    exit_kind_name(x->kind), x->reason);
		return;
	}
}

/*
 * A reset was requested: rebuild, then launch again. Whichever vCPU asked,
 * the launch runs as at power-on: VTL1's BOOT entry on vCPU 0, whose thread
 * is parked meanwhile (smp.h), and the other vCPUs wait to be started
 * again. A further reset VTL1 asks for from that entry is vCPU 0's: its own
 * thread does it when it next holds the exit lock, as after a kexec.
 */
static void pair_reset(struct vcpu_pair *p)
{
	struct vcpu_pair *boot = &p->m->pairs[0];

	smp_quiesce(p);
	while (p->reset_trigger && !machine_ended(p->m)) {
		const char *trigger = p->reset_trigger;

		ports_console_flush(p, 0);
		ports_console_flush(p, 1);
		if (machine_request_rebuild(p->m, MACHINE_REBUILD_RESET, trigger))
			return;
		vtl1_entry_boot(boot, VTL1_BOOT_LAUNCH);
	}
}

void *pair_thread(void *arg)
{
	struct vcpu_pair *p = arg;
	struct machine *m = p->m;
	struct vexit x;

	/* --no-sandbox (valgrind) holds for the decoder process too; before any decode. */
	if (m->cfg.no_sandbox)
		decoder_set_sandbox(false);
	/* Before the first KVM_RUN: a compromised monitor thread keeps only what it needs. */
	if (!m->cfg.no_sandbox && sandbox_enter(SANDBOX_PAIR)) {
		machine_end(m, RUN_END_MONITOR_ERROR, 0, "cannot install the seccomp sandbox");
		goto out;
	}
	/* The exit lock is held from here on except while VTL0 runs (or waits to be started). */
	smp_exit_begin(p, p->vcpu_gen);
	if (p->index == 0 && vtl1_entry_boot(p, VTL1_BOOT_LAUNCH))
		goto out;
	while (!machine_ended(m)) {
		uint64_t gen = p->vcpu_gen;
		bool current;
		int r;

		if (p->reset_trigger) {
			pair_reset(p);
			continue;
		}
		if (!p->started) {
			if (!smp_wait_started(p))
				break;
			continue;
		}
		smp_exit_end(p);
		r = vcpu_exit_next(p, &p->vtl0, &x);
		current = smp_exit_begin(p, gen);
		if (r)
			break;
		/* A reset or kexec replaced the vCPU while this thread waited: nothing to handle.
		 */
		if (!current)
			continue;
		p->vtl0_fresh = false;
		p->exception_queued = false;
		if (p->stepping)
			enforce_rearm_sites(p);
		pair_vtl0_exit(p, &x);
		/* The audit trail fails closed: no guest runs on once an event was lost. */
		machine_check_audit(m);
		/*
		 * CR writes never exit (KVM-HOST-NOTES): every exit is a chance to
		 * catch one, a reset's too (its state is gone afterwards). Not when
		 * the exit replaced VTL0's vCPU (kexec): the new one has not run, and
		 * nothing it holds is the old kernel's.
		 */
		if (!machine_ended(m) && !p->vtl0_fresh)
			enforce_check_cr(p);
	}
out:
	ports_console_flush(p, 0);
	ports_console_flush(p, 1);
	smp_thread_exit(p);
	return NULL;
}
