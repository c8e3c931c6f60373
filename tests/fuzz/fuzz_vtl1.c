/* libFuzzer target: VTL1's entry handlers (boot, calls, intercepts, kexec) against a model monitor.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "hypercalls/ops.h"
#include "policy/policy.h"
#include "vtl1/vtl1.h"
#include "vtl1_host.h"
#include "vtl_device.h"

/*
 * VTL1 (the vtl1/ sources, guestlib, policy) is built for the host by vtl1_host.c;
 * this harness plays the monitor. It writes boot info and each entry into
 * the inbox, runs one pass of VTL1's entry loop, and answers every op list
 * VTL1 writes to its OPS register the way monitor/vm/pair.c does: header and
 * count checks, ops_check_list on a copy, then the ops in order, each one
 * succeeding or failing as the input says. The page permissions, pins and
 * kexec state the lists put in force are kept in a model, so each answer is
 * checked against what the ABI (vtl_call.h, vtl1_abi.h) and the policy
 * (docs/policy.md) say it must be.
 *
 * Input layout (zero past the end):
 *   u8 mode: bit 0 "raw": boot info, intercepts and call numbers are taken as
 *            they come, not as the monitor would make them (then VTL1 only
 *            has to fail closed: lists the monitor rejects are allowed).
 *   boot: u8 policy (0..3 an example policy, else u16 length + text), u8
 *         features (VTL_FEAT_* bits), u16 RAM pages, u8 segment count, then
 *         per segment u16 first page, u8 pages, u8 flags (raw: u64 RAM size,
 *         u32 count, 24-byte segments); u8 number of entries after the
 *         launch (0: as many as the input holds).
 *   Then the entries, one after each answer: u8 kind, then its fields
 *   (gen_call, gen_intercept). The monitor's decisions are read backwards
 *   from the end of the input (zero once the two meet): per op list one u8
 *   (0xE0..0xFF: fail one op, u8 which and u8 status follow; never one the
 *   monitor cannot fail: RETURN, KILL, RESET, unstaging), per MEASURE,
 *   VERIFY_SIG, KEXEC_STAGE and KEXEC_COMMIT one u8 for its result.
 * Each input is run twice: the transcript (every list and answer) must be
 * the same, or VTL1 keeps state it should not.
 */
#define FUZZ_ENTRIES_MAX 48u
#define PAGES_MAX	 (VTL0_RAM_MAX / VTL_PAGE_SIZE)
#define PRIV_SIZE	 (1ULL << 48) /* VTL1 objects are host statics: all of user space */

