/* x86-64 instruction text and sensitive-instruction classification, from Capstone's answers. */
#include "monitor/x86/disasm.h"

#include <capstone.h> /* X86_INS_* and X86_REG_* only: nothing links Capstone */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/x86/decoder.h"

/* x86 never decodes more than 15 bytes, whatever the prefixes. */
#define DISASM_X86_MAX_LEN 15

_Static_assert(DISASM_TEXT_MAX == CSDL_TEXT_MAX, "the decoder's text fits disasm_insn.text");

/*
 * A handle decodes in this process, with Capstone loaded by dlopen (csdl.h):
 * it is for `vtlmon inspect`, which decodes at every byte offset of an ELF
 * the user chose, and where a round trip to the decoder process per offset
 * made a Linux vmlinux take 44 s instead of 1. A run never makes one: the
 * one-shot helpers below (violation reports) ask the decoder process.
 */
struct disasm {
	int in_process;
};

static const char *const disasm_kind_names[DISASM_KIND_COUNT] = {
    [DISASM_KIND_NONE] = "none",
    [DISASM_KIND_CR0_WRITE] = "cr0_write",
    [DISASM_KIND_CR3_WRITE] = "cr3_write",
    [DISASM_KIND_CR4_WRITE] = "cr4_write",
    [DISASM_KIND_CR8_WRITE] = "cr8_write",
    [DISASM_KIND_WRMSR] = "wrmsr",
    [DISASM_KIND_LGDT] = "lgdt",
    [DISASM_KIND_LIDT] = "lidt",
    [DISASM_KIND_LTR] = "ltr",
    [DISASM_KIND_XSETBV] = "xsetbv",
};

const char *disasm_kind_name(enum disasm_kind kind)
{
	if ((unsigned)kind >= DISASM_KIND_COUNT)
		return "?";
	return disasm_kind_names[kind];
}

int disasm_kind_is_cr_write(enum disasm_kind kind)
{
	return kind == DISASM_KIND_CR0_WRITE || kind == DISASM_KIND_CR3_WRITE ||
	       kind == DISASM_KIND_CR4_WRITE || kind == DISASM_KIND_CR8_WRITE;
}

struct disasm *disasm_new(void)
{
	struct disasm *d = calloc(1, sizeof(*d));

	if (d)
		d->in_process = 1;
	return d;
}

void disasm_free(struct disasm *d)
{
	free(d);
}

static enum disasm_kind disasm_kind_of(const struct csdl_insn *insn)
{
	switch (insn->id) {
	case X86_INS_WRMSR: return DISASM_KIND_WRMSR;
	case X86_INS_LGDT: return DISASM_KIND_LGDT;
	case X86_INS_LIDT: return DISASM_KIND_LIDT;
	case X86_INS_LTR: return DISASM_KIND_LTR;
	case X86_INS_XSETBV: return DISASM_KIND_XSETBV;
	case X86_INS_LMSW: return DISASM_KIND_CR0_WRITE;
	case X86_INS_MOV: break;
	default: return DISASM_KIND_NONE;
	}
	if (insn->op_count < 1 || insn->op[0].type != X86_OP_REG)
		return DISASM_KIND_NONE;
	switch (insn->op[0].reg) {
	case X86_REG_CR0: return DISASM_KIND_CR0_WRITE;
	case X86_REG_CR3: return DISASM_KIND_CR3_WRITE;
	case X86_REG_CR4: return DISASM_KIND_CR4_WRITE;
	case X86_REG_CR8: return DISASM_KIND_CR8_WRITE;
	default: return DISASM_KIND_NONE;
	}
}

static int disasm_is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26:
	case 0x2e:
	case 0x36:
	case 0x3e:
	case 0x64:
	case 0x65:
	case 0x66:
	case 0x67:
	case 0xf0:
	case 0xf2:
	case 0xf3: return 1;
	default: return 0;
	}
}

/*
 * Capstone 4 does not know a few encodings that still write sensitive
 * state: WRMSRNS/WRMSRLIST (0f 01 c6) and AMD's "lock mov cr0" alias for
 * mov cr8. Hiding a write in an encoding the scanner cannot decode must not
 * work, so these are matched by hand when Capstone gives up.
 */
