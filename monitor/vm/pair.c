/* The per-pair switch loop: runs a VTL0 vCPU and its VTL1 partner on one host thread. */
#include "monitor/vm/pair.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "hypercalls/calls.h"
#include "hypercalls/ops.h"
#include "monitor/kvm/exit.h"
#include "monitor/base/log.h"
#include "monitor/base/sandbox.h"
#include "policy/policy.h"
#include "vtl_device.h"
#include "vtl_layout.h"
#include "vtl_ucall.h"

static int pair_boot_vtl1(struct vcpu_pair *p, uint32_t kind);

/* ---- kicks ---------------------------------------------------------------- */

static void pair_consume_kick(void)
{
	static const struct timespec zero;
	sigset_t set;

	/* The kick stays pending (blocked outside KVM_RUN) until taken here. */
	sigemptyset(&set);
	sigaddset(&set, VTLMON_KICK_SIGNAL);
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
}

/* Returns the decoded exit, or VEXIT_INTR after a kick. A KVM_RUN failure ends the run. */
static int pair_run_vcpu(struct vcpu_pair *p, struct vcpu *v, struct vexit *x)
{
	int r = __vcpu_run(v);

	if (r && r != -EINTR && r != -EAGAIN) {
		machine_end(p->m, RUN_END_MONITOR_ERROR, 0, "KVM_RUN vtl%d/%u: %s", v->vtl,
			    v->index, strerror(-r));
		return -1;
	}
	exit_decode(v->run, v->run_size, -r, x);
	if (x->kind == VEXIT_INTR)
		pair_consume_kick();
	return 0;
}

/* ---- console -------------------------------------------------------------- */

static void console_flush(struct vcpu_pair *p, int vtl)
{
	struct console_line *c = &p->con[vtl];
	struct ev e;

	if (!c->n)
		return;
	if (!p->m->cfg.quiet)
		fprintf(stdout, "[vtl%d] %.*s\n", vtl, (int)c->n, c->buf);
	ev_begin(&e, &p->m->events, "console");
	ev_i64(&e, "vtl", vtl);
	ev_u64(&e, "vcpu", p->index);
	ev_strn(&e, "line", c->buf, c->n);
	ev_emit(&e);
	c->n = 0;
}

static void console_bytes(struct vcpu_pair *p, int vtl, const uint8_t *b, uint32_t len)
{
	struct console_line *c = &p->con[vtl];

	for (uint32_t i = 0; i < len; i++) {
		uint8_t ch = b[i];

		if (ch == '\n') {
			console_flush(p, vtl);
			continue;
		}
		if (ch == '\r')
			continue;
		/* Guest bytes never reach the operator's terminal raw: no escape sequences. */
		c->buf[c->n++] = (ch >= 0x20 && ch < 0x7F) || ch == '\t' ? (char)ch : '?';
		if (c->n == CONSOLE_LINE_MAX)
			console_flush(p, vtl);
	}
}

static void pair_pio(struct vcpu_pair *p, struct vcpu *v, const struct vexit *x)
{
	uint8_t *data = (uint8_t *)v->run + x->data_off;

	if (x->kind == VEXIT_PIO_OUT && x->addr == VTL_CONSOLE_PORT && x->len == 1) {
		console_bytes(p, v->vtl, data, x->data_len);
		return;
	}
	if (x->kind == VEXIT_PIO_OUT && x->addr == VTL_RESET_PORT && v->vtl == 0) {
		/* Little-endian: the low byte of each element is the one that lands on 0xCF9. */
		for (uint32_t i = 0; i < x->data_len; i += x->len)
			if (data[i] & VTL_RESET_PORT_RST_CPU)
				p->reset_trigger = "port_cf9";
		return;
	}
	/* No other ports exist: reads float high, writes are dropped. */
	if (x->kind == VEXIT_PIO_IN)
		memset(data, 0xFF, x->data_len);
	LOG_GUEST("vtl%d: %s port %#llx ignored", v->vtl, exit_kind_name(x->kind),
		  (unsigned long long)x->addr);
}

/* ---- events --------------------------------------------------------------- */

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

