/* libFuzzer target: the enforcement instruction helpers (insn.c) on arbitrary bytes and registers.
 */
#include <capstone/capstone.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "monitor/x86/insn.h"
#include "monitor/x86/insn_len.h"

/*
 * Input layout (zero past the end):
 *   u8 mode: selects the function under test (modes[] below; add a mode for
 *      each new helper, the rest of the layout is the mode's own).
 *   mov_to_cr:   u8 length (of the bytes, 0..31), then the bytes.
 *   write_start: u64 rip, u32 store length (1..16 mostly), u8 ea mode, u64
 *                ea target, GPRs (u16 mask of those present, then one u64 per
 *                set bit, rax..r15 in kvm_regs order), u8 length (0..31), the
 *                bytes that precede RIP.
 *   decode:      u64 rip, u8 flags (bit 0 regs_after, bit 1 DF), u64 fs_base,
 *                u64 gs_base, GPRs, u8 length, the bytes.
 *   write_origin: u64 rip, u64 gpa, u32 fragment length, u8 flags (% 4: how
 *                va_is_gpa answers; bit 4 regs_after, bit 5 DF), u64 fs_base,
 *                u64 gs_base, GPRs, u8 length + the bytes before RIP, u8
 *                length + the bytes at RIP. Also checked against a
 *                reference that decodes every candidate with Capstone.
 *   length:      u8 length, the bytes: insn_len() against Capstone's length.
 *   store:       as decode: insn_decode_store() against insn_decode().
 * Instruction bytes are always copied into a buffer of exactly their length,
 * so ASan sees any read before or past them. Every call is made twice with
 * the same input: the answer must not change (no hidden state).
 */
#define FUZZ_BYTES_MAX 31

/* Bytes copied into an exactly-sized heap buffer; never NULL (malloc(0) may be). */
static uint8_t *exact_copy(const uint8_t *src, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	FUZZ_CHECK(p != NULL, "malloc");
	if (n)
		memcpy(p, src, n);
	return p;
}

static size_t take_bytes(struct fuzz_in *in, uint8_t *buf)
{
	size_t n = fuzz_u8(in) % (FUZZ_BYTES_MAX + 1);

	fuzz_take(in, buf, n);
	return n;
}

static bool legacy_prefix(uint8_t b)
{
	return b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65 ||
	       b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3;
}

/*
 * What the CPU executes as MOV CRn, r64 in 64-bit mode (SDM vol. 2, 2.2.1
 * and MOV-Control Registers), written independently of insn.c: any mix of
 * legacy and REX prefixes, of which only a REX right before the opcode
 * counts; 0F 22 /r with ModRM.mod ignored; 15 bytes at most. *lock says a
 * LOCK prefix was seen (#UD on Intel, CR8 on AMD: not the CR it names).
 */
static bool ref_mov_to_cr(const uint8_t *b, size_t len, unsigned *cr, unsigned *gpr,
			  size_t *insn_len, bool *lock)
{
	size_t i = 0;
	uint8_t rex = 0;

	*lock = false;
	if (len > INSN_MAX)
		len = INSN_MAX;
	for (; i < len; i++) {
		if (legacy_prefix(b[i])) {
			*lock |= b[i] == 0xF0;
			rex = 0; /* a REX followed by another prefix is ignored */
		} else if ((b[i] & 0xF0) == 0x40) {
			rex = b[i];
		} else {
			break;
		}
	}
	if (i + 3 > len || b[i] != 0x0F || b[i + 1] != 0x22)
		return false;
	*cr = ((b[i + 2] >> 3) & 7) | (rex & 4 ? 8 : 0);
	*gpr = (b[i + 2] & 7) | (rex & 1 ? 8 : 0);
	*insn_len = i + 3;
	return true;
}

