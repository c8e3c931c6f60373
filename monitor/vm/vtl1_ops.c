/* VTL1's op lists: copied once, checked whole, then each op applied (the monitor's side of the
 * ABI). */
#include "monitor/vm/vtl1_ops.h"
#include "monitor/base/limits.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "hypercalls/ops.h"
#include "monitor/base/log.h"
#include "monitor/vm/lifecycle.h"
#include "monitor/vm/ports.h"
#include "monitor/vm/smp.h"
#include "policy/policy.h"
#include "vtl_layout.h"

static struct ops_limits pair_ops_limits(const struct machine *m)
{
	return (struct ops_limits){
	    .vtl0_ram_size = m->vtl0_ram.size,
	    .priv_base = m->vtl1_ram.gpa_base,
	    .priv_size = m->vtl1_ram.size,
	};
}

static enum vtl_status op_log(struct vcpu_pair *p, const struct vtl1_op *op)
{
	char text[VTL1_LOG_MAX + 1];
	struct ev e;

	/* Bounds were checked with the list; the bytes may still be anything. */
	if (guest_ram_read(&p->m->vtl1_ram, gpa(op->arg[0]), text, op->arg[1]))
		return VTL_E_BAD_ADDRESS;
	text[op->arg[1]] = '\0';
	ev_begin(&e, &p->m->events, "log");
	ev_i64(&e, "vtl", 1);
	ev_u64(&e, "vcpu", p->index);
	ev_strn(&e, "msg", text, op->arg[1]);
	ev_emit(&e);
	if (log_verbose) {
		ports_console_bytes(p, 1, (const uint8_t *)text, (uint32_t)op->arg[1]);
		ports_console_flush(p, 1);
	}
	return VTL_OK;
}

/* Never inlined: bench/instr.sh tells the op-list exit that runs it by its own cost. */
static __attribute__((noinline)) enum vtl_status op_set_perms(struct vcpu_pair *p,
							      const struct vtl1_op *op)
{
	struct machine *m = p->m;
	struct ev e;
	int r;

	/* No VTL0 vCPU runs while its memslots change (smp.h). */
	smp_quiesce(p);
	r = perm_set(&m->perm, op->arg[0], op->arg[1], op->arg[2]);

	if (r < 0) {
		/* KVM refused half-way: what is enforced is no longer known. Fail closed. */
		machine_end(m, RUN_END_MONITOR_ERROR, 0, "memslot update failed");
		return VTL_E_NO_RESOURCES;
	}
	/* Events off (events.h: f NULL): the eight no-op calls below would be a tenth of the exit.
	 */
	if (!m->events.f)
		return (enum vtl_status)r;
	ev_begin(&e, &m->events, "protect");
	ev_u64(&e, "vcpu", p->index);
	ev_hex(&e, "gpa", op->arg[0]);
	ev_u64(&e, "pages", op->arg[1]);
	ev_u64(&e, "perms", op->arg[2]);
	ev_u64(&e, "slots", m->perm.nslots);
	ev_str(&e, "result", vtl_strerror((uint32_t)r));
	ev_emit(&e);
	return (enum vtl_status)r;
}

static void pair_event_pin(struct vcpu_pair *p, const char *reg, uint64_t index, uint64_t mask,
			   uint64_t value, bool pinned)
{
	struct ev e;

	ev_begin(&e, &p->m->events, "pin");
	ev_u64(&e, "vcpu", p->index);
	ev_str(&e, "reg", reg);
	ev_hex(&e, "index", index);
	ev_hex(&e, "mask", mask);
	ev_hex(&e, "value", value);
	ev_bool(&e, "pinned", pinned);
	ev_emit(&e);
}

static enum vtl_status op_pin_cr(struct vcpu_pair *p, const struct vtl1_op *op, bool pin)
{
	struct cr_pin *cp = &p->m->pins.cr[pins_cr_index(op->arg[0])];
	uint64_t mask = op->arg[1], value = op->arg[2];
	struct kvm_sregs sregs;

