/* Attack catalogue guest: every load form against a no-access page, one probe per form. */
#include "attack_probe.h"
#include "vtl1_abi.h"

/*
 * Three pages: the one below the target stays readable (straddling and
 * crossing forms start there, pop's exception frame lands there), the
 * target is made no-access and holds a secret, the one above receives the
 * memory-destination forms. Global: riprel_ld names it.
 */
uint8_t attack_load_pages[3][VTL_PAGE_SIZE] __attribute__((aligned(VTL_PAGE_SIZE)));
#define LD_BELOW (attack_load_pages[0])
#define LD_NA	 (attack_load_pages[1])
#define LD_DEST	 (attack_load_pages[2])

#define LD_FILL_BELOW  0x77
#define LD_SECRET      0xC5 /* the no-access page: must never reach VTL0 */
#define LD_FILL_DEST   0xD7 /* the destination buffer's old contents */
#define LD_FILL_XMM    0xE1 /* xmm0's old contents */
#define LD_DEST_OFF    0x800
#define LD_DEST_WINDOW 64 /* bytes from the destination a form may write, and checked */

enum {
	LF_POP = 1,  /* RSP = the target: pop reads it */
	LF_PUSH = 2, /* RSP = destination + 8: push [m] writes the destination's first qword */
};

struct load_form {
	const char *name;
	void (*fn)(void);
	const char *site, *end;
	int32_t off;   /* the target: NA page + off (negative: starts in the page below) */
	uint16_t side; /* bytes below the NA page the form may legitimately copy */
	uint8_t flags; /* LF_* */
	uint64_t rcx;  /* 0: the default */
	uint8_t dst;   /* the GPR the load writes, as AP_* + 1; 0: AP_RBX */
};

/*
 * Register convention: RAX = RSI = target, RDI = destination (in LD_DEST),
 * RBX = its default (the GPR destination's old value), xmm0 = LD_FILL_XMM
 * bytes, RCX = count where it counts.
 */

/* GPR destination: the load is the only thing done before the result is written. */
AP_FORM(mov_ld64, "movq (%rax), %rbx");
AP_FORM(mov_ld32, "movl (%rax), %ebx");
AP_FORM(mov_ld8, "movb (%rax), %bl");
AP_FORM(movzx_ld8, "movzbl (%rax), %ebx");
AP_FORM(movzx_ld16, "movzwl (%rax), %ebx");
AP_FORM(movsx_ld32, "movslq (%rax), %rbx");
AP_FORM(add_ld, "addq (%rax), %rbx");
AP_FORM(imul_ld, "imulq (%rax), %rbx");
AP_FORM(cmp_ld, "cmpq %rbx, (%rax)");
AP_FORM(cmp_imm_ld, "cmpb $1, (%rax)");
AP_FORM(test_ld, "testq %rbx, (%rax)");
AP_FORM(riprel_ld, "movq attack_load_pages+4096+0x10(%rip), %rbx");
AP_FORM(straddle_ld64, "movq (%rax), %rbx");
AP_FORM(xchg_ld, "xchgq %rbx, (%rax)");
AP_FORM(lodsq_ld, "lodsq");
AP_FORM(pop_ld, "popq %rbx");

/* Memory or non-GPR destination: nothing stale may land there. */
AP_FORM(movsb_ld, "movsb");
AP_FORM(movsq_ld, "movsq");
AP_FORM(rep_movsb_ld, "rep movsb");
AP_FORM(rep_movsq_ld, "rep movsq");
AP_FORM(rep_movsb_cross_ld, "rep movsb");
AP_FORM(push_m_ld, "pushq (%rax)");
AP_FORM(movdqu_ld, "movdqu (%rax), %xmm0");
AP_FORM(movups_ld, "movups (%rax), %xmm0");
AP_FORM(movaps_ld, "movaps (%rax), %xmm0");
AP_FORM(movq_xmm_ld, "movq (%rax), %xmm0");
AP_FORM(movdqu_straddle_ld, "movdqu (%rax), %xmm0");
AP_FORM(fxrstor_ld, "fxrstor (%rax)");

static const struct load_form ld_forms[] = {
    {AP_CODE(mov_ld64), .off = 0x10},
    {AP_CODE(mov_ld32), .off = 0x10},
    {AP_CODE(mov_ld8), .off = 0x13},
    {AP_CODE(movzx_ld8), .off = 0x10},
    {AP_CODE(movzx_ld16), .off = 0x10},
    {AP_CODE(movsx_ld32), .off = 0x10},
    {AP_CODE(add_ld), .off = 0x10},
    {AP_CODE(imul_ld), .off = 0x10},
    {AP_CODE(cmp_ld), .off = 0x10},
    {AP_CODE(cmp_imm_ld), .off = 0x10},
    {AP_CODE(test_ld), .off = 0x10},
    {AP_CODE(riprel_ld), .off = 0x10},
    {AP_CODE(straddle_ld64), .off = -4, .side = 4},
    {AP_CODE(xchg_ld), .off = 0x10},
    {AP_CODE(lodsq_ld), .off = 0x10, .dst = AP_RAX + 1},
    {AP_CODE(pop_ld), .off = 0, .flags = LF_POP},

    {AP_CODE(movsb_ld), .off = 0x10},
    {AP_CODE(movsq_ld), .off = 0x10},
    {AP_CODE(rep_movsb_ld), .off = 0x10, .rcx = 32},
    {AP_CODE(rep_movsq_ld), .off = 0x10, .rcx = 4},
    {AP_CODE(rep_movsb_cross_ld), .off = -16, .side = 16, .rcx = 32},
    {AP_CODE(push_m_ld), .off = 0x10, .flags = LF_PUSH},
    {AP_CODE(movdqu_ld), .off = 0x10},
    {AP_CODE(movups_ld), .off = 0x18},
    {AP_CODE(movaps_ld), .off = 0x40},
    {AP_CODE(movq_xmm_ld), .off = 0x10},
    {AP_CODE(movdqu_straddle_ld), .off = -8, .side = 8},
    {AP_CODE(fxrstor_ld), .off = 0x400},
};