static void fuzz_mov_to_cr(struct fuzz_in *in)
{
	uint8_t raw[FUZZ_BYTES_MAX];
	size_t n = take_bytes(in, raw), len = 0, len2 = 0, rlen = 0;
	unsigned cr = 0, gpr = 0, cr2 = 0, gpr2 = 0, rcr = 0, rgpr = 0;
	uint8_t *b = exact_copy(raw, n);
	bool ref, lock;
	int r, r2;

	r = insn_mov_to_cr(b, n, &cr, &gpr, &len);
	r2 = insn_mov_to_cr(b, n, &cr2, &gpr2, &len2);
	FUZZ_CHECK(r == 0 || r == -1, "returned %d", r);
	FUZZ_CHECK(r == r2 && (r || (cr == cr2 && gpr == gpr2 && len == len2)),
		   "two calls on the same bytes disagree");
	ref = ref_mov_to_cr(raw, n, &rcr, &rgpr, &rlen, &lock);
	if (!r) {
		FUZZ_CHECK(len >= 3 && len <= n && len <= INSN_MAX, "length %zu of %zu bytes", len,
			   n);
		FUZZ_CHECK(b[len - 3] == 0x0F && b[len - 2] == 0x22, "length %zu is not past 0F 22",
			   len);
		FUZZ_CHECK(cr < 16 && gpr < 16, "cr %u gpr %u", cr, gpr);
		/* Never a CR write the CPU would not do, nor a different one. */
		FUZZ_CHECK(ref, "accepted %zu bytes the CPU does not run as MOV to CR", len);
		FUZZ_CHECK(cr == rcr && gpr == rgpr && len == rlen,
			   "decoded cr%u <- gpr %u (%zu bytes), the CPU does cr%u <- gpr %u (%zu)",
			   cr, gpr, len, rcr, rgpr, rlen);
		FUZZ_CHECK(!lock, "LOCK MOV CR%u accepted: #UD on Intel, CR8 on AMD", cr);
	} else {
		/* Missing one is not a bypass (the pin check still runs), but it is not precise. */
		FUZZ_CHECK(!ref || lock,
			   "rejected a MOV to CR%u <- gpr %u of %zu bytes the CPU runs", rcr, rgpr,
			   rlen);
	}
	free(b);
}

/* ---- insn_write_start ----------------------------------------------------- */

enum ea_mode { EA_NULL, EA_ALWAYS, EA_NEVER, EA_EXACT, EA_PAGE, EA_MODES };

struct ea_ctx {
	enum ea_mode mode;
	uint64_t target;
	uint64_t calls, hash; /* what the callback saw, to compare two runs */
};

static bool ea_matches(void *ctx, uint64_t va)
{
	struct ea_ctx *e = ctx;

	e->calls++;
	e->hash = (e->hash ^ va) * 0x100000001B3ULL;
	switch (e->mode) {
	case EA_ALWAYS: return true;
	case EA_EXACT: return va == e->target;
	case EA_PAGE: return (va ^ e->target) < 4096;
	default: return false;
	}
}

static csh cs_handle(void)
{
	static csh h;
	static bool open;

	if (!open) {
		FUZZ_CHECK(cs_open(CS_ARCH_X86, CS_MODE_64, &h) == CS_ERR_OK, "cs_open");
		cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
		open = true;
	}
	return h;
}

/*
 * The k bytes before RIP are one instruction of exactly k bytes (Capstone,
 * asked directly), and insn_decode() calls it a pure store of the exit's size:
 * insn_write_start() answers only for a precise origin (insn.h).
 */
static int decode(const uint8_t *bytes, size_t n, uint64_t rip, const struct insn_cpu *cpu,
		  struct insn_info *out);

static void check_store_insn(const uint8_t *code, size_t k, uint64_t rip, uint32_t len,
			     const struct kvm_regs *regs)
{
	const struct insn_cpu cpu = {.regs = regs, .regs_after = true};
	struct insn_info info;
	cs_insn *insn = NULL;
	size_t cnt = cs_disasm(cs_handle(), code, k, rip - k, 1, &insn);

	FUZZ_CHECK(cnt == 1 && insn[0].size == k, "%zu bytes before RIP are not one instruction",
		   k);
	FUZZ_CHECK(!decode(code, k, rip - k, &cpu, &info) && info.pure_store &&
		       info.mem[0].size == len,
		   "%s %s (%zu bytes) is not a pure store of %u bytes", insn[0].mnemonic,
		   insn[0].op_str, k, len);
	cs_free(insn, cnt);
}

static size_t write_start(const uint8_t *bytes, size_t n, struct insn_write_ctx *c,
			  struct ea_ctx *e)
{
	uint8_t *b = exact_copy(bytes, n);
	size_t k;

	e->calls = e->hash = 0;
	k = insn_write_start(b, n, c);
	free(b);
	return k;
}

