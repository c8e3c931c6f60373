/* Test guest: the VTL0 IDT delivers #UD and #GP to registered handlers and resumes the guest. */
#include "idt.h"
#include "vtl0.h"

static uint64_t exc_seen_vector, exc_seen_error, exc_seen_rip;

/* Both faulting instructions are given a known length, so the handler can step over them. */
static void exc_skip(struct exc_frame *f, uint64_t len)
{
	exc_seen_vector = f->vector;
	exc_seen_error = f->error_code;
	exc_seen_rip = f->rip;
	f->rip += len;
}

static void exc_on_ud(struct exc_frame *f)
{
	exc_skip(f, 2); /* ud2 */
}

static void exc_on_gp(struct exc_frame *f)
{
	exc_skip(f, 3); /* movq (%rax), %rax */
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	uint64_t val = 0x8000000000000000ULL; /* non-canonical: #GP(0) */
	uint64_t rip;

	idt_install();
	idt_set_handler(EXC_UD, exc_on_ud);
	idt_set_handler(EXC_GP, exc_on_gp);

	__asm__ volatile("lea 0f(%%rip), %0\n\t"
			 "0: ud2"
			 : "=&r"(rip)
			 :
			 : "memory");
	GUEST_ASSERT_EQ(exc_seen_vector, EXC_UD);
	GUEST_ASSERT_EQ(exc_seen_rip, rip);

	__asm__ volatile("lea 0f(%%rip), %0\n\t"
			 "0: movq (%1), %1"
			 : "=&r"(rip), "+a"(val)
			 :
			 : "memory");
	GUEST_ASSERT_EQ(exc_seen_vector, EXC_GP);
	GUEST_ASSERT_EQ(exc_seen_error, 0);
	GUEST_ASSERT_EQ(exc_seen_rip, rip);
	GUEST_ASSERT_EQ(val, 0x8000000000000000ULL); /* the load never completed */
	GUEST_DONE();
}
