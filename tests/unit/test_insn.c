/* Unit tests for the enforcement instruction helpers: mov-to-CR decoding and write rewinding. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "monitor/x86/decoder.h"
#include "monitor/x86/insn.h"

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

/* ---- insn_decode / insn_write_origin (issue 9: "precise means precise") ------------------ */

/* Identity paging: a linear address is its GPA. */
static bool va_is_gpa_identity(void *ctx, uint64_t va, uint64_t g)
{
	(void)ctx;
	return va == g;
}

static void origin(const uint8_t *before, size_t n, const uint8_t *at, size_t at_n, uint64_t rip,
		   uint64_t g, uint32_t len, const struct kvm_regs *regs,
		   struct insn_write_origin *o)
{
	const struct insn_cpu cpu = {.regs = regs, .regs_after = true};
	const struct insn_write_exit x = {
	    .rip = rip, .gpa = g, .len = len, .cpu = &cpu, .va_is_gpa = va_is_gpa_identity};

	insn_write_origin(before, n, at, at_n, &x, o);
}

Test(insn_write_origin, plain_store_is_precise)
{
	const uint8_t before[] = {0x90, 0x90, 0x48, 0x89, 0x18}; /* mov [rax], rbx */
	const uint8_t at[] = {0x90};
	struct kvm_regs regs = {.rax = 0x5000};
	struct insn_write_origin o;

	origin(before, sizeof(before), at, 1, 0x101005, 0x5000, 8, &regs, &o);
	cr_assert(o.known && o.precise && !o.at_rip);
	cr_assert_eq(o.rip, 0x101002);
	cr_assert_eq(o.len, 3);
}

Test(insn_write_origin, stores_that_change_registers_or_flags_are_not_precise)
{
	/* add [rax], rbx changes RFLAGS; the exit comes after it did. */
	const uint8_t add[] = {0x48, 0x01, 0x18};
	/* push rbx: RSP moved already. */
	const uint8_t push[] = {0x90, 0x53};
	/* stosb: RDI moved already. */
	const uint8_t stos[] = {0x90, 0xaa};
	struct kvm_regs regs = {.rax = 0x5000, .rsp = 0x7ff8, .rdi = 0x6001, .rflags = 2};
	struct insn_write_origin o;

	origin(add, sizeof(add), NULL, 0, 0x2003, 0x5000, 8, &regs, &o);
	cr_assert(o.known && !o.precise);
	cr_assert_eq(o.rip, 0x2000);
	origin(push, sizeof(push), NULL, 0, 0x2002, 0x7ff8, 8, &regs, &o);
	cr_assert(o.known && !o.precise, "push: RSP is already decremented");
	cr_assert_eq(o.rip, 0x2001);
	origin(stos, sizeof(stos), NULL, 0, 0x2002, 0x6000, 1, &regs, &o);
	cr_assert(o.known && !o.precise, "stosb: RDI is already advanced");
}

Test(insn_write_origin, stosb_then_rep_stosb_is_never_matched_one_byte_early)
{
	/* stosb; rep stosb: with RDI one past the GPA either can have made the write. */
	const uint8_t before[] = {0x90, 0xaa};
	const uint8_t at[] = {0xf3, 0xaa};
	struct kvm_regs regs = {.rdi = 0x6001, .rcx = 5, .rflags = 2};
	struct insn_write_origin o;

	origin(before, sizeof(before), at, sizeof(at), 0x3002, 0x6000, 1, &regs, &o);
	cr_assert(!o.precise);
	cr_assert_eq(o.rip, 0x3002, "the report names RIP, the rep stosb, not the byte before it");
	/* With nothing before it that stores, the rep stosb at RIP is the writer. */
	const uint8_t nops[] = {0x90, 0x90};
	origin(nops, sizeof(nops), at, sizeof(at), 0x3002, 0x6000, 1, &regs, &o);
	cr_assert(o.known && o.at_rip && !o.precise);
	cr_assert_eq(o.rip, 0x3002);
}

Test(insn_write_origin, a_straddling_store_fragment_is_not_precise)
{
	/* mov [rax], rbx with rax 4 bytes below a page end: KVM splits it in two. */
	const uint8_t before[] = {0x48, 0x89, 0x18};
	struct kvm_regs regs = {.rax = 0x5ffc};
	struct insn_write_origin o;

	origin(before, sizeof(before), NULL, 0, 0x2003, 0x6000, 4, &regs, &o);
	cr_assert(o.known && !o.precise, "half of the store may already be in memory");
	/* The first half: "89 18" (a 4-byte store there) could have made it too. */
	origin(before, sizeof(before), NULL, 0, 0x2003, 0x5ffc, 4, &regs, &o);
	cr_assert(!o.known && !o.precise);
}

