/*
 * The QEMU side of `make bench-compare`: the least a PVH guest can be. QEMU finds the entry in
 * the XEN_ELFNOTE_PHYS32_ENTRY note and enters it as the Xen PVH ABI says: 32-bit protected
 * mode, flat segments, paging off. The guest writes 42 to isa-debug-exit (-device
 * isa-debug-exit,iobase=0xf4), which ends QEMU with status (42 << 1) | 1 = 85, and halts should
 * the device be missing. Not 0: its status 1 is also that of QEMU failing to start at all.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_VALUE 42

	.section .text.start, "ax", @progbits
	.code32
	.globl	pvh_start
	.type	pvh_start, @function
pvh_start:
	movl	$DEBUG_EXIT_VALUE, %eax
	outl	%eax, $DEBUG_EXIT_PORT
1:	cli
	hlt
	jmp	1b
	.size	pvh_start, . - pvh_start

	/* An ELF note: name size, descriptor size, type, "Xen" padded to 4, the 64-bit entry. */
	.section .note.Xen, "a", @note
	.balign	4
	.long	2f - 1f
	.long	4f - 3f
	.long	XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz	"Xen"
2:	.balign	4
3:	.quad	pvh_start
4:

	.section .note.GNU-stack, "", @progbits
