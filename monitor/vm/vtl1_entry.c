/* Entering VTL1: its inbox, its run until it answers, and the BOOT entry of a secure launch. */
#include "monitor/vm/vtl1_entry.h"

#include <string.h>

#include "monitor/base/log.h"
#include "monitor/dev/device.h"
#include "monitor/vm/ports.h"
#include "monitor/vm/vcpu_exit.h"
#include "vtl_device.h"
#include "vtl_layout.h"

static void vtl1_entry_device_read(struct vcpu_pair *p, const struct vexit *x)
{
	uint64_t off, val = ~0ULL;
	bool ok;

	if (device_offset(VTL1_DEVICE_GPA, VTL_DEVICE_SIZE, x->addr, x->len, &off))
		val = device_read_id_regs(VTL1_DEVICE_ID, p->m->features, off, x->len, &ok);
	memcpy(p->vtl1.run->mmio.data, &val, x->len);
}

/*
 * Runs VTL1's vCPU on the message already in its inbox until VTL1 ends the
 * entry. Anything VTL1 does that is not part of the protocol ends the run:
 * VTL1 is the trust anchor, so the monitor fails closed rather than guess.
 */
void vtl1_entry_run(struct vcpu_pair *p, struct vtl1_outcome *out)
{
	struct vexit x;
	uint64_t off;

	out->kind = VTL1_OUT_STOP;
	while (!machine_ended(p->m)) {
		if (vcpu_exit_next(p, &p->vtl1, &x))
			return;
		switch (x.kind) {
		case VEXIT_INTR: continue;
		case VEXIT_PIO_OUT:
		case VEXIT_PIO_IN: ports_pio(p, &p->vtl1, &x); continue;
		case VEXIT_MMIO_WRITE:
			if (x.addr == VTL1_DEVICE_GPA + VTL1_REG_OPS && x.len == 8) {
				if (vtl1_ops_run_list(p, x.value, out))
					return;
				continue;
			}
			if (device_offset(VTL1_DEVICE_GPA, VTL_DEVICE_SIZE, x.addr, x.len, &off))
				continue; /* read-only or unknown register */
			break;
		case VEXIT_MMIO_READ:
			if (device_offset(VTL1_DEVICE_GPA, VTL_DEVICE_SIZE, x.addr, x.len, &off)) {
				vtl1_entry_device_read(p, &x);
				continue;
			}
			break;
		default: break;
		}
		machine_end(p->m, RUN_END_VTL1_FAULT, 0, "VTL1 %s exit (reason %u) at %#llx",
			    exit_kind_name(x.kind), x.reason,
			    (unsigned long long)p->vtl1.run->s.regs.regs.rip);
		return;
	}
}

struct vtl1_entry *vtl1_entry_inbox(struct vcpu_pair *p, uint32_t reason)
{
	struct vtl1_entry *in =
	    guest_ram_ptr(&p->m->vtl1_ram, gpa(VTL1_PRIV_GPA + VTL_BOOT_INBOX), sizeof(*in));

	memset(in, 0, sizeof(*in));
	in->reason = reason;
	p->entry_reason = reason;
	in->vcpu = p->index;
	in->seq = ++p->entry_seq;
	return in;
}

static void pair_event_boot(struct vcpu_pair *p, int vtl)
{
	struct machine *m = p->m;
	const struct elf_image *img = vtl ? &m->vtl1_img : &m->vtl0_img;
	struct ev e;

	m->boot_ns[vtl ? 1 : 0] = clock_ns();
	ev_begin(&e, &m->events, "boot");
	ev_i64(&e, "vtl", vtl);
	ev_u64(&e, "vcpu", p->index);
	ev_str(&e, "image", vtl ? m->cfg.vtl1_name : m->vtl0_image_name);
	ev_hex(&e, "entry", img->entry);
	ev_u64(&e, "segments", img->nr_segments);
	ev_u64(&e, "mem", vtl ? m->vtl1_ram.size : m->vtl0_ram.size);
	if (vtl) {
		ev_str(&e, "policy", m->cfg.policy_name);
		ev_str(&e, "policy_sha256", m->policy_sha256);
	}
	ev_emit(&e);
}

/*
 * Secure launch: VTL1 handles its BOOT entry before VTL0 executes anything.
 * The same after a kexec (VTL1 protects the new kernel) and after a reset.
 */
int vtl1_entry_boot(struct vcpu_pair *p, uint32_t kind)
{
	struct vtl1_outcome out;
	struct vtl1_entry *in;

	if (kind == VTL1_BOOT_LAUNCH)
		pair_event_boot(p, 1);
	in = vtl1_entry_inbox(p, VTL1_ENTRY_BOOT);
	in->boot_kind = kind;
	vtl1_entry_run(p, &out);
	if (out.kind == VTL1_OUT_RESET)
		return 0; /* the loop resets, then boots again */
	if (out.kind != VTL1_OUT_RETURN) {
		if (atomic_load(&p->m->end) == RUN_END_KILLED)
			machine_end(p->m, RUN_END_LAUNCH_REFUSED, 0, "VTL1 refused to boot VTL0");
		return -1;
	}
	if (out.status != VTL_OK) {
		machine_end(p->m, RUN_END_LAUNCH_REFUSED, 0, "VTL1 refused to boot VTL0: %s",
			    vtl_strerror(out.status));
		return -1;
	}
	pair_event_boot(p, 0);
	return 0;
}