/* u16 mask, then one u64 per set bit: the GPRs in kvm_regs order; the rest are zero. */
static void take_regs(struct fuzz_in *in, struct kvm_regs *regs)
{
	static const size_t gpr_off[16] = {
	    offsetof(struct kvm_regs, rax), offsetof(struct kvm_regs, rcx),
	    offsetof(struct kvm_regs, rdx), offsetof(struct kvm_regs, rbx),
	    offsetof(struct kvm_regs, rsp), offsetof(struct kvm_regs, rbp),
	    offsetof(struct kvm_regs, rsi), offsetof(struct kvm_regs, rdi),
	    offsetof(struct kvm_regs, r8),  offsetof(struct kvm_regs, r9),
	    offsetof(struct kvm_regs, r10), offsetof(struct kvm_regs, r11),
	    offsetof(struct kvm_regs, r12), offsetof(struct kvm_regs, r13),
	    offsetof(struct kvm_regs, r14), offsetof(struct kvm_regs, r15),
	};
	uint16_t mask = fuzz_u16(in);

	memset(regs, 0, sizeof(*regs));
	for (unsigned i = 0; i < 16; i++)
		if (mask & (1u << i)) {
			uint64_t v = fuzz_u64(in);

			memcpy((uint8_t *)regs + gpr_off[i], &v, sizeof(v));
		}
}

static void fuzz_write_start(struct fuzz_in *in)
{
	struct kvm_regs regs, copy;
	struct ea_ctx e = {0};
	struct insn_write_ctx c = {0};
	uint8_t raw[FUZZ_BYTES_MAX];
	uint64_t calls, hash;
	size_t n, k, k2;
	uint32_t len;

	c.rip = fuzz_u64(in);
	len = fuzz_u32(in);
	if (!(len & 0x80000000u))
		len = len % 16 + 1; /* the sizes a store really has, mostly */
	e.mode = (enum ea_mode)(fuzz_u8(in) % EA_MODES);
	e.target = fuzz_u64(in);
	take_regs(in, &regs);
	regs.rip = c.rip;
	n = take_bytes(in, raw);
	copy = regs;
	c.len = len;
	c.regs = &regs;
	c.ea_matches = e.mode == EA_NULL ? NULL : ea_matches;
	c.ctx = &e;

	k = write_start(raw, n, &c, &e);
	calls = e.calls;
	hash = e.hash;
	FUZZ_CHECK(!memcmp(&copy, &regs, sizeof(regs)), "the registers were written");
	FUZZ_CHECK(k <= n && k <= INSN_MAX, "length %zu from %zu bytes", k, n);
	FUZZ_CHECK(e.mode != EA_NULL || !calls, "callback called while NULL");
	k2 = write_start(raw, n, &c, &e);
	FUZZ_CHECK(k == k2 && calls == e.calls && hash == e.hash,
		   "two calls disagree: %zu then %zu (%llu vs %llu callbacks)", k, k2,
		   (unsigned long long)calls, (unsigned long long)e.calls);
	/*
	 * Only the last 15 bytes count: an instruction is never longer, and
	 * before[n - 1] is the byte at RIP - 1 (insn.h). insn.c clamps n to 15
	 * but then reads before[0..14], the bytes furthest from RIP. The monitor
	 * passes at most 15 bytes, so only the contract is broken, not the run.
	 */
	if (n > INSN_MAX) {
		k2 = write_start(raw + n - INSN_MAX, INSN_MAX, &c, &e);
		FUZZ_CHECK(k2 == k, "bytes more than 15 before RIP changed the answer");
		k = k2; /* what follows is about the 15 bytes that count */
	}
	if (!k)
		return;
	check_store_insn(raw + n - k, k, c.rip, len, &regs);
	/* Fewer candidates cannot make a unique match ambiguous or different. */
	FUZZ_CHECK(write_start(raw + n - k, k, &c, &e) == k,
		   "found %zu bytes back, but not when given only those %zu bytes", k, k);
}

/* ---- insn_decode and insn_write_origin (the precise-denial classifier) ---------- */