	if (!pin) {
		/* Stored whole: the main thread's watchdog reads it (machine_watchdog_us). */
		__atomic_store_n(&cp->mask, cp->mask & ~mask, __ATOMIC_RELAXED);
		pair_event_pin(p, op->arg[0] ? "cr4" : "cr0", op->arg[0], mask, 0, false);
		return VTL_OK;
	}
	if (value == VTL1_PIN_CURRENT) {
		/* VTL0 may not have run yet: ask KVM, not the sync regs of an exit. */
		if (vcpu_get_sregs(&p->vtl0, &sregs))
			return VTL_E_NO_RESOURCES;
		value = op->arg[0] ? sregs.cr4 : sregs.cr0;
	}
	cp->value = (cp->value & ~mask) | (value & mask);
	__atomic_store_n(&cp->mask, cp->mask | mask, __ATOMIC_RELAXED);
	/* It holds at once on the vCPU it was read from (enforce.c). */
	p->cr_armed[pins_cr_index(op->arg[0])] = true;
	pair_event_pin(p, op->arg[0] ? "cr4" : "cr0", op->arg[0], mask, value & mask, true);
	return VTL_OK;
}

static enum vtl_status op_pin_msr(struct vcpu_pair *p, const struct vtl1_op *op, bool pin)
{
	struct machine *m = p->m;
	uint32_t index = (uint32_t)op->arg[0];
	uint64_t value = op->arg[1];
	uint32_t st;

	/* The filter is the VM's: no VTL0 vCPU runs while it changes (smp.h). */
	smp_quiesce(p);
	if (!pin) {
		pins_msr_remove(&m->pins, index);
		if (pins_apply_msr_filter(&m->vm[0], &m->pins))
			return VTL_E_NOT_SUPPORTED;
		pair_event_pin(p, "msr", index, 0, 0, false);
		return VTL_OK;
	}
	/* Only MSRs that change through WRMSR alone can be guarded by the filter (policy.h). */
	if (!m->msr_exits || !policy_msr_pinnable(index))
		return VTL_E_NOT_SUPPORTED;
	if (value == VTL1_PIN_CURRENT && __vcpu_get_msr(&p->vtl0, index, &value))
		return VTL_E_INVALID; /* no such MSR on this vCPU */
	st = pins_msr_add(&m->pins, index, value);
	if (st != VTL_OK)
		return (enum vtl_status)st;
	if (pins_apply_msr_filter(&m->vm[0], &m->pins)) {
		pins_msr_remove(&m->pins, index);
		return VTL_E_NOT_SUPPORTED;
	}
	pair_event_pin(p, "msr", index, ~0ULL, value, true);
	return VTL_OK;
}

static enum vtl_status op_cr_site(struct vcpu_pair *p, const struct vtl1_op *op)
{
	struct machine *m = p->m;

	/* Debug registers are per vCPU: every VTL0 vCPU gets the sites, none running meanwhile. */
	smp_quiesce(p);
	m->pins.cr_site[op->arg[0]] = op->arg[1];
	for (uint32_t i = 0; i < m->nr_pairs; i++)
		if (pins_apply_sites(&m->pairs[i].vtl0, &m->pins))
			return VTL_E_NOT_SUPPORTED;
	pair_event_pin(p, "cr_site", op->arg[0], 0, op->arg[1], op->arg[1] != 0);
	return VTL_OK;
}

static enum vtl_status op_outcome(struct vcpu_pair *p, const struct vtl1_op *op)
{
	/* Outcomes answer an intercept; anywhere else they would be stale. */
	if (!p->in_intercept)
		return VTL_E_BAD_STATE;
	if (p->outcome.op)
		return VTL_E_INVALID;
	p->outcome.op = op->code;
	p->outcome.vector = (uint32_t)op->arg[0];
	p->outcome.error_code = (uint32_t)op->arg[1];
	p->outcome.cr2 = op->arg[2];
	return VTL_OK;
}

/*
 * MEASURE, VERIFY_SIG and KEXEC_STAGE read VTL0 RAM that VTL0 handed over
 * (an image, a signature): with VTL0's own rights, so a page VTL0 cannot
 * read is never measured, staged or logged through the monitor.
 */
static const void *op_vtl0_bytes(struct vcpu_pair *p, uint64_t addr, uint64_t len)
{
	return perm_vtl0_ptr(&p->m->perm, addr, len, VTL_PERM_R);
}

