/* Unit tests for the in-monitor x86-64 length decoder and plain-store decoder. */
#include <criterion/criterion.h>
#include <string.h>

#include "monitor/x86/insn.h"
#include "monitor/x86/insn_len.h"

#define LEN(...)                                                                                   \
	insn_len((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), NULL)

Test(insn_len, one_byte_map_with_prefixes_and_rex)
{
	cr_assert_eq(LEN(0x90), 1);				   /* nop */
	cr_assert_eq(LEN(0x48, 0x89, 0x18), 3);			   /* mov [rax], rbx */
	cr_assert_eq(LEN(0x89, 0x18), 2);			   /* mov [rax], ebx */
	cr_assert_eq(LEN(0x89, 0x44, 0x8b, 0x08), 4);		   /* mov [rbx + rcx*4 + 8], eax */
	cr_assert_eq(LEN(0x89, 0x04, 0x25, 1, 2, 3, 4), 7);	   /* SIB, no base: disp32 */
	cr_assert_eq(LEN(0x89, 0x05, 1, 2, 3, 4), 6);		   /* rip-relative */
	cr_assert_eq(LEN(0x89, 0x80, 1, 2, 3, 4), 6);		   /* disp32 */
	cr_assert_eq(LEN(0xc7, 0x00, 1, 2, 3, 4), 6);		   /* mov dword [rax], imm32 */
	cr_assert_eq(LEN(0x66, 0xc7, 0x00, 1, 2), 5);		   /* mov word [rax], imm16 */
	cr_assert_eq(LEN(0x66, 0x48, 0xc7, 0x00, 1, 2, 3, 4), 8);  /* REX.W beats 66 */
	cr_assert_eq(LEN(0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8), 10); /* movabs rax, imm64 */
	cr_assert_eq(LEN(0x66, 0xb8, 1, 2), 4);			   /* mov ax, imm16 */
	cr_assert_eq(LEN(0xa3, 1, 2, 3, 4, 5, 6, 7, 8), 9);	   /* mov moffs64, eax */
	cr_assert_eq(LEN(0x67, 0xa3, 1, 2, 3, 4), 6);		   /* mov moffs32, eax */
	cr_assert_eq(LEN(0xf6, 0x00, 1), 3);			   /* test byte [rax], 1 */
	cr_assert_eq(LEN(0xf6, 0x10), 2);			   /* not byte [rax] */
	cr_assert_eq(LEN(0xf7, 0xc0, 1, 2, 3, 4), 6);		   /* test eax, imm32 */
	cr_assert_eq(LEN(0xc8, 1, 2, 3), 4);			   /* enter */
	cr_assert_eq(LEN(0xe8, 1, 2, 3, 4), 5);			   /* call rel32 */
	cr_assert_eq(LEN(0x64, 0x48, 0x89, 0x03), 4);		   /* fs: mov [rbx], rax */
}

Test(insn_len, escape_maps)
{
	cr_assert_eq(LEN(0x0f, 0x05), 2);	/* syscall */
	cr_assert_eq(LEN(0x0f, 0x22, 0xe0), 3); /* mov cr4, rax */
	cr_assert_eq(LEN(0x0f, 0x20, 0x62), 3, "mov from CR: ModRM.mod ignored, no disp8");
	cr_assert_eq(LEN(0x0f, 0x84, 1, 2, 3, 4), 6);	       /* je rel32 */
	cr_assert_eq(LEN(0x0f, 0xba, 0x20, 3), 4);	       /* bt dword [rax], 3 */
	cr_assert_eq(LEN(0x66, 0x0f, 0x38, 0x00, 0xc1), 5);    /* pshufb xmm0, xmm1 */
	cr_assert_eq(LEN(0x66, 0x0f, 0x3a, 0x0f, 0xc1, 8), 6); /* palignr xmm0, xmm1, 8 */
	cr_assert_eq(LEN(0x0f, 0xae, 0x00), 3);		       /* fxsave [rax] */
}

