/* Minimal VTL0 exception handling: 32 exception gates routed to per-vector C handlers. */
#ifndef VTL0_IDT_H
#define VTL0_IDT_H

#include <stdint.h>

#define IDT_NR_EXCEPTIONS 32

/* The vectors the test guests provoke, and the #PF error code bits they check. */
#define EXC_UD	 6
#define EXC_GP	 13
#define EXC_PF	 14
#define PF_ERR_W (1ULL << 1) /* a write */
#define PF_ERR_I (1ULL << 4) /* an instruction fetch */

/* What the entry stub leaves on the stack; a handler may edit it (rip to resume elsewhere). */
struct exc_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error_code; /* 0 for vectors without one */
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct exc_frame) == 22 * 8, "exc_frame matches idt_entry.S");

typedef void (*exc_handler_t)(struct exc_frame *frame);

/*
 * Loads the guest IDT. Vectors without a handler report an ASSERT_FAIL
 * ucall (args: vector, error code, rip, cr2) and shut down with
 * VTL_UCALL_FAIL_CODE.
 */
void idt_install(void);
/*
 * Loads the table idt_install() built on the calling vCPU (an SMP
 * secondary), without rewriting a gate another vCPU may be using.
 */
void idt_load(void);
/* NULL restores the default. Returning from a handler resumes at frame->rip. */
void idt_set_handler(unsigned int vector, exc_handler_t fn);

/*
 * What becomes of an exception nobody expects: reports `msg` as an
 * ASSERT_FAIL ucall (args: vector, error code, rip, cr2), and on the console
 * too, then shuts down with VTL_UCALL_FAIL_CODE.
 */
__attribute__((noreturn)) void idt_fail(const struct exc_frame *frame, const char *msg);

/* Called by the entry stubs only. */
void idt_dispatch(struct exc_frame *frame);

#endif
