/* x86-64 instruction text and sensitive-instruction classification, from Capstone's answers. */
#ifndef MONITOR_DISASM_H
#define MONITOR_DISASM_H

#include <stddef.h>
#include <stdint.h>

/* The longest legal x86 instruction is 15 bytes; guest reports carry 16. */
#define DISASM_MAX_BYTES 16
/* Capstone mnemonic (32) + space + operands (160), NUL included. */
#define DISASM_TEXT_MAX 192

/*
 * Instructions that change state the monitor pins or that VTL1 cares about.
 * Each CR write kind is a candidate site for a hardware breakpoint.
 */
enum disasm_kind {
	DISASM_KIND_NONE = 0,
	DISASM_KIND_CR0_WRITE, /* mov cr0, r and lmsw */
	DISASM_KIND_CR3_WRITE,
	DISASM_KIND_CR4_WRITE,
	DISASM_KIND_CR8_WRITE, /* mov cr8, r, including AMD's lock mov cr0 alias */
	DISASM_KIND_WRMSR,     /* wrmsr, wrmsrns, wrmsrlist */
	DISASM_KIND_LGDT,
	DISASM_KIND_LIDT,
	DISASM_KIND_LTR,
	DISASM_KIND_XSETBV,
	DISASM_KIND_COUNT
};

struct disasm_insn {
	size_t len;	       /* bytes consumed, 1..15 */
	enum disasm_kind kind; /* DISASM_KIND_NONE for ordinary instructions */
	uint8_t bytes[DISASM_MAX_BYTES];
	char text[DISASM_TEXT_MAX]; /* "mov cr4, rax" */
};

/*
 * A handle decodes in this process (Capstone loaded with dlopen on first
 * use): for `vtlmon inspect` and tests, never for a run's guest bytes.
 */
struct disasm;

struct disasm *disasm_new(void);
void disasm_free(struct disasm *d);

/*
 * Decode the first instruction of bytes[0..len) at address rip. Reads at
 * most DISASM_MAX_BYTES of the input. Returns 0, or -1 (out->len 0) when the
 * bytes do not decode (out->text "(bad)") or nothing could decode them
 * (out->text "(undecoded)": no Capstone, or the decoder process is gone).
 * Capstone 4 does not know a few sensitive encodings: those are matched by
 * hand, also when Capstone is not there. d NULL: as the one-shot helpers.
 */
int disasm_decode(struct disasm *d, const uint8_t *bytes, size_t len, uint64_t rip,
		  struct disasm_insn *out);

/*
 * One-shot helpers for violation reports: through the decoder process when
 * main() started one (decoder.h), else in this process. disasm_one writes the text
 * into out (truncated to outlen) and the length into *insn_len (may be NULL);
 * it returns 0, or -1 with out = "(bad)" or "(undecoded)" and *insn_len = 0.
 */
int disasm_one(const uint8_t *bytes, size_t len, uint64_t rip, char *out, size_t outlen,
	       size_t *insn_len);
enum disasm_kind disasm_classify(const uint8_t *bytes, size_t len, uint64_t rip, size_t *insn_len);
/* Name of the kind of the first instruction, or NULL when it is not sensitive. */
const char *disasm_sensitive_kind(const uint8_t *bytes, size_t len, uint64_t rip);

/* "cr4_write", "wrmsr", ...; "none" for DISASM_KIND_NONE, "?" out of range. */
const char *disasm_kind_name(enum disasm_kind kind);
/* True for the kinds that write a control register (hardware breakpoint candidates). */
int disasm_kind_is_cr_write(enum disasm_kind kind);

#endif