static bool string_insn(unsigned id)
{
	switch (id) {
	case X86_INS_STOSB:
	case X86_INS_STOSW:
	case X86_INS_STOSD:
	case X86_INS_STOSQ:
	case X86_INS_MOVSB:
	case X86_INS_MOVSW:
	case X86_INS_MOVSD:
	case X86_INS_MOVSQ:
	case X86_INS_LODSB:
	case X86_INS_LODSW:
	case X86_INS_LODSD:
	case X86_INS_LODSQ:
	case X86_INS_SCASB:
	case X86_INS_SCASW:
	case X86_INS_SCASD:
	case X86_INS_SCASQ:
	case X86_INS_CMPSB:
	case X86_INS_CMPSW:
	case X86_INS_CMPSD:
	case X86_INS_CMPSQ:
	case X86_INS_INSB:
	case X86_INS_INSW:
	case X86_INS_INSD:
	case X86_INS_OUTSB:
	case X86_INS_OUTSW:
	case X86_INS_OUTSD: return true;
	}
	return false;
}

/* The known fields of two decodes (an unknown address carries no meaning). */
static bool info_equal(const struct insn_info *a, const struct insn_info *b)
{
	if (a->len != b->len || a->id != b->id || a->rep != b->rep ||
	    a->pure_store != b->pure_store || a->pure_load != b->pure_load ||
	    a->known_store != b->known_store || a->nmem != b->nmem)
		return false;
	for (unsigned i = 0; i < a->nmem && i < INSN_MEM_MAX; i++)
		if (a->mem[i].size != b->mem[i].size || a->mem[i].write != b->mem[i].write ||
		    a->mem[i].ea_known != b->mem[i].ea_known ||
		    (a->mem[i].ea_known && a->mem[i].ea != b->mem[i].ea))
			return false;
	return true;
}

static int decode(const uint8_t *bytes, size_t n, uint64_t rip, const struct insn_cpu *cpu,
		  struct insn_info *out)
{
	uint8_t *b = exact_copy(bytes, n);
	int r = insn_decode(b, n, rip, cpu, out);

	free(b);
	return r;
}

/* What insn.h says a decode is, whatever the bytes. */
static void check_info(const struct insn_info *in, const uint8_t *bytes, size_t n, uint64_t rip)
{
	bool any_write = false;
	cs_insn *ci = NULL;
	size_t cnt = cs_disasm(cs_handle(), bytes, n, rip, 1, &ci);
	const char *mn = cnt ? ci[0].mnemonic : "?", *ops = cnt ? ci[0].op_str : "";

	/* Capstone, asked directly, agrees on what the bytes are. */
	FUZZ_CHECK(cnt == 1 && ci[0].size == in->len && ci[0].id == in->id,
		   "decoded %zu bytes as id %u, Capstone says %s %s (%zu bytes)", in->len, in->id,
		   mn, ops, cnt ? (size_t)ci[0].size : 0);
	FUZZ_CHECK(in->len >= 1 && in->len <= n && in->len <= INSN_MAX, "%s %s: length %zu of %zu",
		   mn, ops, in->len, n);
	FUZZ_CHECK(in->nmem <= INSN_MEM_MAX, "%s %s: %u memory accesses", mn, ops, in->nmem);
	for (unsigned i = 0; i < in->nmem; i++) {
		FUZZ_CHECK(in->mem[i].size >= 1, "%s %s: access %u of 0 bytes", mn, ops, i);
		any_write |= in->mem[i].write;
	}
	FUZZ_CHECK(in->known_store == any_write, "%s %s: known_store %d, writes %d", mn, ops,
		   in->known_store, any_write);
	/*
	 * A pure store writes exactly one operand; a pure load reads one and is
	 * not a store. (mem.write only "may write", erring towards yes: a pure
	 * load such as test [rax], 0 can carry it.)
	 */
	FUZZ_CHECK(!in->pure_store || (in->nmem == 1 && in->mem[0].write),
		   "%s %s: pure store without one written operand", mn, ops);
	FUZZ_CHECK(!in->pure_load || (in->nmem == 1 && !in->pure_store),
		   "%s %s: pure load of %u operands", mn, ops, in->nmem);
	FUZZ_CHECK(!in->rep || string_insn(in->id), "%s %s: rep on a non-string instruction", mn,
		   ops);
	cs_free(ci, cnt);
}

