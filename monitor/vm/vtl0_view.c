/* VTL0 as VTL0 sees it: its page tables, its instruction bytes, its registers, with its own rights.
 */
#include "monitor/vm/vtl0_view.h"

#include "monitor/x86/ptwalk.h"
#include "vtl_layout.h"

static int vtl0_view_read_gpa(void *ctx, uint64_t g, void *dst, size_t len)
{
	return perm_vtl0_read(ctx, g, dst, len);
}

const struct kvm_sregs *vtl0_view_sregs(struct vcpu_pair *p)
{
	return &p->vtl0.run->s.regs.sregs;
}

enum ptwalk_err vtl0_view_translate(struct vcpu_pair *p, uint64_t va, uint64_t *g)
{
	const struct kvm_sregs *s = vtl0_view_sregs(p);
	struct ptwalk_result pw;
	enum ptwalk_err err = ptwalk_translate(s->cr0, s->cr4, s->efer, s->cr3, va,
					       vtl0_view_read_gpa, &p->m->perm, &pw);

	*g = pw.gpa;
	return err;
}

size_t vtl0_view_fetch(struct vcpu_pair *p, uint64_t va, uint8_t *buf, size_t len)
{
	const struct kvm_sregs *s = vtl0_view_sregs(p);

	return ptwalk_fetch(s->cr0, s->cr4, s->efer, s->cr3, va, vtl0_view_read_gpa, &p->m->perm,
			    buf, len);
}

/*
 * The bytes before `rip`, as many as are mapped (up to INSN_MAX), ending at
 * buf[n - 1] = the byte at rip - 1.
 */
size_t vtl0_view_fetch_before(struct vcpu_pair *p, uint64_t rip, uint8_t *buf)
{
	uint64_t page_off = rip & (VTL_PAGE_SIZE - 1);
	size_t n;

	if (rip >= INSN_MAX && vtl0_view_fetch(p, rip - INSN_MAX, buf, INSN_MAX) == INSN_MAX)
		return INSN_MAX;
	/* The previous page may be unmapped: settle for the bytes on this one. */
	n = page_off < INSN_MAX ? (size_t)page_off : INSN_MAX;
	if (!n || vtl0_view_fetch(p, rip - n, buf, n) != n)
		return 0;
	return n;
}

/* Registers and segment bases an address is computed from, as at this exit. */
void vtl0_view_cpu(struct vcpu_pair *p, const struct kvm_regs *regs, bool after,
		   struct insn_cpu *cpu)
{
	const struct kvm_sregs *s = vtl0_view_sregs(p);

	cpu->regs = regs;
	cpu->fs_base = s->fs.base;
	cpu->gs_base = s->gs.base;
	cpu->regs_after = after;
}

/* Does the linear address translate (through VTL0's own tables) to exactly `g`? */
bool vtl0_view_va_is_gpa(void *ctx, uint64_t va, uint64_t g)
{
	uint64_t got;

	return vtl0_view_translate(ctx, va, &got) == PTWALK_OK && got == g;
}

void vtl0_walks_init(struct vtl0_walks *w, struct vcpu_pair *p)
{
	w->p = p;
	ptwalk_memo_init(&w->memo, vtl0_view_read_gpa, &p->m->perm);
}

size_t vtl0_walks_fetch(struct vtl0_walks *w, uint64_t va, uint8_t *buf, size_t len)
{
	const struct kvm_sregs *s = vtl0_view_sregs(w->p);

	return ptwalk_fetch(s->cr0, s->cr4, s->efer, s->cr3, va, ptwalk_memo_read, &w->memo, buf,
			    len);
}

bool vtl0_walks_va_is_gpa(void *ctx, uint64_t va, uint64_t g)
{
	struct vtl0_walks *w = ctx;
	const struct kvm_sregs *s = vtl0_view_sregs(w->p);
	struct ptwalk_result pw;

	return ptwalk_translate(s->cr0, s->cr4, s->efer, s->cr3, va, ptwalk_memo_read, &w->memo,
				&pw) == PTWALK_OK &&
	       pw.gpa == g;
}
