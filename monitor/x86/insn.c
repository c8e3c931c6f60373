/* Pure x86-64 instruction helpers for enforcement: CR-write decoding and write rewinding. */
#include "monitor/x86/insn.h"

#include <capstone/capstone.h> /* X86_* ids only: the decoder process runs Capstone */
#include <stddef.h>
#include <string.h>

#include "monitor/x86/decoder.h"
#include "monitor/x86/insn_len.h"

#define INSN_PAGE_SIZE 4096ULL
/* Bytes of one MMIO exit (sizeof(run->mmio.data)): KVM splits wider accesses into these. */
#define INSN_MMIO_CHUNK 8ULL

static bool insn_is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26:
	case 0x2E:
	case 0x36:
	case 0x3E:
	case 0x64:
	case 0x65:
	case 0x66:
	case 0x67:
	case 0xF0:
	case 0xF2:
	case 0xF3: return true;
	}
	return false;
}

int insn_mov_to_cr(const uint8_t *bytes, size_t len, unsigned *cr, unsigned *gpr, size_t *insn_len)
{
	size_t i = 0;
	uint8_t rex = 0, modrm;
	bool lock = false;

	if (len > INSN_MAX)
		len = INSN_MAX;
	/*
	 * Prefixes in any order. A REX counts only right before the opcode: one
	 * followed by another prefix (legacy or REX) is ignored by the CPU
	 * (SDM vol. 2, 2.2.1), and the instruction still runs.
	 */
	for (; i < len; i++) {
		if (insn_is_legacy_prefix(bytes[i])) {
			lock |= bytes[i] == 0xF0;
			rex = 0;
		} else if ((bytes[i] & 0xF0) == 0x40) {
			rex = bytes[i];
		} else {
			break;
		}
	}
	/* LOCK MOV CRn is #UD on Intel and a CR8 write on AMD: never a CR0/CR4 write here. */
	if (lock || i + 3 > len || bytes[i] != 0x0F || bytes[i + 1] != 0x22)
		return -1;
	modrm = bytes[i + 2];
	*cr = ((modrm >> 3) & 7) | (rex & 0x4 ? 8 : 0);
	*gpr = (modrm & 7) | (rex & 0x1 ? 8 : 0);
	*insn_len = i + 3;
	return 0;
}

__u64 *insn_gpr(struct kvm_regs *regs, unsigned idx)
{
	__u64 *const map[16] = {
	    &regs->rax, &regs->rcx, &regs->rdx, &regs->rbx, &regs->rsp, &regs->rbp,
	    &regs->rsi, &regs->rdi, &regs->r8,	&regs->r9,  &regs->r10, &regs->r11,
	    &regs->r12, &regs->r13, &regs->r14, &regs->r15,
	};

	return idx < 16 ? map[idx] : NULL;
}

/* ---- decoding for enforcement ------------------------------------------------------ */

/* A GPR as Capstone names it at any width: its kvm_regs index and how to read it. */
struct insn_gpr_alias {
	x86_reg reg;
	uint8_t idx;
	uint8_t bytes;
	uint8_t shift; /* 8 for ah, ch, dh, bh */
};