static void fuzz_decode(struct fuzz_in *in)
{
	struct kvm_regs regs, copy;
	struct insn_cpu cpu = {.regs = &regs};
	struct insn_info a, b;
	uint8_t raw[FUZZ_BYTES_MAX];
	uint64_t rip = fuzz_u64(in);
	uint8_t flags = fuzz_u8(in);
	size_t n;
	int r, r2;

	cpu.fs_base = fuzz_u64(in);
	cpu.gs_base = fuzz_u64(in);
	cpu.regs_after = flags & 1;
	take_regs(in, &regs);
	regs.rip = rip;
	regs.rflags = flags & 2 ? 1u << 10 : 0; /* DF */
	n = take_bytes(in, raw);
	copy = regs;

	r = decode(raw, n, rip, &cpu, &a);
	r2 = decode(raw, n, rip, &cpu, &b);
	FUZZ_CHECK(!memcmp(&copy, &regs, sizeof(regs)), "the registers were written");
	FUZZ_CHECK(r == 0 || r == -1, "returned %d", r);
	FUZZ_CHECK(r == r2 && (r || info_equal(&a, &b)), "two decodes of the same bytes differ");
	if (r)
		return;
	check_info(&a, raw, n < INSN_MAX ? n : INSN_MAX, rip);
	/* The bytes after the instruction do not change it. */
	FUZZ_CHECK(!decode(raw, a.len, rip, &cpu, &b) && info_equal(&a, &b),
		   "decoding only its %zu bytes gives something else", a.len);
	/* A push, before it runs, writes the 8 bytes under RSP. */
	if ((a.id == X86_INS_PUSH || a.id == X86_INS_CALL) && !cpu.regs_after && a.nmem)
		FUZZ_CHECK(a.mem[a.nmem - 1].write && a.mem[a.nmem - 1].ea_known &&
			       a.mem[a.nmem - 1].ea == regs.rsp - 8,
			   "push/call does not write [rsp - 8]");
}

enum va_mode { VA_ALWAYS, VA_NEVER, VA_IDENTITY, VA_PAGE, VA_MODES };

static bool va_is_gpa(void *ctx, uint64_t va, uint64_t gpa)
{
	struct ea_ctx *e = ctx;

	e->calls++;
	e->hash = (e->hash ^ va ^ (gpa << 1)) * 0x100000001B3ULL;
	switch ((enum va_mode)e->mode) {
	case VA_ALWAYS: return true;
	case VA_IDENTITY: return va == gpa;
	case VA_PAGE: return (va ^ gpa) < 4096;
	default: return false;
	}
}

static void origin(const uint8_t *before, size_t n, const uint8_t *at, size_t at_n,
		   const struct insn_write_exit *x, struct insn_write_origin *o, struct ea_ctx *e)
{
	uint8_t *b = exact_copy(before, n), *a = exact_copy(at, at_n);

	e->calls = e->hash = 0;
	memset(o, 0x5a, sizeof(*o));
	insn_write_origin(b, n, at_n ? a : NULL, at_n, x, o);
	free(a);
	free(b);
}

static bool origin_equal(const struct insn_write_origin *a, const struct insn_write_origin *b)
{
	return a->rip == b->rip && a->len == b->len && a->known == b->known &&
	       a->precise == b->precise && a->at_rip == b->at_rip;
}

/*
 * insn_write_origin() as it was before the in-monitor length decoder: every
 * candidate decoded by Capstone (insn_decode). The two must agree on every
 * exit; written apart from insn.c, after insn.h's contract.
 */
static bool ref_part_wrote(uint64_t va, uint64_t n, const struct insn_write_exit *x)
{
	for (uint64_t off = 0; off < n; off += 8) {
		uint64_t chunk = n - off < 8 ? n - off : 8;

		if (chunk == x->len && x->va_is_gpa(x->ctx, va + off, x->gpa))
			return true;
	}
	return false;
}

static bool ref_wrote(const struct insn_info *in, const struct insn_write_exit *x)
{
	for (unsigned i = 0; i < in->nmem; i++) {
		const struct insn_mem *m = &in->mem[i];
		uint64_t page_end = (m->ea | 4095) + 1, first;

		if (!m->write || m->size < x->len)
			continue;
		if (!m->ea_known)
			return true;
		first = page_end - m->ea < m->size ? page_end - m->ea : m->size;
		if (ref_part_wrote(m->ea, first, x) ||
		    (first < m->size && ref_part_wrote(page_end, m->size - first, x)))
			return true;
	}
	return false;
}

