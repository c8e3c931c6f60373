/* Expected faults: the one handler behind every fault_rec_install()ed vector. */
#include "fault.h"

#include "cpu.h"

/* Indexed by vector; the IDT reaches fault_on_exception only for a vector set here. */
static struct fault_rec *fault_recs[IDT_NR_EXCEPTIONS];

static void fault_on_exception(struct exc_frame *f)
{
	struct fault_rec *rec = fault_recs[f->vector];

	rec->count++;
	rec->error = f->error_code;
	rec->rip = f->rip;
	rec->cr2 = read_cr2();
	if (!rec->resume)
		idt_fail(f, "unexpected fault");
	f->rip = rec->resume;
	/* One fault per arming: another one before the next probe is unexpected. */
	rec->resume = 0;
}

void fault_rec_install(unsigned int vector, struct fault_rec *rec)
{
	if (vector >= IDT_NR_EXCEPTIONS)
		return;
	fault_recs[vector] = rec;
	idt_set_handler(vector, rec ? fault_on_exception : 0);
}
