/* Entry and #PF handler of the minimal guest: the only assembly a VTL0 kernel strictly needs. */

/*
 * The monitor enters here in 64-bit mode with RDI = the boot info's address
 * and RSP = 0x80000 (the top of its boot stack), interrupts off.
 */
	.section .text.start, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	/* The SysV ABI wants RSP 16-byte aligned at a call: do not depend on the monitor for it. */
	andq	$-16, %rsp
	/* A zero frame pointer ends backtraces here. */
	xorl	%ebp, %ebp
	/* RDI still holds the boot info pointer: minimal_main's first argument. */
	call	minimal_main
	movl	%eax, %edi
	call	minimal_shutdown
	.size	_start, . - _start

/*
 * uint64_t minimal_probe_write(uint64_t *p, uint64_t v): stores v at p.
 * Returns ~0 if the store happened, else the error code of the #PF that
 * VTL1 injected instead (the page is read-only and the policy denies).
 */
	.text
	.globl	minimal_probe_write
	.type	minimal_probe_write, @function
minimal_probe_write:
	movq	$-1, %rax
probe_store:
	movq	%rsi, (%rdi)
probe_resume:
	ret
	.size	minimal_probe_write, . - minimal_probe_write

/*
 * Vector 14. The CPU pushed SS, RSP, RFLAGS, CS, RIP and the error code, on
 * the current stack (CPL0, no IST). Only the probe's store may fault: the
 * handler makes the probe return the error code and resumes after the
 * store, which a deny leaves undone. Any other #PF is a bug.
 */
	.globl	minimal_pf_entry
	.type	minimal_pf_entry, @function
minimal_pf_entry:
	leaq	probe_store(%rip), %rax
	cmpq	%rax, 8(%rsp)
	jne	1f
	/* The error code becomes the probe's return value; RAX and RCX are the probe's to clobber. */
	popq	%rax
	leaq	probe_resume(%rip), %rcx
	movq	%rcx, (%rsp)
	iretq
1:
	/* The saved RIP, for the report; the handler never returns. */
	movq	8(%rsp), %rdi
	andq	$-16, %rsp
	call	minimal_unexpected_pf
	.size	minimal_pf_entry, . - minimal_pf_entry

/*
 * A non-empty .rodata whatever the C code holds: an empty output section
 * still gets its PT_LOAD from PHDRS, at address 0, which the loader refuses.
 */
	.section .rodata.tag, "a", @progbits
	.asciz	"vtlmon minimal example"

	.section .note.GNU-stack, "", @progbits