static void ref_origin(const uint8_t *before, size_t n, const uint8_t *at, size_t at_n,
		       const struct insn_write_exit *x, struct insn_write_origin *o)
{
	struct insn_cpu cpu = *x->cpu;
	struct insn_info in;
	unsigned matches = 0;

	memset(o, 0, sizeof(*o));
	o->rip = x->rip;
	cpu.regs_after = true;
	if (n > INSN_MAX) {
		before += n - INSN_MAX;
		n = INSN_MAX;
	}
	if (at_n && !decode(at, at_n, x->rip, &cpu, &in) && in.rep &&
	    (in.id == X86_INS_STOSB || in.id == X86_INS_STOSW || in.id == X86_INS_STOSD ||
	     in.id == X86_INS_STOSQ || in.id == X86_INS_MOVSB || in.id == X86_INS_MOVSW ||
	     in.id == X86_INS_MOVSD || in.id == X86_INS_MOVSQ) &&
	    ref_wrote(&in, x)) {
		matches++;
		o->len = in.len;
		o->at_rip = true;
	}
	for (size_t back = 1; back <= n; back++) {
		if (decode(before + (n - back), back, x->rip - back, &cpu, &in) || in.len != back ||
		    !ref_wrote(&in, x))
			continue;
		matches++;
		o->rip = x->rip - back;
		o->len = back;
		o->at_rip = false;
		o->precise = in.pure_store && in.mem[0].ea_known && in.mem[0].size == x->len &&
			     x->va_is_gpa(x->ctx, in.mem[0].ea, x->gpa);
	}
	o->known = matches == 1;
	if (!o->known) {
		o->rip = x->rip;
		o->len = 0;
		o->at_rip = false;
	}
	o->precise = o->known && !o->at_rip && o->precise;
}

static void fuzz_write_origin(struct fuzz_in *in)
{
	struct kvm_regs regs, copy;
	struct insn_cpu cpu = {.regs = &regs};
	struct insn_write_exit x = {.cpu = &cpu, .va_is_gpa = va_is_gpa};
	struct insn_write_origin o, o2;
	struct ea_ctx e = {0};
	uint8_t before[FUZZ_BYTES_MAX], at[FUZZ_BYTES_MAX];
	uint8_t flags;
	size_t n, at_n;

	x.rip = fuzz_u64(in);
	x.gpa = fuzz_u64(in);
	x.len = fuzz_u32(in);
	if (!(x.len & 0x80000000u))
		x.len = x.len % 16 + 1;
	flags = fuzz_u8(in);
	e.mode = (enum ea_mode)(flags % VA_MODES);
	cpu.regs_after = flags & 0x10; /* insn_write_origin forces it on: must not matter */
	cpu.fs_base = fuzz_u64(in);
	cpu.gs_base = fuzz_u64(in);
	take_regs(in, &regs);
	regs.rip = x.rip;
	regs.rflags = flags & 0x20 ? 1u << 10 : 0;
	n = take_bytes(in, before);
	at_n = take_bytes(in, at);
	x.ctx = &e;
	copy = regs;

	origin(before, n, at, at_n, &x, &o, &e);
	FUZZ_CHECK(!memcmp(&copy, &regs, sizeof(regs)), "the registers were written");
	origin(before, n, at, at_n, &x, &o2, &e);
	FUZZ_CHECK(origin_equal(&o, &o2), "two calls on the same exit disagree");
	/* The monitor's shortcuts (lengths, plain stores, the rep check) change no answer. */
	ref_origin(before, n, at, at_n, &x, &o2);
	FUZZ_CHECK(origin_equal(&o, &o2),
		   "origin known %d precise %d len %zu at_rip %d, all-Capstone reference: known "
		   "%d precise %d len %zu at_rip %d",
		   o.known, o.precise, o.len, o.at_rip, o2.known, o2.precise, o2.len, o2.at_rip);
	cpu.regs_after = !cpu.regs_after;
	origin(before, n, at, at_n, &x, &o2, &e);
	FUZZ_CHECK(origin_equal(&o, &o2), "cpu->regs_after changed the answer");
	cpu.regs_after = !cpu.regs_after;

	/* insn.h: unknown means the exit RIP and length 0; precise only for a known origin. */
	if (!o.known) {
		FUZZ_CHECK(o.rip == x.rip && !o.len && !o.at_rip && !o.precise,
			   "unknown origin: rip 0x%llx len %zu at_rip %d precise %d",
			   (unsigned long long)o.rip, o.len, o.at_rip, o.precise);
		return;
	}
	FUZZ_CHECK(o.len >= 1 && o.len <= INSN_MAX, "origin of %zu bytes", o.len);
	if (o.at_rip) {
		FUZZ_CHECK(o.rip == x.rip && o.len <= at_n && !o.precise,
			   "rep store at RIP: rip 0x%llx len %zu of %zu, precise %d",
			   (unsigned long long)o.rip, o.len, at_n, o.precise);
		return;
	}
	FUZZ_CHECK(o.rip == x.rip - o.len && o.len <= n, "origin %zu bytes back from %zu, rip off",
		   o.len, n);
	if (n > INSN_MAX)
		return; /* insn.c reads the wrong 15 bytes then: see fuzz_write_start */
	/* The instruction those bytes are, and, when precise, a pure store of the exit's size. */
	{
		struct insn_cpu after = cpu;
		struct insn_info info;

		after.regs_after = true;
		FUZZ_CHECK(!decode(before + n - o.len, o.len, o.rip, &after, &info) &&
			       info.len == o.len && info.known_store,
			   "the %zu bytes before RIP are not one storing instruction", o.len);
		if (o.precise)
			FUZZ_CHECK(
			    info.pure_store && info.mem[0].ea_known && info.mem[0].size == x.len,
			    "precise, but not a pure store of %u bytes at a known address", x.len);
	}
	/* Fewer candidates before RIP cannot make a unique origin ambiguous or different. */
	origin(before + n - o.len, o.len, at, at_n, &x, &o2, &e);
	FUZZ_CHECK(origin_equal(&o, &o2), "origin %zu bytes back, but not from only those bytes",
		   o.len);
}