Test(insn_len, what_it_leaves_to_capstone)
{
	cr_assert_eq(LEN(0xc5, 0xf8, 0x10, 0x00), INSN_LEN_UNKNOWN);		 /* VEX */
	cr_assert_eq(LEN(0x62, 0xf1, 0x7c, 0x48, 0x10, 0x00), INSN_LEN_UNKNOWN); /* EVEX */
	cr_assert_eq(LEN(0x8f, 0xe9, 0x78, 0x80, 0xc0), INSN_LEN_UNKNOWN);	 /* XOP */
	cr_assert_eq(LEN(0x0f, 0x0f, 0xc1, 0xb4), INSN_LEN_UNKNOWN);		 /* 3DNow! */
	cr_assert_eq(LEN(0x48, 0x66, 0x89, 0x18), INSN_LEN_UNKNOWN, "a REX before a prefix");
	cr_assert_eq(LEN(0x48, 0x48, 0x89, 0x18), INSN_LEN_UNKNOWN, "two REX");
	/* Immediates Capstone 4 sizes by 66 or 67 where the CPU does not. */
	cr_assert_eq(LEN(0x66, 0xe8, 1, 2, 3, 4), INSN_LEN_UNKNOWN);
	cr_assert_eq(LEN(0x67, 0xe8, 1, 2, 3, 4), INSN_LEN_UNKNOWN);
	cr_assert_eq(LEN(0x66, 0xc2, 1, 2, 3, 4), INSN_LEN_UNKNOWN);
	cr_assert_eq(LEN(0x66, 0x68, 1, 2, 3, 4), INSN_LEN_UNKNOWN);
	cr_assert_eq(LEN(0x67, 0x0f, 0x78, 0xc0, 1, 2), INSN_LEN_UNKNOWN);
	cr_assert_eq(LEN(0x66, 0x66, 0x66), INSN_LEN_UNKNOWN, "prefixes alone");
}

Test(insn_len, long_and_invalid)
{
	cr_assert_eq(LEN(0x48, 0x89), INSN_LEN_LONG);	       /* no ModRM */
	cr_assert_eq(LEN(0x89, 0x44, 0x8b), INSN_LEN_LONG);    /* no disp8 */
	cr_assert_eq(LEN(0x89, 0x04), INSN_LEN_LONG);	       /* no SIB */
	cr_assert_eq(LEN(0xc7, 0x00, 1, 2, 3), INSN_LEN_LONG); /* imm32 cut */
	cr_assert_eq(LEN(0x0f), INSN_LEN_LONG);
	cr_assert_eq(LEN(0x0f, 0x38), INSN_LEN_LONG);
	cr_assert_eq(LEN(0x2f), INSN_LEN_INVALID); /* das: #UD in 64-bit mode */
	cr_assert_eq(LEN(0x66, 0x06), INSN_LEN_INVALID);
	cr_assert_eq(LEN(0xd4, 0x0a), INSN_LEN_INVALID);
	cr_assert_eq(insn_len((const uint8_t[]){0x90}, 0, NULL), INSN_LEN_UNKNOWN);
}

Test(insn_len, never_reads_past_the_buffer_and_stops_at_15)
{
	uint8_t b[INSN_MAX + 5];

	/* 14 prefixes and an opcode with ModRM + disp32: 20 bytes, more than any instruction. */
	memset(b, 0x66, sizeof(b));
	b[14] = 0x89;
	b[15] = 0x80;
	cr_assert_eq(insn_len(b, sizeof(b), NULL), INSN_LEN_LONG);
	/* A cut past the prefixes is "longer than that", never garbage; prefixes alone unknown. */
	const uint8_t mov[] = {0x64, 0x48, 0xc7, 0x84, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8};
	for (size_t k = 1; k < sizeof(mov); k++)
		cr_assert_eq(insn_len(mov, k, NULL), k <= 2 ? INSN_LEN_UNKNOWN : INSN_LEN_LONG,
			     "cut at %zu", k);
	cr_assert_eq(insn_len(mov, sizeof(mov), NULL), sizeof(mov));
}

Test(insn_len, parse_fields)
{
	struct insn_len_parse p;
	const uint8_t b[] = {0x65, 0x66, 0x41, 0xc7, 0x44, 0x24, 0x10, 0x34, 0x12};

	cr_assert_eq(insn_len(b, sizeof(b), &p), sizeof(b));
	cr_assert_eq(p.seg, 0x65);
	cr_assert(p.opsize && !p.adsize && !p.lock_rep && !p.odd);
	cr_assert_eq(p.rex, 0x41);
	cr_assert_eq(p.map, 0);
	cr_assert_eq(p.opcode, 0xc7);
	cr_assert_eq(p.opc_at, 3);
	cr_assert_eq(p.modrm_at, 4);
	cr_assert_eq(p.disp_at, 6);
	cr_assert_eq(p.disp_len, 1);
	cr_assert_eq(p.imm_len, 2);
}

/* ---- insn_decode_store ------------------------------------------------------------- */

static int store(const uint8_t *b, size_t n, uint64_t rip, const struct insn_cpu *cpu,
		 struct insn_info *in)
{
	struct insn_info ref;
	int r = insn_decode_store(b, n, rip, cpu, in);

	/* Whatever it decodes, the Capstone path decodes the same. */
	if (!r) {
		cr_assert_eq(insn_decode(b, n, rip, cpu, &ref), 0);
		cr_assert_eq(ref.len, in->len);
		cr_assert_eq(ref.id, in->id);
		cr_assert_eq(ref.pure_store, in->pure_store);
		cr_assert_eq(ref.nmem, in->nmem);
		cr_assert_eq(ref.mem[0].ea, in->mem[0].ea);
		cr_assert_eq(ref.mem[0].size, in->mem[0].size);
		cr_assert_eq(ref.mem[0].ea_known, in->mem[0].ea_known);
	}
	return r;
}