/* ---- VTL1 ops ------------------------------------------------------------- */

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
		console_bytes(p, 1, (const uint8_t *)text, (uint32_t)op->arg[1]);
		console_flush(p, 1);
	}
	return VTL_OK;
}

static enum vtl_status op_set_perms(struct vcpu_pair *p, const struct vtl1_op *op)
{
	struct machine *m = p->m;
	struct ev e;
	int r = perm_set(&m->perm, op->arg[0], op->arg[1], op->arg[2]);

	if (r < 0) {
		/* KVM refused half-way: what is enforced is no longer known. Fail closed. */
		machine_end(m, RUN_END_MONITOR_ERROR, 0, "memslot update failed");
		return VTL_E_NO_RESOURCES;
	}
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
		cp->mask &= ~mask;
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
	cp->mask |= mask;
	pair_event_pin(p, op->arg[0] ? "cr4" : "cr0", op->arg[0], mask, value & mask, true);
	return VTL_OK;
}

static enum vtl_status op_pin_msr(struct vcpu_pair *p, const struct vtl1_op *op, bool pin)
{
	struct machine *m = p->m;
	uint32_t index = (uint32_t)op->arg[0];
	uint64_t value = op->arg[1];
	uint32_t st;

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
	if (value == VTL1_PIN_CURRENT && vcpu_get_msr(&p->vtl0, index, &value))
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

	m->pins.cr_site[op->arg[0]] = op->arg[1];
	if (pins_apply_sites(&p->vtl0, &m->pins, false))
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
	const struct elf_limits lim = {
	    .min_gpa = VTL_IMAGE_MIN_OFFSET,
	    .max_gpa = p->m->vtl0_ram.size,
	    .max_file_size = 64ULL << 20,
	};
	struct machine *m = p->m;
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1], msg[160];
	struct elf_image img;
	enum elf_err err;
	const void *src;
	struct ev e;

	m->kexec_staged = false;
	if (!op->arg[0] && !op->arg[1])
		return VTL_OK;
	src = op_vtl0_bytes(p, op->arg[0], op->arg[1]);
	if (!src)
		return VTL_E_BAD_ADDRESS;
	/* elf_check works on its own copy: VTL0 racing the check gains nothing. */
	err = elf_check(src, op->arg[1], &lim, &img, msg, sizeof(msg));
	crypto_hash_sha256(digest, src, op->arg[1]);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	ev_begin(&e, &m->events, "kexec");
	ev_str(&e, "step", err == ELF_OK ? "load" : "malformed");
	ev_hex(&e, "gpa", op->arg[0]);
	ev_u64(&e, "size", op->arg[1]);
	ev_str(&e, "sha256", hex);
	if (err != ELF_OK)
		ev_str(&e, "error", msg[0] ? msg : elf_strerror(err));
	ev_emit(&e);
	if (err != ELF_OK)
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
		machine_end(p->m, RUN_END_KILLED, 0, "VTL1 killed VTL0 (reason %#llx)",
			    (unsigned long long)op->arg[0]);
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
static bool pair_vtl1_ops(struct vcpu_pair *p, uint64_t list_gpa, struct vtl1_outcome *out)
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

static uint64_t device_read_common(const struct machine *m, uint32_t id, uint64_t off, uint32_t len,
				   bool *ok)
{
	*ok = true;
	if (off == VTL0_REG_ID && len == 4)
		return id;
	if (off == VTL0_REG_VERSION && len == 4)
		return VTL_ABI_VERSION;
	if (off == VTL0_REG_FEATURES && len == 8)
		return m->features;
	*ok = false;
	return ~0ULL;
}

static void pair_vtl1_mmio_read(struct vcpu_pair *p, const struct vexit *x)
{
	uint64_t val = ~0ULL;
	bool ok = false;

	if (x->addr - VTL1_DEVICE_GPA < VTL_DEVICE_SIZE)
		val = device_read_common(p->m, VTL1_DEVICE_ID, x->addr - VTL1_DEVICE_GPA, x->len,
					 &ok);
	memcpy(p->vtl1.run->mmio.data, &val, x->len);
}

/*
 * Runs VTL1's vCPU on the message already in its inbox until VTL1 ends the
 * entry. Anything VTL1 does that is not part of the protocol ends the run:
 * VTL1 is the trust anchor, so the monitor fails closed rather than guess.
 */
