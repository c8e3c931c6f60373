/* Flood guest: many denied stores and console lines; the event log must stay bounded. */
#include "fault.h"
#include "vtl0.h"
#include "vtl1_abi.h"

/*
 * Each denied store is a VM exit and a VTL1 entry (about 100 us here), so
 * this finishes in about 5 s while still exceeding the default burst
 * (1000 events a type) many times. The host test reads both counts from
 * checkpoint 1 rather than repeating them.
 */
#define FLOOD_STORES 10000ULL
#define FLOOD_LINES  3000ULL

#define FLOOD_FILL   0x5a5a5a5a5a5a5a5aULL
#define FLOOD_ATTACK 0xbadc0ffeebadc0feULL

/* One whole page: the protection covers nothing else (code, stack, ucall buffer stay RW). */
static uint64_t flood_page[VTL_PAGE_SIZE / 8] __attribute__((aligned(VTL_PAGE_SIZE)));

static struct fault_rec pf;

int vtl0_main(const struct vtl_boot_info *bi)
{
	volatile uint64_t *page = flood_page;

	idt_install();
	fault_rec_install(EXC_PF, &pf);
	page[0] = FLOOD_FILL;
	GUEST_CHECKPOINT_VAL(1, FLOOD_STORES << 32 | FLOOD_LINES);
	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)flood_page, 1, VTL_PERM_R), VTL_OK);

	/* The hot loop stays short: guest CPL0 code is emulated at about 1 us per instruction. */
	for (uint64_t i = 0; i < FLOOD_STORES; i++)
		fault_try_store64(&pf, &page[0], FLOOD_ATTACK);
	/* Every store was stopped, each with its own fault: the limit drops events, not checks. */
	GUEST_ASSERT_EQ(pf.count, FLOOD_STORES);
	GUEST_ASSERT_EQ(page[0], FLOOD_FILL);

	/* A second guest-driven kind, with its own bucket: one port exit per line. */
	for (uint64_t i = 0; i < FLOOD_LINES; i++)
		console_write("flood\n", 6);
	GUEST_CHECKPOINT_VAL(2, pf.count);
	GUEST_DONE();
}
