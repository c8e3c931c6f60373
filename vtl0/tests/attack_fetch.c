/* Attack catalogue guest: every way to fetch from a no-access page, one probe per form. */
#include "attack_probe.h"
#include "vtl1_abi.h"

/*
 * Two pages: code is written into the first (.bss is writable and, without
 * MBEC, executable), the second is made no-access. Straddling instructions
 * start at the end of the first and continue into the second.
 */
static uint8_t fx_pages[2][VTL_PAGE_SIZE] __attribute__((aligned(VTL_PAGE_SIZE)));
#define FX_CODE (fx_pages[0])
#define FX_NA	(fx_pages[1])
#define FX_END	((uintptr_t)FX_NA) /* the first no-access byte */

/*
 * The no-access page is full of `jmp *%rdx` (ff e2), RDX = the form's end
 * label: should a fetch from it ever succeed, the form comes back without
 * a fault, and the guest reports that.
 */
#define FX_JMP_RDX0 0xff
#define FX_JMP_RDX1 0xe2
#define FX_NA_OFF   0x40 /* where the jumping forms land (even: a jmp *%rdx starts there) */
#define FX_REL_OFF  0x80
#define FX_REL_SITE 0x100 /* in the code page: a `jmp rel32` to FX_NA + FX_REL_OFF */

/* Every form jumps through RAX (or, for ret, the pushed RAX); RDX = end label. */
AP_FORM(jmp_na, "jmp *%rax");
AP_FORM(call_na, "call *%rax");
AP_FORM_PRE(ret_na, "pushq %rax", "ret");
AP_FORM(jmp_rel_na, "jmp *%rax");
AP_FORM(fallthrough_na, "jmp *%rax");
AP_FORM(straddle_movabs, "jmp *%rax");
AP_FORM(straddle_jmp, "jmp *%rax");

enum {
	FX_LAND_NA,  /* RAX = the no-access page + FX_NA_OFF */
	FX_LAND_REL, /* RAX = a jmp rel32 in the code page, which lands in the no-access page */
	FX_LAND_FALLTHROUGH, /* RAX = two nops that end the code page */
	FX_LAND_MOVABS,	     /* RAX = a 10-byte movabs whose last 6 bytes are no-access */
	FX_LAND_JMP,	     /* RAX = a 2-byte jmp *%rdx whose second byte is no-access */
};

struct fetch_form {
	const char *name;
	void (*fn)(void);
	const char *site, *end;
	uint8_t land; /* FX_LAND_* */
};

static const struct fetch_form fx_forms[] = {
    {AP_CODE(jmp_na), .land = FX_LAND_NA},
    {AP_CODE(call_na), .land = FX_LAND_NA},
    {AP_CODE(ret_na), .land = FX_LAND_NA},
    {AP_CODE(jmp_rel_na), .land = FX_LAND_REL},
    {AP_CODE(fallthrough_na), .land = FX_LAND_FALLTHROUGH},
    {AP_CODE(straddle_movabs), .land = FX_LAND_MOVABS},
    {AP_CODE(straddle_jmp), .land = FX_LAND_JMP},
};

#define FX_NR_FORMS (sizeof(fx_forms) / sizeof(fx_forms[0]))

/*
 * Writes the code the form lands on; returns where it jumps to, and sets
 * *fault_rip (the instruction that cannot be fetched) and *fault_cr2 (the
 * first no-access byte it needs).
 */
static uint64_t fx_plant(uint8_t land, uint64_t *fault_rip, uint64_t *fault_cr2)
{
	volatile uint8_t *c = FX_CODE;
	uint64_t at;
	int32_t rel;

	ap_fill(c, VTL_PAGE_SIZE, 0xcc); /* int3: nothing lands here by accident unnoticed */
	switch (land) {
	case FX_LAND_REL:
		at = (uintptr_t)FX_CODE + FX_REL_SITE;
		rel = (int32_t)((uintptr_t)FX_NA + FX_REL_OFF - (at + 5));
		c[FX_REL_SITE] = 0xe9;
		for (unsigned int i = 0; i < 4; i++)
			c[FX_REL_SITE + 1 + i] = (uint8_t)((uint32_t)rel >> (8 * i));
		*fault_rip = *fault_cr2 = (uintptr_t)FX_NA + FX_REL_OFF;
		return at;
	case FX_LAND_FALLTHROUGH:
		c[VTL_PAGE_SIZE - 2] = 0x90;
		c[VTL_PAGE_SIZE - 1] = 0x90;
		*fault_rip = *fault_cr2 = FX_END;
		return FX_END - 2;
	case FX_LAND_MOVABS:
		/* movabs $imm64, %rax: 48 b8 + 8 bytes, 4 of them here. */
		c[VTL_PAGE_SIZE - 4] = 0x48;
		c[VTL_PAGE_SIZE - 3] = 0xb8;
		c[VTL_PAGE_SIZE - 2] = 0x11;
		c[VTL_PAGE_SIZE - 1] = 0x22;
		*fault_rip = FX_END - 4;
		*fault_cr2 = FX_END;
		return FX_END - 4;
	case FX_LAND_JMP:
		c[VTL_PAGE_SIZE - 1] = FX_JMP_RDX0;
		*fault_rip = FX_END - 1;
		*fault_cr2 = FX_END;
		return FX_END - 1;
	default: *fault_rip = *fault_cr2 = (uintptr_t)FX_NA + FX_NA_OFF; return *fault_rip;
	}
}

static void fx_run(const struct fetch_form *f)
{
	struct ap_regs *in = &attack_probe.in;
	uint64_t want_rip, want_cr2, obs;

	ap_reset_in(0);
	in->gpr[AP_RAX] = fx_plant(f->land, &want_rip, &want_cr2);
	in->gpr[AP_RDX] = (uintptr_t)f->end;

	ap_begin(f->name, f->site, f->end);
	ap_run(f->fn, f->end);

	/* RIP_EXACT here means: on the instruction that could not be fetched. */
	obs = ap_observe(f->end, want_rip, want_cr2) | AP_OBS_PROT | AP_OBS_SIDE | AP_OBS_NO_STALE;
	ap_report(f->name, f->site, obs, want_cr2);
	/* For the host: where the fetch should have faulted (the event's rip). */
	GUEST_CHECKPOINT_VAL(AP_TAG | 3, want_rip);
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	const char *sel = ap_selected(bi);
	unsigned int ran = 0;

	ap_install();
	for (unsigned int i = 0; i < VTL_PAGE_SIZE; i += 2) {
		FX_NA[i] = FX_JMP_RDX0;
		FX_NA[i + 1] = FX_JMP_RDX1;
	}
	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)FX_NA, 1, 0), VTL_OK);

	for (unsigned int i = 0; i < FX_NR_FORMS; i++) {
		if (!ap_wanted(sel, fx_forms[i].name))
			continue;
		fx_run(&fx_forms[i]);
		ran++;
	}
	if (!ran)
		GUEST_FAIL("no such fetch form");
	GUEST_DONE();
}