static enum vtl_status op_measure(struct vcpu_pair *p, const struct vtl1_op *op)
{
	struct machine *m = p->m;
	const void *src = op_vtl0_bytes(p, op->arg[0], op->arg[1]);
	void *dst = guest_ram_ptr(&m->vtl1_ram, gpa(op->arg[2]), VTL_SHA256_SIZE);

	/* VTL1 runs emulated at ~1 us per instruction: the monitor hashes for it. */
	if (!src || !dst)
		return VTL_E_BAD_ADDRESS;
	crypto_hash_sha256(dst, src, op->arg[1]);
	return VTL_OK;
}

static enum vtl_status op_verify_sig(struct vcpu_pair *p, const struct vtl1_op *op)
{
	struct machine *m = p->m;
	const void *msg = op_vtl0_bytes(p, op->arg[0], op->arg[1]);
	struct vtl1_sig_check chk;

	if (!msg || guest_ram_read(&m->vtl1_ram, gpa(op->arg[2]), &chk, sizeof(chk)))
		return VTL_E_BAD_ADDRESS;
	return crypto_sign_verify_detached(chk.sig, msg, op->arg[1], chk.key) ? VTL_E_VERIFY
									      : VTL_OK;
}

static enum vtl_status op_kexec_stage(struct vcpu_pair *p, const struct vtl1_op *op)
{
	struct machine *m = p->m;
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1], msg[256];
	const void *src;
	uint8_t *copy;
	struct ev e;
	int bad;

	m->kexec_staged = false;
	if (!op->arg[0] && !op->arg[1])
		return VTL_OK;
	/* The op checker bounds the size (OPS_VTL0_RANGE_MAX). */
	src = op_vtl0_bytes(p, op->arg[0], op->arg[1]);
	if (!src)
		return VTL_E_BAD_ADDRESS;
	/* Checked and hashed on one copy: VTL0 racing the check gains nothing. */
	copy = malloc(op->arg[1]);
	if (!copy)
		return VTL_E_NO_RESOURCES;
	memcpy(copy, src, op->arg[1]);
	bad = machine_kexec_check(m, copy, op->arg[1], msg, sizeof(msg));
	crypto_hash_sha256(digest, copy, op->arg[1]);
	free(copy);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	ev_begin(&e, &m->events, "kexec");
	ev_str(&e, "step", bad ? "malformed" : "load");
	ev_hex(&e, "gpa", op->arg[0]);
	ev_u64(&e, "size", op->arg[1]);
	ev_str(&e, "sha256", hex);
	if (bad)
		ev_str(&e, "error", msg);
	ev_emit(&e);
	if (bad)
		return VTL_E_INVALID;
	m->kexec_staged = true;
	m->kexec_gpa = op->arg[0];
	m->kexec_size = op->arg[1];
	return VTL_OK;
}

static enum vtl_status op_kexec_commit(struct vcpu_pair *p, const struct vtl1_op *op,
				       struct vtl1_outcome *out)
{
	uint8_t digest[VTL_SHA256_SIZE];
	uint32_t st;

	/*
	 * Only as the answer to VTL0's KEXEC_EXEC call: the call path is what
	 * sends VTL1 the BOOT entry that protects the new kernel before it runs.
	 */
	if (p->entry_reason != VTL1_ENTRY_CALL)
		return VTL_E_BAD_STATE;
	if (guest_ram_read(&p->m->vtl1_ram, gpa(op->arg[0]), digest, sizeof(digest)))
		return VTL_E_BAD_ADDRESS;
	st = machine_kexec_commit(p->m, p, digest);
	if (st == VTL_OK)
		out->kind = VTL1_OUT_KEXEC;
	return (enum vtl_status)st;
}