Test(insn_decode_store, plain_stores)
{
	struct kvm_regs regs = {.rax = 0x5000, .rbx = 0x1000, .rcx = 0x10, .r12 = 0x3000};
	const struct insn_cpu cpu = {.regs = &regs, .fs_base = 0x100000, .gs_base = 0x200000};
	struct insn_info in;

	cr_assert_eq(store((const uint8_t[]){0x48, 0x89, 0x18}, 3, 0x1000, &cpu, &in), 0);
	cr_assert(in.pure_store && in.known_store && in.mem[0].write && in.mem[0].ea_known);
	cr_assert_eq(in.mem[0].ea, 0x5000);
	cr_assert_eq(in.mem[0].size, 8);
	/* mov [rbx + rcx*4 + 8], eax */
	cr_assert_eq(store((const uint8_t[]){0x89, 0x44, 0x8b, 0x08}, 4, 0x1000, &cpu, &in), 0);
	cr_assert_eq(in.mem[0].ea, 0x1000 + 0x40 + 8);
	cr_assert_eq(in.mem[0].size, 4);
	/* mov [rip + 0x10], byte 5 (C6 05 disp32 imm8): from the next instruction */
	cr_assert_eq(store((const uint8_t[]){0xc6, 0x05, 0x10, 0, 0, 0, 5}, 7, 0x1000, &cpu, &in),
		     0);
	cr_assert_eq(in.mem[0].ea, 0x1007 + 0x10);
	cr_assert_eq(in.mem[0].size, 1);
	/* gs: mov word [r12 - 2], 0x1234 */
	cr_assert_eq(store((const uint8_t[]){0x65, 0x66, 0x41, 0xc7, 0x44, 0x24, 0xfe, 0x34, 0x12},
			   9, 0x1000, &cpu, &in),
		     0);
	cr_assert_eq(in.mem[0].ea, 0x200000 + 0x3000 - 2);
	cr_assert_eq(in.mem[0].size, 2);
	/* fs: mov [abs 0x10], eax (SIB without base or index) */
	cr_assert_eq(
	    store((const uint8_t[]){0x64, 0x89, 0x04, 0x25, 0x10, 0, 0, 0}, 8, 0x1000, &cpu, &in),
	    0);
	cr_assert_eq(in.mem[0].ea, 0x100010);
	/* REX.X: r12 as an index */
	cr_assert_eq(store((const uint8_t[]){0x42, 0x89, 0x04, 0xa0}, 4, 0x1000, &cpu, &in), 0);
	cr_assert_eq(in.mem[0].ea, 0x5000 + 4 * 0x3000);
}

Test(insn_decode_store, everything_else_is_left_to_capstone)
{
	struct kvm_regs regs = {.rax = 0x5000};
	const struct insn_cpu cpu = {.regs = &regs};
	struct insn_info in;

	cr_assert_eq(insn_decode_store((const uint8_t[]){0x48, 0x89, 0xd8}, 3, 0, &cpu, &in), -1,
		     "mov rax, rbx: no memory");
	cr_assert_eq(insn_decode_store((const uint8_t[]){0x48, 0x8b, 0x18}, 3, 0, &cpu, &in), -1,
		     "a load");
	cr_assert_eq(insn_decode_store((const uint8_t[]){0x48, 0x01, 0x18}, 3, 0, &cpu, &in), -1,
		     "add changes flags");
	cr_assert_eq(insn_decode_store((const uint8_t[]){0x67, 0x89, 0x18}, 3, 0, &cpu, &in), -1,
		     "67: 32-bit addresses");
	cr_assert_eq(insn_decode_store((const uint8_t[]){0xf3, 0x89, 0x18}, 3, 0, &cpu, &in), -1,
		     "a REP prefix");
	cr_assert_eq(insn_decode_store((const uint8_t[]){0xf0, 0x89, 0x18}, 3, 0, &cpu, &in), -1,
		     "LOCK");
	cr_assert_eq(insn_decode_store((const uint8_t[]){0x66, 0x66, 0x89, 0x18}, 4, 0, &cpu, &in),
		     -1, "a repeated prefix");
	cr_assert_eq(insn_decode_store((const uint8_t[]){0x66, 0x88, 0x18}, 3, 0, &cpu, &in), -1,
		     "66 on a byte store");
	cr_assert_eq(insn_decode_store((const uint8_t[]){0xc6, 0x08, 1}, 3, 0, &cpu, &in), -1,
		     "C6 /1 is not a mov");
	cr_assert_eq(insn_decode_store((const uint8_t[]){0x48, 0x89}, 2, 0, &cpu, &in), -1,
		     "cut short");
}
