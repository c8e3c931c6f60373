/* Unit tests for monitor/disasm: Capstone text and sensitive-instruction kinds. */
#include <criterion/criterion.h>
#include <string.h>

#include "monitor/x86/disasm.h"

static void check_text(const uint8_t *b, size_t n, const char *want, size_t want_len)
{
	char out[DISASM_TEXT_MAX];
	size_t len = 99;

	cr_assert_eq(disasm_one(b, n, 0x1000, out, sizeof(out), &len), 0, "%s", want);
	cr_assert_str_eq(out, want);
	cr_assert_eq(len, want_len, "%s: len %zu", want, len);
}

Test(disasm, known_sequences)
{
	check_text((const uint8_t[]){0x0f, 0x30}, 2, "wrmsr", 2);
	check_text((const uint8_t[]){0x0f, 0x22, 0xe0}, 3, "mov cr4, rax", 3);
	check_text((const uint8_t[]){0x48, 0x89, 0x18}, 3, "mov qword ptr [rax], rbx", 3);
	check_text((const uint8_t[]){0x90, 0xcc}, 2, "nop", 1);
}

Test(disasm, relative_target_uses_rip)
{
	char out[DISASM_TEXT_MAX];

	/* jmp rel8 +0 */
	cr_assert_eq(disasm_one((const uint8_t[]){0xeb, 0x00}, 2, 0x401000, out, sizeof(out), NULL),
		     0);
	cr_assert_str_eq(out, "jmp 0x401002");
}

Test(disasm, garbage_is_bad)
{
	static const uint8_t garbage[][4] = {{0xff, 0xff}, {0x0f, 0x0f}};
	char out[DISASM_TEXT_MAX];
	size_t len = 99;

	cr_assert_eq(disasm_one(garbage[0], 2, 0, out, sizeof(out), &len), -1);
	cr_assert_str_eq(out, "(bad)");
	cr_assert_eq(len, 0);
	cr_assert_eq(disasm_one(garbage[1], 2, 0, out, sizeof(out), &len), -1);
	cr_assert_str_eq(out, "(bad)");
}

Test(disasm, truncated_and_empty_are_bad)
{
	char out[DISASM_TEXT_MAX];
	size_t len = 99;

	/* mov cr4, rax without its ModRM byte */
	cr_assert_eq(disasm_one((const uint8_t[]){0x0f, 0x22}, 2, 0, out, sizeof(out), &len), -1);
	cr_assert_str_eq(out, "(bad)");
	cr_assert_eq(disasm_one((const uint8_t[]){0x90}, 0, 0, out, sizeof(out), &len), -1);
	cr_assert_str_eq(out, "(bad)");
	cr_assert_eq(len, 0);
}

Test(disasm, output_truncated_safely)
{
	char out[8];

	memset(out, 'x', sizeof(out));
	cr_assert_eq(disasm_one((const uint8_t[]){0x48, 0x89, 0x18}, 3, 0, out, sizeof(out), NULL),
		     0);
	cr_assert_str_eq(out, "mov qwo");
	/* outlen 0 must not write at all */
	cr_assert_eq(disasm_one((const uint8_t[]){0x90}, 1, 0, NULL, 0, NULL), 0);
}

Test(disasm, long_input_reads_one_insn)
{
	uint8_t buf[64];
	size_t len;

	memset(buf, 0x90, sizeof(buf));
	cr_assert_eq(disasm_one(buf, sizeof(buf), 0, NULL, 0, &len), 0);
	cr_assert_eq(len, 1);
	/* 15 prefixes + opcode exceed the architectural limit */
	memset(buf, 0x66, 15);
	buf[15] = 0x90;
	cr_assert_eq(disasm_one(buf, sizeof(buf), 0, NULL, 0, &len), -1);
}

struct kind_case {
	uint8_t bytes[8];
	size_t n;
	enum disasm_kind kind;
	const char *name;
};