Test(insn_write_origin, a_plain_store_needs_no_decoder_round_trip)
{
	/* The flood guest's store and the 12 bytes before it: lea, mov [rip + x], lea. */
	const uint8_t before[] = {0x0d, 0x6a, 0x2f, 0x00, 0x00, 0x48, 0x8d, 0x0d,
				  0x00, 0x00, 0x00, 0x00, 0x48, 0x89, 0x18};
	/* At RIP: mov qword [rip + x], 0 (no REP: not a string store mid-way). */
	const uint8_t at[] = {0x48, 0xc7, 0x05, 0x55, 0x2f, 0x00, 0x00, 0, 0, 0, 0};
	struct kvm_regs regs = {.rax = 0x104000, .rbx = 0xbadc0ffe, .rcx = 0x1000bd};
	struct timeval tv = {.tv_sec = 1};
	struct insn_write_origin o;
	char msg[64];
	int sv[2];

	/* A decoder process that never answers: any request would show on sv[1]. */
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	cr_assert_eq(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	decoder_adopt(sv[0], 0);
	origin(before, sizeof(before), at, sizeof(at), 0x1000c0, 0x104000, 8, &regs, &o);
	cr_assert(o.known && o.precise && !o.at_rip);
	cr_assert_eq(o.rip, 0x1000bd);
	cr_assert_eq(o.len, 3);
	cr_assert_eq(recv(sv[1], msg, sizeof(msg), MSG_DONTWAIT), -1, "the decoder was asked");
	cr_assert_eq(errno, EAGAIN);
	/* The same store seen as a 4-byte fragment: "89 18" is the only candidate, precise. */
	origin(before, sizeof(before), at, sizeof(at), 0x1000c0, 0x104000, 4, &regs, &o);
	cr_assert(o.known && o.precise);
	cr_assert_eq(o.len, 2);
	cr_assert_eq(recv(sv[1], msg, sizeof(msg), MSG_DONTWAIT), -1, "the decoder was asked");
	close(sv[1]);
}

Test(insn_write_origin, unknown_lengths_still_go_to_capstone)
{
	/* vmovdqu [rax], xmm0 (VEX): insn_len leaves it to Capstone, which finds the store. */
	const uint8_t before[] = {0x90, 0xc5, 0xfa, 0x7f, 0x00};
	struct kvm_regs regs = {.rax = 0x5000};
	struct insn_write_origin o;

	origin(before, sizeof(before), NULL, 0, 0x2005, 0x5000, 8, &regs, &o);
	cr_assert(o.known && !o.precise, "a vector store is never precise");
	cr_assert_eq(o.rip, 0x2001);
	cr_assert_eq(o.len, 4);
}

static struct insn_info decode(const uint8_t *b, size_t n, const struct kvm_regs *regs)
{
	const struct insn_cpu cpu = {.regs = regs};
	struct insn_info in;

	cr_assert_eq(insn_decode(b, n, 0x1000, &cpu, &in), 0);
	return in;
}

Test(insn_decode, pure_loads_are_the_ones_a_register_snapshot_undoes)
{
	struct kvm_regs regs = {.rax = 0x5000, .rsp = 0x8000, .rsi = 0x5000, .rdi = 0x9000};

	cr_assert(decode((const uint8_t[]){0x48, 0x8b, 0x18}, 3, &regs).pure_load); /* mov */
	cr_assert(decode((const uint8_t[]){0x48, 0x03, 0x18}, 3, &regs).pure_load); /* add */
	cr_assert(decode((const uint8_t[]){0x48, 0x3b, 0x18}, 3, &regs).pure_load); /* cmp */
	cr_assert(!decode((const uint8_t[]){0xa4}, 1, &regs).pure_load);	    /* movsb */
	cr_assert(!decode((const uint8_t[]){0xff, 0x30}, 2, &regs).pure_load);	    /* push [rax] */
	cr_assert(!decode((const uint8_t[]){0xf3, 0x0f, 0x6f, 0x00}, 4, &regs).pure_load);
	cr_assert(!decode((const uint8_t[]){0xf3, 0xa4}, 2, &regs).pure_load);	     /* rep movsb */
	cr_assert(!decode((const uint8_t[]){0x48, 0x87, 0x18}, 3, &regs).pure_load); /* xchg */
}

Test(insn_decode, memory_operands_and_sizes)
{
	struct kvm_regs regs = {.rax = 0x5000, .rsp = 0x8000};
	struct insn_info in;

	/* fxsave [rax]: 512 bytes written, whatever Capstone says. */
	in = decode((const uint8_t[]){0x0f, 0xae, 0x00}, 3, &regs);
	cr_assert_eq(in.nmem, 1);
	cr_assert_eq(in.mem[0].size, 512);
	cr_assert(in.mem[0].write && in.mem[0].ea_known);
	cr_assert_eq(in.mem[0].ea, 0x5000);
	/* cmpxchg16b [rax] */
	in = decode((const uint8_t[]){0x48, 0x0f, 0xc7, 0x08}, 4, &regs);
	cr_assert_eq(in.mem[0].size, 16);
	cr_assert(in.mem[0].write);
	/* movups [rax], xmm0: Capstone calls the destination "read"; it is a store. */
	in = decode((const uint8_t[]){0x0f, 0x11, 0x00}, 3, &regs);
	cr_assert(in.mem[0].write);
	cr_assert_eq(in.mem[0].size, 16);
	/* push rax before it ran: 8 bytes at RSP - 8. */
	in = decode((const uint8_t[]){0x50}, 1, &regs);
	cr_assert_eq(in.nmem, 1);
	cr_assert_eq(in.mem[0].ea, 0x7ff8);
	cr_assert(in.mem[0].write);
	/* fs: segment base comes from the CPU state */
	const struct insn_cpu cpu = {.regs = &regs, .fs_base = 0x100000};
	cr_assert_eq(insn_decode((const uint8_t[]){0x64, 0x48, 0x89, 0x18}, 4, 0x1000, &cpu, &in),
		     0);
	cr_assert_eq(in.mem[0].ea, 0x105000);
	cr_assert(in.pure_store, "a segment override keeps a store plain: its base is known");
}