/* ---- insn_len and insn_decode_store (the in-monitor shortcuts) ---------------------- */

static unsigned len_of(const uint8_t *bytes, size_t n, struct insn_len_parse *p)
{
	uint8_t *b = exact_copy(bytes, n);
	unsigned r = insn_len(b, n, p);

	free(b);
	return r;
}

/*
 * Whatever the bytes, insn_len() never contradicts Capstone: when Capstone
 * decodes the bytes given (the buffer a write-origin candidate has) to S
 * bytes, the answer is S or unknown, never another length, "longer" or
 * "invalid". That is what lets insn_write_origin() drop a candidate unasked.
 */
static void fuzz_length(struct fuzz_in *in)
{
	uint8_t raw[FUZZ_BYTES_MAX];
	size_t n = take_bytes(in, raw), m = n < INSN_MAX ? n : INSN_MAX;
	struct insn_len_parse p;
	unsigned l = len_of(raw, n, &p), l2 = len_of(raw, n, NULL);
	cs_insn *ci = NULL;
	size_t cnt = m ? cs_disasm(cs_handle(), raw, m, 0x1000, 1, &ci) : 0;

	FUZZ_CHECK(l == l2, "with and without the parse: %u, %u", l, l2);
	FUZZ_CHECK(l == INSN_LEN_UNKNOWN || l == INSN_LEN_LONG || l == INSN_LEN_INVALID ||
		       (l >= 1 && l <= m),
		   "length %u of %zu bytes", l, n);
	FUZZ_CHECK(p.len == l, "parse says %u, answer %u", p.len, l);
	if (cnt)
		FUZZ_CHECK(l == INSN_LEN_UNKNOWN || l == ci[0].size,
			   "%s %s is %u bytes for Capstone, %u for insn_len", ci[0].mnemonic,
			   ci[0].op_str, (unsigned)ci[0].size, l);
	cs_free(ci, cnt);
	if (l < 1 || l > INSN_MAX)
		return;
	FUZZ_CHECK(p.opc_at < l && (!p.modrm_at || p.modrm_at < l) &&
		       (!p.disp_len || p.disp_at + p.disp_len <= l),
		   "parse fields past the length %u", l);
	/* The bytes after it do not change it; cut short, it is longer (or unknown). */
	FUZZ_CHECK(len_of(raw, l, NULL) == l, "length %u, but not from only those bytes", l);
	for (size_t k = 1; k < l; k++) {
		unsigned s = len_of(raw, k, NULL);

		FUZZ_CHECK(s == INSN_LEN_LONG || s == INSN_LEN_UNKNOWN,
			   "length %u, but %u from its first %zu bytes", l, s, k);
	}
}