Test(disasm, classify_sensitive)
{
	static const struct kind_case cases[] = {
	    {{0x0f, 0x22, 0xc0}, 3, DISASM_KIND_CR0_WRITE, "cr0_write"},
	    {{0x0f, 0x01, 0xf0}, 3, DISASM_KIND_CR0_WRITE, "cr0_write"}, /* lmsw ax */
	    {{0x0f, 0x22, 0xd8}, 3, DISASM_KIND_CR3_WRITE, "cr3_write"},
	    {{0x0f, 0x22, 0xe0}, 3, DISASM_KIND_CR4_WRITE, "cr4_write"},
	    /* the CPU ignores ModRM.mod for CR moves */
	    {{0x0f, 0x22, 0x20}, 3, DISASM_KIND_CR4_WRITE, "cr4_write"},
	    {{0x41, 0x0f, 0x22, 0xe0}, 4, DISASM_KIND_CR4_WRITE, "cr4_write"},
	    {{0x44, 0x0f, 0x22, 0xc0}, 4, DISASM_KIND_CR8_WRITE, "cr8_write"},
	    {{0xf0, 0x0f, 0x22, 0xc3}, 4, DISASM_KIND_CR8_WRITE, "cr8_write"}, /* AMD alias */
	    {{0x0f, 0x30}, 2, DISASM_KIND_WRMSR, "wrmsr"},
	    {{0x0f, 0x01, 0xc6}, 3, DISASM_KIND_WRMSR, "wrmsr"},       /* wrmsrns */
	    {{0xf3, 0x0f, 0x01, 0xc6}, 4, DISASM_KIND_WRMSR, "wrmsr"}, /* wrmsrlist */
	    {{0x0f, 0x01, 0x10}, 3, DISASM_KIND_LGDT, "lgdt"},
	    {{0x0f, 0x01, 0x18}, 3, DISASM_KIND_LIDT, "lidt"},
	    {{0x0f, 0x00, 0xd8}, 3, DISASM_KIND_LTR, "ltr"},
	    {{0x0f, 0x00, 0x18}, 3, DISASM_KIND_LTR, "ltr"},
	    {{0x0f, 0x01, 0xd1}, 3, DISASM_KIND_XSETBV, "xsetbv"},
	    /* look-alikes that are not writes */
	    {{0x0f, 0x20, 0xe0}, 3, DISASM_KIND_NONE, NULL}, /* mov rax, cr4 */
	    {{0x0f, 0x32}, 2, DISASM_KIND_NONE, NULL},	     /* rdmsr */
	    {{0x0f, 0x01, 0x00}, 3, DISASM_KIND_NONE, NULL}, /* sgdt */
	    {{0x0f, 0x01, 0xd0}, 3, DISASM_KIND_NONE, NULL}, /* xgetbv */
	    {{0x0f, 0x23, 0xf8}, 3, DISASM_KIND_NONE, NULL}, /* mov dr7, rax */
	    {{0x48, 0x89, 0x18}, 3, DISASM_KIND_NONE, NULL},
	    {{0xf2, 0x0f, 0x01, 0xc6}, 4, DISASM_KIND_NONE, NULL}, /* rdmsrlist */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct kind_case *c = &cases[i];
		size_t len = 0;
		const char *name;

		cr_assert_eq(disasm_classify(c->bytes, c->n, 0, &len), c->kind, "case %zu", i);
		name = disasm_sensitive_kind(c->bytes, c->n, 0);
		if (c->name) {
			cr_assert_eq(len, c->n, "case %zu len %zu", i, len);
			cr_assert_not_null(name, "case %zu", i);
			cr_assert_str_eq(name, c->name, "case %zu", i);
		} else {
			cr_assert_null(name, "case %zu", i);
		}
	}
}

Test(disasm, handle_decode_fills_struct)
{
	struct disasm *d = disasm_new();
	struct disasm_insn insn;

	cr_assert_not_null(d);
	cr_assert_eq(disasm_decode(d, (const uint8_t[]){0x0f, 0x22, 0xe0, 0x90}, 4, 0, &insn), 0);
	cr_assert_eq(insn.len, 3);
	cr_assert_eq(insn.kind, DISASM_KIND_CR4_WRITE);
	cr_assert_str_eq(insn.text, "mov cr4, rax");
	cr_assert_eq(insn.bytes[0], 0x0f);
	cr_assert_eq(insn.bytes[2], 0xe0);
	cr_assert_eq(disasm_decode(d, (const uint8_t[]){0xff, 0xff}, 2, 0, &insn), -1);
	cr_assert_str_eq(insn.text, "(bad)");
	cr_assert_eq(insn.kind, DISASM_KIND_NONE);
	disasm_free(d);
	disasm_free(NULL);
}

Test(disasm, kind_names)
{
	cr_assert_str_eq(disasm_kind_name(DISASM_KIND_CR4_WRITE), "cr4_write");
	cr_assert_str_eq(disasm_kind_name(DISASM_KIND_NONE), "none");
	cr_assert_str_eq(disasm_kind_name((enum disasm_kind)999), "?");
	cr_assert(disasm_kind_is_cr_write(DISASM_KIND_CR3_WRITE));
	cr_assert(!disasm_kind_is_cr_write(DISASM_KIND_WRMSR));
	for (int k = 0; k < DISASM_KIND_COUNT; k++)
		cr_assert_not_null(disasm_kind_name((enum disasm_kind)k));
}
