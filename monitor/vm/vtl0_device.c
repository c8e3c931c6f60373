/* The VTL0 device: VTL calls (copy once, VTL1 decides), ucalls, shutdown, and its read registers.
 */
#include "monitor/vm/vtl0_device.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hypercalls/calls.h"
#include "monitor/base/log.h"
#include "monitor/dev/device.h"
#include "monitor/vm/enforce.h"
#include "monitor/vm/ports.h"
#include "monitor/vm/smp.h"
#include "monitor/vm/vtl1_entry.h"
#include "vtl_device.h"
#include "vtl_layout.h"
#include "vtl_ucall.h"

static void vtl0_device_event_call(struct vcpu_pair *p, uint64_t block_gpa, uint32_t nr,
				   uint32_t status)
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

static void vtl0_device_call(struct vcpu_pair *p, uint64_t block_gpa, uint32_t write_len)
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
		vtl0_device_event_call(p, block_gpa, blk.nr, st);
		return;
	}
	/* The pins as they stand: a kexec drops them with the old kernel. */
	old_cr_violated = enforce_cr_violated(p, &old_cr);
	in = vtl1_entry_inbox(p, VTL1_ENTRY_CALL);
	in->call_gpa = block_gpa;
	in->call = blk;
	vtl1_entry_run(p, &out);
	if (out.kind == VTL1_OUT_KEXEC) {
		/*
		 * The old kernel is gone: no status to write back. VTL1 protects the
		 * new one. A pinned CR bit the old kernel had cleared is reported,
		 * and nothing of it reaches the new kernel (no check, no #GP).
		 */
		if (old_cr_violated)
			enforce_report_replaced(p, &old_cr);
		vtl0_device_event_call(p, block_gpa, blk.nr, VTL_OK);
		/*
		 * The new kernel runs on vCPU 0, whichever vCPU asked: VTL1's
		 * BOOT entry too, so that what it pins is read from that vCPU.
		 */
		vtl1_entry_boot(&p->m->pairs[0], VTL1_BOOT_KEXEC);
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
	vtl0_device_event_call(p, block_gpa, blk.nr, out.status);
}

static void vtl0_device_ucall(struct vcpu_pair *p, uint64_t uc_gpa, uint32_t len)
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

			struct vm_slot_stats *st = &m->vm[0].slot_stats;

			if (uc.cmd == VTL_UCALL_BENCH_BEGIN) {
				b->begin_ns = now;
				b->iterations = uc.args[1];
				*st = (struct vm_slot_stats){.counting = true};
			} else {
				b->end_ns = now;
				b->slot_calls = st->calls;
				b->slot_ns = st->ns;
				st->counting = false;
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
		ports_console_flush(p, 0);
		ports_console_bytes(p, 0, (const uint8_t *)line, (uint32_t)strlen(line));
		ports_console_flush(p, 0);
	}
}

void vtl0_device_write(struct vcpu_pair *p, const struct vexit *x)
{
	uint64_t off = x->addr - VTL0_DEVICE_GPA; /* the caller found the address in the window */

	switch (off) {
	case VTL0_REG_CALL:
		if (x->len != 8) {
			p->call_status = VTL_E_INVALID;
			return;
		}
		vtl0_device_call(p, x->value, x->len);
		return;
	case VTL0_REG_SHUTDOWN:
		if (x->len != 4)
			break;
		ports_console_flush(p, 0);
		machine_end(p->m, RUN_END_SHUTDOWN,
			    x->value > VTL_SHUTDOWN_CODE_MAX ? (int)VTL_SHUTDOWN_CODE_MAX
							     : (int)x->value,
			    "VTL0 shut down with code %llu", (unsigned long long)x->value);
		return;
	case VTL0_REG_UCALL: vtl0_device_ucall(p, x->value, x->len); return;
	case VTL0_REG_NULL: return;
	case VTL0_REG_CPU_START: p->call_status = smp_cpu_start(p, x->value, x->len); return;
	default: break;
	}
	LOG_GUEST("vtl0: write to device offset %#llx len %u ignored", (unsigned long long)off,
		  x->len);
}

void vtl0_device_read(struct vcpu_pair *p, const struct vexit *x)
{
	uint64_t off = x->addr - VTL0_DEVICE_GPA; /* the caller found the address in the window */
	uint64_t val;
	bool ok;

	if (off == VTL0_REG_CALL_STATUS && x->len == 4) {
		val = p->call_status;
	} else if (off == VTL0_REG_VCPU && x->len == 4) {
		val = p->index;
	} else {
		val = device_read_id_regs(VTL0_DEVICE_ID, p->m->features, off, x->len, &ok);
		if (!ok)
			LOG_GUEST("vtl0: read of device offset %#llx len %u",
				  (unsigned long long)off, x->len);
	}
	memcpy(p->vtl0.run->mmio.data, &val, x->len);
}