/* Indexed by x86_reg: insn_decode() looks registers up several times per operand. */
#define A(r, i, b, s) [X86_REG_##r] = {X86_REG_##r, (i), (b), (s)}
static const struct insn_gpr_alias insn_gpr_aliases[X86_REG_ENDING] = {
    A(RAX, 0, 8, 0),   A(EAX, 0, 4, 0),	  A(AX, 0, 2, 0),    A(AL, 0, 1, 0),	A(AH, 0, 1, 8),
    A(RCX, 1, 8, 0),   A(ECX, 1, 4, 0),	  A(CX, 1, 2, 0),    A(CL, 1, 1, 0),	A(CH, 1, 1, 8),
    A(RDX, 2, 8, 0),   A(EDX, 2, 4, 0),	  A(DX, 2, 2, 0),    A(DL, 2, 1, 0),	A(DH, 2, 1, 8),
    A(RBX, 3, 8, 0),   A(EBX, 3, 4, 0),	  A(BX, 3, 2, 0),    A(BL, 3, 1, 0),	A(BH, 3, 1, 8),
    A(RSP, 4, 8, 0),   A(ESP, 4, 4, 0),	  A(SP, 4, 2, 0),    A(SPL, 4, 1, 0),	A(RBP, 5, 8, 0),
    A(EBP, 5, 4, 0),   A(BP, 5, 2, 0),	  A(BPL, 5, 1, 0),   A(RSI, 6, 8, 0),	A(ESI, 6, 4, 0),
    A(SI, 6, 2, 0),    A(SIL, 6, 1, 0),	  A(RDI, 7, 8, 0),   A(EDI, 7, 4, 0),	A(DI, 7, 2, 0),
    A(DIL, 7, 1, 0),   A(R8, 8, 8, 0),	  A(R8D, 8, 4, 0),   A(R8W, 8, 2, 0),	A(R8B, 8, 1, 0),
    A(R9, 9, 8, 0),    A(R9D, 9, 4, 0),	  A(R9W, 9, 2, 0),   A(R9B, 9, 1, 0),	A(R10, 10, 8, 0),
    A(R10D, 10, 4, 0), A(R10W, 10, 2, 0), A(R10B, 10, 1, 0), A(R11, 11, 8, 0),	A(R11D, 11, 4, 0),
    A(R11W, 11, 2, 0), A(R11B, 11, 1, 0), A(R12, 12, 8, 0),  A(R12D, 12, 4, 0), A(R12W, 12, 2, 0),
    A(R12B, 12, 1, 0), A(R13, 13, 8, 0),  A(R13D, 13, 4, 0), A(R13W, 13, 2, 0), A(R13B, 13, 1, 0),
    A(R14, 14, 8, 0),  A(R14D, 14, 4, 0), A(R14W, 14, 2, 0), A(R14B, 14, 1, 0), A(R15, 15, 8, 0),
    A(R15D, 15, 4, 0), A(R15W, 15, 2, 0), A(R15B, 15, 1, 0),
};
#undef A

static const struct insn_gpr_alias *insn_gpr_alias(x86_reg reg)
{
	/* bytes is 0 for every register that is not a GPR (no entry). */
	if ((unsigned)reg >= X86_REG_ENDING || !insn_gpr_aliases[reg].bytes)
		return NULL;
	return &insn_gpr_aliases[reg];
}

/* Every flag Capstone can report as tested rather than changed. */
#define INSN_EFLAGS_TESTS                                                                          \
	(X86_EFLAGS_TEST_OF | X86_EFLAGS_TEST_SF | X86_EFLAGS_TEST_ZF | X86_EFLAGS_TEST_PF |       \
	 X86_EFLAGS_TEST_CF | X86_EFLAGS_TEST_NT | X86_EFLAGS_TEST_DF | X86_EFLAGS_TEST_RF |       \
	 X86_EFLAGS_TEST_IF | X86_EFLAGS_TEST_TF | X86_EFLAGS_TEST_AF)

/* Instructions whose only effect is the store to their first operand (with no flags). */
static bool insn_is_pure_store_id(unsigned id)
{
	switch (id) {
	case X86_INS_MOV:
	case X86_INS_MOVABS:
	case X86_INS_MOVNTI:
	case X86_INS_MOVBE:
	case X86_INS_NOT:
	case X86_INS_SETAE:
	case X86_INS_SETA:
	case X86_INS_SETBE:
	case X86_INS_SETB:
	case X86_INS_SETE:
	case X86_INS_SETGE:
	case X86_INS_SETG:
	case X86_INS_SETLE:
	case X86_INS_SETL:
	case X86_INS_SETNE:
	case X86_INS_SETNO:
	case X86_INS_SETNP:
	case X86_INS_SETNS:
	case X86_INS_SETO:
	case X86_INS_SETP:
	case X86_INS_SETS: return true;
	}
	return false;
}