static int decode_store(const uint8_t *bytes, size_t n, uint64_t rip, const struct insn_cpu *cpu,
			struct insn_info *out)
{
	uint8_t *b = exact_copy(bytes, n);
	int r = insn_decode_store(b, n, rip, cpu, out);

	free(b);
	return r;
}

/* A plain store decoded in the monitor is exactly what the Capstone path makes of it. */
static void fuzz_store(struct fuzz_in *in)
{
	struct kvm_regs regs, copy;
	struct insn_cpu cpu = {.regs = &regs};
	struct insn_info a, b;
	uint8_t raw[FUZZ_BYTES_MAX];
	uint64_t rip = fuzz_u64(in);
	uint8_t flags = fuzz_u8(in);
	size_t n;
	int r;

	cpu.fs_base = fuzz_u64(in);
	cpu.gs_base = fuzz_u64(in);
	cpu.regs_after = flags & 1;
	take_regs(in, &regs);
	regs.rip = rip;
	regs.rflags = flags & 2 ? 1u << 10 : 0;
	n = take_bytes(in, raw);
	copy = regs;
	r = decode_store(raw, n, rip, &cpu, &a);
	FUZZ_CHECK(!memcmp(&copy, &regs, sizeof(regs)), "the registers were written");
	FUZZ_CHECK(r == 0 || r == -1, "returned %d", r);
	if (r)
		return;
	FUZZ_CHECK(!decode(raw, n, rip, &cpu, &b), "a plain store Capstone does not decode");
	FUZZ_CHECK(info_equal(&a, &b),
		   "in the monitor: len %zu id %u store %d/%d ea %llx size %u known %d; "
		   "Capstone: len %zu id %u store %d/%d nmem %u ea %llx size %u known %d",
		   a.len, a.id, a.pure_store, a.known_store, (unsigned long long)a.mem[0].ea,
		   a.mem[0].size, a.mem[0].ea_known, b.len, b.id, b.pure_store, b.known_store,
		   b.nmem, (unsigned long long)b.mem[0].ea, b.mem[0].size, b.mem[0].ea_known);
}

static void fuzz_gpr_map(void)
{
	struct kvm_regs r;
	uint64_t *seen[16];

	memset(&r, 0, sizeof(r));
	for (unsigned i = 0; i < 16; i++) {
		__u64 *p = insn_gpr(&r, i);

		FUZZ_CHECK(p != NULL, "insn_gpr(%u) is NULL", i);
		FUZZ_CHECK((uint8_t *)p >= (uint8_t *)&r &&
			       (uint8_t *)p + sizeof(*p) <= (uint8_t *)(&r + 1),
			   "insn_gpr(%u) outside kvm_regs", i);
		FUZZ_CHECK((uint8_t *)p != (uint8_t *)&r.rip &&
			       (uint8_t *)p != (uint8_t *)&r.rflags,
			   "insn_gpr(%u) is RIP or RFLAGS", i);
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(seen[j] != (uint64_t *)p, "insn_gpr(%u) == insn_gpr(%u)", i, j);
		seen[i] = (uint64_t *)p;
	}
	FUZZ_CHECK(insn_gpr(&r, 16) == NULL && insn_gpr(&r, ~0u) == NULL, "GPR 16+ not NULL");
}

static const struct {
	const char *name;
	void (*run)(struct fuzz_in *in);
} modes[] = {
    {"mov_to_cr", fuzz_mov_to_cr},	 {"write_start", fuzz_write_start}, {"decode", fuzz_decode},
    {"write_origin", fuzz_write_origin}, {"length", fuzz_length},	    {"store", fuzz_store},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t mode = fuzz_u8(&in);
	static bool once;

	if (!once) {
		fuzz_gpr_map();
		once = true;
	}
	modes[mode % (sizeof(modes) / sizeof(modes[0]))].run(&in);
	return 0;
}
