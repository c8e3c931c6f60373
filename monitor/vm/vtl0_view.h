/* VTL0 as VTL0 sees it: its page tables, its instruction bytes, its registers, with its own rights.
 */
#ifndef MONITOR_VM_VTL0_VIEW_H
#define MONITOR_VM_VTL0_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/vm/machine.h"
#include "monitor/x86/insn.h"
#include "monitor/x86/ptwalk.h"

/* VTL0's system registers at this exit (sync regs). */
const struct kvm_sregs *vtl0_view_sregs(struct vcpu_pair *p);
/*
 * A linear address through VTL0's own page tables, read with VTL0's rights:
 * page tables in a page VTL0 cannot read do not translate.
 */
enum ptwalk_err vtl0_view_translate(struct vcpu_pair *p, uint64_t va, uint64_t *g);
/* Up to `len` instruction bytes at `va`, as many as VTL0 could read. */
size_t vtl0_view_fetch(struct vcpu_pair *p, uint64_t va, uint8_t *buf, size_t len);
/* The bytes before `rip` (up to INSN_MAX): buf[n - 1] is the byte at rip - 1. */
size_t vtl0_view_fetch_before(struct vcpu_pair *p, uint64_t rip, uint8_t *buf);
/* Registers and segment bases for insn_decode(); `after` at a write exit (RIP past it). */
void vtl0_view_cpu(struct vcpu_pair *p, const struct kvm_regs *regs, bool after,
		   struct insn_cpu *cpu);
/* insn_write_exit's callback: does `va` translate to exactly `g`? (ctx = the pair) */
bool vtl0_view_va_is_gpa(void *ctx, uint64_t va, uint64_t g);

/*
 * The walks of one exit through VTL0's tables, sharing the entries they
 * read (struct ptwalk_memo): a write exit walks RIP's page and the store's
 * address. On the handler's stack, for that exit only.
 */
struct vtl0_walks {
	struct vcpu_pair *p;
	struct ptwalk_memo memo;
};

void vtl0_walks_init(struct vtl0_walks *w, struct vcpu_pair *p);
/* vtl0_view_fetch() through the exit's walks. */
size_t vtl0_walks_fetch(struct vtl0_walks *w, uint64_t va, uint8_t *buf, size_t len);
/* vtl0_view_va_is_gpa() through the exit's walks (ctx = the struct vtl0_walks). */
bool vtl0_walks_va_is_gpa(void *ctx, uint64_t va, uint64_t g);

#endif
