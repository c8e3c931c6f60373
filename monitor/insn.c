/* Pure x86-64 instruction helpers for enforcement: CR-write decoding and write rewinding. */
#include "monitor/insn.h"

#include <capstone/capstone.h>
#include <string.h>

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

	if (len > INSN_MAX)
		len = INSN_MAX;
	while (i < len && insn_is_legacy_prefix(bytes[i]))
		i++;
	/* REX must come last, right before the opcode. */
	if (i < len && (bytes[i] & 0xF0) == 0x40)
		rex = bytes[i++];
	if (i + 3 > len || bytes[i] != 0x0F || bytes[i + 1] != 0x22)
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

/* The value of a Capstone register operand used in an address, from kvm_regs. */
static bool insn_reg_value(const struct kvm_regs *r, uint64_t rip_end, x86_reg reg, uint64_t *v)
{
	static const struct {
		x86_reg r64, r32;
		unsigned idx;
	} gprs[] = {
	    {X86_REG_RAX, X86_REG_EAX, 0},   {X86_REG_RCX, X86_REG_ECX, 1},
	    {X86_REG_RDX, X86_REG_EDX, 2},   {X86_REG_RBX, X86_REG_EBX, 3},
	    {X86_REG_RSP, X86_REG_ESP, 4},   {X86_REG_RBP, X86_REG_EBP, 5},
	    {X86_REG_RSI, X86_REG_ESI, 6},   {X86_REG_RDI, X86_REG_EDI, 7},
	    {X86_REG_R8, X86_REG_R8D, 8},    {X86_REG_R9, X86_REG_R9D, 9},
	    {X86_REG_R10, X86_REG_R10D, 10}, {X86_REG_R11, X86_REG_R11D, 11},
	    {X86_REG_R12, X86_REG_R12D, 12}, {X86_REG_R13, X86_REG_R13D, 13},
	    {X86_REG_R14, X86_REG_R14D, 14}, {X86_REG_R15, X86_REG_R15D, 15},
	};
	struct kvm_regs copy = *r;

	if (reg == X86_REG_INVALID) {
		*v = 0;
		return true;
	}
	if (reg == X86_REG_RIP) {
		*v = rip_end;
		return true;
	}
	for (size_t i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++) {
		if (reg != gprs[i].r64 && reg != gprs[i].r32)
			continue;
		*v = *insn_gpr(&copy, gprs[i].idx);
		if (reg == gprs[i].r32)
			*v &= 0xFFFFFFFFULL;
		return true;
	}
	return false;
}

/* String stores, push and call write through registers they also update. */
static bool insn_implicit_store(unsigned id)
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
	case X86_INS_PUSH:
	case X86_INS_CALL: return true;
	}
	return false;
}

static bool insn_matches_write(const cs_insn *in, const struct insn_write_ctx *c)
{
	const cs_x86 *x = &in->detail->x86;

	if (insn_implicit_store(in->id))
		return true;
	for (uint8_t i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		uint64_t base, index, ea;

		if (op->type != X86_OP_MEM || !(op->access & CS_AC_WRITE) || op->size != c->len)
			continue;
		/* FS/GS bases are not in kvm_regs: the size match has to do. */
		if (op->mem.segment == X86_REG_FS || op->mem.segment == X86_REG_GS)
			return true;
		if (!insn_reg_value(c->regs, c->rip, op->mem.base, &base) ||
		    !insn_reg_value(c->regs, c->rip, op->mem.index, &index))
			return true;
		ea = base + index * (uint64_t)op->mem.scale + (uint64_t)op->mem.disp;
		if (!c->ea_matches || c->ea_matches(c->ctx, ea))
			return true;
	}
	return false;
}

size_t insn_write_start(const uint8_t *before, size_t n, const struct insn_write_ctx *c)
{
	size_t found = 0, matches = 0;
	cs_insn *in;
	csh h;

	if (n > INSN_MAX)
		n = INSN_MAX;
	if (!n || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return 0;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	for (size_t back = 1; in && back <= n; back++) {
		const uint8_t *code = before + (n - back);
		size_t size = back;
		uint64_t addr = c->rip - back;

		if (cs_disasm_iter(h, &code, &size, &addr, in) && in->size == back &&
		    insn_matches_write(in, c)) {
			found = back;
			matches++;
		}
	}
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return matches == 1 ? found : 0;
}
