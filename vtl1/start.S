/*
 * VTL1 entry point: the monitor enters here with RDI = boot info VA, RSI = this vCPU's index
 * (0 at launch; a secondary's the first time the monitor enters it) and a valid stack.
 */
	.section .text.start, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	/* The SysV ABI wants RSP 16-byte aligned at a call; do not rely on the loader for it. */
	andq	$-16, %rsp
	/* A zero frame pointer ends backtraces here. */
	xorl	%ebp, %ebp
	call	vtl1_main
	/* vtl1_main never returns; park if it ever does. */
1:	hlt
	jmp	1b
	.size	_start, . - _start

	/*
	 * Guarantees a non-empty .rodata: an empty output section still gets its
	 * PT_LOAD from PHDRS, at address 0, which the monitor's loader rejects.
	 */
	.section .rodata.tag, "a", @progbits
	.globl	vtl1_image_tag
vtl1_image_tag:
	.asciz	"vtlmon vtl1 image"

	.section .note.GNU-stack, "", @progbits
