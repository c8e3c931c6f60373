/* Pure x86-64 instruction helpers for enforcement: CR-write decoding and write rewinding. */
#ifndef MONITOR_INSN_H
#define MONITOR_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/kvm_compat.h"

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
 * A write exit's RIP is already past the instruction (KVM-HOST-NOTES). Given
 * the `n` bytes that precede RIP (before[n - 1] is the byte at RIP - 1),
 * find where the instruction started: the unique offset back from RIP at
 * which an instruction decodes to exactly that length, stores `len` bytes to
 * memory, and (when its address can be computed from the registers) stores
 * to the faulting address. Returns the length (1..15), or 0 when there is
 * none or more than one: then the start is unknown and a denial cannot be
 * precise.
 */
size_t insn_write_start(const uint8_t *before, size_t n, const struct insn_write_ctx *c);

#endif