static int disasm_fallback(const uint8_t *b, size_t len, struct disasm_insn *out)
{
	static const char *const r64[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
	int lock = 0, rep = 0;
	unsigned rex = 0;
	size_t i = 0;

	if (len > DISASM_X86_MAX_LEN)
		len = DISASM_X86_MAX_LEN;
	while (i < len && disasm_is_legacy_prefix(b[i])) {
		if (b[i] == 0xf0)
			lock = 1;
		else if (b[i] == 0xf2 || b[i] == 0xf3)
			rep = b[i];
		i++;
	}
	/* REX only counts right before the opcode. */
	if (i < len && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i + 3 > len || b[i] != 0x0f)
		return -1;
	if (b[i + 1] == 0x01 && b[i + 2] == 0xc6 && rep != 0xf2) {
		out->kind = DISASM_KIND_WRMSR;
		snprintf(out->text, sizeof(out->text), "%s", rep == 0xf3 ? "wrmsrlist" : "wrmsrns");
	} else if (b[i + 1] == 0x22 && lock && (((b[i + 2] >> 3) & 7) | ((rex & 4) << 1)) == 0) {
		out->kind = DISASM_KIND_CR8_WRITE;
		snprintf(out->text, sizeof(out->text), "lock mov cr0, %s",
			 r64[(b[i + 2] & 7) | ((rex & 1) << 3)]);
	} else {
		return -1;
	}
	out->len = i + 3;
	return 0;
}

int disasm_decode(struct disasm *d, const uint8_t *bytes, size_t len, uint64_t rip,
		  struct disasm_insn *out)
{
	uint8_t buf[DISASM_MAX_BYTES];
	size_t n = len < sizeof(buf) ? len : sizeof(buf);
	struct csdl_insn insn;
	int r = -1;

	memset(out, 0, sizeof(*out));
	/* A private copy: the decoder never sees memory past what we vouch for. */
	if (n)
		memcpy(buf, bytes, n);
	memcpy(out->bytes, buf, n);
	if (n)
		r = d ? csdl_decode(buf, n, rip, &insn) : decoder_decode(buf, n, rip, &insn);
	if (r == 0) {
		out->len = insn.len;
		out->kind = disasm_kind_of(&insn);
		memcpy(out->text, insn.text, sizeof(out->text));
		return 0;
	}
	if (n && disasm_fallback(buf, n, out) == 0)
		return 0;
	out->len = 0;
	out->kind = DISASM_KIND_NONE;
	/* -2: nothing could look at the bytes (no Capstone, the decoder process gone). */
	snprintf(out->text, sizeof(out->text), "%s", r == -2 ? "(undecoded)" : "(bad)");
	return -1;
}

static int disasm_oneshot(const uint8_t *bytes, size_t len, uint64_t rip, struct disasm_insn *out)
{
	/* Without Capstone, only the hand-matched encodings decode. */
	return disasm_decode(NULL, bytes, len, rip, out);
}

int disasm_one(const uint8_t *bytes, size_t len, uint64_t rip, char *out, size_t outlen,
	       size_t *insn_len)
{
	struct disasm_insn insn;
	int ret = disasm_oneshot(bytes, len, rip, &insn);

	if (out && outlen)
		snprintf(out, outlen, "%s", insn.text);
	if (insn_len)
		*insn_len = insn.len;
	return ret;
}

enum disasm_kind disasm_classify(const uint8_t *bytes, size_t len, uint64_t rip, size_t *insn_len)
{
	struct disasm_insn insn;

	disasm_oneshot(bytes, len, rip, &insn);
	if (insn_len)
		*insn_len = insn.len;
	return insn.kind;
}

const char *disasm_sensitive_kind(const uint8_t *bytes, size_t len, uint64_t rip)
{
	enum disasm_kind kind = disasm_classify(bytes, len, rip, NULL);

	return kind == DISASM_KIND_NONE ? NULL : disasm_kind_name(kind);
}