#define LD_NR_FORMS (sizeof(ld_forms) / sizeof(ld_forms[0]))

/* The destination GPR: .dst is AP_* + 1, so that 0 means the usual AP_RBX. */
static unsigned int ld_dst(const struct load_form *f)
{
	return f->dst ? f->dst - 1U : AP_RBX;
}

/*
 * No stale or secret byte anywhere the form could have written: the
 * destination register, the destination window and xmm0 hold their old
 * bytes or zeros, except that a crossing form may have copied the readable
 * bytes below the page first.
 */
static bool ld_no_stale(const struct load_form *f)
{
	const volatile uint8_t *d = LD_DEST + LD_DEST_OFF;
	const uint8_t *x = (const uint8_t *)attack_probe.out.xmm0;
	uint64_t reg = attack_probe.out.gpr[ld_dst(f)];

	if (reg != attack_probe.in.gpr[ld_dst(f)] && reg != 0)
		return false;

	for (unsigned int i = 0; i < LD_DEST_WINDOW; i++)
		if (d[i] != LD_FILL_DEST && d[i] != 0 && !(i < f->side && d[i] == LD_FILL_BELOW))
			return false;
	for (unsigned int i = 0; i < 16; i++)
		if (x[i] != LD_FILL_XMM && x[i] != 0 && !(i < f->side && x[i] == LD_FILL_BELOW))
			return false;
	return true;
}

static void ld_run(const struct load_form *f)
{
	struct ap_regs *in = &attack_probe.in;
	uint64_t target = (uintptr_t)LD_NA + (uint64_t)(int64_t)f->off;
	uint64_t na_addr = f->off < 0 ? (uintptr_t)LD_NA : target;
	uint64_t obs;

	ap_fill(LD_BELOW + VTL_PAGE_SIZE - 256, 256, LD_FILL_BELOW);
	ap_fill(LD_DEST, VTL_PAGE_SIZE, LD_FILL_DEST);

	ap_reset_in(LD_FILL_XMM);
	in->gpr[AP_RAX] = target;
	in->gpr[AP_RSI] = target;
	in->gpr[AP_RDI] = (uintptr_t)(LD_DEST + LD_DEST_OFF);
	if (f->rcx)
		in->gpr[AP_RCX] = f->rcx;
	if (f->flags & LF_POP)
		in->rsp = target;
	if (f->flags & LF_PUSH)
		in->rsp = (uintptr_t)(LD_DEST + LD_DEST_OFF) + 8;

	ap_begin(f->name, f->site, f->end);
	ap_run(f->fn, f->end);

	obs = ap_observe(f->end, (uintptr_t)f->site, na_addr) | AP_OBS_PROT;
	if (ap_bytes_are(LD_DEST + LD_DEST_OFF, LD_DEST_WINDOW, LD_FILL_DEST))
		obs |= AP_OBS_SIDE;
	if (ld_no_stale(f))
		obs |= AP_OBS_NO_STALE;
	ap_report(f->name, f->site, obs, na_addr);
	if (!(obs & AP_OBS_NO_STALE))
		GUEST_PRINTF("%s: stale? dst %lx dest %lx xmm0 %lx:%lx", f->name,
			     attack_probe.out.gpr[ld_dst(f)],
			     *(const volatile uint64_t *)(LD_DEST + LD_DEST_OFF),
			     attack_probe.out.xmm0[1], attack_probe.out.xmm0[0]);
}

int vtl0_main(const struct vtl_boot_info *bi)
{
	const char *sel = ap_selected(bi);
	unsigned int ran = 0;

	ap_install();
	ap_fill(LD_BELOW, VTL_PAGE_SIZE, LD_FILL_BELOW);
	ap_fill(LD_NA, VTL_PAGE_SIZE, LD_SECRET);
	GUEST_ASSERT_EQ(vtl_protect((uintptr_t)LD_NA, 1, 0), VTL_OK);

	for (unsigned int i = 0; i < LD_NR_FORMS; i++) {
		if (!ap_wanted(sel, ld_forms[i].name))
			continue;
		ld_run(&ld_forms[i]);
		ran++;
	}
	if (!ran)
		GUEST_FAIL("no such load form");
	GUEST_DONE();
}