static enum vtl_status op_apply(struct vcpu_pair *p, const struct vtl1_op *op,
				struct vtl1_outcome *out)
{
	switch (op->code) {
	case VTL1_OP_RETURN:
		out->kind = VTL1_OUT_RETURN;
		out->status = (uint32_t)op->arg[0];
		out->results[0] = op->arg[1];
		out->results[1] = op->arg[2];
		return VTL_OK;
	case VTL1_OP_LOG: return op_log(p, op);
	case VTL1_OP_SET_PERMS: return op_set_perms(p, op);
	case VTL1_OP_KILL:
		machine_end(p->m, RUN_END_KILLED, 0, "VTL1 killed VTL0 for %s (reason %#llx)",
			    vtl1_reason_name(op->arg[0]), (unsigned long long)op->arg[0]);
		out->kind = VTL1_OUT_STOP;
		return VTL_OK;
	case VTL1_OP_PIN_CR:
	case VTL1_OP_UNPIN_CR: return op_pin_cr(p, op, op->code == VTL1_OP_PIN_CR);
	case VTL1_OP_PIN_MSR:
	case VTL1_OP_UNPIN_MSR: return op_pin_msr(p, op, op->code == VTL1_OP_PIN_MSR);
	case VTL1_OP_INJECT:
	case VTL1_OP_ALLOW:
	case VTL1_OP_SKIP: return op_outcome(p, op);
	case VTL1_OP_RESET:
		p->reset_trigger = "vtl1";
		out->kind = VTL1_OUT_RESET;
		return VTL_OK;
	case VTL1_OP_MEASURE: return op_measure(p, op);
	case VTL1_OP_VERIFY_SIG: return op_verify_sig(p, op);
	case VTL1_OP_KEXEC_STAGE: return op_kexec_stage(p, op);
	case VTL1_OP_KEXEC_COMMIT: return op_kexec_commit(p, op, out);
	case VTL1_OP_CR_SITE: return op_cr_site(p, op);
	case VTL1_OP_WATCHDOG:
		__atomic_store_n(&p->m->pins.watchdog_us, (uint32_t)op->arg[0], __ATOMIC_RELAXED);
		pthread_cond_broadcast(&p->m->cond);
		return VTL_OK;
	}
	return VTL_E_UNKNOWN_CALL;
}

/*
 * VTL1 wrote the GPA of an op list. Returns true when a terminal op ended the
 * entry (out is filled), false to resume VTL1 with the results written back.
 */
bool vtl1_ops_run_list(struct vcpu_pair *p, uint64_t list_gpa, struct vtl1_outcome *out)
{
	const struct ops_limits lim = pair_ops_limits(p->m);
	struct vtl1_op ops[VTL1_OPS_MAX];
	struct vtl1_op_list *hdr;
	enum vtl_status st;
	uint32_t count, bad, i;

	if (ops_check_header_gpa(list_gpa, &lim) != VTL_OK) {
		/* Nowhere to write a status back: VTL1 broke the protocol, fail closed. */
		machine_end(p->m, RUN_END_VTL1_FAULT, 0, "VTL1 op list at bad GPA %#llx",
			    (unsigned long long)list_gpa);
		out->kind = VTL1_OUT_STOP;
		return true;
	}
	hdr = guest_ram_ptr(&p->m->vtl1_ram, gpa(list_gpa), sizeof(*hdr));
	count = hdr->count;
	st = ops_check_count(list_gpa, count, &lim);
	if (st != VTL_OK) {
		hdr->done = 0;
		hdr->status = st;
		return false;
	}
	/* One copy, then every decision is taken on the copy. */
	memcpy(ops, (const uint8_t *)hdr + sizeof(*hdr), count * sizeof(ops[0]));
	st = ops_check_list(ops, count, &lim, &bad);
	if (st != VTL_OK) {
		/* Rejected whole: nothing was applied. */
		for (i = 0; i < count; i++)
			hdr->ops[i].result = i == bad ? st : VTL_E_SKIPPED;
		hdr->done = 0;
		hdr->status = st;
		LOG_GUEST("vtl1 op list rejected: op %u (%s): %s", bad, op_name(ops[bad].code),
			  vtl_strerror(st));
		return false;
	}
	for (i = 0; i < count; i++) {
		st = op_apply(p, &ops[i], out);
		hdr->ops[i].result = st;
		if (st != VTL_OK)
			break;
	}
	if (st != VTL_OK) {
		/* Applied up to the failure; the rest never ran. */
		for (uint32_t j = i + 1; j < count; j++)
			hdr->ops[j].result = VTL_E_SKIPPED;
		hdr->done = i;
		hdr->status = st;
		LOG_GUEST("vtl1 op list: op %u (%s) failed: %s", i, op_name(ops[i].code),
			  vtl_strerror(st));
		return false;
	}
	hdr->done = count;
	hdr->status = VTL_OK;
	return op_is_terminal(ops[count - 1].code);
}