/* Loads whose every effect is on GPRs, RFLAGS and RIP (checked again on Capstone's reg list). */
static bool insn_is_pure_load_id(unsigned id)
{
	switch (id) {
	case X86_INS_MOV:
	case X86_INS_MOVABS:
	case X86_INS_MOVZX:
	case X86_INS_MOVSX:
	case X86_INS_MOVSXD:
	case X86_INS_CMP:
	case X86_INS_TEST:
	case X86_INS_ADD:
	case X86_INS_SUB:
	case X86_INS_AND:
	case X86_INS_OR:
	case X86_INS_XOR:
	case X86_INS_ADC:
	case X86_INS_SBB:
	case X86_INS_IMUL:
	case X86_INS_BT: return true;
	}
	return false;
}

/* Memory operands that only read, although they come first (Capstone cannot be trusted here). */
static bool insn_first_mem_reads_only(unsigned id)
{
	switch (id) {
	case X86_INS_CMP:
	case X86_INS_TEST:
	case X86_INS_BT:
	case X86_INS_PUSH:
	case X86_INS_CALL:
	case X86_INS_JMP:
	case X86_INS_LGDT:
	case X86_INS_LIDT:
	case X86_INS_LLDT:
	case X86_INS_LTR:
	case X86_INS_LMSW:
	case X86_INS_UCOMISS:
	case X86_INS_UCOMISD:
	case X86_INS_COMISS:
	case X86_INS_COMISD:
	case X86_INS_FXRSTOR:
	case X86_INS_FXRSTOR64:
	case X86_INS_XRSTOR:
	case X86_INS_XRSTOR64:
	case X86_INS_XRSTORS:
	case X86_INS_XRSTORS64:
	case X86_INS_CLFLUSH:
	case X86_INS_PREFETCH:
	case X86_INS_PREFETCHNTA:
	case X86_INS_PREFETCHT0:
	case X86_INS_PREFETCHT1:
	case X86_INS_PREFETCHT2:
	case X86_INS_PREFETCHW: return true;
	}
	return false;
}

/* Capstone reports 8 bytes for these; the architecture touches more. */
static uint32_t insn_mem_size(unsigned id, uint8_t cs_size)
{
	switch (id) {
	case X86_INS_FXSAVE:
	case X86_INS_FXSAVE64:
	case X86_INS_FXRSTOR:
	case X86_INS_FXRSTOR64: return 512;
	case X86_INS_XSAVE:
	case X86_INS_XSAVE64:
	case X86_INS_XSAVEC:
	case X86_INS_XSAVEC64:
	case X86_INS_XSAVEOPT:
	case X86_INS_XSAVEOPT64:
	case X86_INS_XSAVES:
	case X86_INS_XSAVES64:
	case X86_INS_XRSTOR:
	case X86_INS_XRSTOR64:
	case X86_INS_XRSTORS:
	case X86_INS_XRSTORS64: return 576; /* legacy area + header: the least any XSAVE touches */
	case X86_INS_CMPXCHG16B: return 16;
	case X86_INS_CMPXCHG8B: return 8;
	}
	return cs_size ? cs_size : 1;
}

static bool insn_is_string_store(unsigned id)
{
	switch (id) {
	case X86_INS_STOSB:
	case X86_INS_STOSW:
	case X86_INS_STOSD:
	case X86_INS_STOSQ:
	case X86_INS_MOVSB:
	case X86_INS_MOVSW:
	case X86_INS_MOVSD:
	case X86_INS_MOVSQ: return true;
	}
	return false;
}

