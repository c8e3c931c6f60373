/* Unit tests for the enforcement instruction helpers: mov-to-CR decoding and write rewinding. */
#include <criterion/criterion.h>
#include <string.h>

#include "monitor/insn.h"

Test(insn_mov_to_cr, plain_and_rex_forms)
{
	unsigned cr, gpr;
	size_t len;

	/* mov cr4, rax */
	cr_assert_eq(insn_mov_to_cr((const uint8_t[]){0x0f, 0x22, 0xe0}, 3, &cr, &gpr, &len), 0);
	cr_assert_eq(cr, 4);
	cr_assert_eq(gpr, 0);
	cr_assert_eq(len, 3);
	/* mov cr0, rdi */
	cr_assert_eq(insn_mov_to_cr((const uint8_t[]){0x0f, 0x22, 0xc7}, 3, &cr, &gpr, &len), 0);
	cr_assert_eq(cr, 0);
	cr_assert_eq(gpr, 7);
	/* mov cr4, r13 (REX.B) */
	cr_assert_eq(insn_mov_to_cr((const uint8_t[]){0x41, 0x0f, 0x22, 0xe5}, 4, &cr, &gpr, &len),
		     0);
	cr_assert_eq(cr, 4);
	cr_assert_eq(gpr, 13);
	cr_assert_eq(len, 4);
	/* mov cr8, rax (REX.R) */
	cr_assert_eq(insn_mov_to_cr((const uint8_t[]){0x44, 0x0f, 0x22, 0xc0}, 4, &cr, &gpr, &len),
		     0);
	cr_assert_eq(cr, 8);
	/* a legacy prefix before REX */
	cr_assert_eq(
	    insn_mov_to_cr((const uint8_t[]){0x66, 0x41, 0x0f, 0x22, 0xe0}, 5, &cr, &gpr, &len), 0);
	cr_assert_eq(len, 5);
}

Test(insn_mov_to_cr, rejects_other_instructions_and_short_input)
{
	unsigned cr, gpr;
	size_t len;

	/* mov rax, cr4 (0f 20) is a read */
	cr_assert_neq(insn_mov_to_cr((const uint8_t[]){0x0f, 0x20, 0xe0}, 3, &cr, &gpr, &len), 0);
	cr_assert_neq(insn_mov_to_cr((const uint8_t[]){0x0f, 0x30}, 2, &cr, &gpr, &len), 0);
	cr_assert_neq(insn_mov_to_cr((const uint8_t[]){0x0f, 0x22}, 2, &cr, &gpr, &len), 0);
	cr_assert_neq(insn_mov_to_cr((const uint8_t[]){0}, 0, &cr, &gpr, &len), 0);
	/* fifteen prefixes leave no room for the opcode */
	uint8_t many[20];
	memset(many, 0x66, sizeof(many));
	cr_assert_neq(insn_mov_to_cr(many, sizeof(many), &cr, &gpr, &len), 0);
}

Test(insn_gpr, maps_kvm_regs_order)
{
	struct kvm_regs r;

	memset(&r, 0, sizeof(r));
	r.rbx = 3;
	r.r15 = 15;
	cr_assert_eq(*insn_gpr(&r, 3), 3);
	cr_assert_eq(*insn_gpr(&r, 15), 15);
	cr_assert_null(insn_gpr(&r, 16));
}

static bool ea_is(void *ctx, uint64_t va)
{
	return va == *(uint64_t *)ctx;
}

Test(insn_write_start, operand_size_tells_a_rex_store_from_its_suffix)
{
	/* nop; nop; mov qword ptr [rax], rbx (48 89 18). "89 18" alone is a 4-byte store. */
	const uint8_t before[] = {0x90, 0x90, 0x48, 0x89, 0x18};
	struct kvm_regs regs = {.rax = 0x5000};
	uint64_t target = 0x5000;
	struct insn_write_ctx c = {
	    .rip = 0x101005, .len = 8, .regs = &regs, .ea_matches = ea_is, .ctx = &target};

	cr_assert_eq(insn_write_start(before, sizeof(before), &c), 3);
	c.len = 4; /* now only the 2-byte form fits */
	cr_assert_eq(insn_write_start(before, sizeof(before), &c), 2);
}

Test(insn_write_start, rip_relative_store)
{
	/* mov dword ptr [rip + 0x1000], 5: c7 05 00 10 00 00 05 00 00 00 */
	const uint8_t before[] = {0x90, 0xc7, 0x05, 0x00, 0x10, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00};
	struct kvm_regs regs = {0};
	uint64_t target = 0x201000;
	struct insn_write_ctx c = {
	    .rip = 0x200000, .len = 4, .regs = &regs, .ea_matches = ea_is, .ctx = &target};

	cr_assert_eq(insn_write_start(before, sizeof(before), &c), 10);
	target = 0x999000; /* the address does not match: not this instruction */
	cr_assert_eq(insn_write_start(before, sizeof(before), &c), 0);
}

Test(insn_write_start, no_store_means_unknown)
{
	/* add eax, ebx: a register-only instruction cannot have made the write */
	const uint8_t before[] = {0x90, 0x90, 0x01, 0xd8};
	struct kvm_regs regs = {0};
	struct insn_write_ctx c = {.rip = 0x1000, .len = 4, .regs = &regs};

	cr_assert_eq(insn_write_start(before, sizeof(before), &c), 0);
	cr_assert_eq(insn_write_start(before, 0, &c), 0);
}
