/* Pure x86-64 instruction helpers for enforcement: CR-write decoding and write rewinding. */
#ifndef MONITOR_INSN_H
#define MONITOR_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/kvm/kvm_compat.h"

#define INSN_MAX 15

/*
 * `mov crN, r64` (0F 22 /r, with legacy prefixes and REX). On success sets
 * the CR number (REX.R extends it), the source GPR index in kvm_regs order
 * (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15) and the length.
 * ModRM.mod is ignored, as the CPU does. Returns 0, or -1 if it is not one.
 */
int insn_mov_to_cr(const uint8_t *bytes, size_t len, unsigned *cr, unsigned *gpr, size_t *insn_len);
/* The GPR with that index in kvm_regs order; NULL past 15. */
__u64 *insn_gpr(struct kvm_regs *regs, unsigned idx);

/* What a write exit tells us, to recognise the instruction that made it. */
struct insn_write_ctx {
	uint64_t rip;		     /* RIP at the exit: just past the store */
	uint32_t len;		     /* bytes written */
	const struct kvm_regs *regs; /* GPRs at the exit */
	/* Does a store to this linear address land on the faulting GPA? */
	bool (*ea_matches)(void *ctx, uint64_t va);
	void *ctx;
};

/*
 * insn_write_origin() for callers that only need the precise case: the
 * length of the instruction that ends at RIP when a denial of its store can
 * be precise (RIP rewound by that much undoes it exactly), else 0.
 */
size_t insn_write_start(const uint8_t *before, size_t n, const struct insn_write_ctx *c);

/* The CPU state an instruction's addresses are computed from. */
struct insn_cpu {
	const struct kvm_regs *regs;
	uint64_t fs_base; /* 64-bit mode: only FS and GS have bases */
	uint64_t gs_base;
	/* True at a write exit: RIP and the registers are already past the instruction. */
	bool regs_after;
};

#define INSN_MEM_MAX 3

/* One memory access of a decoded instruction (explicit operand or implicit stack/string). */
struct insn_mem {
	uint64_t ea;   /* linear address of the first byte */
	uint32_t size; /* bytes; an upper bound where Capstone does not know (fxsave, xsave) */
	bool ea_known; /* false when a register it depends on is not in kvm_regs or was overwritten
			*/
	bool write; /* may write it (Capstone's access flags are incomplete: this errs towards yes)
		     */
};

struct insn_info {
	size_t len;
	unsigned id;	  /* Capstone instruction id */
	bool rep;	  /* a rep-prefixed string instruction */
	bool pure_store;  /* its only effect is writing mem[0]: no register or flag changes */
	bool pure_load;	  /* its only effects are on GPRs, RFLAGS and RIP: KVM_SET_REGS undoes it */
	bool known_store; /* writes memory (explicit write operand or implicit push/call/stos) */
	unsigned nmem;
	struct insn_mem mem[INSN_MEM_MAX];
};

/*
 * Decode the instruction at linear address `rip` from bytes[0..n). Fills
 * `out` with its length, its memory accesses (addresses computed from `cpu`;
 * with cpu->regs_after, registers the instruction updates are unwound, e.g.
 * RDI for stos, RSP for push), and how completely a register snapshot
 * restores the state before it. Returns 0, or -1 when it does not decode.
 */
int insn_decode(const uint8_t *bytes, size_t n, uint64_t rip, const struct insn_cpu *cpu,
		struct insn_info *out);

/*
 * insn_decode() for the plain stores a write exit usually comes from, done in
 * the monitor: mov r/m, r and mov r/m, imm (88, 89, C6 /0, C7 /0) with a
 * memory destination, optional 66, one segment override and a REX. Anything
 * else (other opcodes, 67, LOCK or REP prefixes, repeated prefixes, a REX
 * not right before the opcode) is -1: not decoded here, ask insn_decode().
 * On 0, *out is what insn_decode() gives for the same bytes (fuzzed against
 * it) except for the Capstone id, which is X86_INS_MOV either way.
 */
int insn_decode_store(const uint8_t *bytes, size_t n, uint64_t rip, const struct insn_cpu *cpu,
		      struct insn_info *out);

/* What a write exit says, to find the instruction behind it. */
struct insn_write_exit {
	uint64_t rip; /* RIP at the exit */
	uint64_t gpa; /* the GPA KVM reported */
	uint32_t len; /* bytes of this fragment */
	const struct insn_cpu
	    *cpu; /* the exit's registers (regs_after is forced on for `before`) */
	/* Does the linear address translate (through the guest's tables) to exactly this GPA? */
	bool (*va_is_gpa)(void *ctx, uint64_t va, uint64_t gpa);
	void *ctx;
};

struct insn_write_origin {
	uint64_t rip; /* start of the instruction that wrote (the exit RIP when unknown) */
	size_t len;   /* its length; 0 when unknown */
	bool known;   /* exactly one instruction can have made this write */
	bool precise; /* known, and undoing it needs only RIP = rip: nothing else changed */
	bool at_rip;  /* a rep string instruction at RIP, mid-way (RIP did not move) */
};

/*
 * A write exit's RIP is already past the instruction (KVM-HOST-NOTES), except
 * for a rep string instruction that has more iterations to go. Considers
 * every instruction that decodes to end exactly at RIP within the `n` bytes
 * before it (before[n - 1] is the byte at RIP - 1) and a rep string store at
 * RIP (bytes `at`, `at_n`), and keeps those that write this fragment's GPA
 * with this length. The origin is known only when exactly one is left;
 * precise only when that one is a pure store (mov, movnti, movbe, setcc,
 * not) whose address was checked: then rewinding RIP undoes it exactly.
 * Candidates are ruled out by their length in the monitor (insn_len.h) and
 * plain stores decoded there (insn_decode_store); only the rest go to
 * Capstone, so a typical store costs no decoder round trip.
 */
void insn_write_origin(const uint8_t *before, size_t n, const uint8_t *at, size_t at_n,
		       const struct insn_write_exit *x, struct insn_write_origin *o);

#endif
