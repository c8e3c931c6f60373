/* Minimal VTL0 IDT: exception gates to idt_entry.S stubs, dispatched to per-vector handlers. */
#include "idt.h"

#include "console.h"
#include "cpu.h"
#include "device.h"
#include "ucall.h"

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate is 16 bytes");

#define IDT_GATE_INTERRUPT 0x8E /* present, DPL 0, 64-bit interrupt gate (keeps IF=0) */

extern const uint64_t idt_stub_table[IDT_NR_EXCEPTIONS];

static struct idt_gate idt_table[IDT_NR_EXCEPTIONS] __attribute__((aligned(16)));
static exc_handler_t idt_handlers[IDT_NR_EXCEPTIONS];

void idt_install(void)
{
	for (unsigned int v = 0; v < IDT_NR_EXCEPTIONS; v++) {
		uint64_t addr = idt_stub_table[v];
		struct idt_gate *g = &idt_table[v];

		g->offset_lo = (uint16_t)addr;
		g->selector = VTL_SEL_CODE;
		g->ist = 0;
		g->type_attr = IDT_GATE_INTERRUPT;
		g->offset_mid = (uint16_t)(addr >> 16);
		g->offset_hi = (uint32_t)(addr >> 32);
		g->reserved = 0;
	}
	/* Vectors past 31 lie beyond the limit: only exceptions are expected (IF stays 0). */
	lidt(idt_table, sizeof(idt_table) - 1);
}

void idt_load(void)
{
	lidt(idt_table, sizeof(idt_table) - 1);
}

void idt_set_handler(unsigned int vector, exc_handler_t fn)
{
	if (vector < IDT_NR_EXCEPTIONS)
		idt_handlers[vector] = fn;
}

void idt_fail(const struct exc_frame *frame, const char *msg)
{
	uint64_t cr2 = read_cr2();

	/* The monitor prints the ucall's first two args; rip and cr2 need this line. */
	console_printf("%s %lu at rip 0x%lx, cr2 0x%lx\n", msg, frame->vector, frame->rip, cr2);
	vtl_ucall4(VTL_UCALL_ASSERT_FAIL, __FILE__, __LINE__, msg, frame->vector, frame->error_code,
		   frame->rip, cr2);
	vtl_shutdown(VTL_UCALL_FAIL_CODE);
}

void idt_dispatch(struct exc_frame *frame)
{
	exc_handler_t fn = frame->vector < IDT_NR_EXCEPTIONS ? idt_handlers[frame->vector] : 0;

	if (!fn)
		idt_fail(frame, "unhandled exception");
	fn(frame);
}
