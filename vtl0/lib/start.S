/* VTL0 entry point: the monitor enters here with RDI = boot info and a valid stack. */
	.section .text.start, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	/* The SysV ABI wants RSP 16-byte aligned at a call; do not rely on the loader for it. */
	andq	$-16, %rsp
	/* A zero frame pointer ends backtraces here. */
	xorl	%ebp, %ebp
	call	vtl0_main
	movl	%eax, %edi
	call	vtl_shutdown
	.size	_start, . - _start

	/*
	 * Guarantees a non-empty .rodata: an empty output section still gets its
	 * PT_LOAD from PHDRS, at address 0, which the monitor's loader rejects.
	 */
	.section .rodata.tag, "a", @progbits
	.globl	vtl0_image_tag
vtl0_image_tag:
	.asciz	"vtlmon vtl0 image"

	.section .note.GNU-stack, "", @progbits
