/* Capstone loaded with dlopen() on first use: one decoded x86-64 instruction as plain data. */
#ifndef MONITOR_CSDL_H
#define MONITOR_CSDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * vtlmon never links libcapstone: its ~78,000 relative relocations dirty
 * about 3 MiB at load, and it parses guest-chosen bytes. The decoder process
 * (decoder.h) loads it with this module; so do in-process callers (unit
 * tests, fuzzers) when no decoder process runs. Everything the monitor needs
 * from Capstone is copied out into struct csdl_insn, which has no pointers, so
 * it crosses a socket as it is and is checked field by field on arrival.
 */

#define CSDL_MAX_BYTES	 15 /* the longest legal x86 instruction */
#define CSDL_OPS_MAX	 8  /* cs_x86.operands */
#define CSDL_REGS_MAX	 64 /* cs_regs */
#define CSDL_NWR_UNKNOWN 0xFF
#define CSDL_TEXT_MAX	 192 /* mnemonic (32) + space + operands (160), NUL included */

/* One operand: the Capstone fields the monitor reads (x86_op_type, x86_reg values). */
struct csdl_op {
	uint8_t type; /* X86_OP_REG, X86_OP_IMM, X86_OP_MEM */
	uint8_t size;
	uint8_t access; /* CS_AC_READ | CS_AC_WRITE */
	uint8_t pad;
	uint16_t reg;		       /* X86_OP_REG */
	uint16_t segment, base, index; /* X86_OP_MEM; X86_REG_INVALID where unused */
	int32_t scale;
	int64_t disp;
};

struct csdl_insn {
	uint32_t id;	   /* X86_INS_* */
	uint8_t len;	   /* 1..15 */
	uint8_t prefix0;   /* cs_x86.prefix[0]: REP, REPNE, LOCK or 0 */
	uint8_t addr_size; /* 2, 4 or 8 */
	uint8_t op_count;
	uint8_t nwr; /* registers written (wr[]), or CSDL_NWR_UNKNOWN */
	uint8_t pad[7];
	uint64_t eflags; /* cs_x86.eflags: X86_EFLAGS_* it modifies or tests */
	uint16_t wr[CSDL_REGS_MAX];
	struct csdl_op op[CSDL_OPS_MAX];
	char text[CSDL_TEXT_MAX]; /* "mov cr4, rax" */
};

/*
 * Load Capstone (dlopen, one handle with operand details) if not yet done.
 * 0, or -1 when it cannot be loaded: then every csdl_decode() returns -2.
 * The decoder calls it before its seccomp filter goes on (dlopen opens files).
 */
int csdl_load(void);

/*
 * Decode the first instruction of bytes[0..n) (at most 15 read) at address
 * rip. 0 and *out filled; -1 when the bytes do not decode; -2 when Capstone
 * is not available. Thread-safe (one lock around the handle).
 */
int csdl_decode(const uint8_t *bytes, size_t n, uint64_t rip, struct csdl_insn *out);

/*
 * Whether *in is a well-formed answer for an instruction of at most `n`
 * bytes: lengths, counts, register and instruction ids in range, text a
 * printable NUL-terminated string. What comes back from the decoder process
 * is checked with it before any field is used.
 */
bool csdl_insn_valid(const struct csdl_insn *in, size_t n);

#endif