static bool insn_is_string(unsigned id)
{
	switch (id) {
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
	return insn_is_string_store(id);
}

/* Pushes onto the stack: an implicit 8-byte store below RSP. */
static bool insn_pushes(unsigned id)
{
	switch (id) {
	case X86_INS_PUSH:
	case X86_INS_PUSHFQ:
	case X86_INS_CALL:
	case X86_INS_ENTER: return true;
	}
	return false;
}

/* Pops from the stack: an implicit 8-byte load at RSP. */
static bool insn_pops(unsigned id)
{
	switch (id) {
	case X86_INS_POP:
	case X86_INS_POPFQ:
	case X86_INS_RET:
	case X86_INS_LEAVE:
	case X86_INS_IRETQ: return true;
	}
	return false;
}

/* Does the instruction write this GPR (at any width)? */
static bool insn_writes_gpr(const uint16_t *wr, uint8_t nwr, unsigned idx)
{
	for (uint8_t i = 0; i < nwr; i++) {
		const struct insn_gpr_alias *a = insn_gpr_alias((x86_reg)wr[i]);

		if (a && a->idx == idx)
			return true;
	}
	return false;
}

static void insn_add_mem(struct insn_info *out, uint64_t ea, uint32_t size, bool known, bool write)
{
	if (out->nmem == INSN_MEM_MAX)
		return;
	out->mem[out->nmem++] = (struct insn_mem){ea, size, known, write};
}

/* Value of a register used in an address; false for anything outside kvm_regs. */
static bool insn_addr_reg(const struct insn_cpu *cpu, uint64_t next_rip, x86_reg reg, uint64_t *v)
{
	const struct insn_gpr_alias *a;
	struct kvm_regs copy;

	if (reg == X86_REG_INVALID) {
		*v = 0;
		return true;
	}
	if (reg == X86_REG_RIP || reg == X86_REG_EIP) {
		*v = reg == X86_REG_EIP ? next_rip & 0xFFFFFFFFULL : next_rip;
		return true;
	}
	a = insn_gpr_alias(reg);
	if (!a || a->shift || a->bytes < 4)
		return false;
	copy = *cpu->regs;
	*v = *insn_gpr(&copy, a->idx);
	if (a->bytes == 4)
		*v &= 0xFFFFFFFFULL;
	return true;
}

int insn_decode(const uint8_t *bytes, size_t n, uint64_t rip, const struct insn_cpu *cpu,
		struct insn_info *out)
{
	struct csdl_insn in;
	const uint16_t *wr = in.wr;
	uint8_t nwr;
	uint64_t rflags;
	int64_t dir;

	memset(out, 0, sizeof(*out));
	if (n > INSN_MAX)
		n = INSN_MAX;
	/* Not decoded (or no decoder): callers treat the instruction as unknown, never precise. */
	if (!n || decoder_decode(bytes, n, rip, &in))
		return -1;
	nwr = in.nwr; /* CSDL_NWR_UNKNOWN: treated as writing everything below */
	out->len = in.len;
	out->id = in.id;
	rflags = cpu->regs->rflags;
	dir = rflags & (1ULL << 10) ? -1 : 1; /* RFLAGS.DF */
	out->rep = insn_is_string(in.id) &&
		   (in.prefix0 == X86_PREFIX_REP || in.prefix0 == X86_PREFIX_REPNE);
	for (uint8_t i = 0; i < in.op_count; i++) {
		const struct csdl_op *op = &in.op[i];
		uint64_t base = 0, index = 0, ea, seg = 0;
		uint32_t sz = insn_mem_size(in.id, op->size);
		bool known, write;
		const struct insn_gpr_alias *ab = insn_gpr_alias((x86_reg)op->base);
		const struct insn_gpr_alias *ai = insn_gpr_alias((x86_reg)op->index);

		if (op->type != X86_OP_MEM)
			continue;
		write = (op->access & CS_AC_WRITE) || (i == 0 && !insn_first_mem_reads_only(in.id));
		known = insn_addr_reg(cpu, rip + in.len, (x86_reg)op->base, &base) &&
			insn_addr_reg(cpu, rip + in.len, (x86_reg)op->index, &index);
		if (op->segment == X86_REG_FS)
			seg = cpu->fs_base;
		else if (op->segment == X86_REG_GS)
			seg = cpu->gs_base;
		ea = seg + base + index * (uint64_t)op->scale + (uint64_t)op->disp;
		if (in.addr_size == 4)
			ea &= 0xFFFFFFFFULL;
		if (known && cpu->regs_after && nwr != CSDL_NWR_UNKNOWN &&
		    ((ab && insn_writes_gpr(wr, nwr, ab->idx)) ||
		     (ai && insn_writes_gpr(wr, nwr, ai->idx)))) {
			/* The instruction moved its own pointer: unwind string ops, else unknown.
			 */
			if (insn_is_string(in.id))
				ea -= (uint64_t)(dir * (int64_t)sz);
			else
				known = false;
		} else if (nwr == CSDL_NWR_UNKNOWN) {
			known = known && !cpu->regs_after;
		}
		insn_add_mem(out, ea, sz, known, write);
	}
	if (insn_pushes(in.id)) {
		uint64_t rsp = cpu->regs->rsp;

		insn_add_mem(out, cpu->regs_after ? rsp : rsp - 8, 8, true, true);
	} else if (insn_pops(in.id) && !cpu->regs_after) {
		insn_add_mem(out, cpu->regs->rsp, 8, true, false);
	}
	for (unsigned i = 0; i < out->nmem; i++)
		out->known_store |= out->mem[i].write;
	if (in.prefix0 == 0 && nwr != CSDL_NWR_UNKNOWN) {
		bool flags = (in.eflags & ~(uint64_t)INSN_EFLAGS_TESTS) != 0;
		bool gprs_only = true;

		for (uint8_t i = 0; i < nwr; i++)
			if (!insn_gpr_alias((x86_reg)wr[i]) && wr[i] != X86_REG_EFLAGS &&
			    wr[i] != X86_REG_RIP)
				gprs_only = false;
		out->pure_store = insn_is_pure_store_id(in.id) && out->nmem == 1 &&
				  in.op_count >= 1 && in.op[0].type == X86_OP_MEM && !nwr && !flags;
		out->pure_load =
		    insn_is_pure_load_id(in.id) && out->nmem == 1 && gprs_only &&
		    !(in.op[0].type == X86_OP_MEM && !insn_first_mem_reads_only(in.id));
	}
	return 0;
}

/* A GPR's value for an address (64-bit addressing: no 67 here), by kvm_regs index. */
static uint64_t insn_reg64(const struct kvm_regs *regs, unsigned idx)
{
	static const uint8_t off[16] = {
	    offsetof(struct kvm_regs, rax), offsetof(struct kvm_regs, rcx),
	    offsetof(struct kvm_regs, rdx), offsetof(struct kvm_regs, rbx),
	    offsetof(struct kvm_regs, rsp), offsetof(struct kvm_regs, rbp),
	    offsetof(struct kvm_regs, rsi), offsetof(struct kvm_regs, rdi),
	    offsetof(struct kvm_regs, r8),  offsetof(struct kvm_regs, r9),
	    offsetof(struct kvm_regs, r10), offsetof(struct kvm_regs, r11),
	    offsetof(struct kvm_regs, r12), offsetof(struct kvm_regs, r13),
	    offsetof(struct kvm_regs, r14), offsetof(struct kvm_regs, r15),
	};
	uint64_t v;

	memcpy(&v, (const uint8_t *)regs + off[idx & 15], sizeof(v));
	return v;
}

/* insn_decode_store() once insn_len() has parsed the bytes (p->len is their length). */
static int insn_decode_store_parsed(const uint8_t *b, uint64_t rip, const struct insn_cpu *cpu,
				    const struct insn_len_parse *p, struct insn_info *out)
{
	uint8_t op = p->opcode, modrm, mod, rm, rex = p->rex;
	uint64_t ea = 0, disp = 0;
	uint32_t size;

	if (p->len < 1 || p->len > INSN_MAX || p->map != 0 || !p->modrm_at || p->odd || p->adsize ||
	    p->lock_rep)
		return -1;
	if (op != 0x88 && op != 0x89 && op != 0xC6 && op != 0xC7)
		return -1;
	modrm = b[p->modrm_at];
	mod = modrm >> 6;
	rm = modrm & 7;
	/* A register destination is no store; C6/C7 other than /0 are xabort, xbegin or #UD. */
	if (mod == 3 || ((op == 0xC6 || op == 0xC7) && (modrm & 0x38)))
		return -1;
	if (op == 0x88 || op == 0xC6) {
		if (p->opsize)
			return -1; /* 66 on a byte store means nothing: left to Capstone */
		size = 1;
	} else {
		size = rex & 0x08 ? 8 : p->opsize ? 2 : 4;
	}
	if (p->disp_len == 1)
		disp = (uint64_t)(int64_t)(int8_t)b[p->disp_at];
	else if (p->disp_len == 4)
		disp = (uint64_t)(int64_t)(int32_t)((uint32_t)b[p->disp_at] |
						    (uint32_t)b[p->disp_at + 1] << 8 |
						    (uint32_t)b[p->disp_at + 2] << 16 |
						    (uint32_t)b[p->disp_at + 3] << 24);
	if (rm == 4) {
		uint8_t sib = b[p->modrm_at + 1];
		unsigned index = ((sib >> 3) & 7) | (rex & 0x02 ? 8 : 0);
		unsigned base = (sib & 7) | (rex & 0x01 ? 8 : 0);

		/* Index 100b without REX.X is none; base 101b with mod 00 is disp32 alone. */
		if (index != 4)
			ea += insn_reg64(cpu->regs, index) << (sib >> 6);
		if (!(mod == 0 && (sib & 7) == 5))
			ea += insn_reg64(cpu->regs, base);
	} else if (mod == 0 && rm == 5) {
		ea = rip + p->len; /* RIP-relative: from the next instruction */
	} else {
		ea = insn_reg64(cpu->regs, rm | (rex & 0x01 ? 8 : 0));
	}
	ea += disp;
	/* In 64-bit mode only FS and GS have bases (insn_decode() does the same). */
	if (p->seg == 0x64)
		ea += cpu->fs_base;
	else if (p->seg == 0x65)
		ea += cpu->gs_base;
	memset(out, 0, sizeof(*out));
	out->len = p->len;
	out->id = X86_INS_MOV;
	/* A mov changes no register and no flag: before and after the store look the same. */
	out->pure_store = true;
	out->known_store = true;
	out->nmem = 1;
	out->mem[0] = (struct insn_mem){ea, size, true, true};
	return 0;
}

int insn_decode_store(const uint8_t *bytes, size_t n, uint64_t rip, const struct insn_cpu *cpu,
		      struct insn_info *out)
{
	struct insn_len_parse p;
	unsigned len = insn_len(bytes, n, &p);

	if (len < 1 || len > INSN_MAX)
		return -1;
	return insn_decode_store_parsed(bytes, rip, cpu, &p, out);
}

/*
 * How KVM hands an emulated store to userspace: split at the page boundary,
 * then each part in exits of at most 8 bytes (run->mmio.data). True if
 * one of those exits of [va, va + n) is `len` bytes at `gpa`.
 */
static bool insn_part_wrote(uint64_t va, uint64_t n, const struct insn_write_exit *x)
{
	for (uint64_t off = 0; off < n; off += INSN_MMIO_CHUNK) {
		uint64_t chunk = n - off < INSN_MMIO_CHUNK ? n - off : INSN_MMIO_CHUNK;

		if (chunk == x->len && x->va_is_gpa(x->ctx, va + off, x->gpa))
			return true;
	}
	return false;
}

/* Could access `m` have produced this write exit? */
static bool insn_mem_wrote(const struct insn_mem *m, const struct insn_write_exit *x)
{
	uint64_t page_end, first;

	if (!m->write || m->size < x->len)
		return false;
	if (!m->ea_known)
		return true; /* cannot rule it out */
	page_end = (m->ea | (INSN_PAGE_SIZE - 1)) + 1;
	first = page_end - m->ea < m->size ? page_end - m->ea : m->size;
	return insn_part_wrote(m->ea, first, x) ||
	       (first < m->size && insn_part_wrote(page_end, m->size - first, x));
}

static bool insn_info_wrote(const struct insn_info *in, const struct insn_write_exit *x)
{
	for (unsigned i = 0; i < in->nmem; i++)
		if (insn_mem_wrote(&in->mem[i], x))
			return true;
	return false;
}

/*
 * One write exit asks whether the same linear address is the exit's GPA more
 * than once (a candidate's check, then the precise one): each answer is a
 * walk of VTL0's page tables, so the last one is kept for the exit.
 */
struct insn_va_memo {
	const struct insn_write_exit *x;
	uint64_t va, gpa;
	bool valid, is;
};

static bool insn_memo_va_is_gpa(void *ctx, uint64_t va, uint64_t gpa)
{
	struct insn_va_memo *m = ctx;

	if (!m->valid || m->va != va || m->gpa != gpa) {
		m->is = m->x->va_is_gpa(m->x->ctx, va, gpa);
		m->va = va;
		m->gpa = gpa;
		m->valid = true;
	}
	return m->is;
}

/* Could the prefixes at b[0..n) carry REP or REPNE (all Capstone reports as rep)? */
static bool insn_may_rep(const uint8_t *b, size_t n)
{
	if (n > INSN_MAX)
		n = INSN_MAX;
	for (size_t i = 0; i < n; i++) {
		if (b[i] == 0xF2 || b[i] == 0xF3)
			return true;
		if (!insn_is_legacy_prefix(b[i]) && (b[i] & 0xF0) != 0x40)
			return false;
	}
	return false;
}

/*
 * The candidate that ends at RIP after `back` bytes b[0..back): 0 with *in
 * decoded when it is one instruction of exactly that length, else -1. Its
 * length is checked in the monitor first; plain stores are decoded there too.
 */
static int insn_candidate(const uint8_t *b, size_t back, uint64_t rip, const struct insn_cpu *cpu,
			  struct insn_info *in)
{
	struct insn_len_parse p;
	unsigned len = insn_len(b, back, &p);

	if (len != INSN_LEN_UNKNOWN && len != back)
		return -1; /* another length, or longer than the bytes: ends elsewhere */
	if (len == back && !insn_decode_store_parsed(b, rip, cpu, &p, in))
		return 0;
	return insn_decode(b, back, rip, cpu, in) || in->len != back ? -1 : 0;
}

void insn_write_origin(const uint8_t *before, size_t n, const uint8_t *at, size_t at_n,
		       const struct insn_write_exit *x0, struct insn_write_origin *o)
{
	struct insn_cpu cpu = *x0->cpu;
	struct insn_va_memo memo = {.x = x0};
	struct insn_write_exit wx = *x0;
	const struct insn_write_exit *x = &wx;
	struct insn_info in;
	unsigned matches = 0;

	wx.va_is_gpa = insn_memo_va_is_gpa;
	wx.ctx = &memo;
	memset(o, 0, sizeof(*o));
	o->rip = x->rip;
	cpu.regs_after = true;
	if (n > INSN_MAX) {
		/* Only the INSN_MAX bytes nearest RIP can belong to the instruction before it. */
		before += n - INSN_MAX;
		n = INSN_MAX;
	}
	/* A rep string store mid-way: RIP stays on it, its pointers already moved. */
	if (at_n && insn_may_rep(at, at_n) && !insn_decode(at, at_n, x->rip, &cpu, &in) && in.rep &&
	    insn_is_string_store(in.id) && insn_info_wrote(&in, x)) {
		matches++;
		o->rip = x->rip;
		o->len = in.len;
		o->at_rip = true;
	}
	for (size_t back = 1; back <= n; back++) {
		if (insn_candidate(before + (n - back), back, x->rip - back, &cpu, &in) ||
		    !insn_info_wrote(&in, x))
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

/* insn_write_start's callback, in insn_write_origin's terms (one exit, one GPA). */
static bool insn_start_va_is_gpa(void *ctx, uint64_t va, uint64_t gpa)
{
	const struct insn_write_ctx *c = ctx;

	(void)gpa;
	return !c->ea_matches || c->ea_matches(c->ctx, va);
}

size_t insn_write_start(const uint8_t *before, size_t n, const struct insn_write_ctx *c)
{
	const struct insn_cpu cpu = {.regs = c->regs, .regs_after = true};
	const struct insn_write_exit x = {
	    .rip = c->rip,
	    .len = c->len,
	    .cpu = &cpu,
	    .va_is_gpa = insn_start_va_is_gpa,
	    .ctx = (void *)c,
	};
	struct insn_write_origin o;

	insn_write_origin(before, n, NULL, 0, &x, &o);
	return o.precise ? o.len : 0;
}
