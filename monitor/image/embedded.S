/* Built-in guest images: the demo VTL0 kernel, the reference VTL1 and the bench guests. */

#define EMBED(name, file)                                                                          \
	.section .rodata, "a";                                                                      \
	.balign 64;                                                                                \
	.globl name;                                                                               \
	.globl name##_end;                                                                         \
name:                                                                                              \
	.incbin file;                                                                              \
name##_end:

EMBED(embedded_demo_elf, DEMO_ELF)
EMBED(embedded_vtl1_elf, VTL1_ELF)
EMBED(embedded_bench_elf, BENCH_ELF)
EMBED(embedded_cr_latency_elf, CR_LATENCY_ELF)
EMBED(embedded_default_policy, DEFAULT_POLICY)

	.section .note.GNU-stack, "", @progbits
