/* x86-64 instruction lengths decoded in the monitor, so most candidates need no Capstone. */
#ifndef MONITOR_INSN_LEN_H
#define MONITOR_INSN_LEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A write exit's origin is found among the instructions that end exactly at
 * RIP (insn_write_origin): up to 15 candidate starts, each of which used to
 * cost a round trip to the decoder process. Most of them are not
 * instructions of the right length at all, and telling that needs only the
 * length, which the opcode maps give cheaply. insn_len() knows the one-byte
 * map and the 0F, 0F 38 and 0F 3A maps with their legacy and REX prefixes;
 * anything it is not sure of (VEX, EVEX, XOP, 3DNow!, opcodes whose length
 * CPUs or Capstone disagree on) is INSN_LEN_UNKNOWN, and the caller asks
 * Capstone as before. Its lengths are differentially fuzzed against
 * Capstone's (tests/fuzz/fuzz_insn.c, mode "length").
 */

/* insn_len()'s answers besides a length of 1..15. */
#define INSN_LEN_UNKNOWN 0  /* not decoded here: ask Capstone */
#define INSN_LEN_LONG	 16 /* needs more bytes than given: cannot end within them */
#define INSN_LEN_INVALID 17 /* #UD in 64-bit mode (06, 27, 60, D4, ...): never ran, never wrote */

/* What insn_len() found on the way, for callers that decode a few opcodes fully. */
struct insn_len_parse {
	uint8_t len;	  /* 1..15, or an INSN_LEN_* answer */
	uint8_t opc_at;	  /* offset of the opcode (after the escape bytes 0F, 0F 38, 0F 3A) */
	uint8_t modrm_at; /* offset of ModRM; 0 when there is none */
	uint8_t map;	  /* 0 one-byte, 1 0F, 2 0F 38, 3 0F 3A */
	uint8_t opcode;
	uint8_t rex;	 /* the REX right before the opcode (the only one that counts), or 0 */
	uint8_t seg;	 /* the segment override prefix, or 0 */
	bool opsize;	 /* 66 */
	bool adsize;	 /* 67 */
	bool lock_rep;	 /* F0, F2 or F3 */
	bool odd;	 /* a prefix repeated (or two of F0, F2, F3, or two segment overrides) */
	uint8_t disp_at; /* offset of the displacement; 0 when there is none */
	uint8_t disp_len;
	uint8_t imm_len;
};

/*
 * Length of the instruction at b[0..n) in 64-bit mode: 1..15 when it is
 * sure; INSN_LEN_LONG when the instruction is sure to need more than the n
 * bytes (or than 15); INSN_LEN_INVALID for an opcode that does not exist in
 * 64-bit mode; INSN_LEN_UNKNOWN when it cannot tell. Reads nothing
 * outside b[0..n) and never fails on any bytes. `p` (may be NULL) gets what
 * was parsed; its fields past `len` mean something only for a length 1..15.
 */
unsigned insn_len(const uint8_t *b, size_t n, struct insn_len_parse *p);

#endif