void pair_enter_vtl1(struct vcpu_pair *p, struct vtl1_outcome *out)
{
	struct vexit x;

	out->kind = VTL1_OUT_STOP;
	while (!machine_ended(p->m)) {
		if (pair_run_vcpu(p, &p->vtl1, &x))
			return;
		switch (x.kind) {
		case VEXIT_INTR: continue;
		case VEXIT_PIO_OUT:
		case VEXIT_PIO_IN: pair_pio(p, &p->vtl1, &x); continue;
		case VEXIT_MMIO_WRITE:
			if (x.addr == VTL1_DEVICE_GPA + VTL1_REG_OPS && x.len == 8) {
				if (pair_vtl1_ops(p, x.value, out))
					return;
				continue;
			}
			if (x.addr - VTL1_DEVICE_GPA < VTL_DEVICE_SIZE)
				continue; /* read-only or unknown register */
			break;
		case VEXIT_MMIO_READ:
			if (x.addr - VTL1_DEVICE_GPA < VTL_DEVICE_SIZE) {
				pair_vtl1_mmio_read(p, &x);
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

struct vtl1_entry *pair_inbox(struct vcpu_pair *p, uint32_t reason)
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

/* ---- VTL0 device ---------------------------------------------------------- */

static void pair_event_call(struct vcpu_pair *p, uint64_t block_gpa, uint32_t nr, uint32_t status)
{
	struct ev e;

	ev_begin(&e, &p->m->events, "vtl_call");
	ev_u64(&e, "vcpu", p->index);
	ev_hex(&e, "gpa", block_gpa);
	ev_u64(&e, "nr", nr);
	ev_str(&e, "call", call_name(nr));
	ev_u64(&e, "status", status);
	ev_str(&e, "result", vtl_strerror(status));
	ev_emit(&e);
}

static void pair_vtl0_call(struct vcpu_pair *p, uint64_t block_gpa, uint32_t write_len)
{
	const struct perm_engine *pe = &p->m->perm;
	struct vtl1_outcome out;
	struct vtl_call_block blk;
	struct vtl1_entry *in;
	struct vtl1_intercept old_cr;
	enum vtl_status st;
	bool readable = false, old_cr_violated;

	memset(&blk, 0, sizeof(blk));
	st = call_check_gpa(block_gpa, write_len, p->m->vtl0_ram.size);
	/*
	 * The monitor reads and answers the block with VTL0's own rights: a
	 * block in a page VTL0 cannot write (read-only text, a held kexec image,
	 * a no-access page) would let a call write where VTL0 may not. The only
	 * read of the block: VTL1 decides on this copy (no TOCTOU).
	 */
	if (st == VTL_OK && (!perm_vtl0_allows(pe, block_gpa, sizeof(blk), VTL_PERM_W) ||
			     perm_vtl0_read(pe, block_gpa, &blk, sizeof(blk))))
		st = VTL_E_BAD_ADDRESS;
	if (st == VTL_OK) {
		readable = true;
		st = call_check_block(&blk);
	}
	if (st != VTL_OK) {
		if (readable)
			perm_vtl0_write(pe, block_gpa + offsetof(struct vtl_call_block, status),
					&st, sizeof(blk.status));
		p->call_status = st;
		pair_event_call(p, block_gpa, blk.nr, st);
		return;
	}
	/* The pins as they stand: a kexec drops them with the old kernel. */
	old_cr_violated = enforce_cr_violated(p, &old_cr);
	in = pair_inbox(p, VTL1_ENTRY_CALL);
	in->call_gpa = block_gpa;
	in->call = blk;
	pair_enter_vtl1(p, &out);
	if (out.kind == VTL1_OUT_KEXEC) {
		/*
		 * The old kernel is gone: no status to write back. VTL1 protects the
		 * new one. A pinned CR bit the old kernel had cleared is reported,
		 * and nothing of it reaches the new kernel (no check, no #GP).
		 */
		if (old_cr_violated)
			enforce_report_replaced(p, &old_cr);
		pair_event_call(p, block_gpa, blk.nr, VTL_OK);
		pair_boot_vtl1(p, VTL1_BOOT_KEXEC);
		return;
	}
	if (out.kind != VTL1_OUT_RETURN)
		return;
	p->calls++;
	p->call_status = out.status;
	/* The call itself may have made the block's page read-only: then only CALL_STATUS. */
	blk.results[0] = out.results[0];
	blk.results[1] = out.results[1];
	blk.status = out.status;
	perm_vtl0_write(pe, block_gpa + offsetof(struct vtl_call_block, results), blk.results,
			sizeof(blk.results));
	perm_vtl0_write(pe, block_gpa + offsetof(struct vtl_call_block, status), &blk.status,
			sizeof(blk.status));
	pair_event_call(p, block_gpa, blk.nr, out.status);
}

static void pair_vtl0_ucall(struct vcpu_pair *p, uint64_t uc_gpa, uint32_t len)
{
	char file[VTL_UCALL_STR_MAX], msg[VTL_UCALL_STR_MAX];
	struct machine *m = p->m;
	struct vtl_ucall uc;
	uint64_t now = clock_ns();
	struct ev e;

	/* Everything a ucall names is read with VTL0's own rights (no-access stays unread). */
	if (len != 8 || (uc_gpa & 7) || perm_vtl0_read(&m->perm, uc_gpa, &uc, sizeof(uc))) {
		LOG_GUEST("vtl0: bad ucall at %#llx", (unsigned long long)uc_gpa);
		return;
	}
	if (uc.cmd == VTL_UCALL_BENCH_BEGIN || uc.cmd == VTL_UCALL_BENCH_END) {
		if (uc.args[0] < MACHINE_BENCH_SLOTS) {
			struct bench_slot *b = &m->bench[uc.args[0]];

			if (uc.cmd == VTL_UCALL_BENCH_BEGIN) {
				b->begin_ns = now;
				b->iterations = uc.args[1];
			} else {
				b->end_ns = now;
			}
		}
		return;
	}
	file[0] = msg[0] = '\0';
	if (uc.file_gpa)
		perm_vtl0_read_str(&m->perm, uc.file_gpa, file, sizeof(file));
	if (uc.msg_gpa)
		perm_vtl0_read_str(&m->perm, uc.msg_gpa, msg, sizeof(msg));
	ev_begin(&e, &m->events, "ucall");
	ev_u64(&e, "vcpu", p->index);
	ev_u64(&e, "cmd", uc.cmd);
	ev_str(&e, "file", file);
	ev_u64(&e, "line", uc.line);
	ev_str(&e, "msg", msg);
	ev_hex(&e, "arg0", uc.args[0]);
	ev_hex(&e, "arg1", uc.args[1]);
	ev_emit(&e);
	if (uc.cmd == VTL_UCALL_ASSERT_FAIL) {
		char line[2 * VTL_UCALL_STR_MAX + 96];

		snprintf(line, sizeof(line), "ASSERT FAILED %s:%u: %s (0x%llx, 0x%llx)", file,
			 uc.line, msg, (unsigned long long)uc.args[0],
			 (unsigned long long)uc.args[1]);
		console_flush(p, 0);
		console_bytes(p, 0, (const uint8_t *)line, (uint32_t)strlen(line));
		console_flush(p, 0);
	}
}

static void pair_vtl0_mmio_write(struct vcpu_pair *p, const struct vexit *x)
{
	uint64_t off = x->addr - VTL0_DEVICE_GPA;

	switch (off) {
	case VTL0_REG_CALL:
		if (x->len != 8) {
			p->call_status = VTL_E_INVALID;
			return;
		}
		pair_vtl0_call(p, x->value, x->len);
		return;
	case VTL0_REG_SHUTDOWN:
		if (x->len != 4)
			break;
		console_flush(p, 0);
		machine_end(p->m, RUN_END_SHUTDOWN,
			    x->value > VTL_SHUTDOWN_CODE_MAX ? (int)VTL_SHUTDOWN_CODE_MAX
							     : (int)x->value,
			    "VTL0 shut down with code %llu", (unsigned long long)x->value);
		return;
	case VTL0_REG_UCALL: pair_vtl0_ucall(p, x->value, x->len); return;
	case VTL0_REG_NULL: return;
	default: break;
	}
	LOG_GUEST("vtl0: write to device offset %#llx len %u ignored", (unsigned long long)off,
		  x->len);
}

static void pair_vtl0_mmio_read(struct vcpu_pair *p, const struct vexit *x)
{
	uint64_t off = x->addr - VTL0_DEVICE_GPA;
	uint64_t val;
	bool ok;

	if (off == VTL0_REG_CALL_STATUS && x->len == 4) {
		val = p->call_status;
	} else {
		val = device_read_common(p->m, VTL0_DEVICE_ID, off, x->len, &ok);
		if (!ok)
			LOG_GUEST("vtl0: read of device offset %#llx len %u",
				  (unsigned long long)off, x->len);
	}
	memcpy(p->vtl0.run->mmio.data, &val, x->len);
}

static void pair_vtl0_exit(struct vcpu_pair *p, const struct vexit *x)
{
	struct machine *m = p->m;
	uint64_t rip = p->vtl0.run->s.regs.regs.rip;

	switch (x->kind) {
	case VEXIT_INTR: return;
	case VEXIT_PIO_OUT:
	case VEXIT_PIO_IN: pair_pio(p, &p->vtl0, x); return;
	case VEXIT_MMIO_WRITE:
		if (x->addr - VTL0_DEVICE_GPA < VTL_DEVICE_SIZE)
			pair_vtl0_mmio_write(p, x);
		else if (guest_ram_contains(&m->vtl0_ram, gpa(x->addr), 1))
			enforce_mem_access(p, x);
		else
			pair_event_unmapped(p, 0, x); /* dropped, like a master abort */
		return;
	case VEXIT_MMIO_READ:
		if (x->addr - VTL0_DEVICE_GPA < VTL_DEVICE_SIZE) {
			pair_vtl0_mmio_read(p, x);
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

/* ---- launch and loop ------------------------------------------------------ */

static void pair_event_boot(struct vcpu_pair *p, int vtl)
{
	struct machine *m = p->m;
	const struct elf_image *img = vtl ? &m->vtl1_img : &m->vtl0_img;
	struct ev e;

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
static int pair_boot_vtl1(struct vcpu_pair *p, uint32_t kind)
{
	struct vtl1_outcome out;
	struct vtl1_entry *in;

	if (kind == VTL1_BOOT_LAUNCH)
		pair_event_boot(p, 1);
	in = pair_inbox(p, VTL1_ENTRY_BOOT);
	in->boot_kind = kind;
	pair_enter_vtl1(p, &out);
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

/* A reset was requested: rebuild, then launch again (VTL1 may ask for another). */
static void pair_reset(struct vcpu_pair *p)
{
	while (p->reset_trigger && !machine_ended(p->m)) {
		const char *trigger = p->reset_trigger;

		console_flush(p, 0);
		console_flush(p, 1);
		if (machine_reset(p->m, trigger))
			return;
		pair_boot_vtl1(p, VTL1_BOOT_LAUNCH);
	}
}

void *pair_thread(void *arg)
{
	struct vcpu_pair *p = arg;
	struct machine *m = p->m;
	struct vexit x;

	/* Before the first KVM_RUN: a compromised monitor thread keeps only what it needs. */
	if (!m->cfg.no_sandbox && sandbox_enter(SANDBOX_PAIR)) {
		machine_end(m, RUN_END_MONITOR_ERROR, 0, "cannot install the seccomp sandbox");
		goto out;
	}
	if (p->index == 0 && pair_boot_vtl1(p, VTL1_BOOT_LAUNCH))
		goto out;
	while (!machine_ended(m)) {
		if (p->reset_trigger) {
			pair_reset(p);
			continue;
		}
		if (pair_run_vcpu(p, &p->vtl0, &x))
			break;
		p->vtl0_fresh = false;
		p->exception_queued = false;
		if (p->stepping)
			enforce_rearm_sites(p);
		pair_vtl0_exit(p, &x);
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
	console_flush(p, 0);
	console_flush(p, 1);
	pthread_mutex_lock(&m->lock);
	m->pairs_running--;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	return NULL;
}
