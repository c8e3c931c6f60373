/* Exception entry stubs: build a struct exc_frame and call idt_dispatch. */

/* Vectors for which the CPU pushes an error code; the others get a 0 so all frames match. */
.macro	IDT_STUB vec
	.balign	16
idt_stub_\vec:
	.if	(\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	idt_common
.endm

	.text
	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	IDT_STUB \v
	.endr

	/*
	 * The CPU aligned RSP to 16 before its 5-qword frame; error code,
	 * vector and 15 registers make 17 more, so RSP is 16-aligned at the call.
	 */
	.balign	16
idt_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	cld
	call	idt_dispatch
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp
	iretq

	.section .rodata
	.balign	8
	.globl	idt_stub_table
idt_stub_table:
	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	idt_stub_\v
	.endr
	.size	idt_stub_table, . - idt_stub_table

	.section .note.GNU-stack, "", @progbits