/* The example policies, as VTL1 would get them from `vtlmon run --policy`. */
#define FUZZ_INCBIN(sym, path)                                                                     \
	__asm__(".section .rodata\n.globl " #sym "\n" #sym ":\n.incbin \"" path "\"\n.globl " #sym \
		"_end\n" #sym "_end:\n.previous\n");                                               \
	extern const char sym[], sym##_end[]
FUZZ_INCBIN(pol_default, "policy/examples/default.policy");
FUZZ_INCBIN(pol_dev, "policy/examples/dev.policy");
FUZZ_INCBIN(pol_nx, "policy/examples/nx-required.policy");
FUZZ_INCBIN(pol_strict, "policy/examples/strict.policy");

enum outcome { OUT_NONE, OUT_RETURN, OUT_KILL, OUT_RESET, OUT_KEXEC };

static struct {
	struct fuzz_in in;
	bool raw;
	jmp_buf end; /* the run is over (KILL, RESET, a halted VTL1, a refused launch) */
	uint64_t hash;
	uint64_t features;
	struct ops_limits lim;
	uint64_t pages;
	/* What the monitor enforces: pins, the staged kexec image (page perms: below). */
	uint64_t cr_pins[2];
	uint64_t vtl0_cr_pins[2]; /* the CR bits VTL0 itself had pinned */
	bool staged;
	uint64_t st_gpa, st_size;
	struct kx_image {
		bool valid, verified;
		uint64_t gpa, size;
		uint8_t d[VTL_SHA256_SIZE];
	} meas, acc; /* the last MEASURE; the image the last successful KEXEC_LOAD accepted */
	bool launched, eob;
	/* The entry in flight. */
	struct vtl1_entry e;
	bool entry_done, injected, have_next;
	bool real_boot; /* this BOOT entry is one the monitor sends (launch, after a commit) */
	bool stop;	/* the monitor ends the run after this entry */
	uint8_t limit;	/* entries after the launch (0: until the input ends) */
	uint8_t entries;
	bool answering, fatal; /* in vtl1_answer(); and its answer was refused */
	enum outcome out;
	uint32_t nans;
	struct vtl1_op ans[VTL1_OPS_MAX];
	uint64_t kx_first, kx_pages; /* VTL1's hold when the entry began */
	uint32_t hold_perm;	     /* VTL1's perms of the intercepted page, then */
} m;

/* Perms per VTL0 page as the monitor enforces them, at the start of the entry, locked by policy. */
static uint8_t shadow[PAGES_MAX], before[PAGES_MAX], locked[PAGES_MAX];

static struct vtl_boot_info bi __attribute__((aligned(64)));
static struct vtl1_entry inbox __attribute__((aligned(64)));
static char policy_text[VTL_BOOT_POLICY_MAX] __attribute__((aligned(64)));

/* FUZZ_TRACE=1: print every entry and op list (to replay one input by hand). */
static bool tracing(void)
{
	static int on = -1;

	if (on < 0)
		on = getenv("FUZZ_TRACE") && getenv("FUZZ_TRACE")[0] == '1';
	return on;
}

#define TRACE(...)                                                                                 \
	do {                                                                                       \
		if (tracing())                                                                     \
			fprintf(stderr, __VA_ARGS__);                                              \
	} while (0)

static void mix(uint64_t v)
{
	m.hash = (m.hash ^ v) * 0x100000001B3ULL;
}

/*
 * The monitor's decisions come off the end of the input, the entries off its
 * front: a seed of entries alone runs with every op succeeding (zero), and a
 * mutation of one stream leaves the other in place.
 */
static uint8_t decide(void)
{
	if (!m.in.n)
		return 0;
	return m.in.p[--m.in.n];
}

/* VTL0 RAM as VTL1 reads it (identity-mapped): a fixed pattern, enough to compare copies. */
static uint8_t vtl0_byte(uint64_t gpa)
{
	return (uint8_t)(gpa * 0x9E + (gpa >> 8) * 7 + 0x5A);
}

static const struct policy *pol(void)
{
	return &vtl1_policy;
}

/* ---- hooks called by VTL1 through the shims ---------------------------------- */

__attribute__((noreturn)) void vtl1_host_halt(void)
{
	/* Only vtl1_fatal() halts: after a refused answer, once it has sent its KILL. */
	FUZZ_CHECK(m.fatal, "VTL1 halted without a fatal error");
	longjmp(m.end, 1);
}

void vtl1_host_port_write(uint16_t port, const void *buf, size_t len)
{
	FUZZ_CHECK(port == VTL_CONSOLE_PORT && len <= 256, "port 0x%x, %zu bytes", port, len);
	mix(len);
}

void *vtl1_host_memcpy(void *dst, const void *src, size_t len)
{
	uint64_t s = (uintptr_t)src;

	FUZZ_CHECK((uintptr_t)dst >= VTL0_RAM_MAX, "VTL1 copies into VTL0 RAM at 0x%llx",
		   (unsigned long long)(uintptr_t)dst);
	if (s >= VTL0_RAM_MAX)
		return memmove(dst, src, len);
	/* A read of VTL0 RAM through the identity map: only inside it. */
	FUZZ_CHECK(len <= bi.vtl0_ram_size && s <= bi.vtl0_ram_size - len,
		   "VTL1 reads [0x%llx, +%zu) past VTL0 RAM (0x%llx)", (unsigned long long)s, len,
		   (unsigned long long)bi.vtl0_ram_size);
	for (size_t i = 0; i < len; i++)
		((uint8_t *)dst)[i] = vtl0_byte(s + i);
	return dst;
}

uint64_t vtl1_host_mmio_read(uint64_t addr, unsigned len)
{
	if (addr == VTL1_DEVICE_GPA + VTL1_REG_ID && len == 4)
		return VTL1_DEVICE_ID;
	if (addr == VTL1_DEVICE_GPA + VTL1_REG_VERSION && len == 4)
		return VTL_ABI_VERSION;
	FUZZ_CHECK(addr == VTL1_DEVICE_GPA + VTL1_REG_FEATURES && len == 8,
		   "VTL1 reads %u bytes at 0x%llx", len, (unsigned long long)addr);
	return m.features;
}

static void gen_entry(void);
static void check_entry(void);

static bool policy_digest(const uint8_t *d)
{
	for (uint32_t i = 0; i < pol()->nr_kexec_digests; i++)
		if (!memcmp(d, pol()->kexec_digest[i], VTL_SHA256_SIZE))
			return true;
	return false;
}

/* What the ABI and the policy say about one op, given the entry it answers. */
static void check_op(const struct vtl1_op *op, const struct vtl1_op_list *l)
{
	const struct vtl1_entry *e = &m.e;
	const bool call = e->reason == VTL1_ENTRY_CALL;

	switch (op->code) {
	case VTL1_OP_LOG: {
		const char *text = vtl1_va(op->arg[0]);

		FUZZ_CHECK(op->arg[0] == vtl1_host_log_text() && op->arg[1] < VTL1_LOG_MAX,
			   "LOG of %llu bytes not from the log buffer",
			   (unsigned long long)op->arg[1]);
		FUZZ_CHECK(!memchr(text, 0, op->arg[1]) && text[op->arg[1]] == '\0',
			   "LOG text is not %llu bytes then a NUL", (unsigned long long)op->arg[1]);
		break;
	}
	case VTL1_OP_SET_PERMS:
		/* A staged image stays as measured: VTL0's PROTECT never touches it. */
		if (call && e->call.nr == VTL_CALL_PROTECT && m.staged)
			FUZZ_CHECK(op->arg[0] + op->arg[1] * VTL_PAGE_SIZE <= m.st_gpa ||
				       m.st_gpa + m.st_size <= op->arg[0],
				   "PROTECT changes the staged kexec image");
		break;
	case VTL1_OP_UNPIN_CR:
		/* Boot pins are permanent. */
		FUZZ_CHECK(!(op->arg[1] & (op->arg[0] ? pol()->cr4_pin_boot : pol()->cr0_pin_boot)),
			   "UNPIN_CR%llu of boot-pinned bits 0x%llx",
			   (unsigned long long)op->arg[0], (unsigned long long)op->arg[1]);
		FUZZ_CHECK(!(op->arg[1] & ~m.vtl0_cr_pins[op->arg[0] == 4]),
			   "UNPIN_CR%llu of bits 0x%llx VTL0 did not pin",
			   (unsigned long long)op->arg[0], (unsigned long long)op->arg[1]);
		FUZZ_CHECK(call && policy_request_allowed(pol(), POLICY_REQ_UNPIN, m.eob),
			   "UNPIN_CR the policy does not allow");
		break;
	case VTL1_OP_UNPIN_MSR:
		FUZZ_CHECK(!(policy_msr_flags(pol(), (uint32_t)op->arg[0]) & POLICY_PIN_BOOT),
			   "UNPIN_MSR of boot-pinned MSR 0x%llx", (unsigned long long)op->arg[0]);
		FUZZ_CHECK(call && policy_request_allowed(pol(), POLICY_REQ_UNPIN, m.eob),
			   "UNPIN_MSR the policy does not allow");
		break;
	case VTL1_OP_PIN_CR:
		if (call)
			FUZZ_CHECK(!(op->arg[1] &
				     ~(op->arg[0] ? pol()->cr4_pin_boot | pol()->cr4_pinnable
						  : pol()->cr0_pin_boot | pol()->cr0_pinnable)) &&
				       policy_request_allowed(pol(), POLICY_REQ_PIN_CR, m.eob),
				   "PIN_CR%llu 0x%llx the policy does not allow",
				   (unsigned long long)op->arg[0], (unsigned long long)op->arg[1]);
		break;
	case VTL1_OP_PIN_MSR:
		if (call)
			FUZZ_CHECK(policy_msr_flags(pol(), (uint32_t)op->arg[0]) &
					   POLICY_PINNABLE &&
				       policy_request_allowed(pol(), POLICY_REQ_PIN_MSR, m.eob),
				   "PIN_MSR 0x%llx the policy does not allow",
				   (unsigned long long)op->arg[0]);
		break;
	case VTL1_OP_MEASURE:
		FUZZ_CHECK(op->arg[2] == vtl1_host_kexec_measured(), "MEASURE into another buffer");
		break;
	case VTL1_OP_VERIFY_SIG: {
		const struct vtl1_sig_check *c = vtl1_va(op->arg[2]);
		bool key = false;

		FUZZ_CHECK(op->arg[2] == vtl1_host_kexec_check(), "VERIFY_SIG of another buffer");
		for (uint32_t i = 0; i < pol()->nr_kexec_keys; i++)
			key |= !memcmp(c->key, pol()->kexec_key[i], VTL_ED25519_KEY_SIZE);
		FUZZ_CHECK(key, "VERIFY_SIG with a key the policy does not have");
		/* The signature VTL1 verifies is the one VTL0 gave (copied once, from VTL0 RAM). */
		FUZZ_CHECK(call && e->call.nr == VTL_CALL_KEXEC_LOAD && e->call.args[2],
			   "VERIFY_SIG outside a KEXEC_LOAD with a signature");
		for (uint32_t i = 0; i < VTL_ED25519_SIG_SIZE; i++)
			FUZZ_CHECK(c->sig[i] == vtl0_byte(e->call.args[2] + i),
				   "signature byte %u is not VTL0's", i);
		break;
	}
	case VTL1_OP_KEXEC_COMMIT: {
		const uint8_t *d = vtl1_va(op->arg[0]);

		FUZZ_CHECK(call && e->call.nr == VTL_CALL_KEXEC_EXEC,
			   "KEXEC_COMMIT outside KEXEC_EXEC");
		FUZZ_CHECK(op->arg[0] == vtl1_host_kexec_digest(),
			   "KEXEC_COMMIT of another buffer");
		FUZZ_CHECK(pol()->flags & POLICY_F_KEXEC_ALLOWED,
			   "kexec the policy does not allow");
		/* The image of the last KEXEC_LOAD that succeeded, with the digest measured then.
		 */
		FUZZ_CHECK(m.staged && m.acc.valid && m.acc.gpa == m.st_gpa &&
			       m.acc.size == m.st_size,
			   "KEXEC_COMMIT of an image that is not the one accepted and staged");
		FUZZ_CHECK(!memcmp(d, m.acc.d, VTL_SHA256_SIZE),
			   "committed digest is not the accepted image's");
		break;
	}
	case VTL1_OP_INJECT:
	case VTL1_OP_ALLOW:
	case VTL1_OP_SKIP:
	case VTL1_OP_RESET:
		FUZZ_CHECK(e->reason == VTL1_ENTRY_INTERCEPT, "op %s answers a %s entry",
			   op_name(op->code), call ? "call" : "boot");
		break;
	}
	(void)l;
}

/* The monitor's result for one op, as the input decides. */
static uint32_t op_result(const struct vtl1_op *op)
{
	uint8_t b;

	switch (op->code) {
	case VTL1_OP_MEASURE: {
		uint8_t *d = vtl1_va(op->arg[2]);

		b = decide();
		/* The SHA-256 of the bytes: one the policy lists, or some other value. */
		if (pol()->nr_kexec_digests && (b & 1))
			memcpy(d, pol()->kexec_digest[(b >> 1) % pol()->nr_kexec_digests],
			       VTL_SHA256_SIZE);
		else
			for (uint32_t i = 0; i < VTL_SHA256_SIZE; i++)
				d[i] = (uint8_t)(op->arg[0] * 31 + op->arg[1] * 7 + b + i);
		m.meas.valid = true;
		m.meas.verified = false;
		m.meas.gpa = op->arg[0];
		m.meas.size = op->arg[1];
		memcpy(m.meas.d, d, VTL_SHA256_SIZE);
		return VTL_OK;
	}
	case VTL1_OP_VERIFY_SIG:
		b = decide();
		if (b & 1)
			return b & 2 ? VTL_E_NOT_SUPPORTED : VTL_E_VERIFY;
		m.meas.verified =
		    m.meas.valid && m.meas.gpa == op->arg[0] && m.meas.size == op->arg[1];
		return VTL_OK;
	case VTL1_OP_KEXEC_STAGE:
		b = decide();
		return op->arg[1] && b % 8 == 7 ? VTL_E_INVALID : VTL_OK; /* not a loadable ELF */
	case VTL1_OP_KEXEC_COMMIT:
		/* The monitor measures the staged bytes again: they must not have changed. */
		b = decide();
		return b % 8 == 7 ? VTL_E_VERIFY : VTL_OK;
	case VTL1_OP_INJECT:
	case VTL1_OP_ALLOW:
	case VTL1_OP_SKIP:
	case VTL1_OP_RESET: return m.e.reason == VTL1_ENTRY_INTERCEPT ? VTL_OK : VTL_E_BAD_STATE;
	}
	return VTL_OK;
}

/* An applied op's effect on the model. */
static void op_apply(const struct vtl1_op *op)
{
	switch (op->code) {
	case VTL1_OP_SET_PERMS:
		/* Only inside the RAM size VTL1 accepted at boot (ops.c checked the raw size). */
		FUZZ_CHECK(op->arg[1] <= m.pages &&
			       op->arg[0] / VTL_PAGE_SIZE <= m.pages - op->arg[1],
			   "SET_PERMS [0x%llx, +%llu pages) past the %llu pages VTL1 accepted",
			   (unsigned long long)op->arg[0], (unsigned long long)op->arg[1],
			   (unsigned long long)m.pages);
		memset(shadow + op->arg[0] / VTL_PAGE_SIZE, (int)op->arg[2], op->arg[1]);
		break;
	case VTL1_OP_PIN_CR:
		m.cr_pins[op->arg[0] == 4] |= op->arg[1];
		if (m.e.reason == VTL1_ENTRY_CALL)
			m.vtl0_cr_pins[op->arg[0] == 4] |= op->arg[1];
		break;
	case VTL1_OP_UNPIN_CR:
		m.cr_pins[op->arg[0] == 4] &= ~op->arg[1];
		m.vtl0_cr_pins[op->arg[0] == 4] &= ~op->arg[1];
		break;
	case VTL1_OP_KEXEC_STAGE:
		m.staged = op->arg[0] || op->arg[1];
		m.st_gpa = op->arg[0];
		m.st_size = op->arg[1];
		break;
	case VTL1_OP_RETURN: m.out = OUT_RETURN; break;
	case VTL1_OP_KILL: m.out = OUT_KILL; break;
	case VTL1_OP_RESET: m.out = OUT_RESET; break;
	case VTL1_OP_KEXEC_COMMIT:
		/* The monitor drops every protection and pin, loads the image, enters VTL1 with
		 * BOOT. */
		memset(shadow, VTL_PERM_MASK, m.pages);
		memset(locked, 0, m.pages);
		m.cr_pins[0] = m.cr_pins[1] = 0;
		m.vtl0_cr_pins[0] = m.vtl0_cr_pins[1] = 0;
		m.staged = false;
		m.acc.valid = false;
		m.out = OUT_KEXEC;
		break;
	}
}

/* VTL1 wrote an op list's GPA to VTL1_REG_OPS: pair_vtl1_ops(), with results from the input. */
static void monitor_ops(uint64_t gpa)
{
	static struct vtl1_op ops[VTL1_OPS_MAX];
	struct vtl1_op_list *l;
	uint32_t count, bad = 0, i, fail = UINT32_MAX, fail_st = VTL_OK;
	enum vtl_status st;
	uint8_t b;

	FUZZ_CHECK(!m.entry_done, "VTL1 sent a list after its answer went through");
	FUZZ_CHECK(ops_check_header_gpa(gpa, &m.lim) == VTL_OK, "op list at bad GPA 0x%llx",
		   (unsigned long long)gpa);
	l = vtl1_va(gpa);
	count = l->count;
	st = ops_check_count(gpa, count, &m.lim);
	FUZZ_CHECK(st == VTL_OK, "op list of %u ops", count);
	memcpy(ops, l->ops, count * sizeof(ops[0]));
	mix(count);
	for (i = 0; i < count; i++) {
		mix(ops[i].code);
		for (unsigned a = 0; a < 3; a++)
			mix(ops[i].arg[a]);
	}
	st = ops_check_list(ops, count, &m.lim, &bad);
	if (st != VTL_OK) {
		/* From what the monitor sends, VTL1 never builds a list the monitor rejects. */
		FUZZ_CHECK(m.raw, "op %u (%s, args 0x%llx 0x%llx 0x%llx) rejected: %s", bad,
			   op_name(ops[bad].code), (unsigned long long)ops[bad].arg[0],
			   (unsigned long long)ops[bad].arg[1], (unsigned long long)ops[bad].arg[2],
			   vtl_strerror(st));
		for (i = 0; i < count; i++)
			l->ops[i].result = i == bad ? st : VTL_E_SKIPPED;
		l->done = 0;
		l->status = st;
		m.fatal |= m.answering;
		return;
	}
	for (i = 0; i < count; i++) {
		TRACE("  op %u %s 0x%llx 0x%llx 0x%llx\n", i, op_name(ops[i].code),
		      (unsigned long long)ops[i].arg[0], (unsigned long long)ops[i].arg[1],
		      (unsigned long long)ops[i].arg[2]);
		check_op(&ops[i], l);
	}

	/* Mostly everything goes through; sometimes one op fails, as a real host can make it. */
	b = decide();
	if (b >= 0xE0) {
		static const uint32_t sts[] = {
		    VTL_E_NO_RESOURCES, VTL_E_NOT_SUPPORTED, VTL_E_INVALID, VTL_E_BAD_ADDRESS,
		    VTL_E_BAD_STATE,	VTL_E_DENIED,	     VTL_E_VERIFY,  VTL_E_UNKNOWN_CALL};

		fail = decide() % count;
		fail_st = sts[decide() % (sizeof(sts) / sizeof(sts[0]))];
		/* What cannot fail in the monitor: RETURN, KILL, RESET, unstaging (pair.c). */
		if (ops[fail].code == VTL1_OP_RETURN || ops[fail].code == VTL1_OP_KILL ||
		    ops[fail].code == VTL1_OP_RESET ||
		    (ops[fail].code == VTL1_OP_KEXEC_STAGE && !ops[fail].arg[0] &&
		     !ops[fail].arg[1]))
			fail = UINT32_MAX;
	}
	for (i = 0; i < count; i++) {
		uint32_t r = i == fail ? fail_st : op_result(&ops[i]);

		l->ops[i].result = r;
		if (r != VTL_OK) {
			TRACE("  -> op %u fails: %s\n", i, vtl_strerror(r));
			/* pair.c drops the staged image before it checks the new one. */
			if (ops[i].code == VTL1_OP_KEXEC_STAGE)
				m.staged = false;
			m.injected = true;
			for (uint32_t j = i + 1; j < count; j++)
				l->ops[j].result = VTL_E_SKIPPED;
			l->done = i;
			l->status = r;
			m.fatal |= m.answering;
			mix(r);
			return;
		}
		op_apply(&ops[i]);
	}
	l->done = count;
	l->status = VTL_OK;
	if (!op_is_terminal(ops[count - 1].code))
		return;

	/* The entry is over: check the answer, then write the next entry (or end the run). */
	m.entry_done = true;
	m.nans = count;
	memcpy(m.ans, ops, count * sizeof(ops[0]));
	check_entry();
	if (m.out == OUT_KILL || m.out == OUT_RESET)
		longjmp(m.end, 1);
	gen_entry();
}

void vtl1_host_mmio_write(uint64_t addr, uint64_t val, unsigned len)
{
	FUZZ_CHECK(addr == VTL1_DEVICE_GPA + VTL1_REG_OPS && len == 8,
		   "VTL1 writes %u bytes at 0x%llx", len, (unsigned long long)addr);
	monitor_ops(val);
}

/* ---- the model's view of the policy ------------------------------------------- */

/* What the boot policy leaves: each rule in order, on a range or on the matching segments. */
static void boot_expect(uint8_t *perm, uint8_t *lock)
{
	memset(perm, VTL_PERM_MASK, m.pages);
	memset(lock, 0, m.pages);
	for (uint32_t i = 0; i < pol()->nr_mem; i++) {
		const struct policy_mem_rule *r = &pol()->mem[i];

		for (uint32_t s = 0; s <= bi.nr_vtl0_segments; s++) {
			uint64_t first, n;

			if (r->region == POLICY_REGION_RANGE) {
				if (s)
					break;
				first = r->base / VTL_PAGE_SIZE;
				n = r->size / VTL_PAGE_SIZE;
			} else {
				const struct vtl_segment *seg = &bi.vtl0_segments[s];

				if (s == bi.nr_vtl0_segments || !seg->size ||
				    !policy_region_matches(r->region, seg->flags))
					continue;
				first = seg->gpa / VTL_PAGE_SIZE;
				n = seg->size / VTL_PAGE_SIZE;
			}
			memset(perm + first, r->perms, n);
			/* LOCKED is sticky. */
			if (r->flags & POLICY_MEM_LOCKED)
				memset(lock + first, 1, n);
		}
	}
}

/* VTL1's page state must be what the monitor enforces, except under its own kexec hold. */
static void check_pages(void)
{
	for (uint64_t p = 0; p < m.pages; p++) {
		uint32_t have = vtl1_pages_perms(p);
		bool held = vtl1_kexec_pages && p - vtl1_kexec_first < vtl1_kexec_pages;

		FUZZ_CHECK(shadow[p] == (held ? have & VTL_PERM_R : have),
			   "page %llu: VTL1 says perms %u%s, the monitor enforces %u",
			   (unsigned long long)p, have, held ? " (held)" : "", shadow[p]);
	}
	if (vtl1_kexec_pages)
		FUZZ_CHECK(m.staged && m.st_gpa == vtl1_kexec_first * VTL_PAGE_SIZE &&
			       (m.st_size + VTL_PAGE_SIZE - 1) / VTL_PAGE_SIZE == vtl1_kexec_pages,
			   "VTL1 holds pages [%llu, +%llu), the monitor has %s staged",
			   (unsigned long long)vtl1_kexec_first,
			   (unsigned long long)vtl1_kexec_pages,
			   m.staged ? "another image" : "nothing");
}

static bool valid_status(uint64_t s)
{
	return s < VTL_STATUS_COUNT && s != VTL_E_SKIPPED;
}

static void check_call(void)
{
	const struct vtl_call_block *c = &m.e.call;
	const struct vtl1_op *t = &m.ans[m.nans - 1];
	uint64_t st = t->arg[0];

	if (m.out == OUT_KEXEC) {
		FUZZ_CHECK(c->nr == VTL_CALL_KEXEC_EXEC, "kexec answers call %u", c->nr);
		return;
	}
	FUZZ_CHECK(m.out == OUT_RETURN || (m.out == OUT_KILL && m.fatal),
		   "call %u answered with %s", c->nr, op_name(t->code));
	if (m.out != OUT_RETURN)
		return;
	FUZZ_CHECK(valid_status(st), "call %u answered status %llu", c->nr, (unsigned long long)st);
	switch (c->nr) {
	case VTL_CALL_NOP: FUZZ_CHECK(st == VTL_OK, "NOP: %llu", (unsigned long long)st); break;
	case VTL_CALL_ECHO:
		FUZZ_CHECK(st == VTL_OK && t->arg[1] == c->args[0] && t->arg[2] == c->args[1],
			   "ECHO does not echo");
		break;
	case VTL_CALL_PROTECT: {
		uint64_t first = c->args[0] / VTL_PAGE_SIZE, n = c->args[1];
		bool gains = false, loses = false;

		if (st != VTL_OK) {
			/* Refused: nothing changed. */
			FUZZ_CHECK(!memcmp(shadow, before, m.pages),
				   "a refused PROTECT changed pages");
			break;
		}
		FUZZ_CHECK(c->args[2] <= VTL_PERM_MASK && vtl1_pages_valid(c->args[0], n),
			   "PROTECT of a bad range answered OK");
		for (uint64_t p = first; p < first + n; p++) {
			FUZZ_CHECK(shadow[p] == c->args[2], "PROTECT OK but page %llu is %u",
				   (unsigned long long)p, shadow[p]);
			gains |= c->args[2] & ~before[p];
			loses |= before[p] & ~c->args[2];
			FUZZ_CHECK(!locked[p] || !(c->args[2] & ~before[p]),
				   "PROTECT relaxed locked page %llu", (unsigned long long)p);
		}
		FUZZ_CHECK(!gains || policy_request_allowed(pol(), POLICY_REQ_RELAX, m.eob),
			   "PROTECT relaxed pages the policy (%s end of boot) keeps",
			   m.eob ? "after" : "before");
		FUZZ_CHECK(!loses || policy_request_allowed(pol(), POLICY_REQ_RESTRICT, m.eob),
			   "PROTECT restricted pages against the policy");
		break;
	}
	case VTL_CALL_END_OF_BOOT:
		FUZZ_CHECK(st == (m.eob ? VTL_E_BAD_STATE : VTL_OK), "END_OF_BOOT: %llu",
			   (unsigned long long)st);
		m.eob = true;
		break;
	case VTL_CALL_KEXEC_LOAD:
		if (st == VTL_OK) {
			uint64_t first = c->args[0] / VTL_PAGE_SIZE;

			FUZZ_CHECK(pol()->flags & POLICY_F_KEXEC_ALLOWED,
				   "KEXEC_LOAD against the policy");
			FUZZ_CHECK(m.staged && m.st_gpa == c->args[0] && m.st_size == c->args[1] &&
				       m.meas.valid && m.meas.gpa == c->args[0] &&
				       (policy_digest(m.meas.d) || m.meas.verified),
				   "KEXEC_LOAD OK, but not staged, measured and accepted");
			m.acc = m.meas;
			for (uint64_t p = first; p < first + vtl1_kexec_pages; p++)
				FUZZ_CHECK(!(shadow[p] & (VTL_PERM_W | VTL_PERM_X)),
					   "staged page %llu is writable", (unsigned long long)p);
		} else if (!m.injected) {
			/* vtl_call.h: on any failure every earlier protection stays as it was. */
			FUZZ_CHECK(!memcmp(shadow, before, m.pages),
				   "a failed KEXEC_LOAD left pages changed");
		}
		break;
	case VTL_CALL_KEXEC_EXEC: FUZZ_CHECK(st != VTL_OK, "KEXEC_EXEC returned OK"); break;
	case VTL_CALL_PIN_CR:
		if (st == VTL_OK)
			FUZZ_CHECK((c->args[0] == 0 || c->args[0] == 4) && c->args[1] &&
				       (m.cr_pins[c->args[0] == 4] & c->args[1]) == c->args[1],
				   "PIN_CR OK but the bits are not pinned");
		break;
	case VTL_CALL_UNPIN_CR:
		if (st == VTL_OK)
			FUZZ_CHECK(!(m.cr_pins[c->args[0] == 4] & c->args[1]),
				   "UNPIN_CR OK but bits stay pinned");
		break;
	case VTL_CALL_PIN_MSR:
	case VTL_CALL_UNPIN_MSR: break;
	default:
		FUZZ_CHECK(st == VTL_E_UNKNOWN_CALL, "unknown call %u answered %llu", c->nr,
			   (unsigned long long)st);
	}
}

/* docs/policy.md: the policy's action for the class, as one outcome op. */
static void check_intercept(void)
{
	const struct vtl1_intercept *ic = &m.e.intercept;
	const struct vtl1_op *t = &m.ans[m.nans - 1];
	static const uint8_t cls[] = {
	    [VTL1_INT_MEM_READ] = POLICY_CLASS_MEM_READ + 1,
	    [VTL1_INT_MEM_WRITE] = POLICY_CLASS_MEM_WRITE + 1,
	    [VTL1_INT_MEM_EXEC] = POLICY_CLASS_MEM_EXEC + 1,
	    [VTL1_INT_MSR_WRITE] = POLICY_CLASS_MSR + 1,
	    [VTL1_INT_CR_WRITE] = POLICY_CLASS_CR + 1,
	};
	uint32_t class, action, outcomes = 0;

	if (ic->kind >= sizeof(cls) || !cls[ic->kind]) {
		FUZZ_CHECK(m.out == OUT_KILL && t->arg[0] == VTL1_REASON_BAD_KIND,
			   "intercept of unknown kind %u not killed", ic->kind);
		return;
	}
	class = cls[ic->kind] - 1U;
	action = pol()->action[class];
	if (ic->kind == VTL1_INT_MEM_WRITE && m.kx_pages &&
	    ic->gpa / VTL_PAGE_SIZE - m.kx_first < m.kx_pages && (m.hold_perm & VTL_PERM_W))
		action = POLICY_ACT_DENY; /* a write into the staged image */
	if (m.fatal) {
		FUZZ_CHECK(m.out == OUT_KILL && t->arg[0] == VTL1_REASON_CLASS(class),
			   "refused answer: KILL with reason %llu", (unsigned long long)t->arg[0]);
		return;
	}
	for (uint32_t i = 0; i < m.nans; i++)
		outcomes += m.ans[i].code == VTL1_OP_INJECT || m.ans[i].code == VTL1_OP_ALLOW ||
			    m.ans[i].code == VTL1_OP_SKIP;
	switch (action) {
	case POLICY_ACT_DENY: {
		const struct vtl1_op *inj = &m.ans[m.nans - 2];

		FUZZ_CHECK(m.out == OUT_RETURN && t->arg[0] == VTL_OK && outcomes == 1 &&
			       m.nans >= 2 && inj->code == VTL1_OP_INJECT,
			   "deny: not INJECT then RETURN");
		if (class < POLICY_CLASS_MSR)
			FUZZ_CHECK(inj->arg[0] == VTL_VECTOR_PF && (inj->arg[1] & 1) &&
				       !!(inj->arg[1] & 2) == (ic->kind == VTL1_INT_MEM_WRITE) &&
				       !!(inj->arg[1] & 16) == (ic->kind == VTL1_INT_MEM_EXEC) &&
				       inj->arg[2] == ic->aux,
				   "deny of a memory access: INJECT %llu 0x%llx 0x%llx",
				   (unsigned long long)inj->arg[0], (unsigned long long)inj->arg[1],
				   (unsigned long long)inj->arg[2]);
		else
			FUZZ_CHECK(inj->arg[0] == VTL_VECTOR_GP && !inj->arg[1],
				   "deny of MSR/CR write: not #GP(0)");
		break;
	}
	case POLICY_ACT_LOG:
		FUZZ_CHECK(m.out == OUT_RETURN && t->arg[0] == VTL_OK && outcomes == 1,
			   "log: not ALLOW then RETURN");
		for (uint32_t i = 0; i < m.nans; i++)
			if (m.ans[i].code == VTL1_OP_ALLOW)
				FUZZ_CHECK(i + 1 < m.nans, "ALLOW last");
		break;
	case POLICY_ACT_RESET:
		FUZZ_CHECK(m.out == OUT_RESET && t->arg[0] == VTL1_REASON_CLASS(class),
			   "reset: answered %s", op_name(t->code));
		break;
	case POLICY_ACT_RESTORE:
		/* cr only (the parser refuses it elsewhere): SKIP, nothing injected or allowed. */
		if (class != POLICY_CLASS_CR) {
			FUZZ_CHECK(m.out == OUT_KILL && t->arg[0] == VTL1_REASON_CLASS(class),
				   "restore of a non-CR class: answered %s", op_name(t->code));
			break;
		}
		FUZZ_CHECK(m.out == OUT_RETURN && t->arg[0] == VTL_OK && outcomes == 1 &&
			       m.nans >= 2 && m.ans[m.nans - 2].code == VTL1_OP_SKIP,
			   "restore: not SKIP then RETURN");
		break;
	default:
		FUZZ_CHECK(m.out == OUT_KILL && t->arg[0] == VTL1_REASON_CLASS(class),
			   "kill: answered %s", op_name(t->code));
	}
}

static void check_boot(void)
{
	static uint8_t perm[PAGES_MAX], lock[PAGES_MAX];
	const struct vtl1_op *t = &m.ans[m.nans - 1];
	uint32_t kind = m.e.boot_kind;

	FUZZ_CHECK(m.out == OUT_RETURN || (m.out == OUT_KILL && m.fatal), "BOOT answered %s",
		   op_name(t->code));
	if (m.out != OUT_RETURN)
		return;
	FUZZ_CHECK(valid_status(t->arg[0]), "BOOT status %llu", (unsigned long long)t->arg[0]);
	if (t->arg[0] != VTL_OK) {
		/* A refused launch or kexec boot: the monitor ends the run (pair_boot_vtl1). */
		m.stop |= m.real_boot;
		return;
	}
	FUZZ_CHECK(kind == VTL1_BOOT_LAUNCH ? !m.launched : m.launched,
		   "BOOT of kind %u accepted %s a launch", kind, m.launched ? "after" : "before");
	m.launched = true;
	m.eob = false;
	/* The boot policy is in force, exactly: memory rules in order, and the boot pins. */
	boot_expect(perm, lock);
	FUZZ_CHECK(!memcmp(perm, shadow, m.pages), "boot: pages are not what the policy says");
	memcpy(locked, lock, m.pages);
	FUZZ_CHECK((m.cr_pins[0] & pol()->cr0_pin_boot) == pol()->cr0_pin_boot &&
		       (m.cr_pins[1] & pol()->cr4_pin_boot) == pol()->cr4_pin_boot,
		   "boot: CR pins not in force");
	FUZZ_CHECK(!(pol()->flags & POLICY_F_NEEDS_EXEC_PROTECT) ||
		       (m.features & VTL_FEAT_PERM_NOEXEC),
		   "exec protection required but launched without it");
}

/* After each entry's answer went through (called by monitor_ops, or for a fatal KILL). */
static void check_entry(void)
{
	mix(m.out);
	switch (m.e.reason) {
	case VTL1_ENTRY_CALL: check_call(); break;
	case VTL1_ENTRY_INTERCEPT: check_intercept(); break;
	case VTL1_ENTRY_BOOT: check_boot(); break;
	default:
		FUZZ_CHECK(m.out == OUT_KILL && m.ans[m.nans - 1].arg[0] == VTL1_REASON_BAD_ENTRY,
			   "entry of reason %u not killed", m.e.reason);
	}
}

/* ---- entries -------------------------------------------------------------- */

static uint64_t steer_gpa(uint64_t raw)
{
	return (raw % (m.pages ? m.pages : 1)) * VTL_PAGE_SIZE;
}

static void gen_call(struct vtl_call_block *c)
{
	static const uint32_t nrs[] = {
	    VTL_CALL_NOP,	 VTL_CALL_ECHO,	       VTL_CALL_PROTECT,  VTL_CALL_PIN_CR,
	    VTL_CALL_PIN_MSR,	 VTL_CALL_END_OF_BOOT, VTL_CALL_UNPIN_CR, VTL_CALL_UNPIN_MSR,
	    VTL_CALL_KEXEC_LOAD, VTL_CALL_KEXEC_EXEC,  VTL_CALL_PROTECT,  VTL_CALL_KEXEC_LOAD,
	};
	uint8_t sel = fuzz_u8(&m.in), steer = fuzz_u8(&m.in);
	uint64_t a0 = fuzz_u64(&m.in), a1 = fuzz_u64(&m.in), a2 = fuzz_u64(&m.in);

	c->nr = sel < 0xF0 ? nrs[sel % (sizeof(nrs) / sizeof(nrs[0]))] : (uint32_t)a2;
	if (!(steer & 1)) {
		/* VTL0 may pass anything; mostly pass something that gets past the first checks. */
		switch (c->nr) {
		case VTL_CALL_PROTECT:
			a0 = steer_gpa(a0);
			a1 = steer & 2 ? a1 % 4 + 1 : a1 % (m.pages + 1);
			a2 &= VTL_PERM_MASK;
			break;
		case VTL_CALL_PIN_CR:
		case VTL_CALL_UNPIN_CR:
			a0 = a0 & 1 ? 4 : 0;
			if (steer & 2)
				a1 &= a0 ? pol()->cr4_pinnable | pol()->cr4_pin_boot
					 : pol()->cr0_pinnable | pol()->cr0_pin_boot;
			break;
		case VTL_CALL_PIN_MSR:
		case VTL_CALL_UNPIN_MSR:
			if (pol()->nr_msrs)
				a0 = pol()->msrs[a0 % pol()->nr_msrs].index;
			break;
		case VTL_CALL_KEXEC_LOAD:
			a0 = steer_gpa(a0);
			a1 = a1 % (4 * VTL_PAGE_SIZE) + 1;
			a2 = steer & 2 ? steer_gpa(a2) + (a2 >> 32) % VTL_PAGE_SIZE : 0;
			break;
		}
	}
	c->args[0] = a0;
	c->args[1] = a1;
	c->args[2] = a2;
}

static void gen_intercept(struct vtl1_intercept *ic)
{
	uint8_t sel = fuzz_u8(&m.in), flags = fuzz_u8(&m.in);
	uint64_t a = fuzz_u64(&m.in), v = fuzz_u64(&m.in), x = fuzz_u64(&m.in);

	ic->kind = sel % 5 + 1;
	ic->flags = flags & 7;
	ic->value = flags & 8 ? VTL1_PIN_CURRENT : v;
	ic->aux = x;
	ic->rip = v ^ x;
	ic->len = (uint8_t)(1u << (flags >> 4) % 5);
	switch (ic->kind) {
	case VTL1_INT_MSR_WRITE:
		ic->gpa = pol()->nr_msrs ? pol()->msrs[a % pol()->nr_msrs].index : (uint32_t)a;
		break;
	case VTL1_INT_CR_WRITE:
		ic->gpa = a & 1 ? 4 : 0;
		ic->aux = m.cr_pins[a & 1] ? m.cr_pins[a & 1] : 1;
		break;
	default:
		ic->gpa = steer_gpa(a >> 12) + a % VTL_PAGE_SIZE;
		ic->perms = shadow[ic->gpa / VTL_PAGE_SIZE];
		break;
	}
	if (m.raw && sel >= 0xF0) {
		/* Anything at all: VTL1 must fail closed, never crash. */
		ic->kind = sel & 0xF ? (uint32_t)(v >> 32) : ic->kind;
		ic->gpa = a;
		ic->len = (uint8_t)x;
	}
}

/* The monitor writes the next entry into the inbox before it resumes VTL1. */
static void gen_entry(void)
{
	uint8_t sel;

	memset(&inbox, 0, sizeof(inbox));
	inbox.seq = m.e.seq + 1;
	if (m.out == OUT_KEXEC) {
		inbox.reason = VTL1_ENTRY_BOOT;
		inbox.boot_kind = VTL1_BOOT_KEXEC;
		m.have_next = m.real_boot = true;
		return;
	}
	if (!m.in.n || !m.launched || m.stop || (m.limit && m.entries == m.limit)) {
		m.have_next = false;
		return;
	}
	m.have_next = true;
	m.real_boot = false;
	m.entries++;
	sel = fuzz_u8(&m.in);
	if (sel % 16 < 9) {
		inbox.reason = VTL1_ENTRY_CALL;
		inbox.call_gpa = 0x1000;
		gen_call(&inbox.call);
	} else if (sel % 16 < 15 || !m.raw) {
		inbox.reason = VTL1_ENTRY_INTERCEPT;
		gen_intercept(&inbox.intercept);
	} else if (sel & 0x10) {
		inbox.reason = VTL1_ENTRY_BOOT;
		inbox.boot_kind = sel >> 5;
	} else {
		inbox.reason = sel >> 4;
	}
}

/* ---- boot info ------------------------------------------------------------ */

static void gen_boot(void)
{
	static const struct {
		const char *start, *end;
	} examples[] = {
	    {pol_default, pol_default_end},
	    {pol_dev, pol_dev_end},
	    {pol_nx, pol_nx_end},
	    {pol_strict, pol_strict_end},
	};
	uint8_t psel = fuzz_u8(&m.in);
	size_t plen;

	if (psel < 0xC0) {
		plen = (size_t)(examples[psel % 4].end - examples[psel % 4].start);
		memcpy(policy_text, examples[psel % 4].start, plen);
	} else {
		plen = fuzz_u16(&m.in) % 4096;
		plen = plen < m.in.n ? plen : m.in.n;
		fuzz_take(&m.in, policy_text, plen);
	}
	m.features = fuzz_u8(&m.in);

	memset(&bi, 0, sizeof(bi));
	bi.magic = VTL_BOOT_MAGIC;
	bi.abi_version = VTL_ABI_VERSION;
	bi.vtl = 1;
	bi.nr_vcpus = 1;
	bi.device_gpa = VTL1_DEVICE_GPA;
	bi.vtl1_priv_gpa = VTL1_PRIV_GPA;
	bi.vtl1_priv_size = PRIV_SIZE;
	bi.inbox_gpa = vtl1_gpa(&inbox);
	bi.policy_gpa = vtl1_gpa(policy_text);
	bi.policy_size = plen;
	if (m.raw) {
		bi.vtl0_ram_size = fuzz_u64(&m.in);
		if (!(bi.vtl0_ram_size >> 63))
			bi.vtl0_ram_size %= 64ULL << 20; /* keep the page arrays small, mostly */
		bi.nr_vtl0_segments = fuzz_u32(&m.in);
		fuzz_take(&m.in, bi.vtl0_segments,
			  sizeof(bi.vtl0_segments[0]) *
			      (bi.nr_vtl0_segments % (VTL_BOOT_MAX_SEGMENTS + 1)));
	} else {
		uint64_t pages = fuzz_u16(&m.in) % 3073 + VTL0_RAM_MIN / VTL_PAGE_SIZE;

		bi.vtl0_ram_size = pages * VTL_PAGE_SIZE;
		bi.nr_vtl0_segments = fuzz_u8(&m.in) % 6;
		for (uint32_t i = 0; i < bi.nr_vtl0_segments; i++) {
			struct vtl_segment *s = &bi.vtl0_segments[i];
			uint64_t first = fuzz_u16(&m.in) % pages, n = fuzz_u8(&m.in) % 32 + 1;

			s->gpa = first * VTL_PAGE_SIZE;
			s->size = (n < pages - first ? n : pages - first) * VTL_PAGE_SIZE;
			s->flags = fuzz_u8(&m.in) & 7;
		}
	}
	bi.vtl0_entry = bi.nr_vtl0_segments ? bi.vtl0_segments[0].gpa : 0;
	m.limit = fuzz_u8(&m.in);
	/* Until VTL1 accepts the size, it is not trusted for the page arrays. */
	m.pages = bi.vtl0_ram_size % VTL_PAGE_SIZE || bi.vtl0_ram_size > VTL0_RAM_MAX
		      ? 0
		      : bi.vtl0_ram_size / VTL_PAGE_SIZE;
	m.lim.vtl0_ram_size = bi.vtl0_ram_size;
	m.lim.priv_base = VTL1_PRIV_GPA;
	m.lim.priv_size = PRIV_SIZE;
}

static uint64_t run(const uint8_t *data, size_t size)
{
	static uint64_t old_pages;

	memset(shadow, 0, old_pages);
	memset(locked, 0, old_pages);
	memset(&m, 0, sizeof(m));
	m.in = (struct fuzz_in){data, size};
	m.raw = fuzz_u8(&m.in) & 1;
	gen_boot();
	old_pages = m.pages;
	memset(shadow, VTL_PERM_MASK, m.pages);
	vtl1_host_reset(&bi);
	memset(&inbox, 0, sizeof(inbox));
	inbox.reason = VTL1_ENTRY_BOOT;
	inbox.boot_kind = VTL1_BOOT_LAUNCH;
	inbox.seq = 1;
	m.have_next = m.real_boot = true;

	if (setjmp(m.end))
		return m.hash;
	for (unsigned n = 0; n < FUZZ_ENTRIES_MAX && m.have_next; n++) {
		uint64_t list;

		m.e = inbox;
		m.entry_done = m.injected = m.answering = m.fatal = false;
		m.out = OUT_NONE;
		m.have_next = false;
		m.kx_first = vtl1_kexec_first;
		m.kx_pages = vtl1_kexec_pages;
		m.hold_perm = m.e.reason == VTL1_ENTRY_INTERCEPT && m.kx_pages &&
				      m.e.intercept.gpa / VTL_PAGE_SIZE - m.kx_first < m.kx_pages
				  ? vtl1_pages_perms(m.e.intercept.gpa / VTL_PAGE_SIZE)
				  : 0;
		memcpy(before, shadow, m.pages);
		TRACE("entry %u: reason %u kind %u nr 0x%x args 0x%llx 0x%llx 0x%llx\n", n,
		      m.e.reason,
		      m.e.reason == VTL1_ENTRY_BOOT ? m.e.boot_kind : m.e.intercept.kind,
		      m.e.call.nr, (unsigned long long)m.e.call.args[0],
		      (unsigned long long)m.e.call.args[1], (unsigned long long)m.e.call.args[2]);
		if (m.e.reason == VTL1_ENTRY_INTERCEPT)
			TRACE("  intercept gpa 0x%llx value 0x%llx aux 0x%llx\n",
			      (unsigned long long)m.e.intercept.gpa,
			      (unsigned long long)m.e.intercept.value,
			      (unsigned long long)m.e.intercept.aux);

		list = vtl1_host_handle(&inbox);
		if (list == VTL1_ANSWERED) {
			FUZZ_CHECK(m.entry_done,
				   "VTL1 says it answered, but no answer went through");
		} else {
			FUZZ_CHECK(!m.entry_done, "VTL1 answered twice");
			/* vtl1_answer(): a refused answer makes VTL1 KILL and halt (fail closed).
			 */
			m.answering = true;
			vtl1_host_answer(list);
			m.answering = false;
			FUZZ_CHECK(m.entry_done, "the answer did not end the entry");
		}
		/*
		 * VTL1 records what the monitor applied once its list returns, which
		 * for the last list of an entry is when it resumes: by now.
		 */
		if (m.launched && m.out != OUT_KEXEC)
			check_pages();
	}
	return m.hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t h1 = run(data, size), h2 = run(data, size);

	FUZZ_CHECK(h1 == h2, "the same input gave two different transcripts");
	return 0;
}
